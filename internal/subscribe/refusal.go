package subscribe

import (
	"context"
	"errors"
	"fmt"

	"ccsub/internal/domain"
	"ccsub/internal/gateway"
	"ccsub/internal/i18n"
)

// ErrNotRefused means the gateway has no refused login for its current
// password: there is nothing to retry (use "Test connection").
var ErrNotRefused = errors.New("the gateway has not refused its current password: there is no login to retry")

// ErrRetryInProgress means another administrator's retry of the same
// refused login has not been answered yet.
var ErrRetryInProgress = fmt.Errorf("another retry of this gateway's login is still waiting for its answer: %w", domain.ErrConflict)

// send makes one gateway call for gw, unless gw's row says the gateway
// refused its current password (107-003/107-004): then nothing is sent and
// the call is answered as rejected with the remembered retcode, as the
// client does for a refusal it remembers itself. The database, not the
// client's memory, is what every process and every restart shares, and the
// gateway locks the account after a few wrong passwords in all. gw must be
// read for this call (s.target), so a refusal recorded by another process
// a moment ago is seen.
func (s *Service) send(ctx context.Context, gw domain.Gateway, requestBody string, call func() gateway.Result) gateway.Result {
	if r := gw.LoginRefused; r != nil {
		return gateway.Result{Outcome: domain.OutcomeRejected, Retcode: r.Retcode, Message: refusedMessage(*r), RequestBody: requestBody}
	}
	res := call()
	s.rememberRefusal(ctx, gw, res)
	return res
}

// refusedMessage explains a call that was not sent because of a refusal
// remembered in the database.
func refusedMessage(r domain.LoginRefusal) string {
	return fmt.Sprintf("the gateway refused this password on %s (%s: %s); ccsub sent nothing and does not try it again "+
		"until an administrator saves a new password or asks for one retry (\"Try the login once more\" on the Gateways page): "+
		"the gateway locks the account after repeated wrong passwords", r.At.UTC().Format("2006-01-02 15:04:05 UTC"), r.Retcode, r.Message)
}

// rememberRefusal records in the database that the gateway refused the
// login of a call with gw's password, so no process sends it again.
// Failing to record it is logged, not returned: the call itself is
// answered, and the client still remembers the refusal in this process.
func (s *Service) rememberRefusal(ctx context.Context, gw domain.Gateway, res gateway.Result) {
	if !res.LoginRefused {
		return
	}
	bctx, cancel := s.bg(ctx)
	defer cancel()
	recorded, err := s.store.RecordLoginRefusal(bctx, gw, res.Retcode, refusalWords(res))
	switch {
	case err != nil:
		s.log.Error("a refused gateway login could not be remembered in the database; other processes may try the password again",
			"gateway_id", gw.ID, "retcode", res.Retcode, "err", err)
	case recorded:
		s.log.Warn("gateway refused the login; no process sends this password again until an administrator acts",
			"gateway_id", gw.ID, "retcode", res.Retcode)
	default:
		s.log.Info("gateway refused a login with settings that were changed meanwhile; nothing remembered", "gateway_id", gw.ID)
	}
}

// refusalWords is what the refusal's retcode means (the refused call's own
// row keeps the gateway's words); the message only when the code is not in
// the table.
func refusalWords(res gateway.Result) string {
	if r, ok := domain.LookupRetcode(res.Retcode); ok {
		return i18n.InEnglish(r.Meaning, nil)
	}
	return res.Message
}

// RetryLogin is an administrator's one login with a password the gateway
// refused before ("Try the login once more"), e.g. after the contact
// center unlocked the account or set it back to the stored password. It is
// a connection test that ignores the remembered refusal, made at most once
// at a time across every process (store.ClaimLoginRetry). The refusal stays
// until the answer, so no other call logs in meanwhile; then a login that
// succeeds clears it, a new 107-003/107-004 replaces it, and any other
// answer leaves it. It records the login call and one audit entry.
func (s *Service) RetryLogin(ctx context.Context, who domain.Actor, gatewayID int64) (domain.Call, error) {
	before, err := s.store.Gateway(ctx, gatewayID)
	if err != nil {
		return domain.Call{}, err
	}
	if before.LoginRefused == nil {
		return domain.Call{}, ErrNotRefused
	}
	// The hold outlives any login this process could still be waiting for.
	if _, err := s.store.ClaimLoginRetry(ctx, gatewayID, s.interrupted); errors.Is(err, domain.ErrConflict) {
		return domain.Call{}, ErrRetryInProgress
	} else if err != nil {
		return domain.Call{}, err
	}
	call, err := s.testGateway(ctx, who, gatewayID, true)
	if call.ID == 0 {
		// Nothing was sent: free the retry so it can be asked for again.
		bctx, cancel := s.bg(ctx)
		defer cancel()
		return call, errors.Join(err, s.store.ReleaseLoginRetry(bctx, gatewayID))
	}
	after := before
	if now, rerr := s.store.Gateway(ctx, gatewayID); rerr == nil {
		after = now
	}
	s.audit.Record(ctx, who, loginRetried(before, after, call))
	return call, s.logged(call, err)
}

// endRetry settles an administrator's retry by its login's answer.
func (s *Service) endRetry(ctx context.Context, gw domain.Gateway, res gateway.Result) {
	bctx, cancel := s.bg(ctx)
	defer cancel()
	var err error
	switch {
	case res.Outcome == domain.OutcomeSuccess:
		err = s.store.ClearLoginRefusal(bctx, gw.ID)
	case res.LoginRefused:
		s.rememberRefusal(ctx, gw, res) // also ends the retry
		return
	default:
		// The password was not judged (no answer, or another refusal): the
		// refusal stays, and another retry may be asked for.
		err = s.store.ReleaseLoginRetry(bctx, gw.ID)
	}
	if err != nil {
		s.log.Error("settling a retried gateway login failed", "gateway_id", gw.ID, "outcome", res.Outcome, "err", err)
	}
}
