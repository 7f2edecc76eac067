package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"ccsub/internal/domain"
)

// operation is one subscription call, ready to send.
type operation struct {
	op           domain.Operation
	method       string
	path         string // with query
	body         []byte
	redactedBody string
	token        string // service_token header (extended handshake only)
	secret       string // a secret the body carries, redacted from what is recorded
	// needsServerID: modify, unregister and handshake name a subscription;
	// without one nothing is sent.
	needsServerID bool
	serverID      string
}

// Register creates a subscription; Result.ServerID is its identity.
func (c *Client) Register(ctx context.Context, t Target, r RegisterRequest) Result {
	sent, redactedBody := RegisterBody(r)
	// The token travels in the body only: the contract's register has exactly
	// two headers, and a header would put the secret in every proxy's log.
	return c.run(ctx, t, operation{op: domain.OpRegister, method: http.MethodPost, path: pathRegister,
		body: sent, redactedBody: redactedBody, secret: r.ServiceToken})
}

// Modify changes a subscription's callback, NLP flag and flow access code.
func (c *Client) Modify(ctx context.Context, t Target, r ModifyRequest) Result {
	sent, redactedBody := ModifyBody(r)
	return c.run(ctx, t, operation{op: domain.OpModify, method: http.MethodPost,
		path: pathModify + "?serverId=" + url.QueryEscape(r.ServerID), body: sent,
		redactedBody: redactedBody, needsServerID: true, serverID: r.ServerID})
}

// Unregister cancels a subscription.
func (c *Client) Unregister(ctx context.Context, t Target, serverID string) Result {
	sent, redactedBody := UnregisterBody(serverID)
	return c.run(ctx, t, operation{op: domain.OpUnregister, method: http.MethodPut, path: pathUnregister,
		body: sent, redactedBody: redactedBody, needsServerID: true, serverID: serverID})
}

// Handshake keeps a subscription alive: the extended form (POST with the
// service_token header) when it has a token, the plain GET otherwise.
func (c *Client) Handshake(ctx context.Context, t Target, serverID, serviceToken string) Result {
	o := operation{op: domain.OpHandshake, method: http.MethodGet,
		path: pathHandshake + url.PathEscape(serverID), needsServerID: true, serverID: serverID}
	if serviceToken != "" {
		o.method, o.token = http.MethodPost, serviceToken
	}
	return c.run(ctx, t, o)
}

// run makes one operation: a Guid (cached or from a login), the request,
// and on an expired-Guid answer one new login and one retry.
func (c *Client) run(ctx context.Context, t Target, o operation) Result {
	ctx, cancel, budget := c.deadline(ctx)
	defer cancel()
	res := Result{RequestBody: o.redactedBody}
	if o.needsServerID && strings.TrimSpace(o.serverID) == "" {
		return c.unsent(string(o.op), nil, plainErrorf(nil, "%s", domain.NotSentNoServerID.Say()), res, budget)
	}
	st, err := c.state(t)
	if err != nil {
		return c.unsent(string(o.op), nil, err, res, budget)
	}
	res, guid, ok := c.sendWithGuid(ctx, st, t, o, res, budget)
	if !ok || res.Outcome != domain.OutcomeRejected || !isRelogin(res.Retcode) {
		return res
	}
	c.log.LogAttrs(ctx, slog.LevelInfo, "gateway Guid no longer accepted; logging in again",
		slog.Int64("gateway_id", t.GatewayID), slog.String("op", string(o.op)), slog.String("retcode", res.Retcode))
	c.dropGuid(st, guid)
	res, _, _ = c.sendWithGuid(ctx, st, t, o, res, budget)
	return res
}

// sendWithGuid obtains a Guid and sends the operation once. ok is false
// when the login did not succeed, so the operation was not sent.
func (c *Client) sendWithGuid(ctx context.Context, st *gatewayState, t Target, o operation, res Result, budget time.Duration) (Result, string, bool) {
	guid, login := c.acquire(ctx, st, t, budget, false)
	if login != nil {
		res.Attempts += login.Attempts
		if login.Outcome != domain.OutcomeSuccess {
			return loginBlocked(res, *login, o.op), "", false
		}
	}
	return c.send(ctx, st, t, o, guid, res, budget), guid, true
}

