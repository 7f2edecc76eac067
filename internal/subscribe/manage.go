package subscribe

import (
	"context"
	"errors"
	"fmt"

	"ccsub/internal/domain"
	"ccsub/internal/gateway"
	"ccsub/internal/secret"
	"ccsub/internal/store"
)

// ErrNotActive means the subscription is cancelled or has no serverId, so
// the gateway has nothing to change.
var ErrNotActive = errors.New("the subscription is not active on the gateway")

// ErrNotUnknown means only a subscription whose register got no answer
// (state unknown) can be settled by hand.
var ErrNotUnknown = errors.New("the subscription's register did not end unknown")

// ErrNotDropped means the gateway has not said it no longer has the
// subscription (its newest cancel was not answered RetcodeDropped), or
// the subscription is already cancelled: there is nothing to close in
// ccsub only.
var ErrNotDropped = errors.New("the gateway has not said it dropped the subscription")

// RetcodeDropped is the gateway's answer to an unregister for a
// subscription it no longer has (docs/gateway-contract.md §4): it may have
// expired there, so no cancel can ever succeed.
const RetcodeDropped = "107-031"

// ErrNoToken means the subscription was registered without a service
// token: there is nothing to reveal.
var ErrNoToken = errors.New("the subscription has no service token")

// ModifyInput is a validated modify form.
type ModifyInput struct {
	CallbackURI    string
	NLPFlag        bool
	FlowAccessCode string
	ReceiverKey    string // set when the new callback is ccsub's own receiver
}

// Modify records, sends and completes a modify call, and audits it; on
// success the subscription takes the new settings.
func (s *Service) Modify(ctx context.Context, who domain.Actor, sub domain.Subscription, in ModifyInput) (domain.Call, error) {
	if err := changeable(sub); err != nil {
		return domain.Call{}, err
	}
	req := gateway.ModifyRequest{ServerID: sub.ServerID, ServiceCallBackURI: in.CallbackURI, NLPFlag: in.NLPFlag, FlowAccessCode: in.FlowAccessCode}
	_, redacted := gateway.ModifyBody(req)
	call, gw, target, err := s.begin(ctx, who.Name, sub, domain.NewCall{Operation: domain.OpModify, CallbackURI: in.CallbackURI,
		NLPFlag: in.NLPFlag, FlowAccessCode: in.FlowAccessCode, RequestBody: redacted})
	if err != nil {
		return call, err
	}
	res := s.send(ctx, gw, redacted, func() gateway.Result { return s.client.Modify(s.detached(ctx), target, req) })
	call, err = s.answered(ctx, call, res, answer{Who: who, Audited: true, Modify: &modifyAnswer{Sub: sub, In: in}})
	return call, s.logged(call, err)
}

// Cancel records, sends and completes an unregister call, and audits it;
// on success the subscription is cancelled and no longer kept alive.
func (s *Service) Cancel(ctx context.Context, who domain.Actor, sub domain.Subscription) (domain.Call, error) {
	call, err := s.cancel(ctx, who, sub, domain.ReasonCancelledBy.Say(who.Name), true)
	return call, s.logged(call, err)
}

// cancel records, sends and answers an unregister; audited says whether
// it writes its own audit entry (a replace audits it as part of itself).
func (s *Service) cancel(ctx context.Context, who domain.Actor, sub domain.Subscription, why string, audited bool) (domain.Call, error) {
	if err := changeable(sub); err != nil {
		return domain.Call{}, err
	}
	_, redacted := gateway.UnregisterBody(sub.ServerID)
	call, gw, target, err := s.begin(ctx, who.Name, sub, domain.NewCall{Operation: domain.OpUnregister,
		CallbackURI: sub.CallbackURI, RequestBody: redacted})
	if err != nil {
		return call, err
	}
	res := s.send(ctx, gw, redacted, func() gateway.Result { return s.client.Unregister(s.detached(ctx), target, sub.ServerID) })
	return s.answered(ctx, call, res, answer{Who: who, Audited: audited, Cancel: &cancelAnswer{Sub: sub, Why: why}})
}

