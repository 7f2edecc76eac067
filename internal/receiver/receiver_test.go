package receiver_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"

	"github.com/google/go-cmp/cmp"
)

func TestReceiverAnswersAndStoresEveryPushAsTheContractSays(t *testing.T) {
	e := newEnv(t)
	other := e.NewReceiverSub(apptest.Uniq("other-token"))
	cases := []struct {
		name       string
		body       func(s apptest.ReceiverSub) string
		opts       func(s apptest.ReceiverSub) apptest.PushOpts
		status     int
		retcode    string
		reason     string // in the stored reason and the answer's message; "" for accepted
		storedCall string // the call ID the stored row must show
	}{
		{"a push with the right token is accepted and stored",
			apptest.OKBody, apptest.RightToken, 200, "0", "", "call-ok"},
		{"a wrong token is refused with 401 and stored as rejected",
			apptest.OKBody, func(apptest.ReceiverSub) apptest.PushOpts { return apptest.PushOpts{Tokens: []string{"not-the-token"}} },
			401, "107-051", "does not match", "call-ok"},
		{"a missing token is refused with 401 and stored as rejected",
			apptest.OKBody, func(apptest.ReceiverSub) apptest.PushOpts { return apptest.PushOpts{} }, 401, "107-051", "missing", "call-ok"},
		{"another subscription's token is refused with 401 and stored as rejected",
			apptest.OKBody, func(apptest.ReceiverSub) apptest.PushOpts { return apptest.PushOpts{Tokens: []string{other.Token}} },
			401, "107-051", "does not match", "call-ok"},
		{"a token sent twice is refused with 401",
			apptest.OKBody, func(s apptest.ReceiverSub) apptest.PushOpts {
				return apptest.PushOpts{Tokens: []string{s.Token, s.Token}}
			},
			401, "107-051", "more than once", "call-ok"},
		{"a body over 64 KiB is refused with 413",
			func(s apptest.ReceiverSub) string {
				return apptest.PushJSON(s.ServerID, "call-big", strings.Repeat("x", 70<<10))
			},
			apptest.RightToken, 413, "000-002", "larger than 64 KiB", ""},
		{"malformed JSON is refused with 400",
			func(apptest.ReceiverSub) string { return `{"serverid": "x",` }, apptest.RightToken, 400, "000-002", "not a valid notification", ""},
		{"a JSON array is refused with 400",
			func(s apptest.ReceiverSub) string { return "[" + apptest.OKBody(s) + "]" }, apptest.RightToken, 400, "000-002", "one JSON object", ""},
		{"two JSON objects are refused with 400",
			func(s apptest.ReceiverSub) string { return apptest.OKBody(s) + apptest.OKBody(s) }, apptest.RightToken, 400, "000-002", "nothing after it", ""},
		{"an empty body is refused with 400",
			func(apptest.ReceiverSub) string { return "" }, apptest.RightToken, 400, "000-002", "empty", ""},
		{"a form content type is refused with 415",
			apptest.OKBody, func(s apptest.ReceiverSub) apptest.PushOpts {
				return apptest.PushOpts{Tokens: []string{s.Token}, ContentType: "application/x-www-form-urlencoded"}
			}, 415, "000-002", "Content-Type", "call-ok"},
		{"a charset other than UTF-8 is refused with 415",
			apptest.OKBody, func(s apptest.ReceiverSub) apptest.PushOpts {
				return apptest.PushOpts{Tokens: []string{s.Token}, ContentType: "application/json; charset=GBK"}
			}, 415, "000-002", "Content-Type", "call-ok"},
		{"an object where a scalar belongs is refused with 400 naming the field",
			func(s apptest.ReceiverSub) string {
				return strings.Replace(apptest.OKBody(s), `"talkertype":"2"`, `"talkertype":{"a":1}`, 1)
			},
			apptest.RightToken, 400, "000-002", "talkertype must be a string, a number or a boolean, not object", ""},
		{"a boolean where a string is documented is accepted",
			func(s apptest.ReceiverSub) string {
				return strings.Replace(apptest.OKBody(s), `"iscontentenc":"0"`, `"iscontentenc":false`, 1)
			},
			apptest.RightToken, 200, "0", "", "call-ok"},
		{"a result that is not an array is refused with 400",
			func(s apptest.ReceiverSub) string {
				return fmt.Sprintf(`{"serverid":%q,"curcallid":"c","result":"hello"}`, s.ServerID)
			}, apptest.RightToken, 400, "000-002", "result must be an array of objects", ""},
		{"a push without serverid is refused with 400",
			func(apptest.ReceiverSub) string { return `{"curcallid":"c1","result":[]}` }, apptest.RightToken, 400, "000-002", "serverid is missing", "c1"},
		{"another subscription's serverid is refused with 400",
			func(apptest.ReceiverSub) string { return apptest.PushJSON(other.ServerID, "call-x", "hi") }, apptest.RightToken,
			400, "000-002", "is not this receiver's subscription", "call-x"},
		{"numbers inside result and unknown fields are accepted",
			func(s apptest.ReceiverSub) string {
				return fmt.Sprintf(`{"serverid":%q,"curcallid":"call-num","talkertype":1,"newVendorField":{"a":1},`+
					`"nlpResult":{"intent":"x"},"result":[{"confidence":0.87,"content":"ok","iscontentenc":0}],"asrusercase":0}`, s.ServerID)
			}, apptest.RightToken, 200, "0", "", "call-num"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := e.NewReceiverSub(apptest.Uniq("tok"))
			got := e.SendPush(s.PushPath(), tc.body(s), tc.opts(s))
			if got.Status != tc.status || got.Retcode != tc.retcode {
				t.Fatalf("answer %d %+v, want %d retcode %s", got.Status, got, tc.status, tc.retcode)
			}
			if tc.status == 200 && got.Message != "success" || !strings.Contains(got.Message, tc.reason) {
				t.Errorf("message %q, want it to contain %q", got.Message, tc.reason)
			}
			ns, texts := e.Notifications(s.ReceiverKey)
			if len(ns) != 1 {
				t.Fatalf("%d rows stored, want 1", len(ns))
			}
			n := ns[0]
			if n.Accepted != (tc.status == 200) || n.HTTPStatus != tc.status || !strings.Contains(n.Reason, tc.reason) ||
				(tc.status == 200) != (n.Reason == "") || n.CallID != tc.storedCall {
				t.Errorf("stored accepted=%v status=%d reason=%q call=%q; want status %d, reason with %q, call %q",
					n.Accepted, n.HTTPStatus, n.Reason, n.CallID, tc.status, tc.reason, tc.storedCall)
			}
			if strings.Contains(texts[0], s.Token) || strings.Contains(texts[0], other.Token) {
				t.Error("a service token was stored")
			}
		})
	}
	if logs := e.Logs.String(); strings.Contains(logs, "tok-") || strings.Contains(logs, other.Token) {
		t.Error("a service token was logged")
	}
}

