package gatewaysim

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Request is one request the simulator received, as tests assert on it.
// Header holds every request header as received, except Host (which
// net/http moves to the request's Host); names are as net/http
// canonicalised them ("Service_token" for service_token), values as sent.
type Request struct {
	Time     time.Time // the Clock's time when the body had been read
	Op       string    // as in Fault.Op; "" for unknown paths
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte // as received, capped at maxLoggedBody
	Status   int    // HTTP status answered (0 if dropped/hung, or still in flight)
	Retcode  string // retcode answered ("" if none)
}

// HeaderNames returns the names of the headers the request carried,
// canonicalised and sorted, so a test can assert the exact set.
func (r Request) HeaderNames() []string {
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func (r Request) clone() Request {
	r.Header = r.Header.Clone()
	r.Body = bytes.Clone(r.Body)
	return r
}

// matches reports whether r counts for op; "" matches every request, as
// Fault.Op "" matches every operation.
func (r *Request) matches(op string) bool { return op == "" || r.Op == op }

// reqLog is the request log. An entry is added as soon as a request's body
// has been read (so a test can wait for a request that will hang) or, with
// a Processed fault, once the gateway has acted on it, and completed when
// the answer is known.
type reqLog struct {
	mu      sync.Mutex
	entries []*Request
	// changed is closed and replaced on every append: WaitRequests blocks
	// on it instead of polling.
	changed chan struct{}
}

func newReqLog() *reqLog { return &reqLog{changed: make(chan struct{})} }

// add appends r and wakes every waiter. The returned pointer is used to
// record the answer later; after a ResetLog it is simply orphaned.
func (l *reqLog) add(r Request) *Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := &r
	l.entries = append(l.entries, e)
	close(l.changed)
	l.changed = make(chan struct{})
	return e
}

// answered records what the request was answered with.
func (l *reqLog) answered(e *Request, status int, retcode string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.Status, e.Retcode = status, retcode
}

func (l *reqLog) list(op string) []Request {
	return l.filter(func(e *Request) bool { return e.matches(op) })
}

// filter returns copies of the entries keep accepts, cloning only those:
// keep-alive tests poll HandshakesFor over thousands of entries.
func (l *reqLog) filter(keep func(*Request) bool) []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []Request{} // never nil, as before: callers may compare with an empty list
	for _, e := range l.entries {
		if keep(e) {
			out = append(out, e.clone())
		}
	}
	return out
}

func (l *reqLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
}

// count returns how many logged requests match op, and the channel that
// will be closed on the next append.
func (l *reqLog) count(op string) (int, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.entries {
		if e.matches(op) {
			n++
		}
	}
	return n, l.changed
}

// Requests returns a copy of the request log, oldest first. Requests to the
// control endpoints under /_sim/ are not logged.
func (s *Sim) Requests() []Request { return s.log.list("") }

// RequestsFor returns the logged requests of op ("" = every request).
func (s *Sim) RequestsFor(op string) []Request { return s.log.list(op) }

// Counts returns how many logged requests each operation received, keyed
// by Op ("" for unknown paths); operations without requests are absent.
func (s *Sim) Counts() map[string]int {
	counts := map[string]int{}
	s.log.filter(func(e *Request) bool {
		counts[e.Op]++
		return false
	})
	return counts
}

// ResetLog empties the request log.
func (s *Sim) ResetLog() { s.log.reset() }

// WaitRequests blocks until at least n requests of op ("" = any) are in the
// log, or ctx ends. A request is logged once its body has been read, before
// any fault delays or hangs it; with a Processed fault, once the gateway
// has acted on it.
func (s *Sim) WaitRequests(ctx context.Context, op string, n int) error {
	for {
		have, changed := s.log.count(op)
		if have >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("gatewaysim.WaitRequests(%q, %d): have %d: %w", op, n, have, ctx.Err())
		}
	}
}

// HandshakesFor returns the logged handshake requests (both forms) for
// serverID, oldest first, whatever they were answered.
func (s *Sim) HandshakesFor(serverID string) []Request {
	path := HandshakePrefix + serverID
	return s.log.filter(func(e *Request) bool { return e.Op == OpHandshake && e.Path == path })
}
