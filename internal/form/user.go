package form

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"ccsub/internal/domain"
	"ccsub/internal/i18n"
	"ccsub/internal/password"
)

// MaxUsername is the longest user name, in characters.
const MaxUsername = 64

// MinPasswordChars is the password policy's minimum, for hints.
const MinPasswordChars = password.MinChars

// User is the add-user form, and (with only some fields) the role and
// password forms of a user's page. Password is never re-displayed.
type User struct {
	Username string
	Role     string
	Password string
	Errors   Errors
}

// ParseUser reads whichever of the user fields were sent; it never fails.
// Its messages are in the language of ctx.
func ParseUser(ctx context.Context, v url.Values) User {
	f := User{Username: get(v, "username"), Role: get(v, "role"), Password: v.Get("password"), Errors: Errors{}}
	duplicated(ctx, v, f.Errors, "username", "role", "password")
	return f
}

// ValidateNew checks the add-user form; its messages are in the language of
// ctx.
func (f *User) ValidateNew(ctx context.Context) bool {
	if msg := CheckUsername(ctx, f.Username); msg != "" {
		f.Errors.Add("username", msg)
	}
	f.ValidateRole(ctx)
	f.ValidatePassword(ctx)
	return len(f.Errors) == 0
}

// ValidateRole checks the role field alone.
func (f *User) ValidateRole(ctx context.Context) bool {
	if !domain.Role(f.Role).Valid() {
		f.Errors.Add("role", i18n.T(ctx, "users.error.role"))
	}
	return f.Errors["role"] == ""
}

// ValidatePassword checks the password field alone against the policy.
func (f *User) ValidatePassword(ctx context.Context) bool {
	if f.Password == "" {
		f.Errors.Add("password", i18n.Tf(ctx, "users.error.password_required", i18n.D{"Min": password.MinChars}))
	} else if err := password.CheckPolicy(f.Password); err != nil {
		f.Errors.Add("password", passwordProblem(ctx, f.Password))
	}
	return f.Errors["password"] == ""
}

// passwordProblem says, in the language of ctx, why password.CheckPolicy
// refused plain (its own words are English, for the command line).
func passwordProblem(ctx context.Context, plain string) string {
	switch {
	case !utf8.ValidString(plain):
		return i18n.T(ctx, "users.error.password_invalid_text")
	case len(plain) > password.MaxBytes:
		return i18n.Tf(ctx, "users.error.password_too_long", i18n.D{"Max": password.MaxBytes})
	case utf8.RuneCountInString(plain) < password.MinChars:
		return i18n.Tf(ctx, "users.error.password_too_short", i18n.D{"Min": password.MinChars})
	case strings.IndexFunc(plain, unicode.IsControl) >= 0:
		return i18n.T(ctx, "users.error.password_control")
	}
	if err := password.CheckPolicy(plain); err != nil {
		return sentence(err.Error()) // a rule added to the policy but not here
	}
	return ""
}

// CheckUsername returns why name cannot be a user name, or "", in the
// language of ctx. Names are letters, digits and . _ - @ only: they appear
// in the audit trail and in the history as the actor, where look-alike or
// invisible characters would let one person pass for another.
func CheckUsername(ctx context.Context, name string) string {
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return i18n.T(ctx, "users.error.username_required")
	case n > MaxUsername:
		return i18n.Tf(ctx, "users.error.username_too_long", i18n.D{"Max": MaxUsername, "N": n})
	case !utf8.ValidString(name):
		return i18n.T(ctx, "users.error.invalid_utf8")
	case badChar(ctx, name) != "":
		code, pos := firstBadChar(name)
		return i18n.Tf(ctx, "users.error.control_char", i18n.D{"Code": code, "Pos": pos})
	}
	if i := strings.IndexFunc(name, notUsernameChar); i >= 0 {
		r, _ := utf8.DecodeRuneInString(name[i:])
		if unicode.IsSpace(r) {
			return i18n.T(ctx, "users.error.username_space")
		}
		return i18n.Tf(ctx, "users.error.username_char", i18n.D{"Char": fmt.Sprintf("%q", string(r))})
	}
	return ""
}

func notUsernameChar(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("._-@", r)
}

// sentence capitalises a message and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
