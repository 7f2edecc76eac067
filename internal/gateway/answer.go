package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// answer is what the client reads from a gateway's JSON response.
type answer struct {
	Retcode  string
	Message  string
	ServerID string
	Guid     string
}

// looseString accepts a JSON string, number or boolean and keeps its text,
// because the vendor is inconsistent about scalar types in its answers.
type looseString struct {
	Set   bool
	Value string
}

func (s *looseString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		return nil
	case len(b) > 0 && b[0] == '"':
		s.Set = true
		return json.Unmarshal(b, &s.Value)
	case len(b) > 0 && (b[0] == '{' || b[0] == '['):
		return fmt.Errorf("looseString: got %c, want a scalar", b[0])
	default: // number, true, false
		s.Set, s.Value = true, string(b)
		return nil
	}
}

// wireAnswer mirrors the response shape; result stays raw because some
// gateways send it as null, a string or an object.
type wireAnswer struct {
	Retcode looseString     `json:"retcode"`
	Message looseString     `json:"message"`
	Result  json.RawMessage `json:"result"`
}

type wireResult struct {
	ServerID looseString `json:"serverId"`
	Guid     looseString `json:"guid"`
}

var (
	errNotJSON   = errors.New("the gateway's answer is not the JSON object it should send")
	errNoRetcode = errors.New("the gateway's answer has no retcode")
)

// parseAnswer decodes a response body tolerantly. The response headers
// give the Guid only when the body has none (Decision, §1).
func parseAnswer(body []byte, header http.Header) (answer, error) {
	var w wireAnswer
	if err := json.Unmarshal(body, &w); err != nil {
		// The decoder's own text is for developers; an administrator needs
		// to know the gateway sent something that is not its usual JSON.
		return answer{}, errNotJSON
	}
	if !w.Retcode.Set || strings.TrimSpace(w.Retcode.Value) == "" {
		return answer{}, errNoRetcode
	}
	a := answer{Retcode: strings.TrimSpace(w.Retcode.Value), Message: w.Message.Value}
	var r wireResult
	// A result that is not an object carries nothing we need; ignore it.
	if len(w.Result) > 0 && json.Unmarshal(w.Result, &r) == nil {
		a.ServerID, a.Guid = r.ServerID.Value, r.Guid.Value
	}
	if a.Guid == "" {
		a.Guid = headerGuidOf(header)
	}
	return a, nil
}

// headerGuidOf reads a Guid from the Guid header or, failing that, from
// Set-GUID, which some vendor schemes fill as "JSESSIONID=<guid>" or
// "Guid=<guid>", possibly with cookie attributes after a ";".
func headerGuidOf(h http.Header) string {
	for _, name := range []string{headerGuid, headerSetGuid} {
		v, _, _ := strings.Cut(h.Get(name), ";")
		v = strings.TrimSpace(v)
		for _, prefix := range []string{"JSESSIONID=", "Guid="} {
			if len(v) > len(prefix) && strings.EqualFold(v[:len(prefix)], prefix) {
				v = strings.TrimSpace(v[len(prefix):])
				break
			}
		}
		if v != "" {
			return v
		}
	}
	return ""
}
