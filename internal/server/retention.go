package server

import (
	"errors"
	"net/http"

	"ccsub/internal/domain"
	"ccsub/internal/httpkit"
	"ccsub/internal/i18n"
	"ccsub/internal/retention"
	retentionview "ccsub/web/retention"
)

// retentionTables are the tables the retention page sizes: those of the
// kinds, and the runs'.
var retentionTables = []string{"calls", "notifications", "heartbeats", "audit_log", "retention_runs"}

// retentionRunsShown is how many runs the page lists.
const retentionRunsShown = 10

// RetentionPage is GET /retention: the policy, the tables' sizes, the
// latest runs and "Run now".
func (s *Server) RetentionPage(w http.ResponseWriter, r *http.Request) error {
	sizes, err := s.store.TableSizes(r.Context(), retentionTables)
	if err != nil {
		return err
	}
	runs, err := s.store.RetentionRuns(r.Context(), retentionRunsShown)
	if err != nil {
		return err
	}
	batch, pause := s.retain.Pace()
	return s.render(w, r, http.StatusOK, retentionview.Page(retentionview.PageProps{
		Shell: s.page(w, r, i18n.T(r.Context(), "retention.title"), "retention"), Policy: s.retain.Policy(), Tables: sizes, Runs: runs,
		RunKey: newKey(), Batch: batch, Pause: pause, RefusedKept: retention.RefusedKept,
	}))
}

// RunRetention is POST /retention/run: it starts a run in the background
// and sends the administrator back to the page. The form's one-time key
// makes a second submit start nothing.
func (s *Server) RunRetention(w http.ResponseWriter, r *http.Request) error {
	if err := httpkit.ParseForm(w, r); err != nil {
		return err
	}
	key := r.PostForm.Get("idempotencyKey")
	if key == "" || len(r.PostForm["idempotencyKey"]) > 1 {
		return httpkit.BadRequest(i18n.T(r.Context(), "retention.error.no_key"))
	}
	if len(key) > 100 { // the register form's bound
		return httpkit.BadRequest(i18n.T(r.Context(), "retention.error.bad_key"))
	}
	run, err := s.retain.Start(r.Context(), httpkit.Actor(r), key)
	switch {
	case errors.Is(err, domain.ErrDuplicateSubmission):
		return s.flash(w, r, "error", i18n.Tf(r.Context(), "retention.flash.duplicate", i18n.D{"ID": run.ID}), "/retention")
	case errors.Is(err, domain.ErrConflict):
		return s.flash(w, r, "error", i18n.Tf(r.Context(), "retention.flash.in_progress",
			i18n.D{"ID": run.ID, "Trigger": retentionview.Trigger(r.Context(), run), "Actor": run.Actor}), "/retention")
	case err != nil:
		return err
	}
	return s.flash(w, r, "ok", i18n.Tf(r.Context(), "retention.flash.started", i18n.D{"ID": run.ID}), "/retention")
}
