package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"
)

// Audit retention cuts the chain from its start only, never takes the
// head, and leaves a chain that verifies from the kept hash and goes on
// growing; the trail stays append-only for every other statement.
func TestDeleteAuditBatchKeepsTheHeadAndAVerifiableChain(t *testing.T) {
	pool, _ := dbtest.Isolated(t)
	s, ctx := store.New(pool), t.Context()
	var ids []int64
	for range 4 {
		e, err := s.AppendAudit(ctx, domain.AuditEntry{Actor: "alice", Action: domain.AuditLogin})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	// Everything is older than a cut-off an hour ahead; batches of 2.
	b, err := s.DeleteAuditBatch(ctx, time.Now().Add(time.Hour), 2)
	if err != nil || b.Deleted != 2 || !b.More {
		t.Fatalf("first batch = %+v, %v; want 2 deleted and more to come", b, err)
	}
	b, err = s.DeleteAuditBatch(ctx, time.Now().Add(time.Hour), 2)
	if err != nil || b.Deleted != 1 || b.More {
		t.Fatalf("second batch = %+v, %v; want 1 deleted (never the head) and done", b, err)
	}
	v, err := s.VerifyAuditChain(ctx)
	if err != nil || v.Break != nil || v.Checked != 1 || v.Anchor != ids[2] {
		t.Fatalf("VerifyAuditChain = %+v, %v; want the head alone, anchored on entry %d", v, err, ids[2])
	}
	if _, err := s.AppendAudit(ctx, domain.AuditEntry{Actor: "alice", Action: domain.AuditLogout}); err != nil {
		t.Fatal(err)
	}
	if v, err := s.VerifyAuditChain(ctx); err != nil || v.Break != nil || v.Checked != 2 {
		t.Errorf("after another append: %+v, %v", v, err)
	}
	if _, err := pool.Exec(ctx, `DELETE FROM audit_log WHERE id = $1`, ids[3]); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("a DELETE outside retention: %v; want the trigger to refuse it", err)
	}
	if _, err := pool.Exec(ctx, `TRUNCATE audit_log`); err == nil {
		t.Error("TRUNCATE of the audit trail went through")
	}
}

// The retention policy and counts survive the round trip through
// retention_runs, and one run at a time is enforced by the database.
func TestRetentionRunsAreOneAtATime(t *testing.T) {
	pool, _ := dbtest.Isolated(t)
	s, ctx := store.New(pool), t.Context()
	p := domain.RetentionPolicy{domain.RetainCalls: 365 * 24 * time.Hour, domain.RetainAudit: 0}
	run, err := s.BeginRetentionRun(ctx, domain.NewRetentionRun{Trigger: domain.RunManual, Actor: "alice", FormKey: "k", Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.BeginRetentionRun(ctx, domain.NewRetentionRun{Trigger: domain.RunCLI, Actor: "bob", Policy: p}); !isConflict(err) {
		t.Errorf("a second run while one is open: %v; want ErrConflict", err)
	}
	done, err := s.FinishRetentionRun(ctx, run.ID, domain.RunDone, map[domain.RetentionKind]int64{domain.RetainCalls: 7}, "")
	if err != nil || done.Status != domain.RunDone || done.Deleted[domain.RetainCalls] != 7 ||
		done.Policy[domain.RetainCalls] != 365*24*time.Hour || len(done.Policy) != 1 {
		t.Fatalf("finished run = %+v, %v", done, err)
	}
	if _, err := s.FinishRetentionRun(ctx, run.ID, domain.RunFailed, nil, "again"); !isConflict(err) {
		t.Errorf("finishing a finished run: %v; want ErrConflict", err)
	}
	if _, err := s.BeginRetentionRun(ctx, domain.NewRetentionRun{Trigger: domain.RunCLI, Actor: "bob", Policy: p}); err != nil {
		t.Errorf("a run after the first ended: %v", err)
	}
}

func isConflict(err error) bool { return errors.Is(err, domain.ErrConflict) }
