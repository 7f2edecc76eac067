package audit

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"reflect"
	"strconv"
	"strings"

	"ccsub/internal/domain"
)

// Changes lists the fields whose values differ between before and after
// (nil before: everything is new).
func Changes(before, after map[string]any) map[string]domain.FieldChange {
	d := map[string]domain.FieldChange{}
	for k, a := range after {
		if b, ok := before[k]; !ok || !reflect.DeepEqual(a, b) {
			d[k] = domain.FieldChange{Before: before[k], After: a}
		}
	}
	for k, b := range before {
		if _, ok := after[k]; !ok {
			d[k] = domain.FieldChange{Before: b}
		}
	}
	return d
}

// CallFacts records which gateway call carried an action and what the
// gateway answered, so the entry leads to the call's page.
func CallFacts(prefix string, call domain.Call) map[string]domain.FieldChange {
	d := map[string]domain.FieldChange{prefix + "callId": {After: call.ID}}
	if call.Retcode != "" {
		d[prefix+"retcode"] = domain.FieldChange{After: call.Retcode}
	}
	return d
}

// WithFacts adds facts to e's diff.
func WithFacts(e domain.AuditEntry, facts map[string]domain.FieldChange) domain.AuditEntry {
	if e.Diff == nil {
		e.Diff = map[string]domain.FieldChange{}
	}
	for k, v := range facts {
		e.Diff[k] = v
	}
	return e
}

// Revealed names a revealed secret in a diff, never its value.
func Revealed(field string) map[string]domain.FieldChange {
	return map[string]domain.FieldChange{field: {After: SecretRevealed}}
}

// ID is an id as the audit trail's target ids spell it.
func ID(id int64) string { return strconv.FormatInt(id, 10) }

// CAFingerprint names a CA bundle by the SHA-256 of each certificate it
// holds: an auditor can tell whether it changed without the page showing
// kilobytes of PEM.
func CAFingerprint(bundle string) string {
	if strings.TrimSpace(bundle) == "" {
		return "system roots"
	}
	var fps []string
	rest := []byte(bundle)
	for {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if _, err := x509.ParseCertificate(b.Bytes); b.Type == "CERTIFICATE" && err == nil {
			sum := sha256.Sum256(b.Bytes)
			fps = append(fps, "SHA-256 "+hex.EncodeToString(sum[:]))
		}
	}
	if len(fps) == 0 {
		sum := sha256.Sum256([]byte(bundle))
		return "SHA-256 of the text " + hex.EncodeToString(sum[:])
	}
	return strings.Join(fps, ", ")
}