// SaysDropped reports whether call is an unregister the gateway answered
// RetcodeDropped: the platform no longer has the subscription.
func SaysDropped(call domain.Call) bool {
	return call.Operation == domain.OpUnregister && call.Outcome == domain.OutcomeRejected && call.Retcode == RetcodeDropped
}

// DroppedBy says whether sub may be closed in ccsub only, given its newest
// unregister call latest (found says whether it has one): sub is not
// cancelled and that call was answered RetcodeDropped. A later cancel that
// got another answer takes the offer back, since the gateway may have the
// subscription after all. Pages read the call with the rest of the page;
// CloseDropped reads it again inside its transaction (dropped).
func DroppedBy(sub domain.Subscription, latest domain.Call, found bool) bool {
	return sub.State != domain.SubCancelled && sub.ServerID != "" && found && SaysDropped(latest)
}

// dropped returns the unregister call that makes sub closable in ccsub
// only (DroppedBy), or ErrNotDropped.
func dropped(ctx context.Context, st *store.Store, sub domain.Subscription) (domain.Call, error) {
	if sub.State == domain.SubCancelled || sub.ServerID == "" {
		return domain.Call{}, ErrNotDropped
	}
	call, err := st.LatestCall(ctx, sub.ID, domain.OpUnregister)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Call{}, ErrNotDropped
	}
	if err != nil {
		return domain.Call{}, err
	}
	if !DroppedBy(sub, call, true) {
		return domain.Call{}, ErrNotDropped
	}
	return call, nil
}

// CloseDropped closes, in ccsub only, a subscription the platform already
// dropped: it becomes cancelled and nothing is sent, since a cancel can
// never succeed once the gateway answers RetcodeDropped and the
// subscription would otherwise stay open for ever. It returns the unregister call the close relies on, or
// ErrNotDropped (see DroppedBy). The rule is checked again inside the
// transaction that changes the state and writes the audit entry, so a
// concurrent cancel or close leaves exactly one of them recorded.
func (s *Service) CloseDropped(ctx context.Context, who domain.Actor, sub domain.Subscription) (domain.Call, error) {
	var call domain.Call
	err := s.audit.Change(ctx, who, func(tx *store.Store) (domain.AuditEntry, error) {
		var err error
		if call, err = dropped(ctx, tx, sub); err != nil {
			return domain.AuditEntry{}, err
		}
		reason := domain.ReasonClosedOnly.Say(who.Name, RetcodeDropped, call.ID)
		changed, err := tx.ChangeState(ctx, sub.ID, domain.SubCancelled, reason, who.Name)
		if err == nil && !changed {
			err = ErrNotDropped // cancelled meanwhile
		}
		return closedDropped(sub, call), err
	})
	if err != nil {
		return domain.Call{}, fmt.Errorf("subscribe.CloseDropped %d: %w", sub.ID, err)
	}
	return call, nil
}

// Replace changes a subscription's token the only way the platform allows:
// register a new subscription with the new token, then cancel the old one,
// linked both ways, audited as one entry. Registering first means results
// keep flowing if either step fails; the returned calls say how far it got.
func (s *Service) Replace(ctx context.Context, who domain.Actor, old domain.Subscription, newToken, key string) (reg, cancel domain.Call, err error) {
	if err := changeable(old); err != nil {
		return reg, cancel, err
	}
	in := RegisterInput{
		IdempotencyKey: key, GatewayID: old.GatewayID, SubscribeType: old.SubscribeType, ServiceToken: newToken,
		CallbackURI: old.CallbackURI, NLPFlag: old.NLPFlag, FlowAccessCode: old.FlowAccessCode,
		AutoReregister: old.AutoReregister, ReplacesID: &old.ID,
	}
	if old.ReceiverKey != "" {
		// Both subscriptions live until the old one is cancelled, each with
		// its own token, so the new one gets its own receiver address.
		in.ReceiverKey = domain.NewReceiverKey()
		in.CallbackURI = domain.ReceiverURL(s.public, in.ReceiverKey)
	}
	reg, cancel, err = s.replace(ctx, who, old, in)
	if reg.ID == 0 || errors.Is(err, domain.ErrDuplicateSubmission) {
		return reg, cancel, err
	}
	s.audit.Record(ctx, who, replaced(old, reg, cancel))
	return reg, cancel, s.logged(reg, err)
}

