package app

import (
	"context"
	"net/http"

	"ccsub/internal/domain"
	"ccsub/internal/store"
)

// reserved runs a route on the reserved database connections (see
// store.Reserved): the receiver, whose pushes the platform sends while
// people search, and readiness, since a console whose interactive
// connections are all busy is slow, not gone, and must stay routed.
func reserved(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(store.Reserved(r.Context())))
	})
}

// reservedCounts reads the metrics' gauges on the reserved connections, so
// a scrape still sees a console whose interactive connections are all
// busy.
type reservedCounts struct{ st *store.Store }

func (c reservedCounts) SubscriptionCounts(ctx context.Context) (map[domain.SubState]int64, error) {
	return c.st.SubscriptionCounts(store.Reserved(ctx))
}

func (c reservedCounts) CountPendingCalls(ctx context.Context) (int64, error) {
	return c.st.CountPendingCalls(store.Reserved(ctx))
}
