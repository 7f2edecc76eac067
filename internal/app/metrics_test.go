package app_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"
	"ccsub/internal/metrics/metricstest"
)

// scrapeMetrics serves the env's metrics on a listener of their own, as
// ccsub serve does, and scrapes them.
func (e *testEnv) scrapeMetrics() metricstest.Families {
	e.T.Helper()
	srv := httptest.NewServer(e.M.Handler())
	defer srv.Close()
	return metricstest.Scrape(e.T, srv.URL+"/metrics")
}

// TestMetricsCountWhatTheConsoleDid registers through the form with ccsub
// as the receiver, then sends the receiver an accepted push, a replay of
// it, one with a wrong token and one a browser posts cross-site.
func TestMetricsCountWhatTheConsoleDid(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	key := apptest.Uniq("metrics-receiver-key")
	var token string
	sub := e.Registered(c, func(v url.Values) {
		v.Set("useReceiver", "true")
		v.Set("receiverKey", key)
		v.Del("serviceCallBackUri")
		token = v.Get("serviceToken")
	})
	s := apptest.ReceiverSub{Subscription: sub, Token: token}
	body := apptest.OKBody(s)
	sends := []struct {
		opts   apptest.PushOpts
		status int
	}{
		{apptest.RightToken(s), http.StatusOK},
		{apptest.RightToken(s), http.StatusOK}, // the same push again: a replay
		{apptest.PushOpts{Tokens: []string{"not-" + token}}, http.StatusUnauthorized},
		{apptest.PushOpts{Tokens: []string{token}, Header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, http.StatusForbidden},
	}
	for i, p := range sends {
		if got := e.SendPush(s.PushPath(), body, p.opts); got.Status != p.status {
			t.Fatalf("push %d: status %d, want %d", i+1, got.Status, p.status)
		}
	}

	got := e.scrapeMetrics()
	const receiver = "POST /receiver/{key}/v100/subscribe/asrevent/asrresult"
	tests := []struct {
		name   string
		metric string
		labels []string
		want   float64
	}{
		{"the register is counted as a successful gateway call", "ccsub_gateway_calls_total", []string{"operation", "register", "outcome", "success"}, 1},
		{"the register's duration is observed", "ccsub_gateway_call_duration_seconds_count", []string{"operation", "register"}, 1},
		{"no register is counted as rejected", "ccsub_gateway_calls_total", []string{"operation", "register", "outcome", "rejected"}, 0},
		{"the first push is counted as accepted", "ccsub_notifications_total", []string{"result", "accepted"}, 1},
		{"the second copy is counted as a replay", "ccsub_notifications_total", []string{"result", "replay"}, 1},
		{"the wrong token is counted as rejected", "ccsub_notifications_total", []string{"result", "rejected"}, 1},
		{"the register form's POST is counted under its route pattern", "ccsub_http_requests_total", []string{"route", "POST /subscriptions", "code", "303"}, 1},
		{"the sign-in is counted under its route pattern", "ccsub_http_requests_total", []string{"route", "POST /login", "code", "303"}, 1},
		{"the receiver's answers are counted by pattern, not by key", "ccsub_http_requests_total", []string{"route", receiver, "code", "200"}, 2},
		{"the receiver's refusal is counted with its exact code", "ccsub_http_requests_total", []string{"route", receiver, "code", "401"}, 1},
		{"a request refused before routing is counted as unmatched", "ccsub_http_requests_total", []string{"route", "unmatched", "code", "403"}, 1},
		{"each request's duration is observed by route", "ccsub_http_request_duration_seconds_count", []string{"route", receiver}, 3},
		{"the database is reported up", "ccsub_database_up", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := got.Value(tt.metric, tt.labels...)
			if !ok {
				t.Fatalf("%s%v missing from the scrape", tt.metric, tt.labels)
			}
			if v != tt.want {
				t.Errorf("%s%v = %v, want %v", tt.metric, tt.labels, v, tt.want)
			}
		})
	}
	t.Run("the new subscription is among the active ones in the database", func(t *testing.T) {
		// Other tests of the package share the database: at least this one.
		if v, ok := got.Value("ccsub_subscriptions", "state", "active"); !ok || v < 1 {
			t.Errorf("ccsub_subscriptions{state=active} = %v (present %v), want at least 1", v, ok)
		}
	})
	t.Run("no label carries the receiver key", func(t *testing.T) {
		for name, fam := range got {
			for _, m := range fam.GetMetric() {
				for _, l := range m.GetLabel() {
					if strings.Contains(l.GetValue(), key) {
						t.Errorf("%s has label %s=%q", name, l.GetName(), l.GetValue())
					}
				}
			}
		}
	})
}
