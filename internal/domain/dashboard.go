package domain

import "time"

// Dashboard is the home page's summary: what an administrator or an
// on-call engineer looks at first.
type Dashboard struct {
	Gateways []GatewayHealth
	Counts   SubscriptionCounts
	// Attention are the newest subscriptions that need someone: unknown
	// (settle by hand), degraded (handshakes failing) and lapsed (dropped
	// by the platform), in that order.
	Attention []Subscription
	// Failures are the newest calls that did not succeed.
	Failures []Call
	// Retcodes are the most frequent answers of the last 24 hours.
	Retcodes []RetcodeCount
	// Calls24h counts every call of the last 24 hours.
	Calls24h int64
	// Notifications of the last hour, accepted and refused.
	NotificationsAccepted, NotificationsRefused int64
	At                                          time.Time // the database's clock when read
}

// RetcodeCount is how often a retcode was answered.
type RetcodeCount struct {
	Retcode string
	Count   int64
}

// GatewayHealth is what ccsub knows of a gateway's reachability from its
// recorded calls (successful handshakes are counted per subscription, not
// recorded as calls, so the newest call can be older than the last
// handshake).
type GatewayHealth struct {
	Gateway Gateway
	// LastLogin is the newest login call, nil when it never logged in.
	LastLogin *Call
	// LastCall is the newest call of any kind.
	LastCall *Call
	// Active counts its active and degraded subscriptions.
	Active int64
}

// GatewayStatus is a gateway's health in one word.
type GatewayStatus string

const (
	GatewayRefusing    GatewayStatus = "refusing"    // the gateway refused the password: no process sends it again
	GatewayUnreachable GatewayStatus = "unreachable" // the newest call got no answer
	GatewaySignedIn    GatewayStatus = "signed-in"   // the newest login succeeded, and the newest call was answered
	GatewayFailing     GatewayStatus = "failing"     // answered, but the newest login did not succeed
	GatewayUnused      GatewayStatus = "unused"      // never called
)

// Status sums the gateway's health up.
func (h GatewayHealth) Status() GatewayStatus {
	switch {
	case h.Gateway.LoginRefused != nil:
		return GatewayRefusing
	case h.LastCall == nil:
		return GatewayUnused
	case h.LastCall.Outcome == OutcomeFailed:
		return GatewayUnreachable
	case h.LastLogin != nil && h.LastLogin.Outcome == OutcomeSuccess:
		return GatewaySignedIn
	}
	return GatewayFailing
}
