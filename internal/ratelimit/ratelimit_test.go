package ratelimit

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// t0 is the tests' clock origin; every test moves time by hand.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

// allowN asks n times at now and returns how many were allowed.
func allowN(l *Limiter, key string, n int, now time.Time) int {
	ok := 0
	for range n {
		if l.Allow(key, now).Allowed {
			ok++
		}
	}
	return ok
}

func TestABucketAllowsItsBurstThenRefillsAtItsRate(t *testing.T) {
	l := New(Limit{Rate: 2, Burst: 4}, 0)
	if got := allowN(l, "k", 10, at(0)); got != 4 {
		t.Fatalf("at once: %d allowed, want the burst of 4", got)
	}
	v := l.Allow("k", at(0))
	if v.Allowed || v.RetryAfter != 500*time.Millisecond || v.RetryAfterSeconds() != 1 {
		t.Fatalf("empty bucket: %+v, want refused with 0.5 s to wait (Retry-After 1)", v)
	}
	if got := allowN(l, "k", 10, at(500*time.Millisecond)); got != 1 {
		t.Errorf("after 0.5 s at 2/s: %d allowed, want 1", got)
	}
	if got := allowN(l, "k", 10, at(time.Hour)); got != 4 {
		t.Errorf("after an hour: %d allowed, want no more than the burst of 4", got)
	}
}

func TestKeysHaveBucketsOfTheirOwn(t *testing.T) {
	l := New(Limit{Rate: 1, Burst: 2}, 0)
	allowN(l, "a", 5, at(0))
	if got := allowN(l, "b", 5, at(0)); got != 2 {
		t.Errorf("b after a was emptied: %d allowed, want its own burst of 2", got)
	}
}

func TestAClockThatGoesBackAddsNothing(t *testing.T) {
	l := New(Limit{Rate: 1, Burst: 2}, 0)
	allowN(l, "k", 2, at(time.Minute))
	if got := allowN(l, "k", 5, at(0)); got != 0 {
		t.Errorf("a minute earlier: %d allowed, want 0", got)
	}
}

func TestRetryAfterIsTheWaitForOneRequestRoundedUp(t *testing.T) {
	l := New(Limit{Rate: 0.1, Burst: 1}, 0)
	l.Allow("k", at(0))
	if v := l.Allow("k", at(2500*time.Millisecond)); v.Allowed || v.RetryAfterSeconds() != 8 {
		t.Errorf("after 2.5 s of 10: %+v (%d s), want refused for 7.5 s, 8 rounded up", v, v.RetryAfterSeconds())
	}
	tiny := New(Limit{Rate: 1e-12, Burst: 1}, 0)
	tiny.Allow("k", at(0))
	if v := tiny.Allow("k", at(0)); v.RetryAfter != maxWait {
		t.Errorf("a tiny rate: RetryAfter %v, want it capped at %v", v.RetryAfter, maxWait)
	}
}

func TestARefusalIsNotedOncePerKeyPerMinute(t *testing.T) {
	l := New(Limit{Rate: 1.0 / 3600, Burst: 1}, 0)
	l.Allow("k", at(0))
	if v := l.Allow("k", at(0)); !v.Note || v.Held != 0 {
		t.Fatalf("first refusal: %+v, want it noted", v)
	}
	for i := range 5 {
		if v := l.Allow("k", at(time.Duration(i)*time.Second)); v.Note {
			t.Fatalf("refusal %d within the minute was noted again", i+2)
		}
	}
	if v := l.Allow("other", at(0)); !v.Allowed {
		t.Fatal("another key was refused")
	}
	l.Allow("other", at(time.Second))
	if v := l.Allow("k", at(NoteEvery)); !v.Note || v.Held != 5 {
		t.Errorf("a minute later: %+v, want noted with the 5 refusals held since", v)
	}
}

