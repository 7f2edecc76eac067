package metrics_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/metrics"
	"ccsub/internal/metrics/metricstest"
	"ccsub/internal/store"

	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// serve puts m's handler on a real loopback listener and returns its URL.
func serve(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	t.Cleanup(srv.Close)
	return srv.URL + "/metrics"
}

// seed writes subscriptions in the given states and pending calls, plus one
// completed call that must not count as pending.
func seed(t *testing.T, st *store.Store, pool *pgxpool.Pool, states map[domain.SubState]int, pending int) {
	t.Helper()
	ctx := context.Background()
	gw, err := st.CreateGateway(ctx, domain.GatewayInput{Name: "metrics-gw", BaseURL: "https://10.0.0.1:8043",
		AgentID: 100001, PasswordSealed: []byte("sealed")})
	if err != nil {
		t.Fatal(err)
	}
	begin := func() domain.Call {
		c, err := st.BeginCall(ctx, domain.NewCall{GatewayID: gw.ID, GatewayName: gw.Name, Actor: "test", Operation: domain.OpRegister})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	done := begin()
	if _, err := st.CompleteCall(ctx, done.ID, domain.CallResult{Outcome: domain.OutcomeSuccess, HTTPStatus: 200, Retcode: "0"}); err != nil {
		t.Fatal(err)
	}
	for range pending {
		begin()
	}
	n := 0
	for state, count := range states {
		for range count {
			n++
			sub, err := st.CreateSubscription(ctx, domain.NewSubscription{GatewayID: gw.ID, ServerID: fmt.Sprintf("srv-%d", n),
				SubscribeType: "1", CallbackURI: "https://crm.example/cb", CreatedBy: "test", RegisterCallID: done.ID})
			if err != nil {
				t.Fatal(err)
			}
			// The store's transitions need gateway answers; the states are
			// what is under test here, so they are set directly.
			if _, err := pool.Exec(ctx, `UPDATE subscriptions SET state = $1 WHERE id = $2`, state, sub.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestAScrapeCountsSubscriptionsByStateAndPendingCallsFromTheDatabase(t *testing.T) {
	pool := dbtest.Pool(t)
	st := store.New(pool)
	seed(t, st, pool, map[domain.SubState]int{
		domain.SubActive: 3, domain.SubDegraded: 2, domain.SubLapsed: 1, domain.SubCancelled: 4,
	}, 2)
	got := metricstest.Scrape(t, serve(t, metrics.New(st)))
	tests := []struct {
		name   string
		metric string
		labels []string
		want   float64
	}{
		{"the database is reported up", "ccsub_database_up", nil, 1},
		{"active subscriptions are counted", "ccsub_subscriptions", []string{"state", "active"}, 3},
		{"degraded subscriptions are counted", "ccsub_subscriptions", []string{"state", "degraded"}, 2},
		{"lapsed subscriptions are counted", "ccsub_subscriptions", []string{"state", "lapsed"}, 1},
		{"cancelled subscriptions are counted", "ccsub_subscriptions", []string{"state", "cancelled"}, 4},
		{"a state without subscriptions reads 0 rather than missing", "ccsub_subscriptions", []string{"state", "unknown"}, 0},
		{"only calls still pending are counted as pending", "ccsub_calls_pending", nil, 2},
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
}

func TestAScrapeWithoutADatabaseSaysSoInsteadOfFailing(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	pool.Close() // every query now fails at once, as with a database gone away
	got := metricstest.Scrape(t, serve(t, metrics.New(store.New(pool))))
	if v, ok := got.Value("ccsub_database_up"); !ok || v != 0 {
		t.Errorf("ccsub_database_up = %v (present %v), want 0", v, ok)
	}
	for _, name := range []string{"ccsub_subscriptions", "ccsub_calls_pending"} {
		if got.Has(name) {
			t.Errorf("%s is reported although the database did not answer", name)
		}
	}
	for _, name := range []string{"ccsub_gateway_calls_total", "go_goroutines", "process_start_time_seconds"} {
		if !got.Has(name) {
			t.Errorf("%s is missing: a database failure must not hide the other metrics", name)
		}
	}
}

func TestObservationsAppearWithBoundedLabels(t *testing.T) {
	m := metrics.New(nil)
	m.ObserveGatewayCall(domain.OpRegister, domain.OutcomeRejected, 120*time.Millisecond)
	m.ObserveGatewayCall(domain.OpRegister, domain.OutcomeRejected, 80*time.Millisecond)
	m.ObserveGatewayCall(domain.OpHandshake, domain.OutcomeSuccess, time.Millisecond)
	m.ObserveNotification(metrics.NotificationReplay)
	m.ObserveHTTPRequest("GET /subscriptions/{id}", http.StatusNotFound, time.Millisecond)
	m.ObserveHTTPRequest("", http.StatusForbidden, time.Millisecond)
	m.ObserveHTTPRequest("GET /healthz", 0, time.Millisecond)
	got := metricstest.Scrape(t, serve(t, m))
	tests := []struct {
		name   string
		metric string
		labels []string
		want   float64
	}{
		{"a gateway call is counted by operation and outcome", "ccsub_gateway_calls_total", []string{"operation", "register", "outcome", "rejected"}, 2},
		{"a handshake is counted as its own operation", "ccsub_gateway_calls_total", []string{"operation", "handshake", "outcome", "success"}, 1},
		{"an outcome not seen yet reads 0", "ccsub_gateway_calls_total", []string{"operation", "modify", "outcome", "unknown"}, 0},
		{"each gateway call's duration is observed", "ccsub_gateway_call_duration_seconds_count", []string{"operation", "register"}, 2},
		{"a replayed notification is counted as a replay", "ccsub_notifications_total", []string{"result", "replay"}, 1},
		{"a notification result not seen yet reads 0", "ccsub_notifications_total", []string{"result", "accepted"}, 0},
		{"a request is labelled with its route pattern and exact code", "ccsub_http_requests_total", []string{"route", "GET /subscriptions/{id}", "code", "404"}, 1},
		{"a request no route handled is labelled unmatched", "ccsub_http_requests_total", []string{"route", "unmatched", "code", "403"}, 1},
		{"a handler that wrote nothing is counted as the 200 net/http sent", "ccsub_http_requests_total", []string{"route", "GET /healthz", "code", "200"}, 1},
		{"each request's duration is observed by route", "ccsub_http_request_duration_seconds_count", []string{"route", "GET /healthz"}, 1},
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
	if got.Has("ccsub_database_up") {
		t.Error("metrics without a store report database gauges")
	}
}

func TestNilMetricsMeasureNothingAndServeNotFound(t *testing.T) {
	var m *metrics.Metrics
	m.ObserveGatewayCall(domain.OpRegister, domain.OutcomeSuccess, time.Second)
	m.ObserveNotification(metrics.NotificationAccepted)
	m.ObserveHTTPRequest("GET /healthz", http.StatusOK, time.Second)
	res, err := http.Get(serve(t, m))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("status %d, want 404", res.StatusCode)
	}
}
