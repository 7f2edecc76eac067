package seed

import (
	"container/heap"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/store"
)

// callColumns are the columns of calls the seeder writes, in the order
// callGen.Values gives them.
var callColumns = []string{"id", "started_at", "finished_at", "duration_us", "gateway_id", "gateway_name", "actor",
	"operation", "outcome", "http_status", "retcode", "message", "server_id", "callback_uri", "subscribe_type",
	"nlp_flag", "flow_access_code", "token_present", "token_sealed", "request_body", "response_body", "error",
	"attempts", "subscription_id", "refused_by_ccsub"}

// call is one row of the history before it has its id.
type call struct {
	at       time.Time
	dur      time.Duration
	gw       *gateway
	actor    string
	op       domain.Operation
	outcome  domain.Outcome
	http     int32
	retcode  string
	message  string
	serverID string
	callback string
	subType  string
	nlp      bool
	flow     string
	token    bool
	sealed   []byte
	request  string
	response string
	err      string
	attempts int32
	sub      *sub
	refused  bool
	mark     int // markRegister, markCancel: the subscription learns the call's id
	seq      int64
}

const (
	markNone = iota
	markRegister
	markCancel
)

// failure is how a gateway call went wrong: the fields of its row.
type failure struct {
	outcome  domain.Outcome
	http     int32
	retcode  string
	message  string
	err      string
	response string
	dur      time.Duration
	attempts int32
	refused  bool
}

// reason is keepalive.failReason's wording of a failed handshake, without
// the meaning of a known retcode (the seeder does not read the catalogs).
func (f failure) reason() string {
	switch {
	case f.retcode != "":
		return fmt.Sprintf("handshake %s: %s %s", f.outcome, f.retcode, f.message)
	case f.err != "":
		return fmt.Sprintf("handshake %s: %s", f.outcome, f.err)
	}
	return fmt.Sprintf("handshake %s (HTTP %d)", f.outcome, f.http)
}

func (f failure) apply(c *call) {
	c.outcome, c.http, c.retcode, c.message, c.err = f.outcome, f.http, f.retcode, f.message, f.err
	c.response, c.dur, c.attempts, c.refused = f.response, f.dur, f.attempts, f.refused
}

// logNormal is a duration around median, spread by sigma (durations of
// network calls are log-normal, with a long tail).
func logNormal(rng *rand.Rand, median time.Duration, sigma float64) time.Duration {
	return time.Duration(float64(median) * math.Exp(sigma*rng.NormFloat64())).Truncate(time.Microsecond)
}

func answer(retcode, message string) string {
	return `{"retcode":"` + retcode + `","message":"` + message + `"}`
}

// rejected is a business refusal: HTTP 200 and a retcode.
func rejected(rng *rand.Rand, retcode, message string) failure {
	return failure{outcome: domain.OutcomeRejected, http: 200, retcode: retcode, message: message,
		response: answer(retcode, message), dur: logNormal(rng, 60*time.Millisecond, 0.6), attempts: 1}
}

// The transport failures, worded as internal/gateway/classify.go words them.
func refusedConn(rng *rand.Rand, gw *gateway) failure {
	return failure{outcome: domain.OutcomeFailed, err: "could not connect to " + gw.addr + ": connection refused",
		dur: logNormal(rng, 2*time.Millisecond, 0.5), attempts: 1}
}

func connectTimeout(gw *gateway) failure {
	return failure{outcome: domain.OutcomeFailed, dur: 5 * time.Second, attempts: 1,
		err: "could not connect to " + gw.addr + " within 5s (no TCP or TLS handshake)"}
}

func noAnswer() failure {
	return failure{outcome: domain.OutcomeUnknown, dur: 15 * time.Second, attempts: 1,
		err: "no answer within 15s after the request was sent; the gateway may have acted on it"}
}

func badGateway(rng *rand.Rand) failure {
	return failure{outcome: domain.OutcomeUnknown, http: 502, dur: logNormal(rng, 30*time.Millisecond, 0.8), attempts: 1,
		err:      "the gateway answered HTTP 502 after the request arrived; it may have acted on it",
		response: "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"}
}

