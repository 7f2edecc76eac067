package receiver

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"ccsub/internal/domain"
)

// FuzzDecodePush feeds the push decoder arbitrary bodies and fills a
// notification from whatever it read, as judgePush does for accepted and
// refused pushes alike. It must never panic; every string stored must be
// valid UTF-8 without NUL (PostgreSQL text refuses both) and within its
// cap; and an accepted push must be one JSON object in UTF-8 with a
// serverid and, if any, an object for nlpResult.
func FuzzDecodePush(f *testing.F) {
	f.Add([]byte(`{"serverid":"20140414172508-001-00101","subscribetype":"1","curcallid":"1-2","talkertype":"2","talkerid":"100",` +
		`"result":[{"confidence":"0.87","content":"hello","iscontentenc":"0"}],"asrusercase":"0","nlpResult":{"intent":"x"}}`))
	f.Add([]byte(`{"serverid":1,"talkertype":2,"result":[{"confidence":0.5,"content":true,"iscontentenc":1},{"content":"b"}],"extra":{"a":[1]}}`))
	f.Add([]byte(`{"serverid":"s","curcallid":"\u0000\ud800","result":[{"content":"` + strings.Repeat("é", 5000) + `"}]}`))
	f.Add([]byte(`{"serverid":"s","nlpResult":"text"}`))
	f.Add([]byte(`{"serverid":"s","result":{"content":"x"}}`))
	f.Add([]byte(`{"serverid":{}} trailing`))
	f.Add([]byte("\xef\xbb\xbf{\"serverid\":\"bom\"}"))
	f.Add([]byte(` {"serverid":"s","talkerid":null}` + "\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodePush(body)
		var n domain.Notification
		p.fill(&n)
		for name, s := range map[string]string{"ServerID": n.ServerID, "CallID": n.CallID, "Speaker": n.Speaker,
			"TalkerID": n.TalkerID, "CauseCode": n.CauseCode, "Confidence": n.Confidence, "Text": n.Text} {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Fatalf("%s %q is not storable: invalid UTF-8 or NUL", name, s)
			}
			limit := maxStoredField
			if name == "Text" {
				limit = maxStoredText
			}
			if len(s) > limit {
				t.Fatalf("%s is %d bytes, over its cap of %d", name, len(s), limit)
			}
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatal("a refusal without a reason")
			}
			return
		}
		trimmed := bytes.TrimSpace(body)
		if !utf8.Valid(body) || !json.Valid(body) || len(trimmed) == 0 || trimmed[0] != '{' {
			t.Fatalf("accepted %q, which is not one JSON object in UTF-8", body)
		}
		if p.ServerID == "" {
			t.Fatalf("accepted %q without a serverid", body)
		}
		if nlp := bytes.TrimSpace(p.NLPResult); len(nlp) > 0 && nlp[0] != '{' && string(nlp) != "null" {
			t.Fatalf("accepted nlpResult %s", nlp)
		}
	})
}
