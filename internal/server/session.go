package server

import (
	"context"
	"net/http"

	"ccsub/internal/database"
	"ccsub/internal/domain"
	"ccsub/internal/httpkit"
	"ccsub/internal/i18n"
	"ccsub/internal/store"
	"ccsub/web/layout"
)

const (
	sessionName = "ccsub_session"
	// keyToken holds the session's random token: the cookie carries nothing
	// else about the sign-in, so revoking the server-side row ends it.
	keyToken = "sid"
)

// cookieToken returns the session token in the request's cookie, or "".
func (s *Server) cookieToken(r *http.Request) string {
	sess, err := s.sessions.Get(r, sessionName)
	if err != nil || sess.IsNew {
		return ""
	}
	tok, _ := sess.Values[keyToken].(string)
	return tok
}

// LoadSession puts the request's sign-in, if any, into the request. It is
// looked up late: a list page's lookup goes to the database with its list
// query in one batch, every other route's when its Guard asks (see
// httpkit.WithPendingUser). A session that was revoked, expired or idle,
// or whose user was disabled, is treated as signed out. Requests that
// never use the console session (assets, the receiver, health checks, the
// API with its bearer tokens) and requests without a session cookie cost
// no query. It also puts the viewer's time zone into the request
// (viewerZone).
func (s *Server) LoadSession(skip func(*http.Request) bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if skip(r) {
			next.ServeHTTP(w, r)
			return
		}
		if l := s.access.SessionLookup(s.cookieToken(r)); l != nil {
			r = r.WithContext(store.WithSessionLookup(r.Context(), l))
			r = httpkit.WithPendingUser(r, func(ctx context.Context) (domain.User, bool, error) {
				u, ok, err := s.access.FinishSession(ctx, l)
				if database.Unavailable(err) { // a stale pooled connection after a restart: once more
					u, ok, err = s.access.FinishSession(ctx, l)
				}
				return u, ok, err
			})
		}
		// The viewer's time zone goes next to the language: its user part
		// is read with the session, so it costs no query either.
		next.ServeHTTP(w, r.WithContext(i18n.WithZone(r.Context(), viewerZone(r))))
	})
}

// setSession gives the browser a cookie holding only the session's token.
func (s *Server) setSession(w http.ResponseWriter, r *http.Request, token string) error {
	sess, _ := s.sessions.New(r, sessionName)
	sess.Values = map[any]any{keyToken: token}
	return sess.Save(r, w)
}

// endSession ends the request's session on the server, then leaves the
// browser a cookie holding only a flash message for the sign-in page.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request, msg string) error {
	var signedIn *domain.User
	if u, ok := currentUser(r); ok {
		signedIn = &u
	}
	if err := s.access.SignOut(r.Context(), httpkit.Actor(r), signedIn, s.cookieToken(r)); err != nil {
		return err
	}
	sess, _ := s.sessions.New(r, sessionName)
	sess.Values = map[any]any{}
	sess.AddFlash("ok\x00" + msg)
	return sess.Save(r, w)
}

// flash stores a message for the next page, then redirects there (303).
func (s *Server) flash(w http.ResponseWriter, r *http.Request, kind, text, to string) error {
	if sess, err := s.sessions.Get(r, sessionName); err == nil && !sess.IsNew {
		sess.Flashes() // keep only the newest: a client that never views a page must not grow the cookie
		sess.AddFlash(kind + "\x00" + text)
		if err := sess.Save(r, w); err != nil {
			return err
		}
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// takeFlash pops the pending flash message, if any.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) layout.Flash {
	sess, err := s.sessions.Get(r, sessionName)
	if err != nil || sess.IsNew {
		return layout.Flash{}
	}
	fl := sess.Flashes()
	if len(fl) == 0 {
		return layout.Flash{}
	}
	_ = sess.Save(r, w)
	str, _ := fl[len(fl)-1].(string)
	for i := 0; i < len(str); i++ {
		if str[i] == 0 {
			return layout.Flash{Kind: str[:i], Text: str[i+1:]}
		}
	}
	return layout.Flash{Kind: "ok", Text: str}
}

// page builds the frame of a page with its pending flash message.
func (s *Server) page(w http.ResponseWriter, r *http.Request, title, nav string) layout.Shell {
	sh := s.shell(r, title, nav)
	sh.Flash = s.takeFlash(w, r)
	return sh
}

func flashError(msg string) layout.Flash { return layout.Flash{Kind: "error", Text: msg} }