func outsideNetworks(gw *gateway) failure {
	ip := gw.addr[:len(gw.addr)-len(":8043")]
	return failure{outcome: domain.OutcomeFailed, attempts: 0, refused: true, dur: 200 * time.Microsecond,
		err: "refused to connect to " + ip + ": the address is not in the gateway networks " +
			"(CCSUB_GATEWAY_NETWORKS=10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,127.0.0.0/8,fc00::/7,::1/128); nothing was sent. " +
			"If this really is a gateway, add its network to CCSUB_GATEWAY_NETWORKS"}
}

// handshakeFailure is a failed handshake, in the mix a deployment sees:
// mostly 107-032, then unreachable gateways and unanswered requests.
func handshakeFailure(rng *rand.Rand, gw *gateway) failure {
	switch p := rng.IntN(100); {
	case p < 55:
		return rejected(rng, "107-032", "handshake failed")
	case p < 75:
		return refusedConn(rng, gw)
	case p < 83:
		return connectTimeout(gw)
	case p < 93:
		return noAnswer()
	default:
		return badGateway(rng)
	}
}

// The request bodies, exactly as internal/gateway's builders write their
// redacted twins (a test compares them).
func registerBody(callback string, nlp bool, flow string, token bool) string {
	b := make([]byte, 0, 96+len(callback))
	b = append(b, `{"subscribeType":"1",`...)
	if token {
		b = append(b, `"serviceToken":"[redacted]",`...)
	}
	b = append(b, `"serviceCallBackUri":"`...)
	b = append(b, callback...)
	b = append(b, `","nlpFlag":`...)
	b = strconv.AppendBool(b, nlp)
	if flow != "" {
		b = append(b, `,"flowAccessCode":"`...)
		b = append(b, flow...)
		b = append(b, '"')
	}
	return string(append(b, '}'))
}

func modifyBody(callback string, nlp bool, flow string) string {
	b := `{"serviceCallBackUri":"` + callback + `","nlpFlag":` + strconv.FormatBool(nlp)
	if flow != "" {
		b += `,"flowAccessCode":"` + flow + `"`
	}
	return b + "}"
}

func unregisterBody(serverID string) string { return `{"serverId":"` + serverID + `"}` }

func loginBody(agentID int64) string {
	return `{"agentId":` + strconv.FormatInt(agentID, 10) + `,"password":"[redacted]"}`
}

const (
	okAnswer    = `{"retcode":"0","message":"success"}`
	loginAnswer = `{"retcode":"0","message":"success","result":{"guid":"[redacted]"}}`
)

// life events: what happens to a subscription at a planned time.
const (
	evRegister = iota
	evOutage
	evCancel
)

type lifeEvent struct {
	at   time.Time
	s    *sub
	kind int
}

// callGen streams the history in time order (ids follow): each
// subscription's register, outages and cancel as planned, and between them
// the traffic of a deployment (handshakes failing and recovering, modifies,
// refused registers, failed cancels, connection tests), as a
// store.RowSource.
type callGen struct {
	w        *world
	rng      *rand.Rand
	total    int64
	firstID  int64
	emitted  int64
	traffic  int64 // rows left to the traffic once the planned ones are counted
	tDone    int64
	life     []lifeEvent
	li       int
	pending  callHeap
	seq      int64
	alive    walker
	cur      *call
	free     []*call
	byHand   []float64 // cumulative expected counts: refused registers, modifies, failed cancels, tests
	pByHand  float64   // the chance that a traffic event is done by hand
	outcomes map[domain.Outcome]int64
	ops      map[domain.Operation]int64
}

func newCallGen(w *world, firstID int64) *callGen {
	g := &callGen{w: w, rng: rand.New(rand.NewPCG(uint64(w.o.Seed), 2)), total: int64(w.o.Calls), firstID: firstID,
		traffic:  int64(w.o.Calls) - w.minCalls,
		outcomes: map[domain.Outcome]int64{}, ops: map[domain.Operation]int64{}}
	for _, s := range w.subs {
		g.life = append(g.life, lifeEvent{s.created, s, evRegister})
		switch s.state {
		case domain.SubLapsed, domain.SubDegraded:
			g.life = append(g.life, lifeEvent{s.outage, s, evOutage})
		case domain.SubCancelled:
			g.life = append(g.life, lifeEvent{s.cancelled, s, evCancel})
		}
	}
	sortByTime(g.life, func(e lifeEvent) time.Time { return e.at })
	g.alive = walker{subs: w.subs, rng: g.rng, keep: (*sub).keptAliveAt}
	g.planTraffic()
	return g
}