func (s *Service) replace(ctx context.Context, who domain.Actor, old domain.Subscription, in RegisterInput) (reg, cancel domain.Call, err error) {
	reg, err = s.register(ctx, who, in, answer{Register: &registerAnswer{}}) // links the new subscription to old
	if err != nil || reg.Outcome != domain.OutcomeSuccess {
		return reg, cancel, err
	}
	if reg.SubscriptionID == nil {
		// Its serverId was on record already: cancelling the old one now
		// would leave nothing delivering results.
		return reg, cancel, fmt.Errorf("subscribe: register call %d created no subscription", reg.ID)
	}
	cancel, err = s.cancel(ctx, who, old, domain.ReasonReplacedBy.Say(reg.ServerID), false)
	return reg, cancel, err
}

// Settle closes a register whose outcome was unknown, after an operator
// looked on the gateway: with the serverId found there the subscription is
// kept alive from now on; with "" it is closed. It returns the reason
// recorded; domain.ErrConflict means another subscription of the gateway
// already has that serverId, or this one was settled meanwhile.
func (s *Service) Settle(ctx context.Context, who domain.Actor, sub domain.Subscription, serverID string) (string, error) {
	if sub.State != domain.SubUnknown {
		return "", ErrNotUnknown
	}
	reason := domain.ReasonFoundNone.Say(who.Name)
	if serverID != "" {
		reason = domain.ReasonFoundAs.Say(who.Name, serverID)
	}
	return reason, s.audit.Change(ctx, who, func(tx *store.Store) (domain.AuditEntry, error) {
		return settled(sub, serverID), tx.ResolveUnknown(ctx, sub.ID, serverID, reason, who.Name)
	})
}

// SetPolicy turns automatic re-registration on or off.
func (s *Service) SetPolicy(ctx context.Context, who domain.Actor, sub domain.Subscription, on bool) error {
	return s.audit.Change(ctx, who, func(tx *store.Store) (domain.AuditEntry, error) {
		return policy(sub, on), tx.SetAutoReregister(ctx, sub.ID, on)
	})
}

// RevealToken opens the subscription's service token for an admin. Every
// reveal is audited, also one that fails.
func (s *Service) RevealToken(ctx context.Context, who domain.Actor, sub domain.Subscription) (string, error) {
	if len(sub.TokenSealed) == 0 {
		return "", ErrNoToken
	}
	plain, err := s.audit.Reveal(ctx, who, revealed(sub), func() ([]byte, error) {
		return s.keys.Open(sub.TokenSealed, secret.PurposeServiceToken)
	})
	if err != nil {
		return "", fmt.Errorf("subscribe.RevealToken %d: %w", sub.ID, err)
	}
	return plain, nil
}

// begin opens the gateway's secrets and records the call as pending; the
// gateway is as read for this call (send checks its login refusal).
func (s *Service) begin(ctx context.Context, actor string, sub domain.Subscription, nc domain.NewCall) (domain.Call, domain.Gateway, gateway.Target, error) {
	gw, target, err := s.target(ctx, sub.GatewayID)
	if err != nil {
		return domain.Call{}, gw, target, err
	}
	nc.GatewayID, nc.GatewayName, nc.Actor, nc.ServerID, nc.SubscriptionID = gw.ID, gw.Name, actor, sub.ServerID, &sub.ID
	nc.SubscribeType, nc.TokenPresent = sub.SubscribeType, sub.TokenPresent
	call, err := s.store.BeginCall(ctx, nc)
	return call, gw, target, err
}

// logged reports an error that came after the call was recorded: the call
// answers the caller, and the error is for the operator.
func (s *Service) logged(call domain.Call, err error) error {
	if err != nil && call.ID != 0 && !errors.Is(err, domain.ErrDuplicateSubmission) {
		s.log.Error("gateway call recorded with an error", "call_id", call.ID, "err", err)
	}
	return err
}

func changeable(sub domain.Subscription) error {
	if sub.ServerID == "" || sub.State == domain.SubCancelled {
		return ErrNotActive
	}
	return nil
}
