package seed

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"ccsub/internal/domain"
)

// Marks of what the seeder makes: its users' and gateways' names start
// with these, its gateways live in TEST-NET-1 (RFC 5737: never routed, and
// outside ccsub's default gateway networks, so a console serving a seeded
// database never reaches anything), and the receiver keys of its pushes to
// unknown keys start with seededKeyPrefix.
const (
	seededUserPrefix    = "seed-"
	seededGatewayPrefix = "seed-"
	seededGatewayURL    = "https://192.0.2."
	seededKeyPrefix     = "seed-"
)

// Timing of the keep-alive as ccsub runs it by default (keepalive.Config):
// a handshake every two minutes, a retry 15 s after a failure, and the
// platform's 5 minutes without a successful handshake before a lapse.
const (
	handshakeEvery = 2 * time.Minute
	retryEvery     = 15 * time.Second
	lapseAfter     = 5 * time.Minute
)

// keepAliveActor is keepalive.Actor, the actor of every row the engine writes.
const keepAliveActor = "keep-alive"

// never is the end of a subscription that is still kept alive.
var never = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

type gateway struct {
	id      int64
	name    string
	baseURL string
	addr    string // host:port, as the client's error texts name it
	agentID int64
	node    int // the 3-digit node part of its serverIds
	created time.Time
	isNew   bool // inserted by this run (its audit entry is written)
	weight  int
}

type user struct {
	id      int64
	name    string
	role    string
	created time.Time
	isNew   bool
	addr    string // the address it signs in from
	agent   string
}

// sub is one subscription and the story of its life, from which every
// table's rows about it are derived.
type sub struct {
	id          int64
	gw          *gateway
	serverID    string
	state       domain.SubState
	reason      string
	created     time.Time
	by          *user // nil: the keep-alive re-registered it
	callback    string
	receiverKey string // its receiver key now ("" once a replacement took it over)
	pushKey     string // the receiver key its pushes came to
	token       bool
	sealed      []byte
	nlp         bool
	flow        string
	auto        bool
	replaces    *sub
	replacedBy  *sub

	end         time.Time // from when it is no longer kept alive without trouble (its final outage, or its cancel)
	lastSuccess time.Time // its last successful handshake (zero: none, for unknown)
	outage      time.Time // lapsed, degraded: the first failed handshake of the final outage
	lapsed      time.Time
	cancelled   time.Time
	cancelBy    *user
	failure     failure // lapsed, degraded: how the handshakes of the final outage fail

	// Written by the calls stream, read by the subscriptions and the audit
	// trail, which are written after it.
	registerCall, cancelCall int64
	registerDone, cancelDone time.Time
	registerRetcode          string
	hsFailed                 int64
	consecutive              int
	lastHandshake            time.Time
	recovered                time.Time // its last return from degraded to active
}

// keptAliveAt reports whether the keep-alive handshakes s at t, without the
// trouble of its final outage.
func (s *sub) keptAliveAt(t time.Time) bool {
	return s.state != domain.SubUnknown && !t.Before(s.created) && t.Before(s.end)
}

// world is everything the streams share: the span, the gateways, users,
// callback hosts and subscriptions, all small enough to keep in memory
// (the big tables are streamed from it).
type world struct {
	o        Options
	start    time.Time
	now      time.Time
	clock    *clock
	gws      []*gateway
	users    []*user // seeded users; operators and admins act, auditors only read
	actors   []*user // the users who register, modify and cancel
	hosts    []string
	subs     []*sub // by id, which is by creation time
	gwPick   []int  // gateway indexes, each repeated by its weight
	zipf     *rand.Zipf
	rng      *rand.Rand
	minCalls int64 // the history rows the plan needs: registers, outages, cancels
	// What retention keeps: failed handshakes from hsFrom, accepted
	// pushes from pushFrom, refused ones from refusedFrom (zero: all).
	hsFrom, pushFrom, refusedFrom time.Time
	shortened                     bool
	// seal seals a service token with the console's keys; the first
	// error is kept in sealErr.
	seal    func(token string) []byte
	sealErr error
}

