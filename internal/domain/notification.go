package domain

import "time"

// Notification is one recognition-result push the platform sent to ccsub's
// receiver (docs/gateway-contract.md §6), accepted or rejected: a row of the inbox.
type Notification struct {
	ID             int64
	ReceivedAt     time.Time
	SubscriptionID *int64 // nil when the receiver key matched no subscription
	ReceiverKey    string
	Accepted       bool
	Reason         string // why a push was rejected, in plain words
	HTTPStatus     int    // what the receiver answered
	ServerID       string // serverid as the body claims it
	CallID         string // curcallid
	Speaker        string // talkertype as sent: "1" agent, "2" customer
	TalkerID       string
	Text           string // recognised content, segments joined
	TextEncrypted  bool   // the platform marked content encrypted: Text is ciphertext
	CauseCode      string // asrusercase; "0" = normal, final result
	Confidence     string // as sent (the vendor sends numbers or strings)
	Body           string // the raw body, capped; never holds the token
	BodyTruncated  bool
	RemoteAddr     string
	// Digest identifies an accepted push for replay detection: sha256 of
	// the receiver key and the canonical body. Nil on rejected pushes,
	// which are all kept.
	Digest []byte
}

// Speakers as the platform numbers them in talkertype.
const (
	SpeakerAgent    = "1"
	SpeakerCustomer = "2"
)

// SpeakerLabel names the speaker in plain words.
func (n Notification) SpeakerLabel() string {
	switch n.Speaker {
	case SpeakerAgent:
		return "agent"
	case SpeakerCustomer:
		return "customer"
	case "":
		return "—"
	}
	return "unknown (" + n.Speaker + ")"
}

// CauseMeaning explains asrusercase; the contract documents only "0".
func CauseMeaning(code string) string {
	switch code {
	case "":
		return ""
	case "0":
		return "normal, final result"
	}
	return "not documented by the vendor"
}

// NotificationFilter narrows the inbox. Zero values mean "any".
type NotificationFilter struct {
	SubscriptionID int64
	From, To       time.Time // received at or after From, before To
}

// NotificationPage is one newest-first page of the inbox. Older/Newer are
// set when there is more in that direction.
type NotificationPage struct {
	Notifications []Notification
	Older         *Cursor
	Newer         *Cursor
}
