package domain

import "time"

// SubState is the health of a subscription as ccsub knows it.
type SubState string

const (
	SubActive    SubState = "active"
	SubDegraded  SubState = "degraded"
	SubLapsed    SubState = "lapsed"
	SubCancelled SubState = "cancelled"
	SubUnknown   SubState = "unknown"
)

// SubStates lists every state, in the order lists and filters show them.
var SubStates = []SubState{SubActive, SubDegraded, SubLapsed, SubCancelled, SubUnknown}

// Valid reports whether s is one of the known states.
func (s SubState) Valid() bool {
	for _, k := range SubStates {
		if s == k {
			return true
		}
	}
	return false
}

// Vendor limits of a register (docs/gateway-contract.md §2), checked by
// the forms and shown before they are hit.
const (
	MaxCallbackURI  = 200 // serviceCallBackUri, characters
	MaxServiceToken = 256 // serviceToken, characters
)

// Subscription is one serverId obtained from a gateway.
type Subscription struct {
	ID             int64
	GatewayID      int64
	GatewayName    string
	ServerID       string
	State          SubState
	StateReason    string
	SubscribeType  string
	CallbackURI    string
	NLPFlag        bool
	FlowAccessCode string
	TokenPresent   bool
	TokenSealed    []byte
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	RegisterCallID int64
	ReplacesID     *int64

	// Keep-alive (issue 3).
	AutoReregister      bool       // re-register once per lapse, linked
	NextDueAt           *time.Time // nil: not kept alive
	LastHandshakeAt     *time.Time
	LastSuccessAt       *time.Time
	HandshakesOK        int64
	HandshakesFailed    int64
	ConsecutiveFailures int
	LapsedAt            *time.Time
	ReplacedByID        *int64
	ReceiverKey         string // set when ccsub is the callback target
}

// KeptAlive reports whether the engine handshakes this subscription.
func (s Subscription) KeptAlive() bool { return s.State == SubActive || s.State == SubDegraded }

// HeartbeatBucket counts handshakes in one 5-minute slot of the 24-hour strip.
type HeartbeatBucket struct {
	Start  time.Time
	OK     int
	Failed int
}

// NewSubscription is written when a register call succeeds (state active)
// or ends unknown (state unknown, no serverId).
type NewSubscription struct {
	GatewayID      int64
	ServerID       string
	SubscribeType  string
	CallbackURI    string
	NLPFlag        bool
	FlowAccessCode string
	TokenSealed    []byte
	CreatedBy      string
	RegisterCallID int64
	ReplacesID     *int64
	AutoReregister bool
	ReceiverKey    string   // "" when the callback is not ccsub's own receiver
	State          SubState // "" means active
	StateReason    string
}

// SubscriptionFilter narrows the subscriptions list. Zero values mean "any".
type SubscriptionFilter struct {
	States    []SubState // any of these
	GatewayID int64
	// Text is a search term, matched ignoring case in the serverId or the
	// callback address: anywhere when the database serves it (a trigram
	// index, and a term that MatchesAnywhere), otherwise at the start.
	Text string
}

// SubscriptionPage is one newest-first page of the subscriptions list.
// Older/Newer are set when there is more in that direction.
type SubscriptionPage struct {
	Subscriptions []Subscription
	Older         *Cursor
	Newer         *Cursor
}

// SubscriptionCounts is how many subscriptions are in each state; a state
// without any is absent.
type SubscriptionCounts map[SubState]int64

// Total is the number of subscriptions in every state.
func (c SubscriptionCounts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}
