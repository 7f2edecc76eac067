package store_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"ccsub/internal/database"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"

	"github.com/jackc/pgx/v5/pgxpool"
)

// splitStore is a store over two small pools of the package's database:
// one interactive connection, waited for at most wait, and one reserved.
func splitStore(t *testing.T, wait time.Duration) (*store.Store, *pgxpool.Pool) {
	t.Helper()
	open := func() *pgxpool.Pool {
		p, err := database.OpenWith(t.Context(), dbtest.URL(t), database.Options{MaxConns: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		return p
	}
	interactive := open()
	return store.NewPools(store.Pools{Interactive: interactive, Reserved: open(), Wait: wait}), interactive
}

func TestReservedWorkRunsWhileEveryInteractiveConnectionIsHeld(t *testing.T) {
	st, interactive := splitStore(t, 200*time.Millisecond)
	held, err := interactive.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()

	start := time.Now()
	if _, err := st.ListGateways(t.Context()); !errors.Is(err, domain.ErrBusy) {
		t.Errorf("an interactive read with its connection held: %v, want ErrBusy", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("ErrBusy came after %s, want about the 200ms wait", took)
	}
	ctx := store.Reserved(t.Context())
	if _, err := st.ListGateways(ctx); err != nil {
		t.Errorf("a reserved read: %v", err)
	}
	if _, err := st.CountPendingCalls(ctx); err != nil {
		t.Errorf("a reserved row: %v", err)
	}
	if err := st.InTx(ctx, func(tx *store.Store) error { _, err := tx.ReleaseLeases(ctx, "nobody"); return err }); err != nil {
		t.Errorf("a reserved transaction: %v", err)
	}
	if err := st.Ping(ctx); err != nil {
		t.Errorf("a reserved ping: %v", err)
	}

	gone, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := st.ListGateways(gone); !errors.Is(err, context.Canceled) || errors.Is(err, domain.ErrBusy) {
		t.Errorf("a read whose client went away: %v, want its cancellation, not ErrBusy", err)
	}
}

// TestTheStoreGivesEveryConnectionBack: with one interactive connection,
// every way of using it (statements, rows read to the end or cut short,
// one row, transactions committed or rolled back, errors) gives it back,
// or the next call would find none.
func TestTheStoreGivesEveryConnectionBack(t *testing.T) {
	st, interactive := splitStore(t, 5*time.Second)
	ctx := t.Context()
	errRollback := errors.New("roll back")
	hash := sha256.Sum256([]byte(t.Name() + time.Now().String()))
	token := domain.NewAPIToken{Name: "pools", Hash: hash[:], Prefix: "ccsub_x", Role: domain.RoleAuditor,
		CreatedBy: "test", ExpiresAt: time.Now().Add(time.Hour)}
	if _, err := st.CreateAPIToken(ctx, token); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		steps := []struct {
			name string
			do   func() error
		}{
			{"exec", func() error { _, err := st.ReleaseLeases(ctx, "nobody"); return err }},
			{"rows", func() error { _, err := st.ListGateways(ctx); return err }},
			{"one row", func() error { _, err := st.CountPendingCalls(ctx); return err }},
			{"no row", func() error {
				if _, err := st.Gateway(ctx, -1); !errors.Is(err, domain.ErrNotFound) {
					return err
				}
				return nil
			}},
			{"a refused insert", func() error {
				if _, err := st.CreateAPIToken(ctx, token); !errors.Is(err, domain.ErrConflict) {
					return fmt.Errorf("the same token again: %v, want ErrConflict", err)
				}
				return nil
			}},
			{"commit", func() error {
				return st.InTx(ctx, func(tx *store.Store) error { _, err := tx.ListGateways(ctx); return err })
			}},
			{"rollback", func() error {
				if err := st.InTx(ctx, func(*store.Store) error { return errRollback }); !errors.Is(err, errRollback) {
					return err
				}
				return nil
			}},
			{"audit chain", func() error { _, err := st.VerifyAuditChain(ctx); return err }},
		}
		for _, s := range steps {
			if err := s.do(); err != nil {
				t.Fatalf("round %d, %s: %v", i, s.name, err)
			}
		}
	}
	if n := interactive.Stat().AcquiredConns(); n != 0 {
		t.Errorf("%d connections still taken", n)
	}
}

// TestTheAuditChainIsVerifiedPageByPage: a chain longer than a page is
// checked whole, and a break on a later page is found.
func TestTheAuditChainIsVerifiedPageByPage(t *testing.T) {
	pool, _ := dbtest.Isolated(t)
	st := store.New(pool)
	ctx := t.Context()
	var ids []int64
	for i := range 7 {
		e, err := st.AppendAudit(ctx, domain.AuditEntry{Actor: "alice", Action: domain.AuditLogin,
			TargetType: domain.TargetGateway, TargetID: "1", TargetName: "page " + strings.Repeat("x", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	defer store.SetAuditVerifyPage(3)()
	v, err := st.VerifyAuditChain(ctx)
	if err != nil || v.Break != nil || v.Checked != 7 || len(v.Head) == 0 {
		t.Fatalf("intact chain: %+v, %v; want 7 entries checked and a head", v, err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for _, sql := range []string{"SET session_replication_role = replica",
		"UPDATE audit_log SET target_name = 'altered' WHERE id = $1",
		"SET session_replication_role = DEFAULT"} {
		var args []any
		if strings.Contains(sql, "$1") {
			args = append(args, ids[5])
		}
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := st.VerifyAuditChain(ctx); err != nil || v.Break == nil || v.Break.ID != ids[5] || v.Checked != 6 {
		t.Errorf("altered entry %d on the second page: %+v, %v", ids[5], v, err)
	}
}
