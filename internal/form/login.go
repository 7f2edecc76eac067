package form

import "net/url"

// Login is the sign-in form. The password is never re-displayed.
type Login struct {
	Username string
	Password string
	Next     string
	Errors   Errors
}

// ParseLogin reads the login form.
func ParseLogin(v url.Values) Login {
	f := Login{Username: get(v, "username"), Password: v.Get("password"), Next: get(v, "next"), Errors: Errors{}}
	duplicated(v, f.Errors, "username", "password")
	return f
}

// Validate checks only shape: whether the account exists is never revealed.
func (f *Login) Validate() bool {
	if f.Username == "" {
		f.Errors.Add("username", "Enter your user name.")
	} else if len(f.Username) > 64 || badChar(f.Username) != "" {
		f.Errors.Add("username", "User names are at most 64 characters, without invisible characters.")
	}
	if f.Password == "" {
		f.Errors.Add("password", "Enter your password.")
	} else if len(f.Password) > 256 {
		f.Errors.Add("password", "At most 256 bytes.")
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
