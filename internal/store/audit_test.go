package store_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"
)

func TestTheAuditTrailIsAppendOnlyAndTamperEvident(t *testing.T) {
	ctx := context.Background()
	st := store.New(dbtest.Pool(t))
	var last domain.AuditEntry
	for i, a := range []domain.AuditAction{domain.AuditLogin, domain.AuditGatewayUpdate, domain.AuditLogout} {
		e, err := st.AppendAudit(ctx, domain.AuditEntry{Actor: "alice", SourceAddr: "127.0.0.1", Action: a,
			TargetType: domain.TargetGateway, TargetID: "7", TargetName: "Gateway <A>",
			Diff: map[string]domain.FieldChange{"agentId": {Before: 100001 + i, After: 100002 + i}, "password": {After: "[secret changed]"}}})
		if err != nil {
			t.Fatal(err)
		}
		if last.ID != 0 && string(e.PrevHash) != string(last.Hash) {
			t.Fatalf("entry %d does not link to entry %d", e.ID, last.ID)
		}
		last = e
	}
	if n, brk, err := st.VerifyAudit(ctx); err != nil || brk != nil || n < 3 {
		t.Fatalf("VerifyAudit on an untouched chain = %d, %+v, %v", n, brk, err)
	}

	for _, sql := range []string{"UPDATE audit_log SET actor = 'mallory' WHERE id = $1", "DELETE FROM audit_log WHERE id = $1"} {
		if _, err := st.Pool().Exec(ctx, sql, last.ID); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want the trigger to refuse it", strings.Fields(sql)[0], err)
		}
	}

	// Behind the trigger's back: a superuser session that skips triggers.
	conn, err := st.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec("SET session_replication_role = replica")
	exec("UPDATE audit_log SET target_name = 'Gateway B' WHERE id = $1", last.ID)
	_, brk, err := st.VerifyAudit(ctx)
	if err != nil || brk == nil || brk.ID != last.ID || !strings.Contains(brk.Reason, "altered") {
		t.Errorf("after altering entry %d: break %+v, err %v", last.ID, brk, err)
	}
	exec("UPDATE audit_log SET target_name = 'Gateway <A>' WHERE id = $1", last.ID)
	exec("SET session_replication_role = DEFAULT")
	if _, brk, _ := st.VerifyAudit(ctx); brk != nil {
		t.Errorf("after restoring the entry the chain still breaks at %d", brk.ID)
	}
}

func TestAChangeAndItsAuditEntryCommitTogetherOrNotAtAll(t *testing.T) {
	ctx := context.Background()
	st := store.New(dbtest.Pool(t))
	name := "atomic-" + t.Name()
	err := st.InTx(ctx, func(tx *store.Store) error {
		g, err := tx.CreateGateway(ctx, domain.GatewayInput{Name: name, BaseURL: "https://10.0.0.9:8043", AgentID: 1, PasswordSealed: []byte{1}})
		if err != nil {
			return err
		}
		// An entry that cannot be written (its diff cannot be encoded).
		_, err = tx.AppendAudit(ctx, domain.AuditEntry{Actor: "t", Action: domain.AuditGatewayCreate,
			TargetID: strconv.FormatInt(g.ID, 10), Diff: map[string]domain.FieldChange{"x": {After: make(chan int)}}})
		return err
	})
	if err == nil {
		t.Fatal("the transaction committed although its audit entry failed")
	}
	if _, err := st.GatewayByName(ctx, name); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("the gateway exists without its audit entry (err %v)", err)
	}
	err = st.InTx(ctx, func(tx *store.Store) error {
		g, err := tx.CreateGateway(ctx, domain.GatewayInput{Name: name, BaseURL: "https://10.0.0.9:8043", AgentID: 1, PasswordSealed: []byte{1}})
		if err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, domain.AuditEntry{Actor: "t", Action: domain.AuditGatewayCreate, TargetID: strconv.FormatInt(g.ID, 10)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	g, err := st.GatewayByName(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	page, err := st.ListAudit(ctx, domain.AuditFilter{Action: domain.AuditGatewayCreate, TargetID: strconv.FormatInt(g.ID, 10)}, domain.PageRequest{})
	if err != nil || len(page.Entries) != 1 {
		t.Errorf("entries for the committed gateway: %d (err %v), want 1", len(page.Entries), err)
	}
	if _, brk, err := st.VerifyAudit(ctx); err != nil || brk != nil {
		t.Errorf("the chain after a rolled-back append: break %+v, err %v", brk, err)
	}
}
