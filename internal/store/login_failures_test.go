package store_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"ccsub/internal/dbtest"
	"ccsub/internal/store"
)

var testLimits = store.LoginLimits{PerAccount: 3, PerAddress: 5, Window: 15 * time.Minute}

// attempts makes n sign-in attempts and returns the waits answered.
func attempts(t *testing.T, s *store.Store, n int, username, addr string) []time.Duration {
	t.Helper()
	var waits []time.Duration
	for range n {
		_, w, err := s.BeginLoginAttempt(t.Context(), username, addr, testLimits)
		if err != nil {
			t.Fatal(err)
		}
		waits = append(waits, w)
	}
	return waits
}

func failures(t *testing.T, where string, arg any) int {
	t.Helper()
	var n int
	if err := dbtest.Pool(t).QueryRow(t.Context(), `SELECT count(*) FROM login_failures WHERE `+where, arg).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLoginAttemptsAreThrottledPerAccountAndPerAddress(t *testing.T) {
	s := newStore(t)
	tests := []struct {
		name     string
		sameName bool // every attempt names one account, in changing letter case
		limit    int
	}{
		{"one account is refused after its limit, in any letter case", true, testLimits.PerAccount},
		{"one address is refused after its limit whatever names it tries", false, testLimits.PerAddress},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, account := unique("addr"), unique("alice")
			username := func(i int) string {
				switch {
				case !tt.sameName:
					return unique("name")
				case i%2 == 1:
					return strings.ToUpper(account)
				}
				return account
			}
			for i := range tt.limit {
				if w := attempts(t, s, 1, username(i), addr)[0]; w != 0 {
					t.Fatalf("attempt %d of %d: wait %s, want none", i+1, tt.limit, w)
				}
			}
			w := attempts(t, s, 1, username(tt.limit), addr)[0]
			if w < testLimits.Window-time.Minute || w > testLimits.Window {
				t.Fatalf("attempt %d: wait %s, want about the %s window", tt.limit+1, w, testLimits.Window)
			}
			if n := failures(t, "source_addr = $1", addr); n != tt.limit {
				t.Errorf("%d failures stored; want %d (a refused attempt is not counted)", n, tt.limit)
			}
		})
	}
}

func TestTheWaitEndsWhenTheFailureThatReachedTheLimitLeavesTheWindow(t *testing.T) {
	s := newStore(t)
	name, addr := unique("bob"), unique("addr")
	attempts(t, s, testLimits.PerAccount, name, addr)
	// The failures happened 10, 9 and 8 minutes ago: sign-ins open when the
	// oldest of them leaves the 15-minute window, 5 minutes from now.
	exec(t, `UPDATE login_failures f SET at = now() - (10 - r.n) * interval '1 minute'
		FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM login_failures WHERE username = lower($1)) r
		WHERE f.id = r.id`, name)
	w := attempts(t, s, 1, name, addr)[0]
	if w <= 4*time.Minute || w > 5*time.Minute {
		t.Fatalf("wait %s; want just under 5 minutes", w)
	}
	exec(t, `UPDATE login_failures SET at = at - interval '5 minutes' WHERE username = lower($1)`, name)
	if w := attempts(t, s, 1, name, addr)[0]; w != 0 {
		t.Errorf("once the failures left the window: wait %s, want none", w)
	}
}

func TestASuccessForgivesTheAccountButNotTheAddress(t *testing.T) {
	s := newStore(t)
	name, addr := unique("carol"), unique("addr")
	attempts(t, s, testLimits.PerAccount-1, name, addr)
	id, w, err := s.BeginLoginAttempt(t.Context(), strings.ToUpper(name), addr, testLimits)
	if err != nil || w != 0 {
		t.Fatalf("the last allowed attempt: wait %s, %v", w, err)
	}
	if err := s.LoginSucceeded(t.Context(), id, strings.ToUpper(name)); err != nil {
		t.Fatal(err)
	}
	if n := failures(t, "username = lower($1)", name); n != 0 {
		t.Errorf("%d failures left for the account; want 0", n)
	}
	if n := failures(t, "source_addr = $1", addr); n != testLimits.PerAccount-1 {
		t.Errorf("%d failures left for the address; want the %d real ones (the success is not one)", n, testLimits.PerAccount-1)
	}
	if w := attempts(t, s, 1, name, addr)[0]; w != 0 {
		t.Errorf("after a success: wait %s, want none", w)
	}
	// The address has PerAccount failures now; fill it to its limit.
	attempts(t, s, testLimits.PerAddress-testLimits.PerAccount, unique("other"), addr)
	if w := attempts(t, s, 1, unique("other"), addr)[0]; w == 0 {
		t.Error("the address's earlier failures were forgiven with the account's")
	}
}

func TestParallelAttemptsCannotAllSlipPastTheLimit(t *testing.T) {
	s := newStore(t)
	name := unique("dave")
	const n = 40
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		admitted int
	)
	for range n {
		wg.Go(func() {
			_, w, err := s.BeginLoginAttempt(t.Context(), name, unique("addr"), testLimits)
			if err != nil {
				t.Error(err)
				return
			}
			if w == 0 {
				mu.Lock()
				admitted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if admitted > testLimits.PerAccount {
		t.Errorf("%d of %d parallel attempts were let through; the limit is %d", admitted, n, testLimits.PerAccount)
	}
}

func TestPruneLoginFailuresKeepsRecentOnes(t *testing.T) {
	s := newStore(t)
	name := unique("erin")
	attempts(t, s, 2, name, unique("addr"))
	exec(t, `UPDATE login_failures SET at = now() - interval '2 days'
		WHERE id = (SELECT min(id) FROM login_failures WHERE username = lower($1))`, name)
	if _, err := s.PruneLoginFailures(t.Context(), 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := failures(t, "username = lower($1)", name); n != 1 {
		t.Errorf("%d failures left; want the recent one", n)
	}
}
