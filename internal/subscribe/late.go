package subscribe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/gateway"
	"ccsub/internal/store"
)

// errAlreadyRecorded: the call of an answer being written is no longer
// pending; an earlier attempt (this process's or another's) recorded it.
var errAlreadyRecorded = errors.New("the answer is already recorded")

// answer is the gateway's answer to a call recorded as pending, with all
// that must be written with it: the call's result, the subscription it
// creates or changes, the links of a replace or re-register, and the
// operation's audit entry. finish writes all of it in one transaction, so
// an answer is recorded whole or not at all, and writing it again changes
// nothing. It holds no secret in clear: the service token only sealed.
type answer struct {
	CallID    int64             `json:"callId"`
	Operation domain.Operation  `json:"operation"`
	Gateway   string            `json:"gateway"`
	Result    domain.CallResult `json:"result"`
	Who       domain.Actor      `json:"who"`
	// Audited: the operation writes its own audit entry. A replace audits
	// its register and cancel as one entry of its own, and a re-register
	// is the keep-alive engine's.
	Audited    bool            `json:"audited"`
	Register   *registerAnswer `json:"register,omitempty"`
	Modify     *modifyAnswer   `json:"modify,omitempty"`
	Cancel     *cancelAnswer   `json:"cancel,omitempty"`
	Tested     int64           `json:"testedGateway,omitempty"` // a login: the gateway whose test it is
	AnsweredAt time.Time       `json:"answeredAt"`
}

type registerAnswer struct {
	In     RegisterInput `json:"in"` // ServiceToken always empty
	Sealed []byte        `json:"tokenSealed,omitempty"`
	// Reregister: the register re-registers the lapsed In.ReplacesID under
	// the keep-alive's claim; otherwise In.ReplacesID is a replace.
	Reregister bool `json:"reregister,omitempty"`
}

type modifyAnswer struct {
	Sub domain.Subscription `json:"sub"`
	In  ModifyInput         `json:"in"`
}

type cancelAnswer struct {
	Sub domain.Subscription `json:"sub"`
	Why string              `json:"why"`
}

// answered writes the answer res to call (see finish) and returns the
// call as recorded. When it cannot be written, the answer goes to the
// journal and to the log at error level with its serverId, and the call
// returned carries the answer with a *domain.AnswerKept.
func (s *Service) answered(ctx context.Context, call domain.Call, res gateway.Result, a answer) (domain.Call, error) {
	a.CallID, a.Operation, a.Gateway, a.AnsweredAt = call.ID, call.Operation, call.GatewayName, time.Now()
	a.Result = domain.CallResult{
		Outcome: res.Outcome, HTTPStatus: res.HTTPStatus, Retcode: res.Retcode, Message: res.Message,
		ServerID: res.ServerID, RequestBody: res.RequestBody, ResponseBody: res.ResponseBody,
		Attempts: res.Attempts, Duration: time.Since(call.StartedAt), RefusedByCcsub: res.RefusedByCcsub(),
	}
	if res.Err != nil {
		a.Result.Error = res.Err.Error()
	}
	if a.Register != nil {
		a.Register.In.ServiceToken = ""
	}
	// Counted whether or not the result can be recorded: the call was made.
	s.metrics.ObserveGatewayCall(call.Operation, a.Result.Outcome, a.Result.Duration)
	done, err := s.finish(ctx, a)
	if err == nil {
		return done, nil
	}
	call = withResult(call, a.Result)
	return call, &domain.AnswerKept{Call: call, InLogOnly: !s.keep(a, err), Cause: err}
}

