package gatewaysim

import (
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"sort"
	"sync"
	"time"
)

// Subscription is a subscription as the simulated gateway holds it.
type Subscription struct {
	ServerID, SubscribeType, ServiceToken, CallBackURI, FlowAccessCode string

	NLPFlag       bool
	Registered    time.Time
	LastHandshake time.Time // zero until the first successful handshake
	Active        bool      // false once cancelled or expired
	State         string    // StateActive, StateCancelled or StateExpired
}

// Subscription states.
const (
	StateActive    = "active"
	StateCancelled = "cancelled" // unregistered
	StateExpired   = "expired"   // no handshake for Config.Expiry
)

// subscription is the mutable record behind Subscription.
type subscription struct {
	Subscription
	seq int // issue order, for a stable listing
}

// lastAlive is when the expiry countdown last restarted.
func (sub *subscription) lastAlive() time.Time {
	if sub.LastHandshake.IsZero() {
		return sub.Registered
	}
	return sub.LastHandshake
}

// guidEntry is an issued Guid: who logged in, and when it was last used.
type guidEntry struct {
	agentID  int64
	lastUsed time.Time
}

// state is the gateway's memory: issued Guids and subscriptions. Expiry is
// evaluated lazily against the Clock whenever a subscription is looked at,
// so a ManualClock needs no background goroutine to take effect.
type state struct {
	clock  Clock
	expiry time.Duration
	node   string

	mu    sync.Mutex
	guids map[string]*guidEntry
	subs  map[string]*subscription
	seq   int
	// idBase and a random first seq make serverIds of different simulators
	// differ: tests run many simulators in the same second, and with only
	// the 1,000 bases two of them met often enough to flake. A real
	// platform's ids are unique too.
	idBase int
}

func newState(clock Clock, expiry time.Duration, node string) *state {
	return &state{clock: clock, expiry: expiry, node: node,
		guids: map[string]*guidEntry{}, subs: map[string]*subscription{}, idBase: mrand.IntN(1000) * 100000,
		seq: mrand.IntN(100000)}
}

// issueGuid returns a new Guid "<uuid>.<node>" for agentID.
func (st *state) issueGuid(agentID int64) string {
	guid := newUUID() + "." + st.node
	st.mu.Lock()
	defer st.mu.Unlock()
	st.guids[guid] = &guidEntry{agentID: agentID, lastUsed: st.clock.Now()}
	return guid
}

// useGuid reports whether guid was issued and has not expired, and if so
// records this use. A Guid unused for idle (> 0) on the Clock expires, at
// exactly idle, for good; idle 0 means never.
func (st *state) useGuid(guid string, idle time.Duration) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	g, ok := st.guids[guid]
	if !ok {
		return false
	}
	now := st.clock.Now()
	if idle > 0 && !now.Before(g.lastUsed.Add(idle)) {
		delete(st.guids, guid)
		return false
	}
	g.lastUsed = now
	return true
}

func (st *state) expireGuids() {
	st.mu.Lock()
	defer st.mu.Unlock()
	clear(st.guids)
}

// register stores a new subscription and returns its serverId.
func (st *state) register(sub Subscription) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := st.clock.Now()
	id := st.nextServerID(now)
	sub.ServerID, sub.Registered, sub.Active, sub.State = id, now, true, StateActive
	st.subs[id] = &subscription{Subscription: sub, seq: st.seq}
	return id
}

// nextServerID makes "<yyyyMMddHHmmss>-<3-digit node>-<5-digit seq>" (the
// node part random per simulator), skipping any value already issued so ids
// stay unique after the counter wraps.
func (st *state) nextServerID(now time.Time) string {
	for {
		st.seq++
		n := st.idBase + st.seq%100000
		id := fmt.Sprintf("%s-%03d-%05d", now.Format("20060102150405"), n/100000, n%100000)
		if _, taken := st.subs[id]; !taken {
			return id
		}
	}
}

// active returns the subscription if it exists and is still active,
// marking it expired first when its time has run out. Callers hold st.mu.
func (st *state) active(id string) (*subscription, bool) {
	sub, ok := st.subs[id]
	if !ok {
		return nil, false
	}
	st.expireIfDue(sub)
	return sub, sub.Active
}

// expireIfDue drops sub once Expiry has passed since its register or last
// handshake; at exactly Expiry it is gone.
func (st *state) expireIfDue(sub *subscription) {
	if sub.Active && !st.clock.Now().Before(sub.lastAlive().Add(st.expiry)) {
		sub.Active, sub.State = false, StateExpired
	}
}

// modify changes an active subscription; false when unknown or inactive.
func (st *state) modify(id string, t target) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	sub, ok := st.active(id)
	if ok {
		sub.CallBackURI, sub.NLPFlag, sub.FlowAccessCode = t.uri, t.nlp, t.flow
	}
	return ok
}

// cancel ends an active subscription; false when unknown or inactive.
func (st *state) cancel(id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	sub, ok := st.active(id)
	if ok {
		sub.Active, sub.State = false, StateCancelled
	}
	return ok
}

// handshake restarts the expiry countdown of an active subscription when
// tokenOK (given the registered service token) agrees; false otherwise.
func (st *state) handshake(id string, tokenOK func(registered string) bool) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	sub, ok := st.active(id)
	if !ok || !tokenOK(sub.ServiceToken) {
		return false
	}
	sub.LastHandshake = st.clock.Now()
	return true
}

// get returns the subscription with expiry applied, in whatever state.
func (st *state) get(id string) (Subscription, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	sub, ok := st.subs[id]
	if !ok {
		return Subscription{}, false
	}
	st.expireIfDue(sub)
	return sub.Subscription, true
}

// activeList returns the active subscriptions in issue order.
func (st *state) activeList() []Subscription {
	all := st.list()
	active := all[:0]
	for _, sub := range all {
		if sub.Active {
			active = append(active, sub)
		}
	}
	return active
}

func (st *state) list() []Subscription {
	st.mu.Lock()
	defer st.mu.Unlock()
	all := make([]*subscription, 0, len(st.subs))
	for _, sub := range st.subs {
		st.expireIfDue(sub)
		all = append(all, sub)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	out := make([]Subscription, len(all))
	for i, sub := range all {
		out[i] = sub.Subscription
	}
	return out
}

// newUUID returns a random (version 4) UUID in its usual text form.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails since Go 1.24
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Subscriptions returns every subscription ever registered, in the order
// they were issued, with expiry applied as of the Clock's now.
func (s *Sim) Subscriptions() []Subscription { return s.state.list() }

// ExpireGuids invalidates every issued Guid at once, whatever GuidIdle
// says: their next use answers Rules.ExpiredCode.
func (s *Sim) ExpireGuids() { s.state.expireGuids() }

// SubscriptionByServerID returns the subscription serverID names, in
// whatever state, with expiry applied as of the Clock's now.
func (s *Sim) SubscriptionByServerID(serverID string) (Subscription, bool) {
	return s.state.get(serverID)
}
