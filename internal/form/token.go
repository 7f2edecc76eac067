package form

import (
	"context"
	"net/url"
	"strconv"

	"ccsub/internal/apitoken"
	"ccsub/internal/domain"
)

// The range of a token's lifetime, for hints.
const (
	MinTokenDays = apitoken.MinDays
	MaxTokenDays = apitoken.MaxDays
)

// Token is the form that issues an API token.
type Token struct {
	Name   string
	Role   string
	Days   string
	DaysN  int
	Errors Errors
}

// ParseToken reads the token form; it never fails.
func ParseToken(v url.Values) Token {
	f := Token{Name: get(v, "name"), Role: get(v, "role"), Days: get(v, "days"), Errors: Errors{}}
	duplicated(context.TODO(), v, f.Errors, "name", "role", "days")
	return f
}

// Validate checks the token form.
func (f *Token) Validate() bool {
	if msg := apitoken.CheckName(f.Name); msg != "" {
		f.Errors.Add("name", msg)
	}
	if !domain.Role(f.Role).Valid() {
		f.Errors.Add("role", "Choose admin, operator or auditor: the token can do what a user with that role can.")
	}
	n, err := strconv.Atoi(f.Days)
	if err != nil {
		f.Errors.Add("days", "Enter a whole number of days.")
	} else if msg := apitoken.CheckDays(n); msg != "" {
		f.Errors.Add("days", msg)
	}
	f.DaysN = n
	return len(f.Errors) == 0
}
