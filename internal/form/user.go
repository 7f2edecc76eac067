package form

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"ccsub/internal/domain"
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
func ParseUser(v url.Values) User {
	f := User{Username: get(v, "username"), Role: get(v, "role"), Password: v.Get("password"), Errors: Errors{}}
	duplicated(context.TODO(), v, f.Errors, "username", "role", "password")
	return f
}

// ValidateNew checks the add-user form.
func (f *User) ValidateNew() bool {
	if msg := CheckUsername(f.Username); msg != "" {
		f.Errors.Add("username", msg)
	}
	f.ValidateRole()
	f.ValidatePassword()
	return len(f.Errors) == 0
}

// ValidateRole checks the role field alone.
func (f *User) ValidateRole() bool {
	if !domain.Role(f.Role).Valid() {
		f.Errors.Add("role", "Choose admin, operator or auditor.")
	}
	return f.Errors["role"] == ""
}

// ValidatePassword checks the password field alone against the policy.
func (f *User) ValidatePassword() bool {
	if f.Password == "" {
		f.Errors.Add("password", fmt.Sprintf("Enter a password of at least %d characters.", password.MinChars))
	} else if err := password.CheckPolicy(f.Password); err != nil {
		f.Errors.Add("password", sentence(err.Error()))
	}
	return f.Errors["password"] == ""
}

// CheckUsername returns why name cannot be a user name, or "". Names are
// letters, digits and . _ - @ only: they appear in the audit trail and in
// the history as the actor, where look-alike or invisible characters would
// let one person pass for another.
func CheckUsername(name string) string {
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return "Enter a user name, for example \"alice\" or \"alice@example.com\"."
	case n > MaxUsername:
		return fmt.Sprintf("At most %d characters; this one has %d.", MaxUsername, n)
	case badChar(name) != "":
		return "Contains " + badChar(name) + "."
	}
	if i := strings.IndexFunc(name, notUsernameChar); i >= 0 {
		r, _ := utf8.DecodeRuneInString(name[i:])
		what := fmt.Sprintf("%q", string(r))
		if unicode.IsSpace(r) {
			what = "a space"
		}
		return "Contains " + what + "; use only letters, digits and . _ - @."
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
