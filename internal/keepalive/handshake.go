package keepalive

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/gateway"
	"ccsub/internal/i18n"
	"ccsub/internal/store"
)

// keepAlive handshakes one claimed subscription and records the result.
//
// The call's budget runs from the claim, not from when this goroutine got
// to run: on a loaded host a late start must not carry the handshake past
// the lease, or another process could claim and handshake it too. What the
// lease has beyond CallTimeout is left for recording the answer.
func (e *Engine) keepAlive(work context.Context, sub domain.Subscription, claimed time.Time) {
	deadline := claimed.Add(e.cfg.CallTimeout)
	if time.Until(deadline) < e.cfg.CallTimeout/4 {
		// Too little of the lease left to handshake safely; the lease runs
		// out and the subscription, still due, is claimed again.
		e.log.Warn("keep-alive: handshake skipped, claimed too long ago", "subscription", sub.ID,
			"late_by", time.Since(claimed))
		return
	}
	hctx, cancel := context.WithDeadline(work, deadline)
	began := time.Now()
	res, err := e.svc.Handshake(hctx, sub)
	cancel()
	took := time.Since(began)
	ok := err == nil && res.Outcome == domain.OutcomeSuccess
	if work.Err() != nil && !ok {
		// Abandoned at shutdown: our doing, not the gateway's. The lease is
		// released and another process handshakes it.
		return
	}
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(work), 10*time.Second)
	defer rcancel()
	var change store.StateChange
	if ok {
		e.cfg.Metrics.ObserveGatewayCall(domain.OpHandshake, domain.OutcomeSuccess, took)
		change, err = e.st.RecordHandshakeSuccess(rctx, sub.ID, e.cfg.Owner, e.cfg.Interval, Actor)
	} else {
		f := e.failure(sub, res, err, took)
		e.cfg.Metrics.ObserveGatewayCall(domain.OpHandshake, f.Result.Outcome, took)
		change, err = e.st.RecordHandshakeFailure(rctx, f)
	}
	if err != nil {
		e.logRecordError(sub, err)
		return
	}
	e.logChange(sub, change)
	if change.Changed() && change.To == domain.SubLapsed && sub.AutoReregister {
		e.reregister(work, sub)
	}
}

// failure describes a failed handshake for the store. err means nothing
// was sent (the gateway row or a secret could not be read).
func (e *Engine) failure(sub domain.Subscription, res gateway.Result, err error, took time.Duration) store.HandshakeFailure {
	r := domain.CallResult{Outcome: res.Outcome, HTTPStatus: res.HTTPStatus, Retcode: res.Retcode,
		Message: res.Message, ResponseBody: res.ResponseBody, Attempts: res.Attempts, Duration: took,
		RefusedByCcsub: res.RefusedByCcsub()}
	switch {
	case err != nil:
		// ccsub could not even prepare the request: nothing was sent.
		r.Outcome, r.Error, r.RefusedByCcsub = domain.OutcomeFailed, err.Error(), true
	case res.Err != nil:
		r.Error = res.Err.Error()
	}
	// Every failure, 107-032 included, only degrades: the subscription lapses
	// when Limit has passed since its last success (docs/gateway-contract.md §5).
	return store.HandshakeFailure{
		SubscriptionID: sub.ID, Owner: e.cfg.Owner, Actor: Actor, Result: r,
		FailReason: failReason(r), RetryIn: e.cfg.Retry, Limit: e.cfg.Limit,
		TokenPresent: sub.TokenPresent, RequestBody: res.RequestBody,
	}
}

// failReason says in plain words why a handshake failed.
func failReason(r domain.CallResult) string {
	switch {
	case r.Retcode != "":
		if rc, ok := domain.LookupRetcode(r.Retcode); ok {
			return domain.ReasonHandshakeCode.Say(r.Outcome, r.Retcode, i18n.InEnglish(rc.Meaning, nil))
		}
		return domain.ReasonHandshakeAnswer.Say(r.Outcome, r.Retcode, r.Message)
	case r.Error != "":
		return domain.ReasonHandshakeError.Say(r.Outcome, r.Error)
	}
	return domain.ReasonHandshakeHTTP.Say(r.Outcome, r.HTTPStatus)
}

// reregister replaces a subscription that just lapsed, once: only the
// engine whose record made it lapse gets here, and the store's claim
// guards against anyone else doing the same.
func (e *Engine) reregister(work context.Context, sub domain.Subscription) {
	call, err := e.svc.Reregister(work, sub, Actor)
	attrs := []any{"subscription_id", sub.ID, "server_id", sub.ServerID, "call_id", call.ID, "outcome", call.Outcome}
	switch {
	case errors.Is(err, domain.ErrConflict):
		e.log.Info("keep-alive: lapsed subscription already being re-registered elsewhere", attrs...)
	case err != nil:
		e.log.Error("keep-alive: automatic re-register failed", append(attrs, "err", err)...)
	case call.Outcome == domain.OutcomeSuccess:
		e.log.Info("keep-alive: lapsed subscription re-registered", append(attrs, "new_server_id", call.ServerID)...)
	default:
		e.log.Warn("keep-alive: automatic re-register did not succeed; it is not retried", attrs...)
	}
}

func (e *Engine) logRecordError(sub domain.Subscription, err error) {
	if errors.Is(err, store.ErrLeaseLost) {
		// Another engine took it over, or a person cancelled it meanwhile.
		e.log.Warn("keep-alive: lease lost before the handshake was recorded", "subscription_id", sub.ID, "err", err)
		return
	}
	e.log.Error("keep-alive: recording a handshake failed", "subscription_id", sub.ID, "err", err)
}

func (e *Engine) logChange(sub domain.Subscription, c store.StateChange) {
	if !c.Changed() {
		return
	}
	level := slog.LevelInfo
	if c.To != domain.SubActive {
		level = slog.LevelWarn
	}
	e.log.Log(context.Background(), level, "subscription state changed", "subscription_id", sub.ID,
		"server_id", sub.ServerID, "from", c.From, "to", c.To, "reason", c.Reason)
}
