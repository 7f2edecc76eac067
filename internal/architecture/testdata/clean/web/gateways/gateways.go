package gateways

import (
	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/web/layout"
)

var (
	_ = form.Gateway
	_ = layout.Stylesheet
)

func Page([]domain.Gateway) {}
