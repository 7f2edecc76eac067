// Package server is ccsub's HTTP layer: routes, middleware, handlers and
// the one place errors become pages.
package server

import (
	"log/slog"
	"net/http"
	"time"

	"ccsub/internal/metrics"
	"ccsub/internal/secret"
	"ccsub/internal/store"
	"ccsub/internal/subscribe"

	"github.com/gorilla/sessions"
)

// Deps are what the server needs; all are built by the caller.
type Deps struct {
	Store       *store.Store
	Service     *subscribe.Service
	Keys        *secret.Keyring
	Log         *slog.Logger
	SessionKeys [][]byte         // hash/block key pairs, newest first (rotation)
	Secure      bool             // cookies only over TLS; HSTS
	SessionTTL  time.Duration    // absolute lifetime of a session; 0 means 12 hours
	SessionIdle time.Duration    // a session unused this long ends; 0 means 30 minutes
	PublicURL   string           // where users and the platform reach this console
	Interval    time.Duration    // keep-alive handshake interval, for display
	Metrics     *metrics.Metrics // nil: nothing is measured
}

// Server holds the handlers' dependencies.
type Server struct {
	store    *store.Store
	svc      *subscribe.Service
	keys     *secret.Keyring
	log      *slog.Logger
	sessions *sessions.CookieStore
	secure   bool
	ttl      time.Duration
	idle     time.Duration
	limits   store.LoginLimits
	public   string
	interval time.Duration
	metrics  *metrics.Metrics
}

// New builds the server.
func New(d Deps) *Server {
	if d.SessionTTL <= 0 {
		d.SessionTTL = 12 * time.Hour
	}
	if d.SessionIdle <= 0 {
		d.SessionIdle = 30 * time.Minute
	}
	cs := sessions.NewCookieStore(d.SessionKeys...)
	// gorilla's defaults (30 days, no HttpOnly, no SameSite) are not safe for
	// an admin console: set every option explicitly.
	cs.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(d.SessionTTL.Seconds()),
		HttpOnly: true,
		Secure:   d.Secure,
		SameSite: http.SameSiteLaxMode,
	}
	cs.MaxAge(cs.Options.MaxAge)
	return &Server{store: d.Store, svc: d.Service, keys: d.Keys, log: d.Log, sessions: cs, secure: d.Secure, ttl: d.SessionTTL,
		idle: d.SessionIdle, limits: loginLimits(), public: d.PublicURL, interval: d.Interval,
		metrics: d.Metrics}
}
