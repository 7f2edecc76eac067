package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"

	"ccsub/internal/domain"
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

// sessionID is what the sessions table stores for a token: its SHA-256, so
// a copy of the table cannot be turned back into working cookies.
func sessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// sessionUser returns the user of the request's live session. A session
// that is unknown, revoked, expired, idle too long or whose user is
// disabled is no session (false, nil); only a database failure is an error.
func (s *Server) sessionUser(r *http.Request) (domain.User, bool, error) {
	tok := s.cookieToken(r)
	if tok == "" {
		return domain.User{}, false, nil
	}
	id := sessionID(tok)
	u, stale, err := s.store.SessionUser(r.Context(), id, s.idle)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.User{}, false, nil
	}
	if err != nil {
		return domain.User{}, false, err
	}
	if stale {
		if err := s.store.TouchSession(r.Context(), id); err != nil {
			s.log.Warn("session activity not recorded", "id", requestID(r), "err", err)
		}
	}
	return u, true, nil
}

// startSession signs u in with a new random session id, and deletes the
// session the browser presented, if any: a session id is never reused
// across a sign-in, so one planted in the browser beforehand is worthless.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u domain.User) error {
	var b [32]byte
	_, _ = rand.Read(b[:])
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	replaces := ""
	if old := s.cookieToken(r); old != "" {
		replaces = sessionID(old)
	}
	err := s.store.CreateSession(r.Context(), domain.NewSession{ID: sessionID(tok), UserID: u.ID, Lifetime: s.ttl,
		SourceAddr: sourceAddr(r), UserAgent: clip(r.UserAgent(), 256)}, replaces)
	if err != nil {
		return err
	}
	sess, _ := s.sessions.New(r, sessionName)
	sess.Values = map[any]any{keyToken: tok}
	return sess.Save(r, w)
}

// endSession deletes the request's session on the server, then leaves the
// browser a cookie holding only a flash message for the sign-in page.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request, msg string) error {
	if tok := s.cookieToken(r); tok != "" {
		if err := s.store.DeleteSession(context.WithoutCancel(r.Context()), sessionID(tok)); err != nil {
			return err
		}
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
