// Package jsonview holds the JSON shapes of ccsub's records, shared by
// the API and the exports so both say the same thing the same way.
// Secrets never appear: a password or service token is reported only as
// "set" or "none".
package jsonview

import (
	"context"
	"encoding/hex"
	"time"

	"ccsub/internal/domain"
	"ccsub/web/view"
)

// english is the context of the JSON shapes: machine clients always read
// English words, whatever language a viewer chose.
var english = context.Background()

const (
	secretSet  = "set"
	secretNone = "none"
)

// SecretState is how a secret is reported: "set" or "none", never its value.
func SecretState(present bool) string {
	if present {
		return secretSet
	}
	return secretNone
}

type Gateway struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	BaseURL   string    `json:"baseUrl"`
	AgentID   int64     `json:"agentId"`
	Password  string    `json:"password"`
	CAPEM     string    `json:"caPem"` // a CA certificate is public
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	LastTest  *LastTest `json:"lastTest"`
	Disabled  bool      `json:"disabled"`
}

type LastTest struct {
	At      time.Time      `json:"at"`
	Outcome domain.Outcome `json:"outcome"`
	Message string         `json:"message"`
}

func GatewayOf(g domain.Gateway) Gateway {
	v := Gateway{ID: g.ID, Name: g.Name, BaseURL: g.BaseURL, AgentID: g.AgentID,
		Password: SecretState(len(g.PasswordSealed) > 0), CAPEM: g.CAPEM, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt,
		Disabled: g.Disabled}
	if g.LastTestAt != nil {
		v.LastTest = &LastTest{At: *g.LastTestAt, Outcome: g.LastTestOutcome, Message: g.LastTestMessage}
	}
	return v
}

type Subscription struct {
	ID                  int64           `json:"id"`
	GatewayID           int64           `json:"gatewayId"`
	GatewayName         string          `json:"gatewayName"`
	ServerID            string          `json:"serverId"`
	State               domain.SubState `json:"state"`
	StateReason         string          `json:"stateReason"`
	SubscribeType       string          `json:"subscribeType"`
	ServiceCallBackURI  string          `json:"serviceCallBackUri"`
	NLPFlag             bool            `json:"nlpFlag"`
	FlowAccessCode      string          `json:"flowAccessCode"`
	ServiceToken        string          `json:"serviceToken"`
	UseReceiver         bool            `json:"useReceiver"`
	AutoReregister      bool            `json:"autoReregister"`
	CreatedBy           string          `json:"createdBy"`
	CreatedAt           time.Time       `json:"createdAt"`
	UpdatedAt           time.Time       `json:"updatedAt"`
	RegisterCallID      int64           `json:"registerCallId"`
	ReplacesID          *int64          `json:"replacesId"`
	ReplacedByID        *int64          `json:"replacedById"`
	NextDueAt           *time.Time      `json:"nextHandshakeAt"`
	LastHandshakeAt     *time.Time      `json:"lastHandshakeAt"`
	LastSuccessAt       *time.Time      `json:"lastSuccessAt"`
	HandshakesOK        int64           `json:"handshakesOk"`
	HandshakesFailed    int64           `json:"handshakesFailed"`
	ConsecutiveFailures int             `json:"consecutiveFailures"`
	LapsedAt            *time.Time      `json:"lapsedAt"`
}

func SubscriptionOf(s domain.Subscription) Subscription {
	return Subscription{ID: s.ID, GatewayID: s.GatewayID, GatewayName: s.GatewayName, ServerID: s.ServerID,
		State: s.State, StateReason: s.StateReason, SubscribeType: s.SubscribeType, ServiceCallBackURI: s.CallbackURI,
		NLPFlag: s.NLPFlag, FlowAccessCode: s.FlowAccessCode, ServiceToken: SecretState(s.TokenPresent),
		UseReceiver: s.ReceiverKey != "", AutoReregister: s.AutoReregister, CreatedBy: s.CreatedBy,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, RegisterCallID: s.RegisterCallID, ReplacesID: s.ReplacesID,
		ReplacedByID: s.ReplacedByID, NextDueAt: s.NextDueAt, LastHandshakeAt: s.LastHandshakeAt,
		LastSuccessAt: s.LastSuccessAt, HandshakesOK: s.HandshakesOK, HandshakesFailed: s.HandshakesFailed,
		ConsecutiveFailures: s.ConsecutiveFailures, LapsedAt: s.LapsedAt}
}