// finish writes an answer in one transaction. errAlreadyRecorded means
// the call was recorded before, which for a replayed answer is success.
func (s *Service) finish(ctx context.Context, a answer) (domain.Call, error) {
	bctx, cancel := s.bg(ctx)
	defer cancel()
	var call domain.Call
	err := s.audit.Change(bctx, a.Who, func(tx *store.Store) (domain.AuditEntry, error) {
		var err error
		if call, err = tx.CompleteCall(bctx, a.CallID, a.Result); errors.Is(err, domain.ErrConflict) {
			return domain.AuditEntry{}, errAlreadyRecorded
		} else if err != nil {
			return domain.AuditEntry{}, err
		}
		var e domain.AuditEntry
		switch {
		case a.Register != nil:
			if call, err = s.finishRegister(bctx, tx, a, call); err == nil {
				e = registered(a.Register.In, call)
			}
		case a.Modify != nil:
			if call.Outcome == domain.OutcomeSuccess {
				m := a.Modify.In
				err = tx.ApplyModify(bctx, a.Modify.Sub.ID, m.CallbackURI, m.NLPFlag, m.FlowAccessCode, m.ReceiverKey)
			}
			e = modified(a.Modify.Sub, a.Modify.In, call)
		case a.Cancel != nil:
			after := a.Cancel.Sub
			if call.Outcome == domain.OutcomeSuccess {
				if _, err = tx.ChangeState(bctx, after.ID, domain.SubCancelled, a.Cancel.Why, a.Who.Name); err == nil {
					after, err = tx.Subscription(bctx, after.ID)
				}
			}
			e = cancelled(a.Cancel.Sub, after, call)
		case a.Tested != 0:
			err = tx.RecordGatewayTest(bctx, a.Tested, call.Outcome, testMessage(a.Result))
			e = gatewayTested(a.Tested, call)
		}
		if !a.Audited {
			e = domain.AuditEntry{} // audited by the operation it is part of
		}
		return e, err
	})
	return call, err
}

// finishRegister records the subscription of a register answered success
// (kept alive from now on) or unknown (to settle by hand), and links it to
// the one it replaces. A sweep that ran while the answer waited has
// already listed the register as an unknown subscription: that one is
// resolved with the answer instead.
func (s *Service) finishRegister(ctx context.Context, tx *store.Store, a answer, call domain.Call) (domain.Call, error) {
	in := a.Register.In
	state, reason := domain.SubActive, domain.ReasonRegistered.Say()
	switch {
	case call.Outcome == domain.OutcomeSuccess && call.ServerID != "":
	case call.Outcome == domain.OutcomeUnknown:
		// It may exist on the gateway; list it so nobody registers blindly again.
		state, reason = domain.SubUnknown, domain.ReasonRegisterNoAnswer.Say()
	default:
		return call, nil
	}
	if call.SubscriptionID != nil { // listed as unknown by a sweep
		if state != domain.SubActive {
			return call, nil
		}
		why := domain.ReasonGrantedLate.Say(call.ServerID, a.AnsweredAt.UTC().Format(time.RFC3339))
		err := tx.ResolveUnknown(ctx, *call.SubscriptionID, call.ServerID, why, a.Who.Name)
		if errors.Is(err, domain.ErrConflict) {
			// An operator settled it by hand meanwhile; their word stands,
			// but the gateway's answer is recorded on the call.
			s.log.Error("the gateway granted a register an operator had already settled by hand; check the subscription",
				"call_id", call.ID, "subscription_id", *call.SubscriptionID, "server_id", call.ServerID)
			return call, nil
		}
		if err != nil {
			return call, err
		}
		return call, tx.SetAutoReregister(ctx, *call.SubscriptionID, in.AutoReregister)
	}
	var sub domain.Subscription
	// A savepoint: a serverId already on record must not abort the answer.
	err := tx.InTx(ctx, func(sp *store.Store) error {
		var err error
		sub, err = sp.CreateSubscription(ctx, domain.NewSubscription{
			GatewayID: call.GatewayID, ServerID: call.ServerID, SubscribeType: call.SubscribeType,
			CallbackURI: call.CallbackURI, NLPFlag: call.NLPFlag, FlowAccessCode: call.FlowAccessCode,
			TokenSealed: a.Register.Sealed, CreatedBy: call.Actor, RegisterCallID: call.ID, ReplacesID: in.ReplacesID,
			AutoReregister: in.AutoReregister, ReceiverKey: in.ReceiverKey, State: state, StateReason: reason,
		})
		return err
	})
	if errors.Is(err, domain.ErrConflict) {
		s.log.Warn("gateway returned a serverId already on record", "gateway_id", call.GatewayID, "server_id", call.ServerID)
		return call, nil
	}
	if err != nil {
		return call, fmt.Errorf("subscribe: record subscription %s: %w", call.ServerID, err)
	}
	if err := tx.LinkCallSubscription(ctx, call.ID, sub.ID); err != nil {
		return call, err
	}
	call.SubscriptionID = &sub.ID
	if in.ReplacesID == nil {
		return call, nil
	}
	if a.Register.Reregister {
		err = tx.LinkReregistered(ctx, *in.ReplacesID, sub.ID, reregisterClaim, a.Who.Name)
	} else {
		err = tx.LinkReplacement(ctx, *in.ReplacesID, sub.ID)
	}
	if errors.Is(err, domain.ErrConflict) {
		// Replaced meanwhile by another way: both subscriptions stay listed.
		s.log.Warn("the subscription a register replaces was already replaced", "old", *in.ReplacesID, "new", sub.ID)
		err = nil
	}
	return call, err
}

