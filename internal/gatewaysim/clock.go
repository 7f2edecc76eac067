package gatewaysim

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// Clock lets tests control the 5-minute expiry. Only expiry and the times
// the simulator records read it; TLS certificates always use real time
// because clients verify them against their own clock.
type Clock interface{ Now() time.Time }

// realClock is the wall clock, used when Config.Clock is nil.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// ManualClock is a Clock that only moves when told to, so expiry tests do
// not depend on how fast the machine is. It is safe for concurrent use.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a clock standing at start.
func NewManualClock(start time.Time) *ManualClock { return &ManualClock{now: start} }

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// advancer is a Clock that POST /_sim/clock/advance can move.
type advancer interface {
	Clock
	Advance(d time.Duration)
}

// ScaledClock is a Clock on which simulated time runs factor times faster
// than real time from its creation, so keep-alive tests can watch a real
// 5-minute expiry happen in seconds (factor 60: 5 real seconds). It also
// jumps forward on Advance. It is safe for concurrent use.
//
// Elapsed real time is measured on the monotonic clock, so a wall-clock
// step (NTP, a suspended laptop) does not make simulated time jump.
type ScaledClock struct {
	factor float64
	real   func() time.Time // time.Now; tests substitute a controlled source
	origin time.Time        // real time at creation, with its monotonic reading
	start  time.Time        // origin without it: simulated times compare by wall time

	mu      sync.Mutex
	skipped time.Duration // the sum of every Advance
}

// NewScaledClock returns a clock that starts at the current time and runs
// factor times faster than real time. It panics unless factor is positive
// and finite, like time.NewTicker on a non-positive interval: a clock that
// stands still or runs backwards would silently break every expiry.
func NewScaledClock(factor float64) *ScaledClock { return newScaledClock(factor, time.Now) }

func newScaledClock(factor float64, real func() time.Time) *ScaledClock {
	if !(factor > 0) || math.IsInf(factor, 1) {
		panic(fmt.Sprintf("gatewaysim.NewScaledClock: factor %v is not positive and finite", factor))
	}
	origin := real()
	return &ScaledClock{factor: factor, real: real, origin: origin, start: origin.Round(0)}
}

// Now returns the simulated time: creation time + factor × real time
// elapsed since + every Advance.
func (c *ScaledClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.start.Add(scale(c.real().Sub(c.origin), c.factor) + c.skipped)
}

// Advance moves the clock forward by d on top of its scaled running.
func (c *ScaledClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skipped += d
}

// Factor is how many times faster than real time the clock runs.
func (c *ScaledClock) Factor() float64 { return c.factor }

// scale multiplies d by factor, saturating instead of overflowing: a huge
// factor left running for long must not wrap around into the past.
func scale(d time.Duration, factor float64) time.Duration {
	f := float64(d) * factor
	if f >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(f)
}
