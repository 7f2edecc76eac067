// Package ratelimit is a token bucket per key (an API token, a receiver
// key and source address), bounded in memory: a bucket that has refilled
// is forgotten, since a new one would be the same, and the number of keys
// is capped, so a flood of distinct keys cannot grow memory without bound.
// Keys beyond the cap share one overflow bucket.
//
// Every call takes the time from its caller, so tests drive the clock and
// never sleep. Limits are per process: two processes each allow the rate.
package ratelimit

import (
	"math"
	"sync"
	"time"
)

// Limit is the shape of every bucket of a Limiter: Burst requests at once,
// refilled at Rate a second. A Limit with no rate or no burst limits nothing.
type Limit struct {
	Rate  float64
	Burst int
}

// Off reports whether the limit limits nothing.
func (l Limit) Off() bool { return l.Rate <= 0 || l.Burst <= 0 }

// DefaultMaxKeys is the cap on keys when New is given none: at well under
// 200 bytes a key, a few megabytes at most.
const DefaultMaxKeys = 10000

// NoteEvery is how often a key's refusals are reported for the log: once,
// then not again for this long (Verdict.Note).
const NoteEvery = time.Minute

// Sweeps of refilled buckets: at most this often when the cap is reached
// (a sweep walks every key), and at least this often otherwise, so memory
// shrinks again after a flood.
const (
	sweepAtCap  = time.Second
	sweepAlways = time.Minute
)

// maxWait caps RetryAfter, so a tiny rate cannot overflow a Duration.
const maxWait = 24 * time.Hour

// Limiter holds the buckets of one limit. A nil *Limiter allows
// everything. It is safe for concurrent use.
type Limiter struct {
	limit   Limit
	maxKeys int

	mu        sync.Mutex
	buckets   map[string]*bucket
	overflow  bucket
	lastSweep time.Time
}

// New is a limiter of l with at most maxKeys keys of their own (0 means
// DefaultMaxKeys). It is nil, which allows everything, when l is off.
func New(l Limit, maxKeys int) *Limiter {
	if l.Off() {
		return nil
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	return &Limiter{limit: l, maxKeys: maxKeys, buckets: map[string]*bucket{}}
}

// Verdict is the answer to one request.
type Verdict struct {
	Allowed bool
	// RetryAfter is, for a refusal, how long until the bucket holds a
	// request again.
	RetryAfter time.Duration
	// Note is set on the first refusal of a key in NoteEvery: the one to
	// log. Held counts the refusals of the key left unnoted since the
	// previous note.
	Note bool
	Held int
	// Shared reports that the key had no bucket of its own (the cap was
	// reached) and the overflow bucket decided.
	Shared bool
}

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up, at least
// 1: the value of a Retry-After header.
func (v Verdict) RetryAfterSeconds() int {
	s := math.Ceil(v.RetryAfter.Seconds())
	if s < 1 {
		return 1
	}
	if s > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(s)
}

// Allow takes one request from key's bucket at now.
func (l *Limiter) Allow(key string, now time.Time) Verdict {
	if l == nil {
		return Verdict{Allowed: true}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= sweepAlways {
		l.sweep(now)
	}
	b, shared := l.buckets[key], false
	if b == nil {
		if len(l.buckets) >= l.maxKeys && now.Sub(l.lastSweep) >= sweepAtCap {
			l.sweep(now)
		}
		if len(l.buckets) < l.maxKeys {
			b = &bucket{tokens: float64(l.limit.Burst), last: now}
			l.buckets[key] = b
		} else {
			b, shared = &l.overflow, true
		}
	}
	v := b.take(l.limit, now)
	v.Shared = shared
	return v
}

// Len is the number of keys with a bucket of their own.
func (l *Limiter) Len() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// sweep forgets every bucket that a new one would equal: refilled, and
// with no refusal noted within NoteEvery (so forgetting it cannot let a
// second note through within the minute).
func (l *Limiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		if b.idle(l.limit, now) {
			delete(l.buckets, k)
		}
	}
}

type bucket struct {
	tokens   float64
	last     time.Time // when tokens was last brought up to date
	lastNote time.Time // zero: no refusal noted yet
	held     int       // refusals since lastNote, not noted
}

// refill brings tokens up to date. A clock that went back adds nothing.
func (b *bucket) refill(l Limit, now time.Time) {
	if b.last.IsZero() { // the overflow bucket, first used
		b.tokens, b.last = float64(l.Burst), now
		return
	}
	if d := now.Sub(b.last); d > 0 {
		b.tokens = math.Min(float64(l.Burst), b.tokens+d.Seconds()*l.Rate)
		b.last = now
	}
}

func (b *bucket) take(l Limit, now time.Time) Verdict {
	b.refill(l, now)
	if b.tokens >= 1 {
		b.tokens--
		return Verdict{Allowed: true}
	}
	wait := math.Min((1-b.tokens)/l.Rate, maxWait.Seconds())
	v := Verdict{RetryAfter: time.Duration(wait * float64(time.Second))}
	if b.lastNote.IsZero() || now.Sub(b.lastNote) >= NoteEvery {
		v.Note, v.Held = true, b.held
		b.lastNote, b.held = now, 0
	} else {
		b.held++
	}
	return v
}

func (b *bucket) idle(l Limit, now time.Time) bool {
	full := b.tokens+now.Sub(b.last).Seconds()*l.Rate >= float64(l.Burst)
	return full && (b.lastNote.IsZero() || now.Sub(b.lastNote) >= NoteEvery)
}
