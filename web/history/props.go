// Package history renders the call history and the page of one call.
package history

import (
	"strconv"

	"ccsub/internal/domain"
	"ccsub/web/layout"
)

// FilterValues are the filters as typed, for re-display in the form.
type FilterValues struct {
	Retcode   string
	Outcome   string
	Operation string
	ServerID  string
	Callback  string
	From      string // yyyy-mm-dd
	To        string // yyyy-mm-dd (inclusive day)
}

// ListProps is the history page's model.
type ListProps struct {
	Shell     layout.Shell
	Filters   FilterValues
	Errors    map[string]string
	Calls     []domain.Call
	OlderURL  string // empty when there is nothing older
	NewerURL  string
	NewestURL string // set when not on the first page
	// ExportQuery is the current filters as a query string ("" or "?…"),
	// for the export links.
	ExportQuery string
	Outcomes    []domain.Outcome
	Ops         []domain.Operation
}

// CallProps is the page of one call.
type CallProps struct {
	Shell        layout.Shell
	Call         domain.Call
	Subscription *domain.Subscription
	TokenMasked  string
	Hint         string // advice for the retcode, if any
	Interrupted  bool   // pending for longer than any call can take
}

func callPath(id int64) string { return "/calls/" + strconv.FormatInt(id, 10) }

func opLabel(op domain.Operation) string {
	if op == domain.OpStateChange {
		return "state change"
	}
	return string(op)
}

func itoa(n int) string { return strconv.Itoa(n) }

func httpStatus(s int) string {
	if s == 0 {
		return "no HTTP answer"
	}
	return strconv.Itoa(s)
}
