package server

import (
	"net/http"
	"time"

	"ccsub/internal/domain"
	"ccsub/web/layout"
)

const (
	sessionName = "ccsub_session"
	keyUserID   = "uid"
	keyIssued   = "iat"
)

// sessionUser returns the user of a valid, unexpired session.
func (s *Server) sessionUser(r *http.Request) (domain.User, bool) {
	sess, err := s.sessions.Get(r, sessionName)
	if err != nil || sess.IsNew {
		return domain.User{}, false
	}
	uid, ok1 := sess.Values[keyUserID].(int64)
	iat, ok2 := sess.Values[keyIssued].(int64)
	// The cookie's MaxAge is advisory to the browser; the issue time inside
	// the signed cookie is what bounds a session's absolute lifetime.
	if !ok1 || !ok2 || time.Since(time.Unix(iat, 0)) > s.ttl {
		return domain.User{}, false
	}
	u, err := s.store.UserByID(r.Context(), uid)
	if err != nil || u.Disabled {
		return domain.User{}, false
	}
	return u, true
}

// startSession replaces any previous session with a fresh one for u.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u domain.User) error {
	sess, _ := s.sessions.New(r, sessionName)
	sess.Values = map[any]any{keyUserID: u.ID, keyIssued: time.Now().Unix()}
	return sess.Save(r, w)
}

// endSession expires the cookie.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) error {
	sess, _ := s.sessions.Get(r, sessionName)
	sess.Values = map[any]any{}
	sess.Options.MaxAge = -1
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
