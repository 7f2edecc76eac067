package server

import (
	"net/http"

	"ccsub/internal/domain"
	"ccsub/static"
)

// Access says who may use a route. Authorization is decided here, in one
// table, never inside handlers.
type Access int

const (
	Public   Access = iota // no session (health, assets, sign-in, the receiver)
	Reader                 // any signed-in role
	Operator               // operator or admin
	Admin                  // admin only
	Auditing               // admin or auditor: the audit trail (operators may not read it)
)

// Route is one entry of the route table.
type Route struct {
	Pattern string // Go 1.22 method + path pattern
	Access  Access
	handler http.Handler
}

// Routes is every route of the console, grouped by area.
func (s *Server) Routes() []Route {
	h := s.handle
	return []Route{
		// Open: health, static assets, sign-in.
		{"GET /healthz", Public, http.HandlerFunc(s.healthz)},
		{"GET /readyz", Public, h(s.readyz)},
		{"GET /static/", Public, static.Handler()},
		{"GET /favicon.ico", Public, http.RedirectHandler(static.Path("img/favicon.svg"), http.StatusMovedPermanently)},
		{"GET /login", Public, h(s.loginPage)},
		{"POST /login", Public, h(s.login)},
		{"POST /logout", Public, h(s.logout)},

		// Subscriptions.
		{"GET /{$}", Reader, http.RedirectHandler("/subscriptions", http.StatusSeeOther)},
		{"GET /subscriptions", Reader, h(s.listSubscriptions)},
		{"GET /subscriptions/new", Operator, h(s.newSubscription)},
		{"POST /subscriptions", Operator, h(s.registerSubscription)},
		{"GET /subscriptions/{id}", Reader, h(s.subscriptionPage)},
		{"POST /subscriptions/{id}/modify", Operator, h(s.modifySubscription)},
		{"GET /subscriptions/{id}/cancel", Operator, h(s.cancelPage)},
		{"POST /subscriptions/{id}/cancel", Operator, h(s.cancelSubscription)},
		{"POST /subscriptions/{id}/replace", Operator, h(s.replaceSubscription)},
		{"POST /subscriptions/{id}/policy", Operator, h(s.setPolicy)},
		{"POST /subscriptions/{id}/resolve", Operator, h(s.resolveSubscription)},

		// History.
		{"GET /history", Reader, h(s.history)},
		{"GET /calls/{id}", Reader, h(s.callPage)},

		// Gateways.
		{"GET /gateways", Reader, h(s.listGateways)},
		{"GET /gateways/new", Admin, h(s.newGateway)},
		{"POST /gateways", Admin, h(s.createGateway)},
		{"GET /gateways/{id}", Admin, h(s.editGateway)},
		{"POST /gateways/{id}", Admin, h(s.updateGateway)},
		{"POST /gateways/{id}/test", Operator, h(s.testGateway)},

		// Notifications: the receiver (no session: the platform authenticates
		// with service_token) and the inbox.
		{"POST /receiver/{key}/v100/subscribe/asrevent/asrresult", Public, http.HandlerFunc(s.receive)},
		{"GET /inbox", Reader, h(s.inbox)},
		{"GET /inbox/rows", Reader, h(s.inboxRowsFragment)},
		{"GET /subscriptions/{id}/inbox", Reader, h(s.subscriptionInbox)},

		// Audit trail: admins and auditors; verifying the chain is for admins.
		{"GET /audit", Auditing, h(s.auditList)},
		{"GET /audit/verify", Admin, h(s.auditVerify)},

		// Users: administrators only. Every change ends the user's sessions.
		{"GET /users", Admin, h(s.listUsers)},
		{"GET /users/new", Admin, h(s.newUser)},
		{"POST /users", Admin, h(s.createUser)},
		{"GET /users/{id}", Admin, h(s.userPage)},
		{"POST /users/{id}/role", Admin, h(s.setUserRole)},
		{"POST /users/{id}/disable", Admin, h(s.disableUser)},
		{"POST /users/{id}/enable", Admin, h(s.enableUser)},
		{"POST /users/{id}/password", Admin, h(s.resetUserPassword)},

		// Secrets: shown in clear only to admins, once, in answer to a POST
		// (never in a URL), and audited.
		{"POST /gateways/{id}/reveal", Admin, h(s.revealGatewayPassword)},
		{"POST /subscriptions/{id}/reveal-token", Admin, h(s.revealSubscriptionToken)},

		// API tokens (admins) and the JSON API. /api/ takes a bearer token
		// only, never the session cookie; the access levels are the pages'.
		{"GET /tokens", Admin, h(s.tokensPage)},
		{"POST /tokens", Admin, h(s.createToken)},
		{"POST /tokens/{id}/revoke", Admin, h(s.revokeToken)},
		{"GET /api/v1/gateways", Reader, h(s.apiListGateways)},
		{"POST /api/v1/gateways", Admin, h(s.apiCreateGateway)},
		{"GET /api/v1/gateways/{id}", Reader, h(s.apiGateway)},
		{"PATCH /api/v1/gateways/{id}", Admin, h(s.apiUpdateGateway)},
		{"GET /api/v1/subscriptions", Reader, h(s.apiListSubscriptions)},
		{"POST /api/v1/subscriptions", Operator, h(s.apiRegister)},
		{"GET /api/v1/subscriptions/{id}", Reader, h(s.apiSubscription)},
		{"POST /api/v1/subscriptions/{id}/modify", Operator, h(s.apiModify)},
		{"POST /api/v1/subscriptions/{id}/cancel", Operator, h(s.apiCancel)},
		{"GET /api/v1/calls", Reader, h(s.apiListCalls)},
		{"GET /api/v1/calls/{id}", Reader, h(s.apiCall)},
		{"GET /api/v1/audit", Auditing, h(s.apiListAudit)},

		// Exports: streamed, with the pages' filters; audited.
		{"GET /history/export.csv", Reader, h(s.exportHistoryCSV)},
		{"GET /history/export.json", Reader, h(s.exportHistoryJSON)},
		{"GET /audit/export.csv", Auditing, h(s.exportAuditCSV)},
		{"GET /audit/export.json", Auditing, h(s.exportAuditJSON)},

		// (new areas: add their rows above this line, grouped with a comment)

		{"/", Public, h(s.notFound)},
	}
}

// Handler returns every route behind the shared middleware:
// recover → request log → security headers → cross-origin protection →
// session → API token (on /api/) → (per route) require user → require role.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.Routes() {
		mux.Handle(rt.Pattern, noteRoute(s.guard(rt.Access, rt.handler)))
	}
	cop := http.NewCrossOriginProtection()
	// A refused cross-site request gets ccsub's own error page (or JSON on
	// the API), with the same headers as every other answer.
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, &userError{status: http.StatusForbidden,
			msg: "Cross-origin request refused: this form was sent from another site. Use the forms on ccsub's own pages."})
	}))
	return s.recoverer(s.requestLog(s.securityHeaders(cop.Handler(s.loadSession(s.apiAuth(mux))))))
}

// guard wraps a handler with the checks its access level needs.
func (s *Server) guard(a Access, h http.Handler) http.Handler {
	switch a {
	case Reader:
		return s.requireUser(h)
	case Operator:
		return s.requireUser(s.requireRole(h, domain.RoleAdmin, domain.RoleOperator))
	case Admin:
		return s.requireUser(s.requireRole(h, domain.RoleAdmin))
	case Auditing:
		return s.requireUser(s.requireRole(h, domain.RoleAdmin, domain.RoleAuditor))
	}
	return h
}
