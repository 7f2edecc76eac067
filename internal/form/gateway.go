package form

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
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

// ParseGateway reads the gateway form; it never fails.
func ParseGateway(v url.Values, editing bool) Gateway {
	f := Gateway{
		Name: v.Get("name"), BaseURL: v.Get("baseUrl"), AgentID: v.Get("agentId"), Password: v.Get("password"),
		CAPEM: v.Get("caPem"), Editing: editing, Errors: Errors{},
	}
	f.Normalize()
	duplicated(context.TODO(), v, f.Errors, "name", "baseUrl", "agentId", "password", "caPem")
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

// NameTaken is the name field's message when another gateway has the name.
const NameTaken = "Another gateway already has this name. Choose a different one."

// Validate checks the gateway form.
func (f *Gateway) Validate() bool {
	f.validateName()
	f.validateURL()
	f.validateAgent()
	f.validatePassword()
	if msg := CheckCAPEM(f.CAPEM); msg != "" {
		f.Errors.Add("caPem", msg)
	}
	return len(f.Errors) == 0
}

func (f *Gateway) validateName() {
	n := utf8.RuneCountInString(f.Name)
	switch {
	case n == 0:
		f.Errors.Add("name", "Enter a name people will recognise, for example \"Production gateway A\".")
	case n > MaxGatewayName:
		f.Errors.Add("name", fmt.Sprintf("At most %d characters; this one has %d.", MaxGatewayName, n))
	case badChar(f.Name) != "":
		f.Errors.Add("name", "Contains "+badChar(f.Name)+".")
	}
}

func (f *Gateway) validateURL() {
	if f.BaseURL == "" {
		f.Errors.Add("baseUrl", "Enter the gateway's address, for example https://10.1.2.3:8043.")
		return
	}
	if msg := checkHTTPSURL(f.BaseURL, MaxGatewayURL); msg != "" {
		f.Errors.Add("baseUrl", msg)
		return
	}
	u, _ := url.Parse(f.BaseURL)
	if u.RawQuery != "" || u.ForceQuery {
		f.Errors.Add("baseUrl", "Must not contain a ? query; give only https://host:port.")
	}
}

func (f *Gateway) validateAgent() {
	if f.AgentID == "" {
		f.Errors.Add("agentId", "Enter the administrator's work ID (a number).")
		return
	}
	n, err := strconv.ParseInt(f.AgentID, 10, 64)
	if err != nil || n < 1 || n > MaxAgentID {
		f.Errors.Add("agentId", fmt.Sprintf("Must be a whole number from 1 to %d.", MaxAgentID))
		return
	}
	f.Agent = n
}

func (f *Gateway) validatePassword() {
	switch {
	case f.Password == "" && f.Editing:
	case f.Password == "":
		f.Errors.Add("password", "Enter the administrator or VDN interconnection password.")
	case len(f.Password) > MaxPassword:
		f.Errors.Add("password", fmt.Sprintf("At most %d bytes.", MaxPassword))
	case badChar(f.Password) != "":
		f.Errors.Add("password", "Contains an invisible or control character.")
	}
}

// CheckCAPEM returns a message when pem is not empty and is not a bundle of
// one or more X.509 certificates, or "".
func CheckCAPEM(bundle string) string {
	if bundle == "" {
		return ""
	}
	if len(bundle) > MaxCAPEM {
		return fmt.Sprintf("At most %d KiB.", MaxCAPEM>>10)
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
			return fmt.Sprintf("Contains a %q block; paste certificates only (never a private key).", block.Type)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Sprintf("Certificate %d cannot be read: %v.", count+1, err)
		}
		count++
	}
	if count == 0 {
		return "Paste one or more PEM certificates (-----BEGIN CERTIFICATE----- …), or leave empty to use the system's trusted roots."
	}
	if strings.TrimSpace(string(rest)) != "" {
		return "There is text after the last certificate that is not a certificate."
	}
	return ""
}
