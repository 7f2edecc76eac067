package server

import (
	"context"
	"slices"
	"sync"
	"time"

	"ccsub/internal/domain"
)

// gatewayNamesFor is how long the lists' gateway filters (history,
// subscriptions) reuse the gateway names they read: a list page then costs
// one round trip (issue 10 §5), and a gateway added by another process
// shows in the filter within seconds, at once when a filter asks for it.
// Only the filter's choices come from here; the rows carry their own
// gateway names.
const gatewayNamesFor = 10 * time.Second

type gatewayNames struct {
	mu   sync.Mutex
	at   time.Time
	list []domain.Gateway
}

// gatewayChoices returns the gateways for a filter, read at most every
// gatewayNamesFor, or again when the filter asks for a gateway (want, 0
// for none) they do not hold: one added since.
func (s *Server) gatewayChoices(ctx context.Context, want int64) ([]domain.Gateway, error) {
	c := s.gwNames
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.list != nil && time.Since(c.at) < gatewayNamesFor &&
		(want == 0 || slices.ContainsFunc(c.list, func(g domain.Gateway) bool { return g.ID == want })) {
		return c.list, nil
	}
	gws, err := s.store.ListGateways(ctx)
	if err != nil {
		return nil, err
	}
	for i := range gws { // names and ids only: nothing sealed stays in memory
		gws[i] = domain.Gateway{ID: gws[i].ID, Name: gws[i].Name, BaseURL: gws[i].BaseURL}
	}
	c.list, c.at = gws, time.Now()
	return gws, nil
}

// forgetGatewayNames makes the next filter read the gateways again, after
// this process saved, disabled, enabled or removed one.
func (s *Server) forgetGatewayNames() {
	s.gwNames.mu.Lock()
	s.gwNames.list = nil
	s.gwNames.mu.Unlock()
}
