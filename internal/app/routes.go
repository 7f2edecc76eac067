package app

import (
	"net/http"
	"strings"

	"ccsub/internal/api"
	"ccsub/internal/domain"
	"ccsub/internal/export"
	"ccsub/internal/httpkit"
	"ccsub/internal/i18n"
	"ccsub/internal/ratelimit"
	"ccsub/internal/receiver"
	"ccsub/internal/server"
	"ccsub/static"
)

// Route is one entry of the route table.
type Route struct {
	Pattern string // Go 1.22 method + path pattern
	Access  httpkit.Access
	Handler http.Handler
}

// doors are the HTTP doors of one console.
type doors struct {
	pages    *server.Server
	api      *api.API
	receiver *receiver.Receiver
	exports  *export.Exports
}

func (a *App) doors(sessionKeys [][]byte) doors {
	return doors{
		pages: server.New(server.Deps{Store: a.Store, Subscribe: a.Subscribe, Gateways: a.Gateways, Access: a.Access,
			Audit: a.Audit, Retention: a.Retention, Log: a.Log, SessionKeys: sessionKeys, Secure: a.Config.SecureCookies(),
			PublicURL: a.Config.PublicURL, Interval: a.Config.HandshakeInterval}),
		api: api.New(api.Deps{Store: a.Store, Subscribe: a.Subscribe, Gateways: a.Gateways, Access: a.Access,
			Log: a.Log, PublicURL: a.Config.PublicURL,
			TokenLimit: ratelimit.Limit{Rate: a.Config.APIRate, Burst: a.Config.APIBurst}}),
		receiver: receiver.New(receiver.Deps{Store: a.Store, Keys: a.Keys, Log: a.Log, Metrics: a.Metrics,
			RefusedLimit: ratelimit.Limit{Rate: a.Config.PushRefusedRate, Burst: a.Config.PushRefusedBurst}}),
		exports: export.New(export.Deps{Store: a.Store, Subscribe: a.Subscribe, Audit: a.Audit, Log: a.Log}),
	}
}

// fail renders an error the way the door that got the request answers:
// JSON on the API, a page everywhere else.
func (d doors) fail(w http.ResponseWriter, r *http.Request, err error) {
	if api.Is(r) {
		d.api.Fail(w, r, err)
		return
	}
	d.pages.Fail(w, r, err)
}

// Routes is every route of the console, grouped by area: who may use it
// is decided here, in one table, never inside handlers.
func (a *App) Routes(sessionKeys [][]byte) []Route {
	d := a.doors(sessionKeys)
	return d.routes()
}

