package app

import (
	"ccsub/internal/gatewaysim"
	"ccsub/internal/pgembed"
	"ccsub/internal/server"
)

func Run() {
	pgembed.Start()
	server.Serve()
	_ = gatewaysim.Handler
}
