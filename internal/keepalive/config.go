package keepalive

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"ccsub/internal/metrics"
)

// Config tunes an engine. Zero values take the documented defaults.
type Config struct {
	// Interval is the time between two handshakes of one subscription
	// (CCSUB_HANDSHAKE_INTERVAL); 0 => 120 s, the vendor's advice.
	Interval time.Duration
	// Limit is how long the platform keeps a subscription without a
	// successful handshake; past it a failing subscription is lapsed.
	// 0 => 5 min.
	Limit time.Duration
	// Lease is how long a claimed subscription stays reserved for this
	// engine. It must be longer than CallTimeout (a handshake in flight is
	// never taken over) and should be well under Interval, so a dead
	// engine's work moves to the others within one interval. 0 => twice
	// CallTimeout, at most Interval/2, but never under 1.25 × CallTimeout.
	Lease time.Duration
	// CallTimeout bounds one handshake, logins included; 0 => 15 s.
	CallTimeout time.Duration
	// Retry is the wait after a failed handshake; 0 => min(Interval, 15 s).
	// Limit, not the number of retries, decides when it lapses.
	Retry time.Duration
	// Grace is how long a stopping engine lets handshakes in flight finish
	// before abandoning them; 0 => CallTimeout.
	Grace time.Duration
	// Owner names this engine in the leases; unique per engine.
	// "" => host name, process id and a random suffix.
	Owner string
	// Batch is the most subscriptions claimed at once; 0 => 100.
	Batch int
	// Concurrency is the most handshakes in flight; 0 => 16.
	Concurrency int
	// Log receives the engine's messages; nil => discard.
	Log *slog.Logger
	// Metrics counts every handshake recorded, successes included; nil
	// measures nothing.
	Metrics *metrics.Metrics
}

// Defaults applied to zero fields.
const (
	DefaultInterval    = 120 * time.Second
	DefaultLimit       = 5 * time.Minute
	DefaultCallTimeout = 15 * time.Second
	DefaultBatch       = 100
	DefaultConcurrency = 16
	// Actor is the actor of every history row the engine writes.
	Actor = "keep-alive"
)

func (c Config) withDefaults() Config {
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.Limit <= 0 {
		c.Limit = DefaultLimit
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.Lease <= 0 {
		c.Lease = max(min(2*c.CallTimeout, c.Interval/2), c.CallTimeout*5/4)
	}
	if c.Retry <= 0 {
		c.Retry = min(c.Interval, 15*time.Second)
	}
	if c.Grace <= 0 {
		c.Grace = c.CallTimeout
	}
	if c.Owner == "" {
		c.Owner = defaultOwner()
	}
	if c.Batch <= 0 {
		c.Batch = DefaultBatch
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// validate rejects settings under which two engines could handshake the
// same subscription at once, or a subscription could lapse while kept.
func (c Config) validate() error {
	switch {
	case c.Lease <= c.CallTimeout:
		return fmt.Errorf("keepalive: the lease (%s) must be longer than the call timeout (%s), or a slow handshake would be taken over and sent twice", c.Lease, c.CallTimeout)
	case c.Interval >= c.Limit:
		return fmt.Errorf("keepalive: the interval (%s) must be shorter than the %s limit after which the platform drops a subscription", c.Interval, c.Limit)
	}
	return nil
}

// tick is how often an idle engine looks for due work: a fraction of the
// interval (how late a handshake may start), bounded so a short interval
// does not hammer the database and a long one still reacts.
func (c Config) tick() time.Duration {
	return min(max(c.Interval/10, 10*time.Millisecond), 5*time.Second)
}

func defaultOwner() string {
	host, err := os.Hostname()
	if err != nil {
		host = "ccsub"
	}
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails since Go 1.24
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}
