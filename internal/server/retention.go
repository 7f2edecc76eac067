package server

import (
	"errors"
	"fmt"
	"net/http"

	"ccsub/internal/domain"
	"ccsub/internal/httpkit"
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
		Shell: s.page(w, r, "Retention", "retention"), Policy: s.retain.Policy(), Tables: sizes, Runs: runs,
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
		return httpkit.BadRequest("This form has no one-time key: reload the retention page and submit it again; no run was started.")
	}
	if len(key) > 100 { // the register form's bound
		return httpkit.BadRequest("The form's one-time key is malformed: reload the retention page and submit it again; no run was started.")
	}
	run, err := s.retain.Start(r.Context(), httpkit.Actor(r), key)
	switch {
	case errors.Is(err, domain.ErrDuplicateSubmission):
		return s.flash(w, r, "error", fmt.Sprintf("This form was already submitted: it started run #%d; no other run was started.", run.ID), "/retention")
	case errors.Is(err, domain.ErrConflict):
		return s.flash(w, r, "error", fmt.Sprintf("Run #%d (%s, by %s) is still in progress; no other run was started. Refresh this page to follow it.",
			run.ID, retentionview.Trigger(run), run.Actor), "/retention")
	case err != nil:
		return err
	}
	return s.flash(w, r, "ok", fmt.Sprintf("Retention run #%d started. It runs in the background; refresh this page to see its counts.", run.ID), "/retention")
}
