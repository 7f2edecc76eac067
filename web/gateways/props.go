// Package gateways renders the gateway list and the add/edit form.
package gateways

import (
	"context"
	"strconv"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/i18n"
	"ccsub/web/auditlog"
	"ccsub/web/layout"
	"ccsub/web/view"
)

// ListProps is the gateways page's model.
type ListProps struct {
	Shell    layout.Shell
	Gateways []domain.Gateway
	CanEdit  bool
	CanTest  bool // operators and admins: a test is a gateway call
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
	// Disabled, and what keeps the gateway from being disabled or removed:
	// its live subscriptions (the first ones, and how many more) and the
	// registers sent to it that wait for an answer.
	Disabled         bool
	Dependents       []domain.GatewayDependent
	MoreDependents   int
	PendingRegisters int
}

// InUse reports whether anything keeps the gateway from being disabled or
// removed.
func (p FormProps) InUse() bool { return len(p.Dependents) > 0 || p.PendingRegisters > 0 }

func subPath(id int64) string { return "/subscriptions/" + strconv.FormatInt(id, 10) }

func editPath(id int64) string { return "/gateways/" + strconv.FormatInt(id, 10) }
func testPath(id int64) string { return "/gateways/" + strconv.FormatInt(id, 10) + "/test" }
func retryPath(id int64) string {
	return "/gateways/" + strconv.FormatInt(id, 10) + "/retry-login"
}
func refusedID(id int64) string { return "refused-" + strconv.FormatInt(id, 10) }
func itoa64(n int64) string     { return strconv.FormatInt(n, 10) }

func caLabel(ctx context.Context, g domain.Gateway) string {
	if g.CAPEM == "" {
		return i18n.T(ctx, "gateways.tls.system")
	}
	return i18n.T(ctx, "gateways.tls.own")
}

const maxCA = form.MaxCAPEM >> 10

// refusalWords says what a refused login's code means in the viewer's
// language; the stored words (English, or the gateway's own for a code
// outside the contract) only for a code the table does not know.
func refusalWords(ctx context.Context, r domain.LoginRefusal) string {
	if _, ok := domain.LookupRetcode(r.Retcode); ok {
		return view.Meaning(ctx, r.Retcode)
	}
	return r.Message
}
