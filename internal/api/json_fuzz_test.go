package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/http/httptest"
	"testing"
	"unicode/utf8"

	"ccsub/internal/httpkit"
)

// FuzzDecodeJSON feeds the API's strict body reader arbitrary bytes under
// arbitrary content types, into each request struct of the API. It must
// never panic; every refusal must be a client error with words to show
// (400, 413 or 415); and what it accepts must be one JSON object in UTF-8
// whose keys are exactly the struct's, none null.
func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{"gateway": 1, "serviceCallBackUri": "https://crm.example.com/cc", "nlpFlag": true}`), "application/json", uint8(0), false)
	f.Add([]byte(`{"serviceCallBackUri": null}`), "application/json; charset=utf-8", uint8(1), false)
	f.Add([]byte(`{"name": "a", "name": "b"}`), "Application/JSON", uint8(2), false)
	f.Add([]byte(`{"agentId": "1"} {}`), "application/json", uint8(2), false)
	f.Add([]byte(`{"Name": "a"}`), "application/json", uint8(2), false)
	f.Add([]byte(`{"confirmServerId": "x"`), "application/json", uint8(3), false)
	f.Add([]byte("{\"confirmServerId\": \"\xff\"}"), "application/json", uint8(3), false)
	f.Add([]byte(`[]`), "text/plain", uint8(0), false)
	f.Add([]byte(`{}`), "application/json", uint8(0), true)
	f.Add([]byte(`{"gateway": 1e400, "nlpFlag": "yes"}`), "application/json;", uint8(0), false)
	f.Fuzz(func(t *testing.T, body []byte, contentType string, which uint8, oversize bool) {
		if oversize { // past the limit, the way a client that never stops would send it
			body = append(body, bytes.Repeat([]byte(" "), httpkit.MaxFormBody)...)
		}
		dsts := []func() any{
			func() any { return new(registerBody) }, func() any { return new(modifyBody) },
			func() any { return new(gatewayBody) }, func() any { return new(cancelBody) },
		}
		dst := dsts[int(which)%len(dsts)]()
		r := httptest.NewRequest(http.MethodPost, "/api/v1/x", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		err := decodeJSON(httptest.NewRecorder(), r, dst)
		mt, _, _ := mime.ParseMediaType(contentType)

		if err != nil {
			var he *httpkit.Error
			var mbe *http.MaxBytesError
			p := httpkit.Classify(err)
			switch {
			case errors.As(err, &he) && (he.Status == http.StatusBadRequest || he.Status == http.StatusUnsupportedMediaType) && he.Msg != "":
			case errors.As(err, &mbe) && p.Status == http.StatusRequestEntityTooLarge && p.Detail != "":
				// The one refusal that is not an *httpkit.Error: Classify's
				// table turns it into a 413 with its own words.
			default:
				t.Fatalf("refusal %T %q is %d %q: want an *httpkit.Error of 400 or 415 with a message, or a 413", err, err, p.Status, p.Detail)
			}
			if mt != "application/json" && p.Status != http.StatusUnsupportedMediaType {
				t.Fatalf("Content-Type %q refused with %d, want 415", contentType, p.Status)
			}
			for k, msg := range p.Fields {
				if msg == "" || !utf8.ValidString(k) {
					t.Fatalf("field error %q: %q", k, msg)
				}
			}
			return
		}
		if mt != "application/json" || oversize || !utf8.Valid(body) || !json.Valid(body) {
			t.Fatalf("accepted %q under Content-Type %q", body, contentType)
		}
		var top map[string]json.RawMessage
		if json.Unmarshal(body, &top) != nil {
			t.Fatalf("accepted %q, which is not a JSON object", body)
		}
		allowed := jsonFields(dst)
		for k, v := range top {
			if !allowed[k] || string(v) == "null" {
				t.Fatalf("accepted %q: field %q (value %s) is not the struct's or is null", body, k, v)
			}
		}
	})
}
