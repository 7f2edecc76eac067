package form

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"ccsub/internal/i18n"
)

// Limits of the gateway form.
const (
	MaxGatewayName = 64
	MaxGatewayURL  = 200
	MaxAgentID     = 99_999_999 // VDN accounts add 100000 or 1000000 to a VDN ID
	MaxPassword    = 256
	MaxCAPEM       = 256 << 10
)

// Gateway is the add/edit gateway form. Password is never re-displayed.
type Gateway struct {
	Name     string
	BaseURL  string
	AgentID  string
	Agent    int64
	Password string
	CAPEM    string
	Editing  bool // an empty password keeps the stored one
	Errors   Errors
}

// ParseGateway reads the gateway form; it never fails. Its messages are in
// the language of ctx.
func ParseGateway(ctx context.Context, v url.Values, editing bool) Gateway {
	f := Gateway{
		Name: v.Get("name"), BaseURL: v.Get("baseUrl"), AgentID: v.Get("agentId"), Password: v.Get("password"),
		CAPEM: v.Get("caPem"), Editing: editing, Errors: Errors{},
	}
	f.Normalize()
	duplicated(ctx, v, f.Errors, "name", "baseUrl", "agentId", "password", "caPem")
	return f
}

// Normalize trims what people paste around values; the password is exact.
// The API and the command line fill the form's fields and call it too.
func (f *Gateway) Normalize() {
	f.Name, f.AgentID = strings.TrimSpace(f.Name), strings.TrimSpace(f.AgentID)
	f.BaseURL = strings.TrimRight(strings.TrimSpace(f.BaseURL), "/")
	f.CAPEM = strings.TrimSpace(f.CAPEM)
	if f.Errors == nil {
		f.Errors = Errors{}
	}
}

// NameTaken is the name field's message when another gateway has the name,
// in the language of ctx.
func NameTaken(ctx context.Context) string { return i18n.T(ctx, "gateways.error.name_taken") }

// Validate checks the gateway form; its messages are in the language of ctx
// (the API's ctx has none: English).
func (f *Gateway) Validate(ctx context.Context) bool {
	f.validateName(ctx)
	f.validateURL(ctx)
	f.validateAgent(ctx)
	f.validatePassword(ctx)
	if msg := CheckCAPEM(ctx, f.CAPEM); msg != "" {
		f.Errors.Add("caPem", msg)
	}
	return len(f.Errors) == 0
}

func (f *Gateway) validateName(ctx context.Context) {
	n := utf8.RuneCountInString(f.Name)
	switch {
	case n == 0:
		f.Errors.Add("name", i18n.T(ctx, "gateways.error.name_required"))
	case n > MaxGatewayName:
		f.Errors.Add("name", i18n.Tf(ctx, "gateways.error.too_long", i18n.D{"Max": MaxGatewayName, "N": n}))
	case !utf8.ValidString(f.Name):
		f.Errors.Add("name", i18n.T(ctx, "gateways.error.invalid_utf8"))
	case badChar(ctx, f.Name) != "":
		code, pos := firstBadChar(f.Name)
		f.Errors.Add("name", i18n.Tf(ctx, "gateways.error.control_char", i18n.D{"Code": code, "Pos": pos}))
	}
}

func (f *Gateway) validateURL(ctx context.Context) {
	if f.BaseURL == "" {
		f.Errors.Add("baseUrl", i18n.T(ctx, "gateways.error.address_required"))
		return
	}
	if msg := checkHTTPSURL(ctx, f.BaseURL, MaxGatewayURL); msg != "" {
		f.Errors.Add("baseUrl", msg)
		return
	}
	u, _ := url.Parse(f.BaseURL)
	if u.RawQuery != "" || u.ForceQuery {
		f.Errors.Add("baseUrl", i18n.T(ctx, "gateways.error.address_query"))
	}
}

func (f *Gateway) validateAgent(ctx context.Context) {
	if f.AgentID == "" {
		f.Errors.Add("agentId", i18n.T(ctx, "gateways.error.agent_required"))
		return
	}
	n, err := strconv.ParseInt(f.AgentID, 10, 64)
	if err != nil || n < 1 || n > MaxAgentID {
		f.Errors.Add("agentId", i18n.Tf(ctx, "gateways.error.agent_range", i18n.D{"Max": MaxAgentID}))
		return
	}
	f.Agent = n
}

func (f *Gateway) validatePassword(ctx context.Context) {
	switch {
	case f.Password == "" && f.Editing:
	case f.Password == "":
		f.Errors.Add("password", i18n.T(ctx, "gateways.error.password_required"))
	case len(f.Password) > MaxPassword:
		f.Errors.Add("password", i18n.Tf(ctx, "gateways.error.password_too_long", i18n.D{"Max": MaxPassword}))
	case badChar(ctx, f.Password) != "":
		f.Errors.Add("password", i18n.T(ctx, "gateways.error.password_control"))
	}
}

// CheckCAPEM returns a message when pem is not empty and is not a bundle of
// one or more X.509 certificates, or "". The message is in the language of
// ctx.
func CheckCAPEM(ctx context.Context, bundle string) string {
	if bundle == "" {
		return ""
	}
	if len(bundle) > MaxCAPEM {
		return i18n.Tf(ctx, "gateways.error.ca_too_big", i18n.D{"KiB": MaxCAPEM >> 10})
	}
	rest := []byte(bundle)
	count := 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return i18n.Tf(ctx, "gateways.error.ca_block", i18n.D{"Type": block.Type})
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return i18n.Tf(ctx, "gateways.error.ca_unreadable", i18n.D{"N": count + 1, "Error": err.Error()})
		}
		count++
	}
	if count == 0 {
		return i18n.T(ctx, "gateways.error.ca_none")
	}
	if strings.TrimSpace(string(rest)) != "" {
		return i18n.T(ctx, "gateways.error.ca_trailing")
	}
	return ""
}

// firstBadChar returns the code point (hex) and the 1-based position of the
// first control or invisible character in a valid UTF-8 s, for the messages
// that name it (badChar's words are English).
func firstBadChar(s string) (code string, pos int) {
	for i, r := range s {
		if unicode.IsControl(r) || isInvisible(r) {
			return fmt.Sprintf("%04X", r), utf8.RuneCountInString(s[:i]) + 1
		}
	}
	return "", 0
}