// keep puts an answer that could not be written into the journal and
// logs it at error level with its serverId (never a secret), so an
// operator can settle it by hand should the journal be lost too. It
// reports whether the journal took it.
func (s *Service) keep(a answer, cause error) bool {
	attrs := []any{"call_id", a.CallID, "operation", a.Operation, "gateway", a.Gateway, "outcome", a.Result.Outcome,
		"retcode", a.Result.Retcode, "server_id", a.Result.ServerID, "err", cause}
	if s.journal == nil {
		s.log.Error("gateway answer not recorded: settle this call by hand once the database is back", attrs...)
		return false
	}
	data, err := json.Marshal(a)
	if err == nil {
		err = s.journal.Put(a.CallID, data)
	}
	if err != nil {
		s.log.Error("gateway answer not recorded and not journalled: settle this call by hand once the database is back",
			append(attrs, "journal_err", err)...)
		return false
	}
	s.log.Error("gateway answer not recorded yet: kept in the journal, recorded when the database is back",
		append(attrs, "journal", s.journal.Dir())...)
	s.wake()
	return true
}

// Replay writes the journal's answers to the database, oldest call first,
// and reports how many are still waiting. It stops at the first answer the
// database does not take (it is down again: the next round retries); an
// answer whose call is not in the database at all is set aside for an
// operator and logged, since it can never be written.
func (s *Service) Replay(ctx context.Context) (waiting int, err error) {
	if s.journal == nil {
		return 0, nil
	}
	entries, err := s.journal.List()
	for i, e := range entries {
		var a answer
		if uerr := json.Unmarshal(e.Data, &a); uerr != nil || a.CallID != e.ID {
			s.setAside(e.ID, fmt.Errorf("unreadable journal entry: %v", uerr))
			continue
		}
		call, ferr := s.finish(ctx, a)
		switch {
		case ferr == nil:
			s.log.Info("gateway answer recorded from the journal", "call_id", a.CallID, "operation", a.Operation,
				"outcome", call.Outcome, "server_id", call.ServerID)
		case errors.Is(ferr, errAlreadyRecorded):
		case errors.Is(ferr, domain.ErrNotFound), errors.Is(ferr, domain.ErrConflict):
			// Not the database being away: writing it again cannot help.
			s.setAside(e.ID, ferr)
			continue
		default:
			return len(entries) - i, fmt.Errorf("subscribe.Replay call %d: %w", a.CallID, ferr)
		}
		if rerr := s.journal.Remove(e.ID); rerr != nil {
			return len(entries) - i, rerr
		}
	}
	if err != nil {
		return s.journal.Len(), err
	}
	return 0, nil
}

func (s *Service) setAside(id int64, why error) {
	to, err := s.journal.SetAside(id)
	s.log.Error("a journalled gateway answer cannot be recorded (e.g. its call is not in this database); settle it by hand",
		"call_id", id, "kept_at", to, "why", why, "err", err)
}

// Journalled is how many answers wait in the journal.
func (s *Service) Journalled() int {
	if s.journal == nil {
		return 0
	}
	return s.journal.Len()
}

// Kept signals, without blocking, each time an answer goes to the
// journal, so the replay loop starts at once instead of at its next tick.
func (s *Service) Kept() <-chan struct{} { return s.kept }

func (s *Service) wake() {
	select {
	case s.kept <- struct{}{}:
	default:
	}
}

// withResult is call as it will read once its answer is recorded.
func withResult(call domain.Call, r domain.CallResult) domain.Call {
	call.Outcome, call.HTTPStatus, call.Retcode, call.Message = r.Outcome, r.HTTPStatus, r.Retcode, r.Message
	call.ResponseBody, call.Error, call.Attempts, call.RefusedByCcsub = r.ResponseBody, r.Error, r.Attempts, r.RefusedByCcsub
	call.Duration = r.Duration
	if r.ServerID != "" {
		call.ServerID = r.ServerID
	}
	return call
}

// testMessage is what a gateway's last connection test says.
func testMessage(r domain.CallResult) string {
	switch {
	case r.Outcome == domain.OutcomeSuccess:
		return "login succeeded"
	case r.Error != "":
		return r.Error
	}
	return r.Message
}
