package gatewaysim

import (
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