// newWorld plans the subscriptions and everything around them. Ids are
// assigned later (gateways and users by the database, subscriptions from a
// reserved block): see assignSubIDs.
func newWorld(o Options, now time.Time) *world {
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 1))
	w := &world{o: o, now: now.Truncate(time.Microsecond), rng: rng}
	w.start = w.now.AddDate(0, -o.Months, 0)
	if keep := o.Keep[domain.RetainCalls]; keep > 0 && w.now.Add(-keep).After(w.start) {
		// Retention would delete the rest at its first run. A day or two
		// (a leap year's 366 days against 365d) is not worth a word.
		w.shortened = w.now.Add(-keep).Sub(w.start) > 2*24*time.Hour
		w.start = w.now.Add(-keep)
	}
	w.hsFrom = cutoff(w.now, o.Keep[domain.RetainFailedHandshakes])
	w.pushFrom = cutoff(w.now, o.Keep[domain.RetainNotifications])
	w.refusedFrom = w.now.Add(-refusedKept)
	if keep := o.Keep[domain.RetainRefusedPushes]; keep > 0 && keep < refusedKept {
		w.refusedFrom = w.now.Add(-keep)
	}
	w.clock = newClock(w.start, w.now)
	for i := range o.Gateways {
		g := &gateway{
			name:    fmt.Sprintf("%sgw-%02d", seededGatewayPrefix, i+1),
			addr:    fmt.Sprintf("192.0.2.%d:8043", 11+i%240),
			agentID: 100001 + int64(i)*11,
			node:    (101 + 37*i) % 1000,
			created: w.start.Add(-48 * time.Hour).Add(time.Duration(i) * 7 * time.Minute),
			weight:  max(1, o.Gateways-i), // the first gateways carry more subscriptions
		}
		g.baseURL = "https://" + g.addr
		w.gws = append(w.gws, g)
		for range g.weight {
			w.gwPick = append(w.gwPick, i)
		}
	}
	for i, name := range userNames {
		u := &user{name: seededUserPrefix + name, role: userRole(i),
			created: w.start.Add(-10 * 24 * time.Hour).Add(time.Duration(i) * 97 * time.Minute),
			addr:    fmt.Sprintf("10.%d.%d.%d", 40+i%3, 10+i, 20+rng.IntN(200)),
			agent:   userAgents[i%len(userAgents)]}
		w.users = append(w.users, u)
		if u.role != "auditor" {
			w.actors = append(w.actors, u)
		}
	}
	w.hosts = make([]string, o.Hosts)
	for i := range w.hosts {
		p, d := i%len(hostPrefixes), (i/len(hostPrefixes))%len(hostDomains)
		n := i / (len(hostPrefixes) * len(hostDomains))
		w.hosts[i] = fmt.Sprintf("https://%s-%02d.%s%s%s", hostPrefixes[p], n+1, hostDomains[d],
			callbackPorts[(i/7)%len(callbackPorts)], callbackPaths[(i/3)%len(callbackPaths)])
	}
	// A few hosts carry most subscriptions, as a few big tenants do.
	w.zipf = rand.NewZipf(rng, 1.2, 4, uint64(o.Hosts-1))
	w.planSubs()
	return w
}

// actor picks who does something by hand; the first users do most.
func (w *world) actor(rng *rand.Rand) *user {
	i := rng.IntN(len(w.actors))
	if rng.IntN(2) == 0 {
		i = rng.IntN(min(3, len(w.actors)))
	}
	return w.actors[i]
}

func (w *world) host(rng *rand.Rand) string {
	if rng.IntN(4) == 0 {
		return w.hosts[rng.IntN(len(w.hosts))]
	}
	return w.hosts[w.zipf.Uint64()]
}

// The states of the subscriptions at the end of the span, in shares.
var stateShares = []struct {
	state domain.SubState
	share float64
}{
	{domain.SubActive, 0.62}, {domain.SubCancelled, 0.18}, {domain.SubLapsed, 0.12},
	{domain.SubDegraded, 0.04}, {domain.SubUnknown, 0.04},
}

