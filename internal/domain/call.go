package domain

import (
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode"
)

// Outcome is the life of one gateway call. One place (the gateway client)
// decides which; every page, export and API answer uses these words.
type Outcome string

const (
	// OutcomePending: written before the request leaves; not yet answered.
	OutcomePending Outcome = "pending"
	// OutcomeSuccess: the gateway answered retcode "0".
	OutcomeSuccess Outcome = "success"
	// OutcomeRejected: the gateway answered with a retcode other than "0".
	OutcomeRejected Outcome = "rejected"
	// OutcomeFailed: known not to have taken effect (not sent, or a clear
	// transport, HTTP or parse error).
	OutcomeFailed Outcome = "failed"
	// OutcomeUnknown: sent, but no answer; the gateway may have acted on it.
	OutcomeUnknown Outcome = "unknown"
)

// Outcomes lists every outcome in display order.
var Outcomes = []Outcome{OutcomeSuccess, OutcomeRejected, OutcomeFailed, OutcomeUnknown, OutcomePending}

// Valid reports whether o is a known outcome.
func (o Outcome) Valid() bool {
	for _, v := range Outcomes {
		if o == v {
			return true
		}
	}
	return false
}

// Operation names a gateway call (or a recorded event) in the history.
type Operation string

const (
	OpLogin       Operation = "login"
	OpRegister    Operation = "register"
	OpModify      Operation = "modify"
	OpUnregister  Operation = "unregister"
	OpHandshake   Operation = "handshake"
	OpStateChange Operation = "state_change"
)

// Operations lists every operation in display order.
var Operations = []Operation{OpRegister, OpModify, OpUnregister, OpHandshake, OpLogin, OpStateChange}

// Valid reports whether op is a known operation.
func (op Operation) Valid() bool {
	for _, v := range Operations {
		if op == v {
			return true
		}
	}
	return false
}

// Call is one recorded gateway call: a row of the history.
type Call struct {
	ID             int64
	StartedAt      time.Time
	FinishedAt     *time.Time
	Duration       time.Duration // zero while pending
	GatewayID      int64
	GatewayName    string
	Actor          string
	Operation      Operation
	Outcome        Outcome
	HTTPStatus     int // 0 when no HTTP answer arrived
	Retcode        string
	Message        string
	ServerID       string
	CallbackURI    string
	SubscribeType  string
	NLPFlag        bool
	FlowAccessCode string
	TokenPresent   bool
	TokenSealed    []byte // encrypted service token; never rendered
	RequestBody    string // secrets redacted
	ResponseBody   string // secrets redacted, size-capped
	Error          string // transport/parse error in plain words
	Attempts       int    // HTTP requests made, logins included
	SubscriptionID *int64
	// RefusedByCcsub: ccsub itself refused the call before sending anything
	// (its own checks of the address, the networks it may call, the CA
	// bundle, the serverId, or a login refusal it will not repeat). The
	// outcome keeps its word (failed, or rejected for a remembered login
	// refusal); Error, or else Message, says why.
	RefusedByCcsub bool
}

// NotSentReason is why ccsub refused a call before sending it, or "" when
// it did not refuse it.
func (c Call) NotSentReason() string {
	switch {
	case !c.RefusedByCcsub:
		return ""
	case c.Error != "":
		return c.Error
	case c.Message != "":
		return c.Message
	}
	return NotSentNoReason.Say()
}

// NewCall is what is written, as pending, before a request leaves.
type NewCall struct {
	IdempotencyKey string // optional; a repeated key yields ErrDuplicateSubmission
	// Fingerprint identifies the request a key was used for (SHA-256 of its
	// canonical, non-secret fields); the same key with another fingerprint
	// yields ErrIdempotencyConflict. Stored only with a key.
	Fingerprint    []byte
	GatewayID      int64
	GatewayName    string
	Actor          string
	Operation      Operation
	ServerID       string
	CallbackURI    string
	SubscribeType  string
	NLPFlag        bool
	FlowAccessCode string
	TokenPresent   bool
	TokenSealed    []byte
	RequestBody    string
	SubscriptionID *int64
}

// CallResult completes a pending call.
type CallResult struct {
	Outcome      Outcome
	HTTPStatus   int
	Retcode      string
	Message      string
	ServerID     string
	RequestBody  string
	ResponseBody string
	Error        string
	Attempts     int
	Duration     time.Duration
	// RefusedByCcsub: nothing was sent because ccsub refused the call
	// (see Call.RefusedByCcsub).
	RefusedByCcsub bool
}

