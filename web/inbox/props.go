// Package inbox renders the notifications ccsub's receiver got: the global
// inbox, one subscription's inbox, and the rows app.js fetches to show new
// notifications without a reload.
package inbox

import (
	"context"
	"strconv"
	"unicode/utf8"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/i18n"
	"ccsub/web/layout"
	"ccsub/web/view"
)

// Row is one notification as a table row. Cursor is the row's keyset
// position, which app.js sends back to ask for newer rows.
type Row struct {
	N      domain.Notification
	Cursor string
}

// ListProps is an inbox page's model.
type ListProps struct {
	Shell        layout.Shell
	Subscription *domain.Subscription // nil on the global inbox
	Rows         []Row
	Pages        view.Pages // links to the newest, newer and older pages
	// PollURL is set on the newest page only: app.js fetches rows newer
	// than the top one from it. Older pages stay still.
	PollURL    string
	RefreshURL string
	Path       string // the page's address without its query, for its filter
	Filters    form.InboxQuery
	Errors     map[string]string
}

// Title is the page heading.
func (p ListProps) Title(ctx context.Context) string {
	if p.Subscription == nil {
		return i18n.T(ctx, "inbox.title")
	}
	return i18n.Tf(ctx, "inbox.title_of", i18n.D{"ServerID": p.Subscription.ServerID})
}

func subscriptionInboxPath(id int64) string {
	return "/subscriptions/" + strconv.FormatInt(id, 10) + "/inbox"
}

// cipherPreview shows the start of encrypted content; the whole stays in
// the stored body.
func cipherPreview(s string) string {
	const max = 48
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}

func statusText(ctx context.Context, n domain.Notification) string {
	if n.Accepted {
		return i18n.T(ctx, "inbox.status.accepted")
	}
	return i18n.T(ctx, "inbox.status.refused")
}

func speakerLabel(ctx context.Context, n domain.Notification) string {
	switch n.Speaker {
	case domain.SpeakerAgent:
		return i18n.T(ctx, "inbox.speaker.agent")
	case domain.SpeakerCustomer:
		return i18n.T(ctx, "inbox.speaker.customer")
	case "":
		return "—"
	}
	return i18n.Tf(ctx, "inbox.speaker.other", i18n.D{"Speaker": n.Speaker})
}

// causeMeaning explains asrusercase; the contract documents only "0".
func causeMeaning(ctx context.Context, code string) string {
	switch code {
	case "":
		return ""
	case "0":
		return i18n.T(ctx, "inbox.cause.normal")
	}
	return i18n.T(ctx, "inbox.cause.undocumented")
}

// columns are the inbox table's cell labels, said once per page: every
// row's cells repeat them as data-label (the phone layout).
type columns struct{ Time, CallID, Speaker, Text, Cause, Status string }

func columnsIn(ctx context.Context) columns {
	return columns{
		Time:    i18n.T(ctx, "inbox.col.time"),
		CallID:  i18n.T(ctx, "inbox.col.call_id"),
		Speaker: i18n.T(ctx, "inbox.col.speaker"),
		Text:    i18n.T(ctx, "inbox.col.text"),
		Cause:   i18n.T(ctx, "inbox.col.cause"),
		Status:  i18n.T(ctx, "inbox.col.status"),
	}
}
