package cli

import "ccsub/internal/app"

func Main() { app.Run() }
