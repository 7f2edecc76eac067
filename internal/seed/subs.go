package seed

import (
	"fmt"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/store"
)

var subColumns = []string{"id", "gateway_id", "server_id", "state", "state_reason", "subscribe_type", "callback_uri",
	"nlp_flag", "flow_access_code", "token_sealed", "created_by", "created_at", "updated_at", "register_call_id",
	"replaces_id", "auto_reregister", "next_due_at", "last_handshake_at", "last_success_at", "handshakes_ok",
	"handshakes_failed", "consecutive_failures", "lapsed_at", "replaced_by_id", "receiver_key"}

// subGen streams the subscriptions, after the calls: their register call
// ids and handshake counts come from the history.
type subGen struct {
	w   *world
	i   int
	err error
}

func newSubGen(w *world) *subGen { return &subGen{w: w} }

func (g *subGen) Fill(r *store.CopyRow) bool {
	if g.i >= len(g.w.subs) || g.err != nil {
		return false
	}
	s := g.w.subs[g.i]
	g.i++
	if s.registerCall == 0 {
		g.err = fmt.Errorf("seed: subscription %d has no register call (the history was cut short)", s.id)
		return false
	}
	createdBy := keepAliveActor
	if s.by != nil {
		createdBy = s.by.name
	}
	reason, updated := s.reason, s.created
	var nextDue, lastHandshake, lastSuccess, lapsed time.Time
	consecutive, ok := 0, int64(0)
	if !s.lastSuccess.IsZero() {
		// A handshake every interval, of which hsFailed failed.
		ok = max(0, int64(s.lastSuccess.Sub(s.created)/handshakeEvery)+1-s.hsFailed)
		lastSuccess, lastHandshake = s.lastSuccess, s.lastSuccess
	}
	switch s.state {
	case domain.SubActive:
		nextDue = s.lastSuccess.Add(handshakeEvery)
		if !s.recovered.IsZero() {
			reason, updated = "handshake succeeded", s.recovered
		}
	case domain.SubDegraded:
		nextDue, lastHandshake, consecutive, updated = s.lastHandshake.Add(retryEvery), s.lastHandshake, s.consecutive, s.outage
	case domain.SubLapsed:
		lastHandshake, consecutive, lapsed, updated = s.lastHandshake, s.consecutive, s.lapsed, s.lapsed
		if s.replacedBy != nil {
			updated = s.replacedBy.registerDone
		}
	case domain.SubCancelled:
		updated = s.cancelDone
	}
	r.Int64(s.id)
	r.Int64(s.gw.id)
	r.Text(s.serverID)
	r.Text(string(s.state))
	r.Text(reason)
	r.Text("1")
	r.Text(s.callback)
	r.Bool(s.nlp)
	r.Text(s.flow)
	r.Bytes(s.sealed)
	r.Text(createdBy)
	r.Time(s.created)
	r.Time(updated)
	r.Int64(s.registerCall)
	subID(r, s.replaces)
	r.Bool(s.auto)
	timeOrNull(r, nextDue)
	timeOrNull(r, lastHandshake)
	timeOrNull(r, lastSuccess)
	r.Int64(ok)
	r.Int64(s.hsFailed)
	r.Int32(int32(consecutive))
	timeOrNull(r, lapsed)
	subID(r, s.replacedBy)
	if s.receiverKey != "" {
		r.Text(s.receiverKey)
	} else {
		r.Null()
	}
	return true
}

func (g *subGen) Err() error { return g.err }

func subID(r *store.CopyRow, s *sub) {
	if s == nil {
		r.Null()
		return
	}
	r.Int64(s.id)
}

func timeOrNull(r *store.CopyRow, t time.Time) {
	if t.IsZero() {
		r.Null()
		return
	}
	r.Time(t)
}

var heartbeatColumns = []string{"subscription_id", "bucket", "ok", "failed"}

// heartbeatBucket is the width of a heartbeat bucket (store.heartbeatBucket).
const heartbeatBucket = 5 * time.Minute

// heartbeatsKept is how far back the strip goes (the keep-alive prunes older buckets).
const heartbeatsKept = 24 * time.Hour

// beatGen streams the 24-hour heartbeat strips: a bucket every 5 minutes
// for each subscription kept alive in the last day, with the handshakes
// that succeeded (one every interval, up to its last success) and failed
// (one every retry during its final outage).
type beatGen struct {
	w      *world
	i      int
	s      *sub
	bucket time.Time
	last   time.Time
}

func newBeatGen(w *world) *beatGen { return &beatGen{w: w, i: -1} }

func (g *beatGen) Fill(r *store.CopyRow) bool {
	for {
		if g.s != nil {
			for ; !g.bucket.After(g.last); g.bucket = g.bucket.Add(heartbeatBucket) {
				ok, failed := g.count(g.bucket)
				if ok+failed > 0 {
					r.Int64(g.s.id)
					r.Time(g.bucket)
					r.Int32(int32(ok))
					r.Int32(int32(failed))
					g.bucket = g.bucket.Add(heartbeatBucket)
					return true
				}
			}
		}
		if g.i++; g.i >= len(g.w.subs) {
			return false
		}
		s := g.w.subs[g.i]
		from := g.w.now.Add(-heartbeatsKept)
		g.s, g.last = nil, g.w.now
		switch s.state {
		case domain.SubUnknown:
			continue
		case domain.SubLapsed:
			g.last = s.lapsed
		case domain.SubCancelled:
			g.last = s.cancelled
		}
		if g.last.Before(from) {
			continue
		}
		g.s = s
		g.bucket = s.created.Truncate(heartbeatBucket)
		if g.bucket.Before(from) {
			g.bucket = from.Truncate(heartbeatBucket)
		}
	}
}

// count is how many handshakes of g.s succeeded and failed in the bucket
// starting at b.
func (g *beatGen) count(b time.Time) (ok, failed int) {
	s, e := g.s, b.Add(heartbeatBucket)
	// Successes at lastSuccess - k·interval (k ≥ 0), back to the register.
	ok = int(max(0, stepsIn(s.lastSuccess, handshakeEvery, later(b, s.created), e)))
	if s.state == domain.SubDegraded || s.state == domain.SubLapsed {
		// Failures at outage + k·retry, k < consecutive.
		for k := range s.consecutive {
			if t := s.outage.Add(time.Duration(k) * retryEvery); !t.Before(b) && t.Before(e) {
				failed++
			}
		}
	}
	return ok, failed
}

// stepsIn counts the times last - k·step (k ≥ 0) in [from, to).
func stepsIn(last time.Time, step time.Duration, from, to time.Time) int64 {
	if last.Before(from) {
		return 0
	}
	kmax := int64(last.Sub(from) / step) // last - k·step ≥ from
	kmin := int64(0)
	if !last.Before(to) { // last - k·step < to
		kmin = int64(last.Sub(to)/step) + 1
	}
	return kmax - kmin + 1
}

func (g *beatGen) Err() error { return nil }

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
