package server

import (
	"ccsub/internal/store"
	"ccsub/internal/subscribe"
	"ccsub/web/gateways"
)

func Serve() {
	subscribe.Run()
	gateways.Page(store.Gateways())
}