func (g *callGen) newCall(at time.Time, gw *gateway, actor string, op domain.Operation) *call {
	var c *call
	if n := len(g.free); n > 0 {
		c, g.free = g.free[n-1], g.free[:n-1]
		*c = call{}
	} else {
		c = &call{}
	}
	c.at, c.gw, c.actor, c.op, c.attempts = at, gw, actor, op, 1
	return c
}

// forSub fills what a call about s carries.
func (c *call) forSub(s *sub) *call {
	c.sub, c.serverID, c.callback, c.subType = s, s.serverID, s.callback, "1"
	c.token = s.sealed != nil
	return c
}

func (g *callGen) push(c *call) {
	if c.at.After(g.w.now) {
		c.at = g.w.now
	}
	if end := c.at.Add(c.dur); end.After(g.w.now) {
		c.dur = g.w.now.Sub(c.at)
	}
	g.seq++
	c.seq = g.seq
	heap.Push(&g.pending, c)
}

// Fill writes the next row.
func (g *callGen) Fill(r *store.CopyRow) bool {
	if g.cur != nil {
		g.free = append(g.free, g.cur)
		g.cur = nil
	}
	if g.emitted >= g.total {
		return false
	}
	for {
		tLife, tTraffic := never, never
		if g.li < len(g.life) {
			tLife = g.life[g.li].at
		}
		if g.tDone < g.traffic {
			tTraffic = g.w.clock.at((float64(g.tDone) + 0.5) / float64(g.traffic))
		}
		if len(g.pending) > 0 && !g.pending[0].at.After(tLife) && !g.pending[0].at.After(tTraffic) {
			g.cur = heap.Pop(&g.pending).(*call)
			g.emit(g.cur, r)
			return true
		}
		switch {
		case g.li < len(g.life) && !tLife.After(tTraffic):
			g.lifeRows(g.life[g.li])
			g.li++
		case g.tDone < g.traffic:
			g.tDone += g.trafficRows(tTraffic, g.traffic-g.tDone)
		default:
			return false // nothing left: the plan and the count disagree (a bug)
		}
	}
}

func (g *callGen) emit(c *call, r *store.CopyRow) {
	id := g.firstID + g.emitted
	g.emitted++
	g.outcomes[c.outcome]++
	g.ops[c.op]++
	switch c.mark {
	case markRegister:
		c.sub.registerCall, c.sub.registerRetcode = id, c.retcode
	case markCancel:
		c.sub.cancelCall = id
	}
	r.Int64(id)
	r.Time(c.at)
	r.Time(c.at.Add(c.dur))
	r.Int64(c.dur.Microseconds())
	r.Int64(c.gw.id)
	r.Text(c.gw.name)
	r.Text(c.actor)
	r.Text(string(c.op))
	r.Text(string(c.outcome))
	r.Int32(c.http)
	r.Text(c.retcode)
	r.Text(c.message)
	r.Text(c.serverID)
	r.Text(c.callback)
	r.Text(c.subType)
	r.Bool(c.nlp)
	r.Text(c.flow)
	r.Bool(c.token)
	r.Bytes(c.sealed)
	r.Text(c.request)
	r.Text(c.response)
	r.Text(c.err)
	r.Int32(c.attempts)
	if c.sub != nil {
		r.Int64(c.sub.id)
	} else {
		r.Null()
	}
	r.Bool(c.refused)
}

// Err is nil: generating cannot fail.
func (g *callGen) Err() error { return nil }

// stateChange is the history row the store writes with a state change
// (store.insertStateChange and the keep-alive's statements).
func (g *callGen) stateChange(at time.Time, s *sub, actor, message string) *call {
	c := g.newCall(at, s.gw, actor, domain.OpStateChange).forSub(s)
	c.outcome, c.message, c.subType, c.token, c.attempts = domain.OutcomeSuccess, message, "", false, 0
	return c
}

// handshake is a failed handshake row as the keep-alive records it.
func (g *callGen) handshake(at time.Time, s *sub, f failure) *call {
	c := g.newCall(at, s.gw, keepAliveActor, domain.OpHandshake).forSub(s)
	f.apply(c)
	return c
}