func (d doors) routes() []Route {
	p, j, x := d.pages, d.api, d.exports
	h := func(f httpkit.HandlerFunc) http.Handler { return httpkit.Handle(d.fail, f) }
	const (
		Public, Reader, Operator = httpkit.Public, httpkit.Reader, httpkit.Operator
		Admin, Auditing          = httpkit.Admin, httpkit.Auditing
		// OneTrip: a read-only page whose session lookup goes to the
		// database with its reads, in one round trip (issue 10).
		OneTrip = httpkit.OneTrip
	)
	return []Route{
		// Open: health, static assets, sign-in.
		{"GET /healthz", Public, http.HandlerFunc(p.Healthz)},
		{"GET /readyz", Public, reserved(h(p.Readyz))},
		{"GET /static/", Public, static.Handler()},
		{"GET /favicon.ico", Public, http.RedirectHandler(static.Path("img/favicon.svg"), http.StatusMovedPermanently)},
		{"GET /login", Public, h(p.LoginPage)},
		{"POST /login", Public, h(p.Login)},
		{"POST /logout", Public, h(p.Logout)},
		{"POST /language", Public, h(p.SetLanguage)},

		// The signed-in user's own preferences (the time zone).
		{"GET /preferences", Reader, h(p.PreferencesPage)},
		{"POST /preferences", Reader, h(p.SavePreferences)},

		// Home: the console at a glance.
		{"GET /{$}", Reader, h(p.Dashboard)},

		// Subscriptions.
		{"GET /subscriptions", Reader | OneTrip, h(p.ListSubscriptions)},
		{"GET /subscriptions/new", Operator, h(p.NewSubscription)},
		{"POST /subscriptions", Operator, h(p.RegisterSubscription)},
		{"GET /subscriptions/{id}", Reader | OneTrip, h(p.SubscriptionPage)},
		{"POST /subscriptions/{id}/modify", Operator, h(p.ModifySubscription)},
		{"GET /subscriptions/{id}/cancel", Operator, h(p.CancelPage)},
		{"POST /subscriptions/{id}/cancel", Operator, h(p.CancelSubscription)},
		{"POST /subscriptions/{id}/replace", Operator, h(p.ReplaceSubscription)},
		{"POST /subscriptions/{id}/policy", Operator, h(p.SetPolicy)},
		{"POST /subscriptions/{id}/resolve", Operator, h(p.ResolveSubscription)},
		{"POST /subscriptions/{id}/close", Operator, h(p.CloseSubscription)},

		// History.
		{"GET /history", Reader | OneTrip, h(p.History)},
		{"GET /calls/{id}", Reader | OneTrip, h(p.CallPage)},

		// Retcodes: every code of the one table, and a page per code.
		{"GET /retcodes", Reader, h(p.Retcodes)},
		{"GET /retcodes/{code}", Reader, h(p.RetcodePage)},

		// Gateways.
		{"GET /gateways", Reader, h(p.ListGateways)},
		{"GET /gateways/new", Admin, h(p.NewGateway)},
		{"POST /gateways", Admin, h(p.CreateGateway)},
		{"GET /gateways/{id}", Admin, h(p.EditGateway)},
		{"POST /gateways/{id}", Admin, h(p.UpdateGateway)},
		{"POST /gateways/{id}/test", Operator, h(p.TestGateway)},
		{"POST /gateways/{id}/retry-login", Admin, h(p.RetryGatewayLogin)},
		{"POST /gateways/{id}/disable", Admin, h(p.DisableGateway)},
		{"POST /gateways/{id}/enable", Admin, h(p.EnableGateway)},
		{"POST /gateways/{id}/remove", Admin, h(p.RemoveGateway)},

		// Notifications: the receiver (no session: the platform authenticates
		// with service_token) and the inbox.
		{"POST " + domain.ReceiverPath + "{key}/v100/subscribe/asrevent/asrresult", Public, reserved(http.HandlerFunc(d.receiver.Receive))},
		{"GET /inbox", Reader | OneTrip, h(p.Inbox)},
		{"GET /inbox/rows", Reader | OneTrip, h(p.InboxRows)},
		{"GET /subscriptions/{id}/inbox", Reader, h(p.SubscriptionInbox)},

		// Audit trail: admins and auditors; verifying the chain is for admins.
		{"GET /audit", Auditing | OneTrip, h(p.AuditList)},
		{"GET /audit/verify", Admin, h(p.AuditVerify)},

		// Users: administrators only. Every change ends the user's sessions.
		{"GET /users", Admin, h(p.ListUsers)},
		{"GET /users/new", Admin, h(p.NewUser)},
		{"POST /users", Admin, h(p.CreateUser)},
		{"GET /users/{id}", Admin, h(p.UserPage)},
		{"POST /users/{id}/role", Admin, h(p.SetUserRole)},
		{"POST /users/{id}/disable", Admin, h(p.DisableUser)},
		{"POST /users/{id}/enable", Admin, h(p.EnableUser)},
		{"POST /users/{id}/password", Admin, h(p.ResetUserPassword)},

		// Secrets: shown in clear only to admins, once, in answer to a POST
		// (never in a URL), and audited.
		{"POST /gateways/{id}/reveal", Admin, h(p.RevealGatewayPassword)},
		{"POST /subscriptions/{id}/reveal-token", Admin, h(p.RevealSubscriptionToken)},

		// API tokens (admins) and the JSON API. /api/ takes a bearer token
		// only, never the session cookie; the access levels are the pages'.
		{"GET /tokens", Admin, h(p.TokensPage)},
		{"POST /tokens", Admin, h(p.CreateToken)},
		{"POST /tokens/{id}/revoke", Admin, h(p.RevokeToken)},
		{"GET /api/v1/gateways", Reader, h(j.ListGateways)},
		{"POST /api/v1/gateways", Admin, h(j.CreateGateway)},
		{"GET /api/v1/gateways/{id}", Reader, h(j.Gateway)},
		{"PATCH /api/v1/gateways/{id}", Admin, h(j.UpdateGateway)},
		{"DELETE /api/v1/gateways/{id}", Admin, h(j.RemoveGateway)},
		{"GET /api/v1/subscriptions", Reader, h(j.ListSubscriptions)},
		{"POST /api/v1/subscriptions", Operator, h(j.Register)},
		{"GET /api/v1/subscriptions/counts", Reader, h(j.SubscriptionCounts)},
		{"GET /api/v1/subscriptions/{id}", Reader, h(j.Subscription)},
		{"POST /api/v1/subscriptions/{id}/modify", Operator, h(j.Modify)},
		{"POST /api/v1/subscriptions/{id}/cancel", Operator, h(j.Cancel)},
		{"POST /api/v1/subscriptions/{id}/close", Operator, h(j.Close)},
		{"GET /api/v1/calls", Reader, h(j.ListCalls)},
		{"GET /api/v1/calls/{id}", Reader, h(j.Call)},
		{"GET /api/v1/audit", Auditing, h(j.ListAudit)},

		// Exports: streamed, with the pages' filters; audited.
		{"GET /history/export.csv", Reader, h(x.HistoryCSV)},
		{"GET /history/export-excel.csv", Reader, h(x.HistoryExcel)},
		{"GET /history/export.json", Reader, h(x.HistoryJSON)},
		{"GET /audit/export.csv", Auditing, h(x.AuditCSV)},
		{"GET /audit/export-excel.csv", Auditing, h(x.AuditExcel)},
		{"GET /audit/export.json", Auditing, h(x.AuditJSON)},

		// Retention: administrators only. A run deletes rows past their
		// window; "Run now" starts one in the background, audited.
		{"GET /retention", Admin, h(p.RetentionPage)},
		{"POST /retention/run", Admin, h(p.RunRetention)},

		// (new areas: add their rows above this line, grouped with a comment)

		{"/", Public, h(p.NotFound)},
	}
}

