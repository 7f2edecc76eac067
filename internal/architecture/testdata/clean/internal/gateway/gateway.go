package gateway

import (
	"net/http"

	"ccsub/internal/domain"
)

func Ping(*http.Client, domain.Gateway) {}