// stateCounts splits n subscriptions over the states; with five or more,
// every state has at least one.
func stateCounts(n int) map[domain.SubState]int {
	counts := map[domain.SubState]int{}
	if n < len(stateShares) {
		for i := range n {
			counts[stateShares[i].state]++
		}
		return counts
	}
	left := n
	for _, s := range stateShares[1:] {
		c := max(1, int(float64(n)*s.share))
		counts[s.state], left = c, left-c
	}
	counts[domain.SubActive] = left
	return counts
}

func (w *world) planSubs() {
	rng, now := w.rng, w.now
	states, counts := make([]domain.SubState, 0, w.o.Subscriptions), stateCounts(w.o.Subscriptions)
	for _, s := range stateShares {
		for range counts[s.state] {
			states = append(states, s.state)
		}
	}
	rng.Shuffle(len(states), func(i, j int) { states[i], states[j] = states[j], states[i] })
	for _, st := range states {
		s := &sub{state: st, gw: w.gws[w.gwPick[rng.IntN(len(w.gwPick))]], by: w.actor(rng), end: never,
			token: rng.IntN(10) < 7, nlp: rng.IntN(4) == 0, auto: rng.IntN(20) < 9}
		if s.nlp && rng.IntN(5) < 3 {
			s.flow = fmt.Sprintf("FAC%04d", rng.IntN(10000))
		}
		w.planLife(s)
		w.subs = append(w.subs, s)
	}
	w.planReplacements()
	slices.SortStableFunc(w.subs, func(a, b *sub) int { return a.created.Compare(b.created) })
	// Callbacks are drawn in creation order; a replacement takes over its
	// predecessor's. "receiver" stands for ccsub's own receiver, whose
	// address needs the key, drawn once the ids are known (assignSubIDs).
	receivers := 0
	for _, s := range w.subs {
		if s.replaces != nil {
			continue
		}
		if rng.IntN(10) < 3 {
			s.callback = "receiver"
			receivers++
		} else {
			s.callback = w.host(rng)
		}
	}
	// Pushes need somebody to push to: the first subscription kept alive
	// to the end receives them if chance made no receiver.
	if receivers == 0 && w.o.Notifications > 0 {
		for _, s := range w.subs {
			if s.state == domain.SubActive && s.replaces == nil {
				s.callback = "receiver"
				break
			}
		}
	}
	for _, s := range w.subs {
		switch s.state {
		case domain.SubLapsed:
			w.minCalls += int64(w.keptFailures(s.outage, s.lapsed)) + 2 // the failures, degraded, lapsed
			if s.replacedBy != nil {
				w.minCalls++ // "re-registered as serverId …"
			}
		case domain.SubDegraded:
			w.minCalls += int64(w.keptFailures(s.outage, now)) + 1
		case domain.SubCancelled:
			w.minCalls += 2 // the unregister and the state change
		}
		w.minCalls++ // its register
	}
}

// cutoff is when rows kept for keep start: zero for ever.
func cutoff(now time.Time, keep time.Duration) time.Time {
	if keep <= 0 {
		return time.Time{}
	}
	return now.Add(-keep)
}

// keptFailures is how many of an outage's failed handshakes (from until
// until) retention keeps.
func (w *world) keptFailures(from, until time.Time) int {
	n := 0
	for k := range outageFailures(from, until) {
		if !from.Add(time.Duration(k) * retryEvery).Before(w.hsFrom) {
			n++
		}
	}
	return n
}

// outageFailures is how many handshakes fail from the first failure of an
// outage at from until until: one every retryEvery.
func outageFailures(from, until time.Time) int {
	return int(until.Sub(from)/retryEvery) + 1
}