// lifeRows pushes the rows of a planned event.
func (g *callGen) lifeRows(e lifeEvent) {
	s, rng := e.s, g.rng
	switch e.kind {
	case evRegister:
		actor := keepAliveActor
		if s.by != nil {
			actor = s.by.name
		}
		c := g.newCall(e.at, s.gw, actor, domain.OpRegister).forSub(s)
		c.nlp, c.flow, c.sealed, c.mark = s.nlp, s.flow, s.sealed, markRegister
		c.request = registerBody(s.callback, s.nlp, s.flow, c.token)
		if s.state == domain.SubUnknown {
			f := noAnswer()
			if rng.IntN(3) == 0 {
				f = rejected(rng, "107-029", "request timeout")
				f.outcome, f.err = domain.OutcomeUnknown, "the gateway answered 107-029 (its own request timeout): the platform may have acted on the request"
			}
			f.apply(c)
		} else {
			c.outcome, c.http, c.retcode, c.message = domain.OutcomeSuccess, 200, "0", "success"
			c.response = `{"retcode":"0","message":"success","result":{"serverId":"` + s.serverID + `"}}`
			c.dur = logNormal(rng, 180*time.Millisecond, 0.5)
			if rng.IntN(12) == 0 { // the cached Guid had expired: a new login and one retry
				c.attempts, c.dur = 2, c.dur*2
			}
		}
		s.registerDone = c.at.Add(c.dur)
		g.push(c)
		if old := s.replaces; old != nil {
			g.push(g.stateChange(s.registerDone.Add(time.Millisecond), old, keepAliveActor,
				"lapsed: re-registered as serverId "+s.serverID))
		}
	case evOutage:
		until := g.w.now
		if s.state == domain.SubLapsed {
			until = s.lapsed
		}
		n := outageFailures(s.outage, until)
		for k := range n {
			at := s.outage.Add(time.Duration(k) * retryEvery)
			if !at.Before(g.w.hsFrom) { // older ones retention has deleted
				g.push(g.handshake(at, s, s.failure))
			}
			s.lastHandshake = at
			if k == 0 {
				g.push(g.stateChange(at.Add(s.failure.dur+time.Millisecond), s, keepAliveActor, "active → degraded: "+s.failure.reason()))
			}
		}
		s.hsFailed += int64(n)
		s.consecutive = n
		if s.state == domain.SubLapsed {
			g.push(g.stateChange(s.lapsed.Add(s.failure.dur+2*time.Millisecond), s, keepAliveActor, "degraded → lapsed: "+s.reason))
		}
	case evCancel:
		c := g.newCall(e.at, s.gw, s.cancelBy.name, domain.OpUnregister).forSub(s)
		c.outcome, c.http, c.retcode, c.message, c.response = domain.OutcomeSuccess, 200, "0", "success", okAnswer
		c.request, c.dur, c.mark = unregisterBody(s.serverID), logNormal(rng, 120*time.Millisecond, 0.5), markCancel
		s.cancelDone = c.at.Add(c.dur)
		g.push(c)
		g.push(g.stateChange(s.cancelDone.Add(time.Millisecond), s, s.cancelBy.name, "active → cancelled: "+s.reason))
	}
}

// What people and the console do by hand, per subscription over its life
// (refused registers, modifies, failed cancels) and per gateway and day
// (connection tests). The keep-alive's outages fill the rest of the
// history: successful handshakes are not history rows, so a big history is
// mostly failed handshakes and the state changes they cause.
const (
	refusedRegistersPerSub = 0.25
	modifiesPerSub         = 2
	failedCancelsPerSub    = 0.15
	testsPerGatewayDay     = 1.5
	maxByHandShare         = 0.5 // of the traffic at most
	rowsPerOutage          = 3.7 // on average (one or two failures, two state changes; whole-gateway outages more)
)

// planTraffic sets the chance that a traffic event is done by hand, and
// how the events by hand divide, from the expected counts above.
func (g *callGen) planTraffic() {
	w := g.w
	days := w.now.Sub(w.start).Hours() / 24
	subs := float64(len(w.subs))
	g.byHand = []float64{refusedRegistersPerSub * subs, modifiesPerSub * subs, failedCancelsPerSub * subs,
		testsPerGatewayDay * float64(len(w.gws)) * days}
	total := 0.0
	for _, x := range g.byHand {
		total += x
	}
	if limit := maxByHandShare * float64(g.traffic); total > limit {
		for i := range g.byHand {
			g.byHand[i] *= limit / total
		}
		total = limit
	}
	if g.traffic > 0 {
		g.pByHand = total / (total + (float64(g.traffic)-total)/rowsPerOutage)
	}
	for i := 1; i < len(g.byHand); i++ {
		g.byHand[i] += g.byHand[i-1] // cumulative, for picking
	}
}

