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
}

// NewSubscription is written when a register call succeeds.
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
}
