package server

import (
	"net/http"

	"ccsub/internal/domain"
	"ccsub/static"
)

// Handler returns every route of the console behind the shared middleware.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	user := s.requireUser
	admin := func(h http.Handler) http.Handler { return s.requireUser(s.requireRole(h, domain.RoleAdmin)) }
	operator := func(h http.Handler) http.Handler {
		return s.requireUser(s.requireRole(h, domain.RoleAdmin, domain.RoleOperator))
	}

	// Open: health, static assets, sign-in.
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /readyz", s.handle(s.readyz))
	mux.Handle("GET /static/", static.Handler())
	mux.Handle("GET /login", s.handle(s.loginPage))
	mux.Handle("POST /login", s.handle(s.login))
	mux.Handle("POST /logout", s.handle(s.logout))

	// Subscriptions.
	mux.Handle("GET /{$}", user(http.RedirectHandler("/subscriptions", http.StatusSeeOther)))
	mux.Handle("GET /subscriptions", user(s.handle(s.listSubscriptions)))
	mux.Handle("GET /subscriptions/new", operator(s.handle(s.newSubscription)))
	mux.Handle("POST /subscriptions", operator(s.handle(s.registerSubscription)))

	// History.
	mux.Handle("GET /history", user(s.handle(s.history)))
	mux.Handle("GET /calls/{id}", user(s.handle(s.callPage)))

	// Gateways.
	mux.Handle("GET /gateways", user(s.handle(s.listGateways)))
	mux.Handle("GET /gateways/new", admin(s.handle(s.newGateway)))
	mux.Handle("POST /gateways", admin(s.handle(s.createGateway)))
	mux.Handle("GET /gateways/{id}", admin(s.handle(s.editGateway)))
	mux.Handle("POST /gateways/{id}", admin(s.handle(s.updateGateway)))
	mux.Handle("POST /gateways/{id}/test", operator(s.handle(s.testGateway)))

	// Notifications: the receiver (no session: the platform authenticates
	// with service_token) and the inbox.
	// (receiver and inbox routes go here)

	// Subscription lifecycle: page, modify, cancel, replace, policy.
	// (lifecycle routes go here)

	mux.Handle("/", s.handle(s.notFound))

	return s.recoverer(s.requestLog(s.securityHeaders(http.NewCrossOriginProtection().Handler(s.loadSession(mux)))))
}