func TestRefilledKeysAreForgotten(t *testing.T) {
	l := New(Limit{Rate: 1, Burst: 2}, 0)
	for i := range 100 {
		l.Allow(fmt.Sprint("k", i), at(0))
	}
	if l.Len() != 100 {
		t.Fatalf("%d keys, want 100", l.Len())
	}
	// One second later each bucket holds 1 + 1 = its burst: as good as new.
	l.Allow("late", at(sweepAlways))
	if l.Len() != 1 {
		t.Errorf("after the sweep: %d keys, want only the one just used", l.Len())
	}
}

func TestAKeyWithARecentNoteIsKeptUntilTheMinuteIsOver(t *testing.T) {
	l := New(Limit{Rate: 10, Burst: 1}, 1)
	l.Allow("k", at(0))
	if v := l.Allow("k", at(0)); !v.Note {
		t.Fatal("the first refusal was not noted")
	}
	// Refilled after 0.1 s, but forgetting k now would let its next
	// refusal be noted again within the minute.
	if v := l.Allow("other", at(2*sweepAtCap)); !v.Shared {
		t.Errorf("other took k's place while k's note is recent: %+v", v)
	}
	l.Allow("k", at(2*sweepAtCap))
	l.Allow("k", at(2*sweepAtCap))
	if v := l.Allow("k", at(2*sweepAtCap)); v.Note {
		t.Error("k's refusal was noted twice within a minute")
	}
	if v := l.Allow("other", at(NoteEvery+time.Second)); v.Shared {
		t.Errorf("after the minute k should have been forgotten: %+v", v)
	}
}

func TestKeysBeyondTheCapShareOneBucket(t *testing.T) {
	l := New(Limit{Rate: 1.0 / 3600, Burst: 3}, 10)
	for i := range 10 {
		allowN(l, fmt.Sprint("own", i), 3, at(0)) // full, busy buckets: none can go
	}
	allowed := 0
	for i := range 1000 {
		v := l.Allow(fmt.Sprint("flood", i), at(time.Duration(i)*time.Millisecond))
		if !v.Shared {
			t.Fatalf("flood key %d got a bucket of its own beyond the cap", i)
		}
		if v.Allowed {
			allowed++
		}
	}
	if allowed != 3 || l.Len() != 10 {
		t.Errorf("1000 keys beyond the cap: %d allowed, %d keys kept; want the one shared burst of 3 and 10 keys", allowed, l.Len())
	}
	if v := l.Allow("own0", at(time.Second)); v.Shared || v.Allowed {
		t.Errorf("a key within the cap: %+v, want its own (empty) bucket", v)
	}
}

func TestAFullLimiterMakesRoomOnceBucketsRefill(t *testing.T) {
	l := New(Limit{Rate: 1, Burst: 1}, 2)
	l.Allow("a", at(0))
	l.Allow("b", at(0))
	if v := l.Allow("c", at(0)); !v.Shared {
		t.Fatalf("c beyond the cap of 2: %+v, want the shared bucket", v)
	}
	if v := l.Allow("c", at(2*time.Second)); v.Shared || !v.Allowed {
		t.Errorf("once a and b refilled: %+v, want c in a bucket of its own", v)
	}
}

func TestAnOffLimitAllowsEverything(t *testing.T) {
	for _, lim := range []Limit{{}, {Rate: 5}, {Burst: 5}, {Rate: -1, Burst: 5}} {
		l := New(lim, 0)
		if l != nil {
			t.Errorf("New(%+v) = %p, want nil", lim, l)
		}
		if got := allowN(l, "k", 100, at(0)); got != 100 || l.Len() != 0 {
			t.Errorf("%+v: %d of 100 allowed", lim, got)
		}
	}
}

func TestConcurrentRequestsNeverGetMoreThanTheBurst(t *testing.T) {
	l := New(Limit{Rate: 1.0 / 3600, Burst: 50}, 0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for range 20 {
		wg.Go(func() {
			n := allowN(l, "k", 10, at(0))
			mu.Lock()
			allowed += n
			mu.Unlock()
		})
	}
	wg.Wait()
	if allowed != 50 {
		t.Errorf("200 concurrent requests: %d allowed, want the burst of 50", allowed)
	}
}
