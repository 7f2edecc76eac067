package subscribe

import (
	"context"
	"fmt"

	"ccsub/internal/domain"
	"ccsub/internal/gateway"
	"ccsub/internal/secret"
)

// Handshake keeps sub alive on its gateway: the extended form with the
// subscription's service token when it has one, the plain GET otherwise.
// Nothing is recorded here: the keep-alive engine records failures only.
// An error means the handshake could not be sent (the gateway is gone or a
// secret cannot be opened); the result then is the zero Result. When the
// gateway refused its password before, nothing is sent and the result is
// rejected with no attempt (see send): the subscription degrades and then
// lapses, as the platform drops it anyway, and no login is spent on it.
func (s *Service) Handshake(ctx context.Context, sub domain.Subscription) (gateway.Result, error) {
	gw, target, err := s.target(ctx, sub.GatewayID)
	if err != nil {
		return gateway.Result{}, fmt.Errorf("subscribe.Handshake %d: %w", sub.ID, err)
	}
	token, err := s.openToken(sub)
	if err != nil {
		return gateway.Result{}, fmt.Errorf("subscribe.Handshake %d: %w", sub.ID, err)
	}
	return s.send(ctx, gw, "", func() gateway.Result { return s.client.Handshake(ctx, target, sub.ServerID, token) }), nil
}

// openToken returns the subscription's service token in clear, or "" when
// it has none. The error never contains the token.
func (s *Service) openToken(sub domain.Subscription) (string, error) {
	if len(sub.TokenSealed) == 0 {
		return "", nil
	}
	plain, err := s.keys.Open(sub.TokenSealed, secret.PurposeServiceToken)
	if err != nil {
		return "", fmt.Errorf("open the service token of subscription %d: %w", sub.ID, err)
	}
	return string(plain), nil
}
