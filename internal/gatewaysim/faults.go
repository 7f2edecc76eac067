package gatewaysim

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Fault makes the simulator misbehave for the next matching requests.
//
// A fault plays in this order: Processed (act on the request first), Delay,
// then the first of Hang, Drop, Truncate, Malformed, HTML, Redirect,
// HTTPStatus that is set; else a JSON answer: NoResult, ResultAs, Retcode
// or, with none of those, the normal answer (answered after Delay, dressed
// by NumericRetcode and Oversize). Truncate cuts that same JSON answer.
// Faults apply to every request outside /_sim/ (unknown paths and wrong
// methods included) before any other check. When several injected faults
// match, the oldest applies; a request takes at most one.
//
// Without Processed a faulted request changes nothing, except when the
// fault only delays the answer (Delay alone, the client waits it out) or
// only dresses it (NumericRetcode without Retcode): then it is answered
// normally. With Processed the gateway acts first and the answer is then
// delayed, hidden, cut or replaced: "the platform acted, the answer is
// broken". Fault{Op: "register", Retcode: "107-029", Delay: d, Processed:
// true} (TimedOutRegister) is a register that times out after d while its
// subscription exists, and is kept alive by later handshakes.
type Fault struct {
	Op         string        // "login","register","modify","unregister","handshake", or "" = any operation
	Retcode    string        // answer HTTP 200 with this retcode and a message
	HTTPStatus int           // answer with this HTTP status (body: short text/plain); also the status of HTML and Redirect
	Delay      time.Duration // wait this long (or until Release; until the client goes away at most) before answering normally/with the fault
	Hang       bool          // never answer: block until the client disconnects or Close/Release
	Malformed  bool          // answer HTTP 200 with a body that is not JSON
	Drop       bool          // read the whole request, then close the TCP connection without any answer (hijack)
	Times      int           // how many matching requests it applies to; 0 means 1; -1 means until cleared
	// Processed makes the gateway act on the request (a register creates
	// its subscription) before the fault delays, hides or replaces the
	// answer: the "sent, no answer, yet it took effect" case.
	Processed bool

	// Truncate sends the status line, headers announcing the whole JSON
	// answer (Content-Length) and the first half of it, then closes the
	// connection.
	Truncate bool
	// HTML answers an nginx-style HTML error page (text/html) with
	// HTTPStatus, which must be 0 (=> 502) or 400–599.
	HTML bool
	// Redirect answers HTTPStatus, which must be 0 (=> 302) or 300–399,
	// with "Location: RedirectPrefix + the request's path and query". A
	// client that follows it shows up in the log as a request to an unknown
	// path (Op "").
	Redirect bool
	// NumericRetcode sends the retcode as a JSON number: its digits
	// without the dash and leading zeros ("0" → 0, "107-029" → 107029).
	NumericRetcode bool
	// NoResult answers success, {"retcode":"0","message":"success"},
	// without the result the operation needs.
	NoResult bool
	// ResultAs answers success with a result of the wrong JSON type:
	// ResultAsString (the real result's value, e.g. the bare serverId, when
	// Processed), ResultAsArray (the real result inside an array) or
	// ResultAsNumber.
	ResultAs string
	// Oversize pads the JSON answer (still valid JSON, a "padding" field)
	// to OversizeBytes, more than the 1 MiB a client reads.
	Oversize bool
}

// Values and limits of the answer-breaking faults.
const (
	ResultAsString = "string"
	ResultAsArray  = "array"
	ResultAsNumber = "number"
	// OversizeBytes is the size of an Oversize answer: 1 MiB and 1 KiB.
	OversizeBytes = 1<<20 + 1<<10
	// RedirectPrefix starts the Location of a Redirect fault.
	RedirectPrefix = "/redirected"
)

// TimedOutRegister is the fault of a register the platform carries out
// while its answer times out: after delay it answers 107-029, and the
// subscription it created lives on (kept alive by handshakes with its
// serverId, which Subscriptions shows).
func TimedOutRegister(delay time.Duration) Fault {
	return Fault{Op: OpRegister, Retcode: "107-029", Delay: delay, Processed: true}
}

// Validate reports what makes f unusable: an unknown Op or ResultAs, an
// HTTPStatus outside 200–599 (or outside 400–599 with HTML, 300–399 with
// Redirect), Times below -1, a negative Delay.
func (f Fault) Validate() error {
	switch f.Op {
	case "", OpLogin, OpRegister, OpModify, OpUnregister, OpHandshake:
	default:
		return fmt.Errorf("unknown op %q", f.Op)
	}
	switch f.ResultAs {
	case "", ResultAsString, ResultAsArray, ResultAsNumber:
	default:
		return fmt.Errorf("resultAs %q is not string, array or number", f.ResultAs)
	}
	switch st := f.HTTPStatus; {
	case st != 0 && (st < 200 || st > 599):
		return errors.New("httpStatus must be between 200 and 599")
	case st != 0 && f.HTML && !f.Redirect && st < 400:
		return errors.New("httpStatus of an HTML page must be between 400 and 599")
	case st != 0 && f.Redirect && !f.HTML && (st < 300 || st > 399):
		return errors.New("httpStatus of a redirect must be between 300 and 399")
	}
	if f.Times < -1 {
		return errors.New("times must be -1 (until cleared), 0 (once) or more")
	}
	if f.Delay < 0 {
		return errors.New("delay must not be negative")
	}
	return nil
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
// until ClearFaults. It panics on a fault Validate refuses: that is a bug
// in the test.
func (s *Sim) Inject(f Fault) {
	if err := f.Validate(); err != nil {
		panic("gatewaysim.Inject: " + err.Error())
	}
	s.faults.inject(f)
}

// Faults returns the pending faults with the Times they have left (-1:
// until cleared).
func (s *Sim) Faults() []Fault { return s.faults.list() }

// ClearFaults removes every pending fault; requests already hanging keep
// hanging until Release or Close.
func (s *Sim) ClearFaults() { s.faults.clear() }

// Release unblocks every Hang-ing request that arrived before it; each then
// gets no answer (its connection is closed). A request serving a Delay
// ends the delay and is answered at once.
func (s *Sim) Release() { s.faults.releaseAll() }