// Handler is every route behind the middleware, composed here once:
// language (no query: a cookie or Accept-Language) → recover → request log → security headers → cross-origin protection →
// session (pages) → API token (/api/) → per route: require a user of the
// route's roles.
func (a *App) Handler(sessionKeys [][]byte) http.Handler {
	d := a.doors(sessionKeys)
	mux := http.NewServeMux()
	for _, rt := range d.routes() {
		mux.Handle(rt.Pattern, httpkit.NoteRoute(httpkit.Guard(rt.Access, d.fail, rt.Handler)))
	}
	cop := http.NewCrossOriginProtection()
	// A refused cross-site request gets ccsub's own error page (or JSON on
	// the API), with the same headers as every other answer.
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.fail(w, r, httpkit.Fail(http.StatusForbidden, i18n.T(r.Context(), "problem.cross_origin")))
	}))
	return i18n.Middleware(sessionless, httpkit.Recover(d.fail, httpkit.RequestLog(a.Log, a.Metrics,
		httpkit.SecurityHeaders(a.Config.SecureCookies(), cop.Handler(d.pages.LoadSession(sessionless, d.api.Authenticate(mux)))))))
}

// sessionless reports requests that never use the console session, so a
// signed-in browser's asset fetches, the platform's pushes, health checks
// and API calls (bearer tokens only) cost no session query. They are not
// translated either: programs (the API, the platform) get stable English
// words, and assets no Vary on the language.
func sessionless(r *http.Request) bool {
	p := r.URL.Path
	return api.Is(r) || p == "/healthz" || p == "/readyz" || p == "/favicon.ico" ||
		strings.HasPrefix(p, "/static/") || strings.HasPrefix(p, domain.ReceiverPath)
}
