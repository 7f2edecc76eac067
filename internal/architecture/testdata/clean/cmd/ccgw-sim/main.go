package main

import (
	"net/http"

	"ccsub/internal/gatewaysim"
)

func main() { _ = http.ListenAndServe(":0", gatewaysim.Handler) }