// planLife sets when s was created and what happened to it since.
func (w *world) planLife(s *sub) {
	rng, now, c := w.rng, w.now, w.clock
	switch s.state {
	case domain.SubActive:
		s.created = c.before(rng, now.Add(-15*time.Minute))
		s.lastSuccess = now.Add(-time.Duration(rng.Int64N(int64(handshakeEvery))))
		s.reason = "registered"
	case domain.SubDegraded:
		s.created = c.before(rng, now.Add(-30*time.Minute))
		// Its last success was more than one interval ago (the next
		// handshake failed) and less than five minutes ago (not lapsed).
		s.lastSuccess = now.Add(-handshakeEvery - 5*time.Second - time.Duration(rng.Int64N(int64(lapseAfter-handshakeEvery-20*time.Second))))
		s.outage = s.lastSuccess.Add(handshakeEvery)
		s.end = s.outage
		s.failure = handshakeFailure(rng, s.gw)
		s.reason = s.failure.reason()
	case domain.SubLapsed:
		s.created = c.before(rng, now.Add(-3*time.Hour))
		s.lapsed = between(rng, s.created.Add(time.Hour), now.Add(-40*time.Minute))
		s.lastSuccess = s.lapsed.Add(-lapseAfter)
		s.outage = s.lastSuccess.Add(handshakeEvery)
		s.end = s.outage
		s.failure = handshakeFailure(rng, s.gw)
		s.reason = "no successful handshake for " + lapseAfter.String() +
			" (the platform drops a subscription after that): " + s.failure.reason()
	case domain.SubCancelled:
		s.created = c.before(rng, now.Add(-3*time.Hour))
		s.cancelled = between(rng, s.created.Add(30*time.Minute), now.Add(-20*time.Minute))
		s.end = s.cancelled
		s.cancelBy = w.actor(rng)
		s.lastSuccess = s.cancelled.Add(-time.Duration(rng.Int64N(int64(handshakeEvery))))
		s.reason = "cancelled by " + s.cancelBy.name
	case domain.SubUnknown:
		s.created = c.before(rng, now.Add(-10*time.Minute))
		s.end = s.created
		s.reason = "the register got no answer; the gateway may have created it"
	}
}

// planReplacements lets the keep-alive re-register some of the lapsed
// subscriptions whose owners asked for it: an active subscription becomes
// the replacement, registered seconds after the lapse with the old one's
// settings (docs/gateway-contract.md §5).
func (w *world) planReplacements() {
	var free []*sub
	for _, s := range w.subs {
		if s.state == domain.SubActive {
			free = append(free, s)
		}
	}
	for _, old := range w.subs {
		if old.state != domain.SubLapsed || !old.auto || len(free) == 0 || w.rng.IntN(5) < 2 {
			continue
		}
		n := free[len(free)-1]
		free = free[:len(free)-1]
		n.created = old.lapsed.Add(time.Second + time.Duration(w.rng.Int64N(int64(20*time.Second))))
		n.by, n.gw, n.token, n.nlp, n.flow, n.auto = nil, old.gw, old.token, old.nlp, old.flow, old.auto
		n.replaces, old.replacedBy = old, n
	}
}

// assignSubIDs numbers the subscriptions from first, in creation order, and
// derives what depends on the id: serverIds (the simulator's format,
// internal/gatewaysim: "<yyyyMMddHHmmss>-<3-digit node>-<5-digit seq>"),
// receiver keys and service tokens. Keys and tokens come from a source
// seeded with the id, so a second load into the same database draws new
// ones while one load into a fresh database is reproducible.
func (w *world) assignSubIDs(first int64, publicURL string) {
	for i, s := range w.subs {
		s.id = first + int64(i)
		if s.state != domain.SubUnknown {
			s.serverID = fmt.Sprintf("%s-%03d-%05d", s.created.In(w.clock.zone).Format("20060102150405"), s.gw.node, s.id%100000)
		}
	}
	for _, s := range w.subs {
		rng := rand.New(rand.NewPCG(uint64(w.o.Seed), uint64(s.id)))
		if s.replaces != nil {
			s.callback, s.receiverKey, s.pushKey = s.replaces.callback, s.replaces.receiverKey, s.replaces.pushKey
			s.replaces.receiverKey = "" // the re-register claim takes the key over
			continue
		}
		if s.callback == "receiver" {
			s.receiverKey = randomText(rng, 18)
			s.pushKey = s.receiverKey
			s.callback = domain.ReceiverURL(publicURL, s.receiverKey)
		}
	}
}

// tokenOf is the service token a subscription was registered with (a
// replacement keeps its predecessor's); "" when it has none.
func (w *world) tokenOf(s *sub) string {
	for s.replaces != nil {
		s = s.replaces
	}
	if !s.token {
		return ""
	}
	return randomText(rand.New(rand.NewPCG(uint64(w.o.Seed)^0x7e57, uint64(s.id))), 24)
}

