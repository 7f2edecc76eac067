// Package metrics exposes ccsub's Prometheus metrics for on-call
// engineers: gateway calls and handshakes, received notifications, HTTP
// requests, the subscriptions' states and the calls still pending, plus
// the Go runtime and the process.
//
// Every metric lives in a registry private to one *Metrics (never the
// global default one), so tests and several consoles in one process do not
// share counters. A nil *Metrics is valid: every method is a no-op, so
// callers that do not care pass nil.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"ccsub/internal/domain"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NotificationResult is the fate of one push to the receiver.
type NotificationResult string

const (
	NotificationAccepted NotificationResult = "accepted" // stored and answered success
	NotificationRejected NotificationResult = "rejected" // answered anything but success
	NotificationReplay   NotificationResult = "replay"   // an accepted push seen before: answered success, not stored again
	NotificationLimited  NotificationResult = "limited"  // a refusal over its sender's rate limit: answered 429, not stored
)

// UnmatchedRoute labels requests that no route pattern handled: refused
// by a middleware before routing (e.g. cross-origin) or redirected by the
// mux to a cleaned path.
const UnmatchedRoute = "unmatched"

// gatewayBuckets span a fast loopback answer to the default 15 s deadline
// of one gateway operation and beyond (a configured longer deadline).
var gatewayBuckets = []float64{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30}

// maxScrapesInFlight bounds concurrent scrapes: /metrics is
// unauthenticated and each scrape queries the database.
const maxScrapesInFlight = 4

// Metrics holds ccsub's collectors and the registry they are in.
type Metrics struct {
	reg             *prometheus.Registry
	handler         http.Handler
	calls           *prometheus.CounterVec
	callDuration    *prometheus.HistogramVec
	notifications   *prometheus.CounterVec
	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
}

// New builds the metrics. With a nil st the database gauges are left out.
func New(st Counts) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ccsub_gateway_calls_total",
		Help: "Gateway calls completed (register, modify, unregister, login) and handshakes sent by the keep-alive engine, by outcome.",
	}, []string{"operation", "outcome"})
	m.callDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "ccsub_gateway_call_duration_seconds", Buckets: gatewayBuckets,
		Help: "Time from sending a gateway call (or handshake) to its answer or deadline.",
	}, []string{"operation"})
	m.notifications = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ccsub_notifications_total",
		Help: "Pushes received by the notification receiver: accepted, rejected (any refusal, storage failures included), replay, or limited (a refusal over its sender's rate limit, not stored).",
	}, []string{"result"})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ccsub_http_requests_total",
		Help: "HTTP requests served by the console, by route pattern and status code.",
	}, []string{"route", "code"})
	m.requestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "ccsub_http_request_duration_seconds", Buckets: prometheus.DefBuckets,
		Help: "Time to serve an HTTP request of the console, by route pattern.",
	}, []string{"route"})
	m.reg.MustRegister(m.calls, m.callDuration, m.notifications, m.requests, m.requestDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if st != nil {
		m.reg.MustRegister(newDBCollector(st))
	}
	m.zeroSeries()
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError,
		Registry:            m.reg,
		MaxRequestsInFlight: maxScrapesInFlight,
	})
	return m
}

// zeroSeries creates the bounded label sets at 0, so a rate or an alert on
// "rejected" works before the first rejection instead of seeing no series.
func (m *Metrics) zeroSeries() {
	for _, op := range []domain.Operation{domain.OpRegister, domain.OpModify, domain.OpUnregister, domain.OpLogin, domain.OpHandshake} {
		for _, o := range []domain.Outcome{domain.OutcomeSuccess, domain.OutcomeRejected, domain.OutcomeFailed, domain.OutcomeUnknown} {
			m.calls.WithLabelValues(string(op), string(o))
		}
	}
	for _, r := range []NotificationResult{NotificationAccepted, NotificationRejected, NotificationReplay, NotificationLimited} {
		m.notifications.WithLabelValues(string(r))
	}
}

// Handler serves the registry in Prometheus' exposition format. A nil
// *Metrics serves 404.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return m.handler
}

// ObserveGatewayCall counts one completed gateway call or handshake.
func (m *Metrics) ObserveGatewayCall(op domain.Operation, outcome domain.Outcome, took time.Duration) {
	if m == nil {
		return
	}
	m.calls.WithLabelValues(string(op), string(outcome)).Inc()
	m.callDuration.WithLabelValues(string(op)).Observe(took.Seconds())
}

// ObserveNotification counts one push answered by the receiver.
func (m *Metrics) ObserveNotification(r NotificationResult) {
	if m == nil {
		return
	}
	m.notifications.WithLabelValues(string(r)).Inc()
}

// ObserveHTTPRequest counts one request. route must be a route pattern
// (or "" when none matched), never the raw path: paths carry ids and
// receiver keys, which would make the series unbounded and leak secrets.
func (m *Metrics) ObserveHTTPRequest(route string, code int, took time.Duration) {
	if m == nil {
		return
	}
	if route == "" {
		route = UnmatchedRoute
	}
	m.requests.WithLabelValues(route, statusLabel(code)).Inc()
	m.requestDuration.WithLabelValues(route).Observe(took.Seconds())
}

// statusLabel is the exact status code, which is bounded (handlers write
// a handful of codes). 0 means the handler wrote nothing, which net/http
// answers with 200.
func statusLabel(code int) string {
	switch {
	case code == 0:
		return "200"
	case code < 100 || code > 999:
		return "other"
	}
	return strconv.Itoa(code)
}

// WatchJournal exports how many gateway answers wait in the journal for
// the database: anything but 0 for long means an outage that is not over
// (or an answer set aside, which the log names).
func (m *Metrics) WatchJournal(waiting func() int) {
	if m == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ccsub_journal_answers",
		Help: "Gateway answers kept in the journal until the database can record them.",
	}, func() float64 { return float64(waiting()) }))
}
