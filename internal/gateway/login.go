package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"ccsub/internal/domain"
)

// loginFlight is one login in progress for a gateway. Concurrent calls that
// need a Guid wait for it instead of logging in themselves, so a burst of
// operations (or of 107-000 answers) costs one login, not one each.
type loginFlight struct {
	done chan struct{}
	res  Result // the login's result, valid once done is closed
	guid string
}

// Login always logs in afresh ("Test connection") and caches the Guid. A
// login already in flight for the gateway is joined rather than doubled.
func (c *Client) Login(ctx context.Context, t Target) Result {
	ctx, cancel, budget := c.deadline(ctx)
	defer cancel()
	_, redactedBody := loginBodies(t)
	st, err := c.state(t)
	if err != nil {
		return c.unsent(string(domain.OpLogin), st, err, Result{RequestBody: redactedBody}, budget)
	}
	_, res := c.acquire(ctx, st, t, budget, true)
	return *res
}

// acquire returns the cached Guid, or one from a login (started here or
// joined). res is nil when the cached Guid was used; otherwise it is the
// login's result, with Attempts 0 when the login was made by another call.
func (c *Client) acquire(ctx context.Context, st *gatewayState, t Target, budget time.Duration, fresh bool) (guid string, res *Result) {
	c.mu.Lock()
	if st.guid != "" && !fresh {
		guid = st.guid
		c.mu.Unlock()
		return guid, nil
	}
	if r := st.refused; r != nil && !fresh && r.passwordMAC == c.passwordMAC(t.Password) && r.ended >= t.RefusalsEnded {
		c.mu.Unlock()
		// Nothing is sent, so nothing of the old exchange is this call's.
		res := Result{Outcome: domain.OutcomeRejected, Retcode: r.res.Retcode,
			Message: rememberedRefusal(r.res), Err: errRememberedRefusal}
		return "", &res
	}
	f, leader := st.flight, false
	if f == nil {
		f, leader = &loginFlight{done: make(chan struct{})}, true
		st.flight = f
	}
	c.mu.Unlock()
	if leader {
		c.lead(ctx, st, t, f, budget)
		res := f.res
		return f.guid, &res
	}
	return c.join(ctx, st, f, budget)
}

// lead makes the login of a flight, caches its Guid and releases the
// callers waiting for it.
func (c *Client) lead(ctx context.Context, st *gatewayState, t Target, f *loginFlight, budget time.Duration) {
	f.res, f.guid = c.login(ctx, st, t, budget)
	c.mu.Lock()
	switch f.res.Outcome {
	case domain.OutcomeSuccess:
		st.guid, st.refused = f.guid, nil
	case domain.OutcomeRejected:
		st.guid = "" // a refused login proves the old Guid's account is not usable
		if isLockingRefusal(f.res.Retcode) {
			st.refused = &refusal{passwordMAC: c.passwordMAC(t.Password), res: f.res, ended: t.RefusalsEnded}
		}
	}
	st.flight = nil
	c.mu.Unlock()
	close(f.done)
}

// join waits for another call's login; its own deadline still applies.
func (c *Client) join(ctx context.Context, st *gatewayState, f *loginFlight, budget time.Duration) (string, *Result) {
	select {
	case <-f.done:
		res := f.res
		res.Attempts = 0 // the request was made, and is counted, by the leader
		return f.guid, &res
	case <-ctx.Done():
		x := c.newExchange(string(domain.OpLogin), st, budget)
		x.err = ctx.Err()
		outcome, _, err := classify(x)
		return "", &Result{Outcome: outcome, Err: err}
	}
}

// login sends one C5 login request.
func (c *Client) login(ctx context.Context, st *gatewayState, t Target, budget time.Duration) (Result, string) {
	sent, redactedBody := loginBodies(t)
	r := request{op: string(domain.OpLogin), method: http.MethodPost, url: endpoint(t.BaseURL, pathLogin), body: sent}
	x := c.roundTrip(ctx, st, r, budget)
	outcome, a, err := classify(x)
	sec := secrets{t.Password, a.Guid, x.header.Get(headerGuid), x.header.Get(headerSetGuid)}
	c.logExchange(ctx, t.GatewayID, x, outcome, a.Retcode, err)
	if outcome == domain.OutcomeSuccess {
		c.log.LogAttrs(ctx, slog.LevelDebug, "gateway login", slog.Int64("gateway_id", t.GatewayID),
			slog.String("node", guidNode(a.Guid)))
	}
	return Result{
		Outcome: outcome, Retcode: a.Retcode, Message: sec.text(a.Message), HTTPStatus: x.status,
		RequestBody: redactedBody, ResponseBody: sec.body(x.body), Err: err, Attempts: 1,
		LoginRefused: outcome == domain.OutcomeRejected && isLockingRefusal(a.Retcode),
	}, a.Guid
}

// errRememberedRefusal marks, inside the client only, a login result that
// repeats an earlier refusal; loginBlocked clears it (rejected has no Err).
var errRememberedRefusal = errors.New("login refused earlier; not tried again")

// rememberedRefusal explains why a call did not even try to log in.
func rememberedRefusal(r Result) string {
	return domain.NotSentRememberedRefusal.Say(r.Retcode, refusalReason(r))
}

// refusalReason is the gateway's message, or "no message" when it sent
// none. The code's meaning is for people: the call's page links the code
// to its retcode page, in the viewer's language.
func refusalReason(r Result) string {
	if r.Message != "" {
		return r.Message
	}
	return domain.NoGatewayMessage
}

// dropGuid forgets the Guid a call used, unless another call has already
// replaced it with a newer one.
func (c *Client) dropGuid(st *gatewayState, used string) {
	c.mu.Lock()
	if st.guid == used {
		st.guid = ""
	}
	c.mu.Unlock()
}

// guidNode returns the node suffix of a Guid ("AgentGateway1"), which is
// not secret and tells which node behind a load balancer issued it.
func guidNode(guid string) string {
	if i := strings.LastIndexByte(guid, '.'); i >= 0 {
		return guid[i+1:]
	}
	return ""
}