// randomText is n random bytes in unpadded base64url: what
// domain.NewReceiverKey makes, from a reproducible source.
func randomText(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// between is a uniformly random time in [a, b), or a when b is not after a.
func between(rng *rand.Rand, a, b time.Time) time.Time {
	if !b.After(a) {
		return a
	}
	return a.Add(time.Duration(rng.Int64N(int64(b.Sub(a))))).Truncate(time.Microsecond)
}

// clock spreads events over the span as a contact centre's working week
// does: busy on weekday working hours, quieter in the evening, at night
// and at weekends. It maps a fraction of all activity to the time by which
// that fraction has happened, and back.
type clock struct {
	start time.Time
	end   time.Time
	zone  *time.Location
	cum   []float64 // cum[i]: the activity before hour i
}

func newClock(start, end time.Time) *clock {
	zone := time.FixedZone("UTC+1", 3600)
	hours := int(end.Sub(start)/time.Hour) + 1
	c := &clock{start: start, end: end, zone: zone, cum: make([]float64, hours+1)}
	for i := range hours {
		c.cum[i+1] = c.cum[i] + hourWeight(start.Add(time.Duration(i)*time.Hour).In(zone))
	}
	return c
}

func hourWeight(t time.Time) float64 {
	weekend := t.Weekday() == time.Saturday || t.Weekday() == time.Sunday
	h := t.Hour()
	switch {
	case h >= 8 && h < 18 && !weekend:
		return 1
	case h >= 7 && h < 21 && !weekend:
		return 0.45
	case h >= 8 && h < 18:
		return 0.3
	}
	return 0.12
}

// at is the time by which the fraction f (0 ≤ f ≤ 1) of the activity has
// happened.
func (c *clock) at(f float64) time.Time {
	total := c.cum[len(c.cum)-1]
	target := f * total
	i := sort.SearchFloat64s(c.cum, target) - 1
	i = min(max(i, 0), len(c.cum)-2)
	w := c.cum[i+1] - c.cum[i]
	frac := 0.0
	if w > 0 {
		frac = math.Min(1, math.Max(0, (target-c.cum[i])/w))
	}
	t := c.start.Add(time.Duration(i)*time.Hour + time.Duration(frac*float64(time.Hour)))
	if t.After(c.end) {
		t = c.end
	}
	return t.Truncate(time.Microsecond)
}

// fraction is the share of the activity that happened before t.
func (c *clock) fraction(t time.Time) float64 {
	if !t.After(c.start) {
		return 0
	}
	if !t.Before(c.end) {
		return 1
	}
	d := t.Sub(c.start)
	i := int(d / time.Hour)
	frac := float64(d%time.Hour) / float64(time.Hour)
	return (c.cum[i] + frac*(c.cum[i+1]-c.cum[i])) / c.cum[len(c.cum)-1]
}

// before is a random time before t, spread like the activity.
func (c *clock) before(rng *rand.Rand, t time.Time) time.Time {
	return c.at(rng.Float64() * c.fraction(t))
}

// sortByTime orders values by a time they carry.
func sortByTime[T any](xs []T, at func(T) time.Time) {
	slices.SortStableFunc(xs, func(a, b T) int { return cmp.Compare(at(a).UnixNano(), at(b).UnixNano()) })
}

// walker picks, as time moves forward, a random subscription for which
// keep holds at that time. Subscriptions join when created; one found not
// to hold any more is dropped for good, so keep must stay false once false.
type walker struct {
	subs  []*sub
	keep  func(*sub, time.Time) bool
	rng   *rand.Rand
	next  int
	alive []*sub
	last  *sub // the newest subscription that joined
}

func (k *walker) at(t time.Time) *sub {
	for k.next < len(k.subs) && !k.subs[k.next].created.After(t) {
		k.last = k.subs[k.next]
		k.alive = append(k.alive, k.last)
		k.next++
	}
	for len(k.alive) > 0 {
		i := k.rng.IntN(len(k.alive))
		if s := k.alive[i]; k.keep(s, t) {
			return s
		}
		k.alive[i] = k.alive[len(k.alive)-1]
		k.alive = k.alive[:len(k.alive)-1]
	}
	return nil
}
