package gatewaysim

import (
	"slices"
	"sync"
	"time"
)

// Fault makes the simulator misbehave for the next matching requests.
//
// A fault plays in this order: Processed (act on the request first), Delay,
// then the first of Hang, Drop, Malformed, HTTPStatus, Retcode that is set;
// with none of those set the request is answered normally after Delay.
// Faults apply to every request outside /_sim/ (unknown paths and wrong
// methods included) before any other check. When several injected faults
// match, the oldest applies; a request takes at most one.
type Fault struct {
	Op         string        // "login","register","modify","unregister","handshake", or "" = any operation
	Retcode    string        // answer HTTP 200 with this retcode and a message
	HTTPStatus int           // answer with this HTTP status (body: short text/plain)
	Delay      time.Duration // wait this long (or until the client goes away) before answering normally/with the fault
	Hang       bool          // never answer: block until the client disconnects or Close/Release
	Malformed  bool          // answer HTTP 200 with a body that is not JSON
	Drop       bool          // read the whole request, then close the TCP connection without any answer (hijack)
	Times      int           // how many matching requests it applies to; 0 means 1; -1 means until cleared
	// Processed makes the gateway act on the request (a register creates
	// its subscription) before the fault delays, hides or replaces the
	// answer: the "sent, no answer, yet it took effect" case. Without it a
	// faulted request changes nothing, unless it is a Delay-only fault
	// whose client waits it out.
	Processed bool
}

// faultSet holds the injected faults and the channel that releases hung
// requests.
type faultSet struct {
	mu      sync.Mutex
	pending []*Fault
	// release is closed (and replaced) by Release so every request hanging
	// at that moment wakes up.
	release chan struct{}
}

func newFaultSet() *faultSet { return &faultSet{release: make(chan struct{})} }

func (fs *faultSet) inject(f Fault) {
	if f.Times == 0 {
		f.Times = 1
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.pending = append(fs.pending, &f)
}

// take consumes one use of the oldest fault matching op.
func (fs *faultSet) take(op string) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, f := range fs.pending {
		if f.Op != "" && f.Op != op {
			continue
		}
		got := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				fs.pending = slices.Delete(fs.pending, i, i+1)
			}
		}
		return got, true
	}
	return Fault{}, false
}

func (fs *faultSet) list() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]Fault, len(fs.pending))
	for i, f := range fs.pending {
		out[i] = *f
	}
	return out
}

func (fs *faultSet) clear() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.pending = nil
}

func (fs *faultSet) releaseChan() <-chan struct{} {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.release
}

func (fs *faultSet) releaseAll() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	close(fs.release)
	fs.release = make(chan struct{})
}

// Inject adds a fault behind those pending. Times 0 means once; -1 means
// until ClearFaults.
func (s *Sim) Inject(f Fault) { s.faults.inject(f) }

// Faults returns the pending faults with the Times they have left (-1:
// until cleared).
func (s *Sim) Faults() []Fault { return s.faults.list() }

// ClearFaults removes every pending fault; requests already hanging keep
// hanging until Release or Close.
func (s *Sim) ClearFaults() { s.faults.clear() }

// Release unblocks every Hang-ing request that arrived before it; each then
// gets no answer (its connection is closed).
func (s *Sim) Release() { s.faults.releaseAll() }
