package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"
)

// TestAPIDaysAreUTCAndSinceTakesAnOffset: the API's from/to stay UTC days,
// whatever cookie a client sends; since is an instant, with its offset.
func TestAPIDaysAreUTCAndSinceTakesAnOffset(t *testing.T) {
	e := newEnv(t)
	auditor := e.Token(domain.RoleAuditor)
	sid := apptest.Uniq("api-zone")
	at := time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC) // 07:30 on 1 December in Shanghai
	e.Exec(t, `INSERT INTO calls (started_at, finished_at, gateway_id, gateway_name, actor, operation, outcome, server_id)
		VALUES ($1, $1, 1, 'gw', 'api-zone', 'handshake', 'success', $2)`, at, sid)
	count := func(q url.Values, headers ...string) int {
		t.Helper()
		q.Set("serverId", sid)
		r := e.Call(auditor, "GET", "/api/v1/calls?"+q.Encode(), "", headers...).Want(t, http.StatusOK)
		var got struct{ Calls []map[string]any }
		if err := json.Unmarshal(r.Body, &got); err != nil {
			t.Fatal(err)
		}
		return len(got.Calls)
	}
	for _, tc := range []struct {
		name string
		q    url.Values
		want int
	}{
		{"its UTC day holds it", url.Values{"from": {"2026-11-30"}, "to": {"2026-11-30"}}, 1},
		{"Shanghai's day is not the API's", url.Values{"from": {"2026-12-01"}, "to": {"2026-12-01"}}, 0},
		{"since with +08:00 just before it", url.Values{"since": {"2026-12-01T07:29:00+08:00"}}, 1},
		{"since with +08:00 just after it", url.Values{"since": {"2026-12-01T07:31:00+08:00"}}, 0},
		{"since without an offset is UTC", url.Values{"since": {"2026-11-30T23:29"}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := count(tc.q, "Cookie", "ccsub_tz=Asia/Shanghai"); got != tc.want {
				t.Errorf("%d calls, want %d", got, tc.want)
			}
		})
	}
}