// trafficRows pushes the rows of one traffic event at t, at most budget of
// them, and returns how many.
func (g *callGen) trafficRows(t time.Time, budget int64) int64 {
	rng := g.rng
	s := g.alive.at(t)
	for try := 0; s != nil && !g.calm(s, t) && try < 5; try++ {
		s = g.alive.at(t)
	}
	if s != nil && g.calm(s, t) && budget >= 4 && rng.Float64() >= g.pByHand {
		if rng.IntN(100) < 1 {
			return g.gatewayOutage(t, s, budget)
		}
		return g.episode(t, s, 1+rng.IntN(6)/5, handshakeFailure(rng, s.gw)) // mostly one failure, sometimes two
	}
	x := rng.Float64() * g.byHand[len(g.byHand)-1]
	switch {
	case x < g.byHand[0]:
		g.push(g.registerRefused(t))
	case s == nil && x < g.byHand[2]:
		g.push(g.login(t)) // nobody to act on yet
	case x < g.byHand[1]:
		g.push(g.modify(t, s))
	case x < g.byHand[2]:
		g.push(g.unregisterFailed(t, s))
	default:
		g.push(g.login(t))
	}
	return 1
}

// calm reports whether s can have an outage starting at t: it is kept
// alive long enough after t, and not in the middle of another.
func (g *callGen) calm(s *sub, t time.Time) bool {
	return !t.Before(s.recovered) && t.Add(10*time.Minute).Before(s.end) && t.Add(10*time.Minute).Before(g.w.now)
}

// gatewayOutage is a gateway going away for a few minutes: the handshakes
// of many of its subscriptions fail the same way within seconds, and they
// all come back together.
func (g *callGen) gatewayOutage(t time.Time, first *sub, budget int64) int64 {
	rng, gw := g.rng, first.gw
	f := refusedConn(rng, gw)
	if rng.IntN(3) == 0 {
		f = connectTimeout(gw)
	}
	failures := 1 + rng.IntN(3)
	seen := map[*sub]bool{}
	rows := int64(0)
	for try := 0; try < 40 && budget-rows >= int64(failures)+2 && len(seen) < 15; try++ {
		s := first
		if try > 0 {
			s = g.alive.at(t)
		}
		if s == nil || s.gw != gw || seen[s] || !g.calm(s, t) {
			continue
		}
		seen[s] = true
		at := t.Add(time.Duration(rng.Int64N(int64(2 * time.Minute)))) // each at its own turn
		rows += g.episode(at, s, failures, f)
	}
	return rows
}

// episode is a subscription's short outage: failed handshakes 15 s apart,
// the move to degraded, and the move back to active at the next success.
func (g *callGen) episode(t time.Time, s *sub, failures int, f failure) int64 {
	rows := int64(2)
	for k := range failures {
		if at := t.Add(time.Duration(k) * retryEvery); !at.Before(g.w.hsFrom) { // older ones retention has deleted
			g.push(g.handshake(at, s, f))
			rows++
		}
		if k == 0 {
			g.push(g.stateChange(t.Add(f.dur+time.Millisecond), s, keepAliveActor, "active → degraded: "+f.reason()))
		}
	}
	back := t.Add(time.Duration(failures)*retryEvery + logNormal(g.rng, 40*time.Millisecond, 0.5))
	g.push(g.stateChange(back, s, keepAliveActor, "degraded → active: handshake succeeded"))
	s.hsFailed += int64(failures)
	s.recovered = later(s.recovered, back)
	return rows
}