// CallFilter narrows the history. Zero values mean "any".
type CallFilter struct {
	Retcode   string
	Outcome   Outcome
	Operation Operation
	// ServerID is a whole serverId, or with ServerIDPrefix the start of
	// one (the serverIds that begin with it).
	ServerID       string
	ServerIDPrefix bool
	// CallbackContains and MessageContains are text search terms, matched
	// ignoring case anywhere in the callback address or the message when
	// the database serves it (a trigram index, and a term that
	// MatchesAnywhere); otherwise at the start (see TextMatch).
	CallbackContains string
	MessageContains  string
	GatewayID        int64
	From             time.Time // inclusive
	To               time.Time // exclusive
}

// TextMatch says how the history's text search terms are matched, as
// the database can serve them.
type TextMatch int

const (
	// MatchAnywhere: terms that MatchesAnywhere are found anywhere in the
	// text (pg_trgm's trigram indexes); shorter ones at its start.
	MatchAnywhere TextMatch = iota + 1
	// MatchStart: every term is matched at the start of the text, because
	// the database has no trigram indexes (pg_trgm could not be created).
	MatchStart
)

// MatchesAnywhere reports whether a text search term can be looked up
// anywhere in a text through a trigram index: it must hold three letters
// or digits in a row, the shortest run a trigram is made of. A shorter term
// would make the index read every row, so it is matched at the start of
// the text instead (docs/decisions.md, "Text search").
func MatchesAnywhere(term string) bool {
	run := 0
	for _, r := range term {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			run = 0
			continue
		}
		if run++; run == 3 {
			return true
		}
	}
	return false
}

// Cursor is a keyset position in a newest-first list.
type Cursor struct {
	At time.Time
	ID int64
}

// PageRequest asks for the page strictly older than Before, or strictly
// newer than After (at most one is set), or the newest page when neither is.
type PageRequest struct {
	Before *Cursor
	After  *Cursor
	Limit  int
	// Bulk marks a batch ccsub chose (an export), not a page someone asked
	// for: its Limit may go up to the store's ExportBatch.
	Bulk bool
}

// CallPage is one newest-first page of the history. Older/Newer are set when
// there is more in that direction.
type CallPage struct {
	Calls []Call
	Older *Cursor
	Newer *Cursor
}

// ErrAnswerKept means the gateway answered a recorded call but the
// database could not take the answer: ccsub keeps it and records it as
// soon as the database is back. An *AnswerKept says which answer.
var ErrAnswerKept = errors.New("the gateway's answer is kept until the database can record it")

// AnswerKept is the error of a call whose answer waits for the database.
type AnswerKept struct {
	Call      Call  // as it reads once the answer is recorded
	InLogOnly bool  // the journal could not take it either: it is in the log
	Cause     error // why the database did not take it
}

func (e *AnswerKept) Error() string {
	return fmt.Sprintf("call %d (%s) answered %s but not recorded: %v", e.Call.ID, e.Call.Operation, e.Call.Outcome, e.Cause)
}

func (e *AnswerKept) Unwrap() error { return e.Cause }

func (e *AnswerKept) Is(target error) bool { return target == ErrAnswerKept }

// Explain is the answer in words for the person who asked for the call.
func (e *AnswerKept) Explain() string {
	c := e.Call
	what := fmt.Sprintf("The gateway answered the %s (%s", c.Operation, c.Outcome)
	if c.Retcode != "" && c.Outcome != OutcomeSuccess {
		what += ", retcode " + c.Retcode
	}
	what += ")"
	if c.Outcome == OutcomeSuccess && c.ServerID != "" {
		switch c.Operation {
		case OpRegister:
			what = "The gateway registered the subscription and granted serverId " + c.ServerID
		case OpModify:
			what = "The gateway changed subscription " + c.ServerID
		case OpUnregister:
			what = "The gateway cancelled subscription " + c.ServerID
		}
	}
	kept := "ccsub keeps the answer and records it by itself as soon as the database is back"
	if e.InLogOnly {
		kept = "the answer is in ccsub's log (call " + strconv.FormatInt(c.ID, 10) + "); an administrator can settle it from there once the database is back"
	}
	return what + ", but ccsub's database is not answering: " + kept + ". Do not send it again."
}

// CallFailed reports whether err, returned with call by an action, is
// what a door shows instead of the call: nothing was recorded (no call),
// or the answer could not be (the call would read "pending").
func CallFailed(call Call, err error) bool {
	return err != nil && (call.ID == 0 || errors.Is(err, ErrAnswerKept))
}
