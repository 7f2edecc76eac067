// Package server is ccsub's door for people: the server-rendered pages of
// the console, their sign-in sessions and flash messages. Handlers parse
// a form or a query into typed values, call one action, and render a view
// of web/; every error goes to Fail, the one place errors become pages.
package server

import (
	"log/slog"
	"net/http"
	"time"

	"ccsub/internal/access"
	"ccsub/internal/audit"
	"ccsub/internal/gateways"
	"ccsub/internal/retention"
	"ccsub/internal/store"
	"ccsub/internal/subscribe"

	"github.com/gorilla/sessions"
)

// Deps are what the pages need; all are built by the composition root.
type Deps struct {
	Store       *store.Store // reads
	Subscribe   *subscribe.Service
	Gateways    *gateways.Service
	Access      *access.Service
	Audit       *audit.Trail
	Retention   *retention.Service
	Log         *slog.Logger
	SessionKeys [][]byte      // hash/block key pairs, newest first (rotation)
	Secure      bool          // cookies only over TLS
	PublicURL   string        // where users and the platform reach this console
	Interval    time.Duration // keep-alive handshake interval, for display
}

// Server holds the handlers' dependencies.
type Server struct {
	store    *store.Store
	subs     *subscribe.Service
	gws      *gateways.Service
	access   *access.Service
	audit    *audit.Trail
	retain   *retention.Service
	log      *slog.Logger
	sessions *sessions.CookieStore
	public   string
	interval time.Duration
	gwNames  *gatewayNames
}

// New builds the pages.
func New(d Deps) *Server {
	cs := sessions.NewCookieStore(d.SessionKeys...)
	// gorilla's defaults (30 days, no HttpOnly, no SameSite) are not safe for
	// an admin console: set every option explicitly.
	cs.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(d.Access.SessionTTL().Seconds()),
		HttpOnly: true,
		Secure:   d.Secure,
		SameSite: http.SameSiteLaxMode,
	}
	cs.MaxAge(cs.Options.MaxAge)
	return &Server{store: d.Store, subs: d.Subscribe, gws: d.Gateways, access: d.Access, audit: d.Audit, retain: d.Retention, log: d.Log,
		sessions: cs, public: d.PublicURL, interval: d.Interval, gwNames: &gatewayNames{}}
}