// Call is one history row. The request and response bodies, already
// redacted when recorded, are included only when one call is asked for.
type Call struct {
	ID             int64            `json:"id"`
	StartedAt      time.Time        `json:"startedAt"`
	FinishedAt     *time.Time       `json:"finishedAt"`
	DurationMS     float64          `json:"durationMs"`
	GatewayID      int64            `json:"gatewayId"`
	GatewayName    string           `json:"gatewayName"`
	Actor          string           `json:"actor"`
	Operation      domain.Operation `json:"operation"`
	Outcome        domain.Outcome   `json:"outcome"`
	HTTPStatus     int              `json:"httpStatus"`
	Retcode        string           `json:"retcode"`
	RetcodeMeaning string           `json:"retcodeMeaning,omitempty"`
	RetcodeAction  string           `json:"retcodeAction,omitempty"` // what ccsub does with the retcode
	RetcodeCheck   string           `json:"retcodeCheck,omitempty"`  // what an administrator should check
	Message        string           `json:"message"`
	ServerID       string           `json:"serverId"`
	CallbackURI    string           `json:"serviceCallBackUri"`
	SubscribeType  string           `json:"subscribeType"`
	NLPFlag        bool             `json:"nlpFlag"`
	FlowAccessCode string           `json:"flowAccessCode"`
	ServiceToken   string           `json:"serviceToken"`
	Error          string           `json:"error"`
	RefusedByCcsub bool             `json:"refusedByCcsub"`          // ccsub refused it before sending anything; the outcome keeps its word
	NotSentReason  string           `json:"notSentReason,omitempty"` // why, when RefusedByCcsub
	Attempts       int              `json:"attempts"`
	SubscriptionID *int64           `json:"subscriptionId"`
	RequestBody    string           `json:"requestBody,omitempty"`
	ResponseBody   string           `json:"responseBody,omitempty"`
}

func CallOf(c domain.Call) Call {
	v := Call{ID: c.ID, StartedAt: c.StartedAt, FinishedAt: c.FinishedAt,
		DurationMS: float64(c.Duration.Microseconds()) / 1000, GatewayID: c.GatewayID, GatewayName: c.GatewayName,
		Actor: c.Actor, Operation: c.Operation, Outcome: c.Outcome, HTTPStatus: c.HTTPStatus, Retcode: c.Retcode,
		Message: c.Message, ServerID: c.ServerID, CallbackURI: c.CallbackURI, SubscribeType: c.SubscribeType,
		NLPFlag: c.NLPFlag, FlowAccessCode: c.FlowAccessCode, ServiceToken: SecretState(c.TokenPresent),
		Error: c.Error, RefusedByCcsub: c.RefusedByCcsub, NotSentReason: c.NotSentReason(), Attempts: c.Attempts,
		SubscriptionID: c.SubscriptionID}
	if c.Retcode != "" {
		v.RetcodeMeaning, v.RetcodeAction, v.RetcodeCheck = view.Meaning(english, c.Retcode), view.RetcodeAction(english, c.Retcode), view.RetcodeCheck(english, c.Retcode)
	}
	return v
}

func CallDetailOf(c domain.Call) Call {
	v := CallOf(c)
	v.RequestBody, v.ResponseBody = c.RequestBody, c.ResponseBody
	return v
}

type Audit struct {
	ID         int64                         `json:"id"`
	At         time.Time                     `json:"at"`
	Actor      string                        `json:"actor"`
	SourceAddr string                        `json:"sourceAddr"`
	UserAgent  string                        `json:"userAgent"`
	Action     domain.AuditAction            `json:"action"`
	TargetType string                        `json:"targetType"`
	TargetID   string                        `json:"targetId"`
	TargetName string                        `json:"targetName"`
	Outcome    string                        `json:"outcome"`
	Diff       map[string]domain.FieldChange `json:"diff"`
	PrevHash   string                        `json:"prevHash"` // hex; lets an auditor re-check the chain offline
	Hash       string                        `json:"hash"`
}

func AuditOf(e domain.AuditEntry) Audit {
	return Audit{ID: e.ID, At: e.At, Actor: e.Actor, SourceAddr: e.SourceAddr, UserAgent: e.UserAgent,
		Action: e.Action, TargetType: e.TargetType, TargetID: e.TargetID, TargetName: e.TargetName,
		Outcome: e.Outcome, Diff: e.Diff, PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash)}
}