func (g *callGen) modify(t time.Time, s *sub) *call {
	rng := g.rng
	c := g.newCall(t, s.gw, g.w.actor(rng).name, domain.OpModify).forSub(s)
	c.nlp, c.flow = s.nlp, s.flow
	c.request = modifyBody(s.callback, s.nlp, s.flow)
	switch p := rng.IntN(100); {
	case p < 88:
		c.outcome, c.http, c.retcode, c.message, c.response = domain.OutcomeSuccess, 200, "0", "success", okAnswer
		c.dur = logNormal(rng, 150*time.Millisecond, 0.5)
	case p < 95:
		rejected(rng, "107-002", "no active subscription with this serverId").apply(c)
	case p < 98:
		refusedConn(rng, s.gw).apply(c)
	default:
		badGateway(rng).apply(c)
	}
	return c
}

func (g *callGen) unregisterFailed(t time.Time, s *sub) *call {
	rng := g.rng
	c := g.newCall(t, s.gw, g.w.actor(rng).name, domain.OpUnregister).forSub(s)
	c.request = unregisterBody(s.serverID)
	switch p := rng.IntN(100); {
	case p < 35:
		rejected(rng, "107-031", "cancelling the subscription failed: no active subscription with this serverId").apply(c)
	case p < 75:
		refusedConn(rng, s.gw).apply(c)
	case p < 90:
		noAnswer().apply(c)
	default:
		badGateway(rng).apply(c)
	}
	return c
}

// registerRefused is a register that got no subscription: the gateway
// refused it, or it never reached the gateway.
func (g *callGen) registerRefused(t time.Time) *call {
	rng, w := g.rng, g.w
	gw := w.gws[w.gwPick[rng.IntN(len(w.gwPick))]]
	callback := w.host(rng)
	c := g.newCall(t, gw, w.actor(rng).name, domain.OpRegister)
	c.callback, c.subType, c.nlp, c.token = callback, "1", rng.IntN(4) == 0, rng.IntN(10) < 7
	if c.token { // sealed as every register's token is, whatever the answer
		c.sealed = w.seal(randomText(rng, 24))
	}
	c.request = registerBody(callback, c.nlp, "", c.token)
	host := callback[len("https://"):]
	for i := range len(host) {
		if host[i] == ':' || host[i] == '/' {
			host = host[:i]
			break
		}
	}
	switch p := rng.IntN(100); {
	case p < 40:
		rejected(rng, "107-027", "subscription registration failed: "+host+" is not a subscription server of this gateway").apply(c)
	case p < 50:
		rejected(rng, "107-026", "subscription failed: IF_SUB_CONFIGURE is not ON on this gateway").apply(c)
	case p < 60:
		rejected(rng, "107-002", "serviceCallBackUri is not a valid https URL").apply(c)
	case p < 68:
		rejected(rng, "107-028", "subscription request failed").apply(c)
	case p < 73:
		rejected(rng, "107-030", "subscription exception").apply(c)
	case p < 77:
		f := rejected(rng, "000-003", "no permission")
		f.attempts, f.dur = 2, f.dur*3 // logged in again once and retried
		f.apply(c)
	case p < 92:
		refusedConn(rng, gw).apply(c)
	case p < 97:
		outsideNetworks(gw).apply(c)
	default:
		c.outcome, c.http, c.err = domain.OutcomeFailed, 403, "the gateway answered HTTP 403"
		c.dur, c.response = logNormal(rng, 20*time.Millisecond, 0.5), "<html><body><h1>403 Forbidden</h1></body></html>"
	}
	return c
}

// login is a connection test ("Test connection" on the gateways page).
func (g *callGen) login(t time.Time) *call {
	rng, w := g.rng, g.w
	gw := w.gws[w.gwPick[rng.IntN(len(w.gwPick))]]
	c := g.newCall(t, gw, w.actor(rng).name, domain.OpLogin)
	c.request = loginBody(gw.agentID)
	switch p := rng.IntN(100); {
	case p < 85:
		c.outcome, c.http, c.retcode, c.message, c.response = domain.OutcomeSuccess, 200, "0", "success", loginAnswer
		c.dur = logNormal(rng, 90*time.Millisecond, 0.5)
	case p < 90:
		rejected(rng, "107-003", "wrong administrator password").apply(c)
	case p < 92:
		rejected(rng, "107-004", "invalid administrator account").apply(c)
	default:
		refusedConn(rng, gw).apply(c)
	}
	return c
}

// callHeap orders pending rows by time, then by the order they were made.
type callHeap []*call

func (h callHeap) Len() int { return len(h) }
func (h callHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h callHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *callHeap) Push(x any)   { *h = append(*h, x.(*call)) }
func (h *callHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}