// send makes the operation's HTTP request and records its answer in res.
func (c *Client) send(ctx context.Context, st *gatewayState, t Target, o operation, guid string, res Result, budget time.Duration) Result {
	r := request{op: string(o.op), method: o.method, url: endpoint(t.BaseURL, o.path), body: o.body, guid: guid, token: o.token}
	x := c.roundTrip(ctx, st, r, budget)
	outcome, a, err := classify(x)
	c.logExchange(ctx, t.GatewayID, x, outcome, a.Retcode, err)
	sec := secrets{t.Password, guid, o.token, o.secret, headerGuidOf(x.header)}
	res.Outcome, res.Retcode, res.Message, res.ServerID = outcome, a.Retcode, sec.text(a.Message), a.ServerID
	res.HTTPStatus, res.ResponseBody, res.Err = x.status, sec.body(x.body), err
	res.Attempts++
	return res
}

// loginBlocked is the result of an operation that was not sent because its
// login did not succeed. A refusal keeps the login's retcode (rejected);
// anything else means nothing took effect (failed).
func loginBlocked(res Result, login Result, op domain.Operation) Result {
	res.HTTPStatus, res.ResponseBody = login.HTTPStatus, login.ResponseBody
	if login.Outcome == domain.OutcomeRejected {
		res.Outcome, res.Retcode, res.Err = domain.OutcomeRejected, login.Retcode, nil
		res.LoginRefused = login.LoginRefused
		res.Message = refusalMessage(login, op)
		if errors.Is(login.Err, errRememberedRefusal) {
			res.Message = login.Message // nothing was sent; say why
		}
		return res
	}
	res.Outcome, res.Retcode, res.Message = domain.OutcomeFailed, "", ""
	res.Err = plainErrorf(login.Err, "%s", domain.NotSentLoginFailed.Say(op, errText(login.Err)))
	return res
}

// refusalMessage tells an administrator the login was refused, why, and
// that ccsub will not retry it when retrying would lock the account.
func refusalMessage(login Result, op domain.Operation) string {
	if isLockingRefusal(login.Retcode) {
		return domain.NotSentLoginRefusedLocking.Say(login.Retcode, refusalReason(login), op)
	}
	return domain.NotSentLoginRefused.Say(login.Retcode, refusalReason(login), op)
}

func errText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

// unsent is the result of a call ccsub refused before any request was
// made (Result.RefusedByCcsub): a check of the operation (no serverId) or
// of the gateway's settings (its address, its CA bundle).
func (c *Client) unsent(op string, st *gatewayState, cause error, res Result, budget time.Duration) Result {
	var ce *callError
	if !errors.As(cause, &ce) {
		cause = plainErrorf(cause, "%s", domain.NotSentNothingSent.Say(cause.Error()))
	}
	x := c.newExchange(op, st, budget)
	x.err = cause
	res.Outcome, _, res.Err = classify(x)
	return res
}

// deadline bounds a whole operation (login and retry included) by
// CallTimeout and returns the budget actually available, for messages.
func (c *Client) deadline(ctx context.Context) (context.Context, context.CancelFunc, time.Duration) {
	budget := c.cfg.CallTimeout
	if d, ok := ctx.Deadline(); ok && time.Until(d) < budget {
		budget = time.Until(d)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	return ctx, cancel, budget.Round(time.Millisecond)
}

// logExchange records one HTTP exchange without any secret: the error
// texts are ours and never carry a Guid, token or password.
func (c *Client) logExchange(ctx context.Context, gatewayID int64, x exchange, outcome domain.Outcome, retcode string, err error) {
	level := slog.LevelDebug
	switch outcome {
	case domain.OutcomeFailed, domain.OutcomeUnknown:
		level = slog.LevelWarn
	case domain.OutcomeRejected:
		level = slog.LevelInfo
	}
	attrs := []slog.Attr{slog.Int64("gateway_id", gatewayID), slog.String("op", x.op),
		slog.String("outcome", string(outcome)), slog.String("retcode", retcode), slog.Int("http_status", x.status)}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	c.log.LogAttrs(ctx, level, "gateway call", attrs...)
}