func TestReceiverStoresWhatAnAcceptedPushSays(t *testing.T) {
	e := newEnv(t)
	s := e.NewReceiverSub(apptest.Uniq("tok"))
	body := fmt.Sprintf(`{"serverid":%q,"curcallid":"c-1","talkertype":"1","talkerid":"1001",`+
		`"result":[{"confidence":"0.9","content":"first","iscontentenc":"0"},{"confidence":"0.8","content":"second\u0000part","iscontentenc":"0"}],`+
		`"asrusercase":"0"}`, s.ServerID)
	if got := e.SendPush(s.PushPath(), body, apptest.RightToken(s)); got.Status != 200 {
		t.Fatalf("answer %+v", got)
	}
	ns, _ := e.Notifications(s.ReceiverKey)
	n := ns[0]
	want := domain.Notification{ID: n.ID, Accepted: true, HTTPStatus: 200, ServerID: s.ServerID, CallID: "c-1",
		Speaker: "1", Text: "first second\uFFFDpart", CauseCode: "0", Confidence: "0.9", Body: body}
	if diff := cmp.Diff(want, n); diff != "" {
		t.Errorf("stored notification (-want +got):\n%s", diff)
	}
}

func TestReceiverMarksEncryptedContent(t *testing.T) {
	e := newEnv(t)
	s := e.NewReceiverSub(apptest.Uniq("tok"))
	body := fmt.Sprintf(`{"serverid":%q,"curcallid":"c-enc","result":[{"confidence":"1","content":"QUJDREVG","iscontentenc":"1"}]}`, s.ServerID)
	if got := e.SendPush(s.PushPath(), body, apptest.RightToken(s)); got.Status != 200 {
		t.Fatalf("answer %+v", got)
	}
	ns, _ := e.Notifications(s.ReceiverKey)
	if !ns[0].TextEncrypted || ns[0].Text != "QUJDREVG" {
		t.Fatalf("stored encrypted=%v text=%q; want the ciphertext marked encrypted", ns[0].TextEncrypted, ns[0].Text)
	}
}

