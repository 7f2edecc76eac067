package subscribe

import (
	"context"
	"errors"
	"fmt"

	"ccsub/internal/domain"
	"ccsub/internal/form"
	"ccsub/internal/gateway"
)

// ErrNotActive means the subscription is cancelled or has no serverId, so
// the gateway has nothing to change.
var ErrNotActive = errors.New("the subscription is not active on the gateway")

// ModifyInput is a validated modify form.
type ModifyInput struct {
	CallbackURI    string
	NLPFlag        bool
	FlowAccessCode string
	ReceiverKey    string // set when the new callback is ccsub's own receiver
}

// Modify records, sends and completes a modify call; on success the
// subscription takes the new settings.
func (s *Service) Modify(ctx context.Context, actor string, sub domain.Subscription, in ModifyInput) (domain.Call, error) {
	if err := changeable(sub); err != nil {
		return domain.Call{}, err
	}
	req := gateway.ModifyRequest{ServerID: sub.ServerID, ServiceCallBackURI: in.CallbackURI, NLPFlag: in.NLPFlag, FlowAccessCode: in.FlowAccessCode}
	_, redacted := gateway.ModifyBody(req)
	call, target, err := s.begin(ctx, actor, sub, domain.NewCall{Operation: domain.OpModify, CallbackURI: in.CallbackURI,
		NLPFlag: in.NLPFlag, FlowAccessCode: in.FlowAccessCode, RequestBody: redacted})
	if err != nil {
		return call, err
	}
	res := s.client.Modify(s.detached(ctx), target, req)
	if call, err = s.complete(ctx, call, res); err != nil || call.Outcome != domain.OutcomeSuccess {
		return call, err
	}
	bctx, cancel := s.bg(ctx)
	defer cancel()
	return call, s.store.ApplyModify(bctx, sub.ID, in.CallbackURI, in.NLPFlag, in.FlowAccessCode, in.ReceiverKey)
}

// Cancel records, sends and completes an unregister call; on success the
// subscription is cancelled and no longer kept alive.
func (s *Service) Cancel(ctx context.Context, actor string, sub domain.Subscription, why string) (domain.Call, error) {
	if err := changeable(sub); err != nil {
		return domain.Call{}, err
	}
	_, redacted := gateway.UnregisterBody(sub.ServerID)
	call, target, err := s.begin(ctx, actor, sub, domain.NewCall{Operation: domain.OpUnregister,
		CallbackURI: sub.CallbackURI, RequestBody: redacted})
	if err != nil {
		return call, err
	}
	res := s.client.Unregister(s.detached(ctx), target, sub.ServerID)
	if call, err = s.complete(ctx, call, res); err != nil || call.Outcome != domain.OutcomeSuccess {
		return call, err
	}
	bctx, cancel := s.bg(ctx)
	defer cancel()
	_, err = s.store.ChangeState(bctx, sub.ID, domain.SubCancelled, why, actor)
	return call, err
}

// Replace changes a subscription's token the only way the platform allows:
// register a new subscription with the new token, then cancel the old one,
// linked both ways. Registering first means results keep flowing if either
// step fails; the returned calls say how far it got.
func (s *Service) Replace(ctx context.Context, actor string, old domain.Subscription, newToken, key string) (reg, cancel domain.Call, err error) {
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
		in.ReceiverKey = form.NewReceiverKey()
		in.CallbackURI = form.ReceiverURL(s.public, in.ReceiverKey)
	}
	reg, err = s.Register(ctx, actor, in)
	if err != nil || reg.Outcome != domain.OutcomeSuccess {
		return reg, cancel, err
	}
	if err := s.linkNew(ctx, old.ID, reg); err != nil {
		return reg, cancel, err
	}
	cancel, err = s.Cancel(ctx, actor, old, fmt.Sprintf("replaced by serverId %s (new token)", reg.ServerID))
	return reg, cancel, err
}

// linkNew points the old subscription at the one a register call created.
func (s *Service) linkNew(ctx context.Context, oldID int64, reg domain.Call) error {
	if reg.SubscriptionID == nil {
		return fmt.Errorf("subscribe: register call %d created no subscription", reg.ID)
	}
	bctx, cancel := s.bg(ctx)
	defer cancel()
	return s.store.LinkReplacement(bctx, oldID, *reg.SubscriptionID)
}

// begin opens the gateway's secrets and records the call as pending.
func (s *Service) begin(ctx context.Context, actor string, sub domain.Subscription, nc domain.NewCall) (domain.Call, gateway.Target, error) {
	gw, target, err := s.target(ctx, sub.GatewayID)
	if err != nil {
		return domain.Call{}, target, err
	}
	nc.GatewayID, nc.GatewayName, nc.Actor, nc.ServerID, nc.SubscriptionID = gw.ID, gw.Name, actor, sub.ServerID, &sub.ID
	nc.SubscribeType, nc.TokenPresent = sub.SubscribeType, sub.TokenPresent
	call, err := s.store.BeginCall(ctx, nc)
	return call, target, err
}

func changeable(sub domain.Subscription) error {
	if sub.ServerID == "" || sub.State == domain.SubCancelled {
		return ErrNotActive
	}
	return nil
}
