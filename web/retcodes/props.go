// Package retcodes renders the retcode pages: every code of the one
// retcode table by family, and one page per code in plain language for
// people who are not developers (issue 11 §5).
package retcodes

import (
	"context"
	"strconv"
	"strings"

	"ccsub/internal/domain"
	"ccsub/internal/i18n"
	"ccsub/web/history"
	"ccsub/web/layout"
	"ccsub/web/view"
)

// ListProps is the page of all codes.
type ListProps struct {
	Shell layout.Shell
	Find  string // the code typed into the search, kept when it was refused
	Error string // why it was refused
}

// PageProps is the page of one code.
type PageProps struct {
	Shell layout.Shell
	Code  string
	Known bool           // the code is in the table
	Row   domain.Retcode // the table's row, or the general words for an unknown code
	Call  *domain.Call   // the call the page was opened from (?call=ID), if any
}

// Family is one family's part of the list.
type Family struct {
	Family domain.RetcodeFamily
	Rows   []domain.Retcode
}

// Families are the table's codes grouped by family, in the table's order.
func Families() []Family {
	var out []Family
	for _, f := range domain.RetcodeFamilies {
		fam := Family{Family: f}
		for _, r := range domain.Retcodes() {
			if r.Family == f {
				fam.Rows = append(fam.Rows, r)
			}
		}
		out = append(out, fam)
	}
	return out
}

// FamilyLabel names a family in the language of ctx.
func FamilyLabel(ctx context.Context, f domain.RetcodeFamily) string {
	switch f {
	case domain.RetcodeFamilySuccess:
		return i18n.T(ctx, "retcode.family.success")
	case domain.RetcodeFamilyAuthentication:
		return i18n.T(ctx, "retcode.family.authentication")
	case domain.RetcodeFamilySubscription:
		return i18n.T(ctx, "retcode.family.subscription")
	case domain.RetcodeFamilyGeneral:
		return i18n.T(ctx, "retcode.family.general")
	case domain.RetcodeFamilyAgent:
		return i18n.T(ctx, "retcode.family.agent")
	}
	return i18n.T(ctx, "retcode.family.other")
}

func familyID(f domain.RetcodeFamily) string { return "family-" + string(f) }

func codePath(code string) string { return view.RetcodePath(code, 0) }

func callPath(id int64) string { return "/calls/" + strconv.FormatInt(id, 10) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Check is what to check, or "Nothing." where the table has nothing.
func (p PageProps) Check(ctx context.Context) string {
	if p.Row.Check == "" {
		return i18n.T(ctx, "retcode.page.nothing_to_check")
	}
	return i18n.T(ctx, p.Row.Check)
}

// Message is the ready-to-copy message for whoever is to be asked: the
// code's request, then the code and, when the page was opened from a
// call, the call's time, operation, serverId, gateway and message. It is
// "" for a code nobody needs telling about.
func (p PageProps) Message(ctx context.Context) string {
	if p.Row.Help.Tell == "" {
		return ""
	}
	lines := []string{i18n.T(ctx, p.Row.Help.Tell), "",
		i18n.Tf(ctx, "retcode.tell.detail_code", i18n.D{"Code": p.Code + " (" + view.Meaning(ctx, p.Code) + ")"})}
	if c := p.Call; c != nil {
		if c.Message != "" {
			lines = append(lines, i18n.Tf(ctx, "retcode.tell.detail_message", i18n.D{"Message": c.Message}))
		}
		lines = append(lines,
			i18n.Tf(ctx, "retcode.tell.detail_time", i18n.D{"Time": i18n.DateTime(ctx, c.StartedAt)}),
			i18n.Tf(ctx, "retcode.tell.detail_operation", i18n.D{"Operation": opText(ctx, c.Operation)}))
		if c.ServerID != "" {
			lines = append(lines, i18n.Tf(ctx, "retcode.tell.detail_server_id", i18n.D{"ServerID": c.ServerID}))
		}
		lines = append(lines,
			i18n.Tf(ctx, "retcode.tell.detail_gateway", i18n.D{"Gateway": c.GatewayName}),
			i18n.Tf(ctx, "retcode.tell.detail_call", i18n.D{"ID": itoa(c.ID)}))
	}
	return strings.Join(lines, "\n")
}

// messageRows sizes the message's box to its lines.
func messageRows(msg string) string { return strconv.Itoa(strings.Count(msg, "\n") + 2) }

func errClass(msg string) string {
	if msg != "" {
		return "field invalid"
	}
	return "field"
}

func invalid(msg string) string {
	if msg != "" {
		return "true"
	}
	return "false"
}

// opText names an operation in the viewer's words and, where they differ,
// by its API name too, which the gateway's log uses.
func opText(ctx context.Context, op domain.Operation) string {
	if label := history.OpLabel(ctx, op); label != string(op) {
		return label + " (" + string(op) + ")"
	}
	return string(op)
}