func TestReceiverStoresAReplayOnce(t *testing.T) {
	e := newEnv(t)
	s := e.NewReceiverSub(apptest.Uniq("tok"))
	body := apptest.PushJSON(s.ServerID, "call-replay", "hello")
	// The same JSON with other whitespace and key order is the same push.
	var m map[string]any
	_ = json.Unmarshal([]byte(body), &m)
	indented, _ := json.MarshalIndent(m, "", "    ")
	for i, b := range []string{body, body, string(indented)} {
		if got := e.SendPush(s.PushPath(), b, apptest.RightToken(s)); got.Status != 200 || got.Retcode != "0" {
			t.Fatalf("copy %d: answer %+v, want 200 retcode 0", i+1, got)
		}
	}
	if ns, _ := e.Notifications(s.ReceiverKey); len(ns) != 1 {
		t.Fatalf("%d rows after three copies, want 1", len(ns))
	}
	if got := e.SendPush(s.PushPath(), apptest.PushJSON(s.ServerID, "call-next", "hello"), apptest.RightToken(s)); got.Status != 200 {
		t.Fatalf("next push: %+v", got)
	}
	if ns, _ := e.Notifications(s.ReceiverKey); len(ns) != 2 || ns[0].CallID != "call-next" {
		t.Fatalf("%d rows after a new push, want 2 with call-next on top", len(ns))
	}
}

func TestReceiverForASubscriptionWithoutAToken(t *testing.T) {
	e := newEnv(t)
	s := e.NewReceiverSub("")
	cases := []struct {
		name   string
		tokens []string
		status int
	}{
		{"a push without service_token is accepted", nil, 200},
		{"a push with an empty service_token is accepted", []string{""}, 200},
		{"a push with a service_token is refused", []string{"guess"}, 401},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := apptest.PushJSON(s.ServerID, fmt.Sprintf("call-%d", i), "hi")
			if got := e.SendPush(s.PushPath(), body, apptest.PushOpts{Tokens: tc.tokens}); got.Status != tc.status {
				t.Fatalf("answer %+v, want %d", got, tc.status)
			}
		})
	}
}

func TestReceiverAnswers404ForAnUnknownKeyAndStoresIt(t *testing.T) {
	e := newEnv(t)
	key := apptest.Uniq("unknown")
	got := e.SendPush("/receiver/"+key+"/v100/subscribe/asrevent/asrresult", `{"serverid":"x"}`, apptest.PushOpts{Tokens: []string{"t"}})
	if got.Status != 404 || got.Retcode != "000-002" {
		t.Fatalf("answer %+v, want 404 JSON", got)
	}
	ns, texts := e.Notifications(key)
	if len(ns) != 1 || ns[0].Accepted || !strings.Contains(ns[0].Reason, "no subscription") || ns[0].Body != `{"serverid":"x"}` {
		t.Fatalf("stored %+v", ns)
	}
	if strings.Contains(texts[0], `"t"`) {
		t.Error("the token was stored")
	}
}

// TestReceiverIsNotExemptFromCrossOriginProtection: the platform's POST
// passes (no browser headers, above); a page in a browser that makes the
// visitor post to the receiver is refused before the receiver runs.
func TestReceiverIsNotExemptFromCrossOriginProtection(t *testing.T) {
	e := newEnv(t)
	s := e.NewReceiverSub(apptest.Uniq("tok"))
	cases := []struct {
		name   string
		header map[string]string
	}{
		{"a browser's cross-site POST is refused", map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"a POST from another origin is refused", map[string]string{"Origin": "https://evil.example"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := apptest.RightToken(s)
			o.Header = tc.header
			if got := e.SendPush(s.PushPath(), apptest.OKBody(s), o); got.Status != http.StatusForbidden {
				t.Fatalf("status %d, want 403", got.Status)
			}
		})
	}
	if ns, _ := e.Notifications(s.ReceiverKey); len(ns) != 0 {
		t.Fatalf("%d refused browser posts reached the receiver", len(ns))
	}
}
