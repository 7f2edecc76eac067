package server_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"ccsub/internal/apptest"
	"ccsub/internal/config"
	"ccsub/internal/domain"
)

// The retention page shows an administrator the policy, the tables' sizes
// and the runs, and "Run now" starts one run per form, recorded and
// audited under the administrator's name; operators and auditors are
// refused.
func TestTheRetentionPageAndRunNow(t *testing.T) {
	const day = 24 * time.Hour
	// Windows far longer than any row of the package's shared database:
	// the run deletes nothing other tests rely on.
	e := &testEnv{apptest.NewTuned(t, func(c *config.Config) {
		c.Retention = config.Retention{Calls: 36500 * day, Notifications: 3650 * day, RefusedPushes: 3000 * day,
			Heartbeats: 2000 * day, FailedHandshakes: 1000 * day}
	})}
	admin, adminName := e.User(domain.RoleAdmin)

	doc := e.Page(admin, "/retention", http.StatusOK)
	for kind, want := range map[string]string{"calls": "36500d", "notifications": "3650d", "refused_pushes": "3000d",
		"heartbeats": "2000d", "failed_handshakes": "1000d", "audit": "for ever (off)"} {
		if got := strings.TrimSpace(doc.Find(`#policy tr[data-kind="` + kind + `"] .keep`).Text()); got != want {
			t.Errorf("policy of %s shows %q, want %q", kind, got, want)
		}
	}
	for _, table := range []string{"calls", "notifications", "heartbeats", "audit_log", "retention_runs"} {
		row := doc.Find(`#tables tr[data-table="` + table + `"]`)
		if size := row.Find(".size").Text(); !strings.HasSuffix(size, "B") {
			t.Errorf("table %s: size %q", table, size)
		}
		if row.Find(".rows").Text() == "" {
			t.Errorf("table %s: no row estimate", table)
		}
	}
	if doc.Find(`nav a[href="/retention"]`).Length() != 1 {
		t.Error("the menu has no Retention entry for an admin")
	}
	key, _ := doc.Find(`form[action="/retention/run"] input[name="idempotencyKey"]`).Attr("value")
	if key == "" {
		t.Fatal("the Run now form has no one-time key")
	}

	res := e.Post(admin, "/retention/run", url.Values{"idempotencyKey": {key}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/retention" {
		t.Fatalf("Run now: %d to %q, want 303 to /retention", res.StatusCode, res.Header.Get("Location"))
	}
	flash := e.Page(admin, "/retention", http.StatusOK).Find(".flash").Text()
	if !strings.Contains(flash, "Retention run #") || !strings.Contains(flash, "started") {
		t.Errorf("flash after Run now: %q", flash)
	}
	run := waitForRetentionRun(t, e)
	if run.Status != domain.RunDone || run.Actor != adminName || run.Trigger != domain.RunManual {
		t.Errorf("run = %+v; want done, manual, by %s", run, adminName)
	}
	doc = e.Page(admin, "/retention", http.StatusOK)
	row := doc.Find(`#runs tr[data-run="` + strconv.FormatInt(run.ID, 10) + `"]`)
	if !strings.Contains(row.Text(), adminName) || !strings.Contains(row.Find(".status").Text(), "done") ||
		strings.TrimSpace(row.Find(`.deleted[data-kind="calls"]`).Text()) != "0" ||
		strings.TrimSpace(row.Find(`.deleted[data-kind="audit"]`).Text()) != "—" {
		t.Errorf("the run's row: %q", row.Text())
	}
	entries := e.AuditEntries(domain.AuditRetentionRun, "run #"+strconv.FormatInt(run.ID, 10))
	if len(entries) != 1 || entries[0].Actor != adminName || entries[0].TargetID != strconv.FormatInt(run.ID, 10) {
		t.Fatalf("audit entries of the run: %+v; want one by %s", entries, adminName)
	}

	t.Run("the same form again starts nothing", func(t *testing.T) {
		res := e.Post(admin, "/retention/run", url.Values{"idempotencyKey": {key}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d", res.StatusCode)
		}
		flash := e.Page(admin, "/retention", http.StatusOK).Find(".flash").Text()
		if !strings.Contains(flash, "already submitted") || !strings.Contains(flash, "#"+strconv.FormatInt(run.ID, 10)) {
			t.Errorf("flash %q", flash)
		}
		runs, err := e.St.RetentionRuns(t.Context(), 10)
		if err != nil || len(runs) != 1 {
			t.Errorf("runs %d, %v; want still 1", len(runs), err)
		}
	})
	t.Run("a form without its one-time key is refused", func(t *testing.T) {
		res := e.Post(admin, "/retention/run", url.Values{})
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", res.StatusCode)
		}
	})
	t.Run("operators and auditors are refused", func(t *testing.T) {
		for _, role := range []domain.Role{domain.RoleOperator, domain.RoleAuditor} {
			c, _ := e.User(role)
			e.Page(c, "/retention", http.StatusForbidden)
			if res := e.Post(c, "/retention/run", url.Values{"idempotencyKey": {"k-" + string(role)}}); res.StatusCode != http.StatusForbidden {
				t.Errorf("%s: POST status %d, want 403", role, res.StatusCode)
			}
			if e.Page(c, "/subscriptions", http.StatusOK).Find(`nav a[href="/retention"]`).Length() != 0 {
				t.Errorf("%s: the menu offers Retention", role)
			}
		}
	})
}

func waitForRetentionRun(t *testing.T, e *testEnv) domain.RetentionRun {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		runs, err := e.St.RetentionRuns(t.Context(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) == 1 && runs[0].Status != domain.RunRunning {
			return runs[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the retention run did not finish within 15 s")
	return domain.RetentionRun{}
}
