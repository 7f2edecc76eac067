package gateway

import (
	"bytes"
	"encoding/json"
	"strings"
)

// secrets are the clear values that must never reach a recorded body, an
// error or a log line: the password, the service token and Guids.
type secrets []string

// text replaces every occurrence of every secret, raw and JSON-escaped.
// Replacing substrings may over-redact a body when a secret is very short;
// that is the safe side of the trade.
func (s secrets) text(t string) string {
	for _, v := range s {
		if v == "" {
			continue
		}
		for _, form := range jsonForms(v) {
			t = strings.ReplaceAll(t, form, redacted)
		}
	}
	return t
}

// body redacts a response body: known values first (keeps the body as
// received), then any secret-named field whose value we did not know (the
// body is then re-encoded, which may reorder its keys).
func (s secrets) body(b []byte) string {
	t := s.text(string(b))
	var v any
	dec := json.NewDecoder(strings.NewReader(t))
	dec.UseNumber()
	if dec.Decode(&v) != nil || !redactFields(v) {
		return t
	}
	out, err := marshal(v)
	if err != nil {
		return t
	}
	return string(out)
}

// redactFields replaces the values of secret-named keys in place and reports
// whether it changed anything.
func redactFields(v any) bool {
	changed := false
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if isSecretKey(k) && val != redacted {
				x[k] = redacted
				changed = true
				continue
			}
			changed = redactFields(val) || changed
		}
	case []any:
		for _, val := range x {
			changed = redactFields(val) || changed
		}
	}
	return changed
}

// isSecretKey matches guid, password, serviceToken, service_token, token in
// any case.
func isSecretKey(k string) bool {
	k = strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(k))
	switch k {
	case "guid", "password", "servicetoken", "token":
		return true
	}
	return false
}

// jsonForms returns s as it may appear in a body: raw, and inside a JSON
// string with and without HTML escaping (gateways differ).
func jsonForms(s string) []string {
	forms := []string{s}
	plain, _ := marshal(s)
	html, _ := json.Marshal(s)
	for _, b := range [][]byte{plain, html} {
		if len(b) >= 2 && string(b[1:len(b)-1]) != s {
			forms = append(forms, string(b[1:len(b)-1]))
		}
	}
	return forms
}

// marshal encodes without HTML escaping, so URIs with & stay readable in
// recorded bodies, and without the encoder's trailing newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
