package metrics

import (
	"context"
	"time"

	"ccsub/internal/domain"

	"github.com/prometheus/client_golang/prometheus"
)

// dbQueryTimeout bounds the database queries of one scrape, well inside
// Prometheus' default 10 s scrape timeout: a slow database must show as
// ccsub_database_up 0, not as a failed scrape that hides every other metric.
const dbQueryTimeout = 3 * time.Second

// Counts is what the database gauges read at scrape time; the store
// provides it.
type Counts interface {
	SubscriptionCounts(ctx context.Context) (map[domain.SubState]int64, error)
	CountPendingCalls(ctx context.Context) (int64, error)
}

// dbCollector reads gauges from the database at scrape time, so every
// process sharing the database reports the same, current numbers without
// keeping state of its own.
type dbCollector struct {
	st      Counts
	subs    *prometheus.Desc
	pending *prometheus.Desc
	up      *prometheus.Desc
}

func newDBCollector(st Counts) *dbCollector {
	return &dbCollector{
		st: st,
		subs: prometheus.NewDesc("ccsub_subscriptions",
			"Subscriptions on record, by state (the whole database, not only this process's).", []string{"state"}, nil),
		pending: prometheus.NewDesc("ccsub_calls_pending",
			"Gateway calls sent and not yet answered; calls stuck here are marked unknown at the next start.", nil, nil),
		up: prometheus.NewDesc("ccsub_database_up",
			"1 if the database answered this scrape's queries in time, 0 if not (the database gauges are then missing).", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.subs
	ch <- c.pending
	ch <- c.up
}

// Collect implements prometheus.Collector. A failing query is reported
// through ccsub_database_up, never as a collection error, which would fail
// the whole scrape.
func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), dbQueryTimeout)
	defer cancel()
	counts, err := c.st.SubscriptionCounts(ctx)
	var pending int64
	if err == nil {
		pending, err = c.st.CountPendingCalls(ctx)
	}
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(pending))
	// Every state is reported, empty ones as 0, so a state emptying shows
	// as 0 rather than as a series that vanished.
	for _, s := range domain.SubStates {
		ch <- prometheus.MustNewConstMetric(c.subs, prometheus.GaugeValue, float64(counts[s]), string(s))
	}
}
