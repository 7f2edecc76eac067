package form

import (
	"context"
	"net/url"

	"ccsub/internal/i18n"
)

// Login is the sign-in form. The password is never re-displayed.
type Login struct {
	Username string
	Password string
	Next     string
	Errors   Errors
}

// ParseLogin reads the login form; its messages are in the language of ctx.
func ParseLogin(ctx context.Context, v url.Values) Login {
	f := Login{Username: get(v, "username"), Password: v.Get("password"), Next: get(v, "next"), Errors: Errors{}}
	duplicated(ctx, v, f.Errors, "username", "password")
	return f
}

// Validate checks only shape: whether the account exists is never revealed.
// Its messages are in the language of ctx.
func (f *Login) Validate(ctx context.Context) bool {
	if f.Username == "" {
		f.Errors.Add("username", i18n.T(ctx, "auth.signin.username_required"))
	} else if len(f.Username) > 64 || badChar(ctx, f.Username) != "" {
		f.Errors.Add("username", i18n.T(ctx, "auth.signin.username_invalid"))
	}
	if f.Password == "" {
		f.Errors.Add("password", i18n.T(ctx, "auth.signin.password_required"))
	} else if len(f.Password) > 256 {
		f.Errors.Add("password", i18n.T(ctx, "auth.signin.password_too_long"))
	}
	return len(f.Errors) == 0
}

// SafeNext returns next when it is a local path (no scheme, no host, no
// protocol-relative //), else "/": an open redirect would let a phishing
// link bounce through our login.
func SafeNext(next string) string {
	if next == "" || next[0] != '/' || len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}
