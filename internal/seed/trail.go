package seed

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/store"
)

var auditColumns = []string{"at", "actor", "source_addr", "user_agent", "action", "target_type", "target_id",
	"target_name", "outcome", "diff", "prev_hash", "hash"}

// Markers of secrets in diffs (internal/audit: SecretChanged, SecretRevealed).
const (
	secretChanged  = "[secret changed]"
	secretRevealed = "[secret revealed]"
)

// trailGen streams the audit trail in time order, each entry chained to
// the one before with the store's own hashing (store.AuditDiff and
// store.AuditHash), starting from the chain's head: the entries of what
// the plan did by hand (users and gateways created, subscriptions
// registered and cancelled, linked to their calls), and between them what
// people do every day (sign-ins and -outs, exports, reveals, modifies,
// policies, connection tests, user changes).
type trailGen struct {
	w       *world
	rng     *rand.Rand
	life    []domain.AuditEntry
	li      int
	filler  int64
	fDone   int64
	prev    []byte
	alive   walker
	vals    []any
	err     error
	actions map[domain.AuditAction]int64
	done    int64
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

func newTrailGen(w *world, head []byte, total int64, newUsers []*user, newGws []*gateway) (*trailGen, error) {
	g := &trailGen{w: w, rng: rand.New(rand.NewPCG(uint64(w.o.Seed), 4)), prev: head,
		vals: make([]any, len(auditColumns)), actions: map[domain.AuditAction]int64{}}
	g.alive = walker{subs: w.subs, rng: g.rng, keep: (*sub).keptAliveAt}
	for _, u := range newUsers {
		g.life = append(g.life, domain.AuditEntry{At: u.created, Actor: "cli:root", SourceAddr: "local",
			Action: domain.AuditUserCreate, TargetType: domain.TargetUser, TargetID: id(u.id), TargetName: u.name,
			Diff: map[string]domain.FieldChange{"role": {After: u.role}, "disabled": {After: false}, "password": {After: secretChanged}}})
	}
	admin := w.users[0]
	for _, gw := range newGws {
		g.life = append(g.life, g.by(admin, domain.AuditEntry{At: gw.created, Action: domain.AuditGatewayCreate,
			TargetType: domain.TargetGateway, TargetID: id(gw.id), TargetName: gw.name,
			Diff: map[string]domain.FieldChange{"name": {After: gw.name}, "baseUrl": {After: gw.baseURL},
				"agentId": {After: gw.agentID}, "caFingerprint": {After: "system roots"}, "password": {After: secretChanged}}}))
	}
	for _, s := range w.subs {
		if s.by != nil {
			g.life = append(g.life, g.registered(s))
		}
		if s.state == domain.SubCancelled {
			g.life = append(g.life, g.by(s.cancelBy, domain.AuditEntry{At: s.cancelDone.Add(time.Millisecond),
				Action: domain.AuditSubCancel, TargetType: domain.TargetSubscription, TargetID: id(s.id), TargetName: s.serverID,
				Outcome: string(domain.OutcomeSuccess), Diff: map[string]domain.FieldChange{
					"state":  {Before: string(domain.SubActive), After: string(domain.SubCancelled)},
					"callId": {After: s.cancelCall}, "retcode": {After: "0"}}}))
		}
	}
	sortByTime(g.life, func(e domain.AuditEntry) time.Time { return e.At })
	if total < int64(len(g.life)) {
		return nil, fmt.Errorf("--audit %d is too few: the users, gateways and subscriptions seeded need %d entries "+
			"(one per user and gateway created, subscription registered by hand and cancel); raise --audit, or pass --audit 0 for no audit trail",
			total, len(g.life))
	}
	g.filler = total - int64(len(g.life))
	return g, nil
}

// by stamps who did something by hand, and from where.
func (g *trailGen) by(u *user, e domain.AuditEntry) domain.AuditEntry {
	e.Actor, e.SourceAddr, e.UserAgent = u.name, u.addr, u.agent
	if e.Outcome == "" {
		e.Outcome = "success"
	}
	return e
}

// registered is subscribe's entry of a register (subscribe/entries.go).
func (g *trailGen) registered(s *sub) domain.AuditEntry {
	outcome := domain.OutcomeSuccess
	if s.state == domain.SubUnknown {
		outcome = domain.OutcomeUnknown
	}
	d := map[string]domain.FieldChange{
		"callbackUri": {After: s.callback}, "nlpFlag": {After: s.nlp}, "flowAccessCode": {After: s.flow},
		"ccsubReceiver": {After: s.pushKey != ""}, "gateway": {After: s.gw.name}, "subscribeType": {After: "1"},
		"autoReregister": {After: s.auto}, "callId": {After: s.registerCall},
	}
	if s.serverID != "" {
		d["serverId"] = domain.FieldChange{After: s.serverID}
	}
	if s.sealed != nil {
		d["serviceToken"] = domain.FieldChange{After: secretChanged}
	}
	if s.registerRetcode != "" {
		d["retcode"] = domain.FieldChange{After: s.registerRetcode}
	}
	return g.by(s.by, domain.AuditEntry{At: s.registerDone.Add(time.Millisecond), Action: domain.AuditSubRegister,
		TargetType: domain.TargetSubscription, TargetID: id(s.id), TargetName: s.serverID, Outcome: string(outcome), Diff: d})
}

func (g *trailGen) Fill(r *store.CopyRow) bool {
	if !g.next() {
		return false
	}
	writeValues(r, g.vals)
	return true
}

// next makes the next entry in g.vals.
func (g *trailGen) next() bool {
	if g.err != nil {
		return false
	}
	tLife, tFill := never, never
	if g.li < len(g.life) {
		tLife = g.life[g.li].At
	}
	if g.fDone < g.filler {
		tFill = g.w.clock.at((float64(g.fDone) + 0.5) / float64(g.filler))
	}
	var e domain.AuditEntry
	switch {
	case g.li < len(g.life) && !tLife.After(tFill):
		e = g.life[g.li]
		g.life[g.li] = domain.AuditEntry{} // done with it
		g.li++
	case g.fDone < g.filler:
		e = g.daily(tFill)
		g.fDone++
	default:
		return false
	}
	e.At = e.At.Truncate(time.Microsecond)
	diff, err := store.AuditDiff(e.Diff)
	if err != nil {
		g.err = fmt.Errorf("seed: audit diff of %s: %w", e.Action, err)
		return false
	}
	hash := store.AuditHash(g.prev, e.At, e, diff)
	v := g.vals
	v[0], v[1], v[2], v[3], v[4], v[5] = e.At, e.Actor, e.SourceAddr, e.UserAgent, string(e.Action), e.TargetType
	v[6], v[7], v[8], v[9], v[10], v[11] = e.TargetID, e.TargetName, e.Outcome, diff, g.prev, hash
	g.prev = hash
	g.actions[e.Action]++
	g.done++
	return true
}

// daily is an entry of what people do every day, at t.
func (g *trailGen) daily(t time.Time) domain.AuditEntry {
	rng, w := g.rng, g.w
	u := w.users[rng.IntN(len(w.users))]
	self := domain.AuditEntry{At: t, TargetType: domain.TargetUser, TargetID: id(u.id), TargetName: u.name}
	p := rng.IntN(100)
	var s *sub
	if p >= 72 && p < 92 {
		if s = g.alive.at(t); s == nil {
			p = 0 // nobody to act on yet: a sign-in
		}
	}
	switch {
	case p < 44:
		self.Action = domain.AuditLogin
		return g.by(u, self)
	case p < 58:
		self.Action = domain.AuditLogout
		return g.by(u, self)
	case p < 64:
		typed := u.name
		if rng.IntN(3) == 0 {
			typed = u.name[:len(u.name)-1] // a typo
		}
		e := g.by(u, domain.AuditEntry{At: t, Action: domain.AuditLoginFailed, Outcome: "failure",
			Diff: map[string]domain.FieldChange{"reason": {After: loginRefusals[rng.IntN(len(loginRefusals))]}}})
		e.Actor = typed
		return e
	case p < 72:
		target, filter, value := domain.TargetHistory, "outcome", "rejected"
		switch rng.IntN(4) {
		case 0:
			target, filter, value = domain.TargetAudit, "action", string(domain.AuditSubRegister)
		case 1:
			filter, value = "retcode", "107-032"
		case 2:
			filter, value = "gateway", id(w.gws[rng.IntN(len(w.gws))].id)
		}
		format := "csv"
		if rng.IntN(3) == 0 {
			format = "json"
		}
		return g.by(u, domain.AuditEntry{At: t, Action: domain.AuditExport, TargetType: target, TargetName: target + "." + format,
			Diff: map[string]domain.FieldChange{"format": {After: format}, "filter." + filter: {After: value}}})
	case p < 76 && s.sealed != nil:
		return g.by(w.actor(rng), domain.AuditEntry{At: t, Action: domain.AuditSecretReveal, TargetType: domain.TargetSubscription,
			TargetID: id(s.id), TargetName: s.serverID, Diff: map[string]domain.FieldChange{"serviceToken": {After: secretRevealed}}})
	case p < 80:
		return g.by(w.actor(rng), domain.AuditEntry{At: t, Action: domain.AuditSubPolicy, TargetType: domain.TargetSubscription,
			TargetID: id(s.id), TargetName: s.serverID, Diff: map[string]domain.FieldChange{"autoReregister": {Before: !s.auto, After: s.auto}}})
	case p < 92:
		d := map[string]domain.FieldChange{"nlpFlag": {Before: !s.nlp, After: s.nlp}}
		if rng.IntN(2) == 0 {
			d = map[string]domain.FieldChange{"callbackUri": {Before: w.host(rng), After: s.callback}}
		}
		return g.by(w.actor(rng), domain.AuditEntry{At: t, Action: domain.AuditSubModify, TargetType: domain.TargetSubscription,
			TargetID: id(s.id), TargetName: s.serverID, Outcome: string(domain.OutcomeSuccess), Diff: d})
	case p < 98:
		gw := w.gws[rng.IntN(len(w.gws))]
		outcome := domain.OutcomeSuccess
		if rng.IntN(8) == 0 {
			outcome = domain.OutcomeFailed
		}
		return g.by(w.actor(rng), domain.AuditEntry{At: t, Action: domain.AuditGatewayTest, TargetType: domain.TargetGateway,
			TargetID: id(gw.id), TargetName: gw.name, Outcome: string(outcome)})
	default:
		admin := w.users[rng.IntN(2)]
		d := map[string]domain.FieldChange{"password": {After: secretChanged}}
		if rng.IntN(3) == 0 {
			d = map[string]domain.FieldChange{"disabled": {Before: false, After: true}}
		}
		self.Action, self.Diff = domain.AuditUserUpdate, d
		return g.by(admin, self)
	}
}

func (g *trailGen) Err() error { return g.err }
