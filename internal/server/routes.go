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
	mux.Handle("GET /favicon.ico", http.RedirectHandler(static.Path("img/favicon.svg"), http.StatusMovedPermanently))
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
	mux.HandleFunc("POST /receiver/{key}/v100/subscribe/asrevent/asrresult", s.receive)
	mux.Handle("GET /inbox", user(s.handle(s.inbox)))
	mux.Handle("GET /inbox/rows", user(s.handle(s.inboxRowsFragment)))
	mux.Handle("GET /subscriptions/{id}/inbox", user(s.handle(s.subscriptionInbox)))

	// Subscription lifecycle: page, modify, cancel, replace, policy.
	mux.Handle("GET /subscriptions/{id}", user(s.handle(s.subscriptionPage)))
	mux.Handle("POST /subscriptions/{id}/modify", operator(s.handle(s.modifySubscription)))
	mux.Handle("GET /subscriptions/{id}/cancel", operator(s.handle(s.cancelPage)))
	mux.Handle("POST /subscriptions/{id}/cancel", operator(s.handle(s.cancelSubscription)))
	mux.Handle("POST /subscriptions/{id}/replace", operator(s.handle(s.replaceSubscription)))
	mux.Handle("POST /subscriptions/{id}/policy", operator(s.handle(s.setPolicy)))

	mux.Handle("/", s.handle(s.notFound))

	return s.recoverer(s.requestLog(s.securityHeaders(http.NewCrossOriginProtection().Handler(s.loadSession(mux)))))
}
