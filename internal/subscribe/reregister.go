package subscribe

import (
	"context"
	"errors"
	"fmt"

	"ccsub/internal/domain"
)

// reregisterClaim marks a lapsed subscription as being re-registered (see
// store.ClaimReregister); one value for every process, since the database
// row, not the process, is what is reserved.
const reregisterClaim = "reregister"

// Reregister registers a lapsed subscription again with the same callback,
// token, NLP flag, flow access code and receiver key, and links the old
// subscription to the new one both ways. A lapse is re-registered at most
// once: the subscription is reserved in the database before anything is
// sent, so two engines (or an engine and a person) never both register.
// It returns the register call; domain.ErrConflict means the subscription
// is not lapsed, was already replaced, or is being re-registered elsewhere.
func (s *Service) Reregister(ctx context.Context, old domain.Subscription, actor string) (domain.Call, error) {
	token, err := s.openToken(old)
	if err != nil {
		return domain.Call{}, fmt.Errorf("subscribe.Reregister %d: %w", old.ID, err)
	}
	// The reservation outlives any call this process could still be
	// waiting for, so a process that died mid-register blocks a person's
	// retry only that long.
	if err := s.store.ClaimReregister(ctx, old.ID, reregisterClaim, s.interrupted); err != nil {
		return domain.Call{}, fmt.Errorf("subscribe.Reregister %d: %w", old.ID, err)
	}
	// The new subscription is linked to old as its answer is recorded.
	call, err := s.register(ctx, domain.Actor{Name: actor}, RegisterInput{
		GatewayID: old.GatewayID, SubscribeType: old.SubscribeType, ServiceToken: token,
		CallbackURI: old.CallbackURI, NLPFlag: old.NLPFlag, FlowAccessCode: old.FlowAccessCode,
		AutoReregister: old.AutoReregister, ReceiverKey: old.ReceiverKey, ReplacesID: &old.ID,
	}, answer{Register: &registerAnswer{Reregister: true}})
	if call.SubscriptionID != nil || errors.Is(err, domain.ErrAnswerKept) {
		// Created, and an unknown one is never retried blindly; or the
		// answer waits in the journal and keeps the claim until written.
		return call, err
	}
	// Nothing was created (rejected or failed): free the reservation so a
	// person may try again.
	bctx, cancel := s.bg(ctx)
	defer cancel()
	return call, errors.Join(err, s.store.ReleaseReregister(bctx, old.ID, reregisterClaim, old.ReceiverKey))
}
