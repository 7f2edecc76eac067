package form

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"unicode"
	"unicode/utf8"

	"ccsub/internal/apitoken"
	"ccsub/internal/domain"
	"ccsub/internal/i18n"
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

// ParseToken reads the token form; it never fails. Its messages are in the
// language of ctx.
func ParseToken(ctx context.Context, v url.Values) Token {
	f := Token{Name: get(v, "name"), Role: get(v, "role"), Days: get(v, "days"), Errors: Errors{}}
	duplicated(ctx, v, f.Errors, "name", "role", "days")
	return f
}

// Validate checks the token form; its messages are in the language of ctx.
func (f *Token) Validate(ctx context.Context) bool {
	if apitoken.CheckName(f.Name) != "" {
		f.Errors.Add("name", tokenNameProblem(ctx, f.Name))
	}
	if !domain.Role(f.Role).Valid() {
		f.Errors.Add("role", i18n.T(ctx, "tokens.error.role"))
	}
	n, err := strconv.Atoi(f.Days)
	if err != nil {
		f.Errors.Add("days", i18n.T(ctx, "tokens.error.days_number"))
	} else if apitoken.CheckDays(n) != "" {
		f.Errors.Add("days", i18n.Tf(ctx, "tokens.error.days_range", i18n.D{"Min": apitoken.MinDays, "Max": apitoken.MaxDays}))
	}
	f.DaysN = n
	return len(f.Errors) == 0
}

// tokenNameProblem says, in the language of ctx, why apitoken.CheckName
// refused name (its own words are English, for the command line).
func tokenNameProblem(ctx context.Context, name string) string {
	n := utf8.RuneCountInString(name)
	switch {
	case !utf8.ValidString(name):
		return i18n.T(ctx, "tokens.error.invalid_utf8")
	case n == 0:
		return i18n.T(ctx, "tokens.error.name_required")
	case n > apitoken.MaxName:
		return i18n.Tf(ctx, "tokens.error.name_too_long", i18n.D{"Max": apitoken.MaxName, "N": n})
	}
	for _, r := range name {
		if unicode.IsControl(r) || isInvisible(r) {
			return i18n.Tf(ctx, "tokens.error.control_char", i18n.D{"Code": fmt.Sprintf("%04X", r)})
		}
	}
	return apitoken.CheckName(name) // a rule added there but not here
}
