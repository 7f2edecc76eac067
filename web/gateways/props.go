// Package gateways renders the gateway list and the add/edit form.
package gateways

import (
	"strconv"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/web/auditlog"
	"ccsub/web/layout"
)

// ListProps is the gateways page's model.
type ListProps struct {
	Shell    layout.Shell
	Gateways []domain.Gateway
	CanEdit  bool
}

// FormProps is the add/edit page's model. The password is never echoed.
type FormProps struct {
	Shell   layout.Shell
	ID      int64 // 0 when adding
	Form    form.Gateway
	Action  string
	History auditlog.Recent // audit entries about this gateway
	// Refused is the gateway's remembered login refusal, if any.
	Refused *domain.LoginRefusal
}

func editPath(id int64) string { return "/gateways/" + strconv.FormatInt(id, 10) }
func testPath(id int64) string { return "/gateways/" + strconv.FormatInt(id, 10) + "/test" }
func retryPath(id int64) string {
	return "/gateways/" + strconv.FormatInt(id, 10) + "/retry-login"
}
func refusedID(id int64) string { return "refused-" + strconv.FormatInt(id, 10) }
func itoa64(n int64) string     { return strconv.FormatInt(n, 10) }

func caLabel(g domain.Gateway) string {
	if g.CAPEM == "" {
		return "system roots"
	}
	return "own CA bundle"
}

var maxCA = strconv.Itoa(form.MaxCAPEM >> 10)
