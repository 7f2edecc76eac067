package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"ccsub/internal/domain"
	"ccsub/internal/subscribe"

	"github.com/google/go-cmp/cmp"
)

// receiverSub is a subscription whose callback is ccsub's own receiver.
type receiverSub struct {
	domain.Subscription
	token string // "" when registered without one
}

// newReceiverSub creates a subscription with a fresh receiver key and, when
// token is not empty, that service token sealed as register would.
func (e *testEnv) newReceiverSub(token string) receiverSub {
	e.t.Helper()
	var sealed []byte
	if token != "" {
		var err error
		if sealed, err = e.keys.Seal([]byte(token), subscribe.PurposeServiceToken); err != nil {
			e.t.Fatal(err)
		}
	}
	key := uniq("rk") + uniq("")
	sub, err := e.st.CreateSubscription(context.Background(), domain.NewSubscription{
		GatewayID: e.gw.ID, ServerID: uniq("20140414172508-001"), SubscribeType: "1",
		CallbackURI: e.srv.URL + "/receiver/" + key, TokenSealed: sealed, CreatedBy: "test",
		RegisterCallID: 1, ReceiverKey: key,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return receiverSub{Subscription: sub, token: token}
}

func (s receiverSub) pushPath() string {
	return "/receiver/" + s.ReceiverKey + "/v100/subscribe/asrevent/asrresult"
}

// pushJSON is a recognition result as the contract describes it.
func pushJSON(serverID, callID, text string) string {
	b, _ := json.Marshal(map[string]any{
		"serverid": serverID, "subscribetype": "1", "initialagentid": "1001", "ccid": "1", "vdnid": "1",
		"curcallid": callID, "curuserdn": "13800000000", "talkertype": "2", "talkerid": "13800000000",
		"result":      []map[string]any{{"confidence": "0.93", "content": text, "iscontentenc": "0"}},
		"asrusercase": "0",
	})
	return string(b)
}

// pushOpts are the parts of a push a case changes.
type pushOpts struct {
	tokens      []string // service_token headers; nil sends none
	contentType string   // "" means the contract's
	header      map[string]string
}

type pushReply struct {
	status  int
	retcode string
	message string
}

// sendPush posts body to path as the platform would (no cookies, no
// browser headers) and decodes the JSON answer.
func (e *testEnv) sendPush(path, body string, o pushOpts) pushReply {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	if o.contentType != "" {
		req.Header.Set("Content-Type", o.contentType)
	}
	for _, tok := range o.tokens {
		req.Header.Add("service_token", tok)
	}
	for k, v := range o.header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var ans struct{ Retcode, Message string }
	if res.StatusCode != http.StatusForbidden || strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &ans); err != nil {
			e.t.Fatalf("status %d: answer is not JSON: %v\n%s", res.StatusCode, err, raw)
		}
	}
	return pushReply{status: res.StatusCode, retcode: ans.Retcode, message: ans.Message}
}

// notifications returns what is stored for a receiver key, newest first,
// with each row as Postgres text (to look for a leaked token anywhere).
func (e *testEnv) notifications(key string) ([]domain.Notification, []string) {
	e.t.Helper()
	rows, err := e.st.Pool().Query(context.Background(), `SELECT id, accepted, reason, http_status, server_id,
		call_id, speaker, text, text_encrypted, cause_code, confidence, body, body_truncated, n::text
		FROM notifications n WHERE receiver_key = $1 ORDER BY received_at DESC, id DESC`, key)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var ns []domain.Notification
	var texts []string
	for rows.Next() {
		var n domain.Notification
		var all string
		if err := rows.Scan(&n.ID, &n.Accepted, &n.Reason, &n.HTTPStatus, &n.ServerID, &n.CallID, &n.Speaker,
			&n.Text, &n.TextEncrypted, &n.CauseCode, &n.Confidence, &n.Body, &n.BodyTruncated, &all); err != nil {
			e.t.Fatal(err)
		}
		ns, texts = append(ns, n), append(texts, all)
	}
	if err := rows.Err(); err != nil {
		e.t.Fatal(err)
	}
	return ns, texts
}

func TestReceiverAnswersAndStoresEveryPushAsTheContractSays(t *testing.T) {
	e := newEnv(t)
	other := e.newReceiverSub(uniq("other-token"))
	cases := []struct {
		name       string
		body       func(s receiverSub) string
		opts       func(s receiverSub) pushOpts
		status     int
		retcode    string
		reason     string // in the stored reason and the answer's message; "" for accepted
		storedCall string // the call ID the stored row must show
	}{
		{"a push with the right token is accepted and stored",
			okBody, rightToken, 200, "0", "", "call-ok"},
		{"a wrong token is refused with 401 and stored as rejected",
			okBody, func(receiverSub) pushOpts { return pushOpts{tokens: []string{"not-the-token"}} },
			401, "107-051", "does not match", "call-ok"},
		{"a missing token is refused with 401 and stored as rejected",
			okBody, func(receiverSub) pushOpts { return pushOpts{} }, 401, "107-051", "missing", "call-ok"},
		{"another subscription's token is refused with 401 and stored as rejected",
			okBody, func(receiverSub) pushOpts { return pushOpts{tokens: []string{other.token}} },
			401, "107-051", "does not match", "call-ok"},
		{"a token sent twice is refused with 401",
			okBody, func(s receiverSub) pushOpts { return pushOpts{tokens: []string{s.token, s.token}} },
			401, "107-051", "more than once", "call-ok"},
		{"a body over 64 KiB is refused with 413",
			func(s receiverSub) string { return pushJSON(s.ServerID, "call-big", strings.Repeat("x", 70<<10)) },
			rightToken, 413, "000-002", "larger than 64 KiB", ""},
		{"malformed JSON is refused with 400",
			func(receiverSub) string { return `{"serverid": "x",` }, rightToken, 400, "000-002", "not a valid notification", ""},
		{"a JSON array is refused with 400",
			func(s receiverSub) string { return "[" + okBody(s) + "]" }, rightToken, 400, "000-002", "one JSON object", ""},
		{"two JSON objects are refused with 400",
			func(s receiverSub) string { return okBody(s) + okBody(s) }, rightToken, 400, "000-002", "nothing after it", ""},
		{"an empty body is refused with 400",
			func(receiverSub) string { return "" }, rightToken, 400, "000-002", "empty", ""},
		{"a form content type is refused with 415",
			okBody, func(s receiverSub) pushOpts {
				return pushOpts{tokens: []string{s.token}, contentType: "application/x-www-form-urlencoded"}
			}, 415, "000-002", "Content-Type", "call-ok"},
		{"a charset other than UTF-8 is refused with 415",
			okBody, func(s receiverSub) pushOpts {
				return pushOpts{tokens: []string{s.token}, contentType: "application/json; charset=GBK"}
			}, 415, "000-002", "Content-Type", "call-ok"},
		{"a boolean where a string belongs is refused with 400 naming the field",
			func(s receiverSub) string {
				return strings.Replace(okBody(s), `"talkertype":"2"`, `"talkertype":true`, 1)
			},
			rightToken, 400, "000-002", "talkertype must be a string or a number", ""},
		{"a result that is not an array is refused with 400",
			func(s receiverSub) string {
				return fmt.Sprintf(`{"serverid":%q,"curcallid":"c","result":"hello"}`, s.ServerID)
			}, rightToken, 400, "000-002", "result must be an array of objects", ""},
		{"a push without serverid is refused with 400",
			func(receiverSub) string { return `{"curcallid":"c1","result":[]}` }, rightToken, 400, "000-002", "serverid is missing", "c1"},
		{"another subscription's serverid is refused with 400",
			func(receiverSub) string { return pushJSON(other.ServerID, "call-x", "hi") }, rightToken,
			400, "000-002", "is not this receiver's subscription", "call-x"},
		{"numbers inside result and unknown fields are accepted",
			func(s receiverSub) string {
				return fmt.Sprintf(`{"serverid":%q,"curcallid":"call-num","talkertype":1,"newVendorField":{"a":1},`+
					`"nlpResult":{"intent":"x"},"result":[{"confidence":0.87,"content":"ok","iscontentenc":0}],"asrusercase":0}`, s.ServerID)
			}, rightToken, 200, "0", "", "call-num"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := e.newReceiverSub(uniq("tok"))
			got := e.sendPush(s.pushPath(), tc.body(s), tc.opts(s))
			if got.status != tc.status || got.retcode != tc.retcode {
				t.Fatalf("answer %d %+v, want %d retcode %s", got.status, got, tc.status, tc.retcode)
			}
			if tc.status == 200 && got.message != "success" || !strings.Contains(got.message, tc.reason) {
				t.Errorf("message %q, want it to contain %q", got.message, tc.reason)
			}
			ns, texts := e.notifications(s.ReceiverKey)
			if len(ns) != 1 {
				t.Fatalf("%d rows stored, want 1", len(ns))
			}
			n := ns[0]
			if n.Accepted != (tc.status == 200) || n.HTTPStatus != tc.status || !strings.Contains(n.Reason, tc.reason) ||
				(tc.status == 200) != (n.Reason == "") || n.CallID != tc.storedCall {
				t.Errorf("stored accepted=%v status=%d reason=%q call=%q; want status %d, reason with %q, call %q",
					n.Accepted, n.HTTPStatus, n.Reason, n.CallID, tc.status, tc.reason, tc.storedCall)
			}
			if strings.Contains(texts[0], s.token) || strings.Contains(texts[0], other.token) {
				t.Error("a service token was stored")
			}
		})
	}
	if logs := e.logs.String(); strings.Contains(logs, "tok-") || strings.Contains(logs, other.token) {
		t.Error("a service token was logged")
	}
}

func okBody(s receiverSub) string { return pushJSON(s.ServerID, "call-ok", "hello") }

func rightToken(s receiverSub) pushOpts { return pushOpts{tokens: []string{s.token}} }

func TestReceiverStoresWhatAnAcceptedPushSays(t *testing.T) {
	e := newEnv(t)
	s := e.newReceiverSub(uniq("tok"))
	body := fmt.Sprintf(`{"serverid":%q,"curcallid":"c-1","talkertype":"1","talkerid":"1001",`+
		`"result":[{"confidence":"0.9","content":"first","iscontentenc":"0"},{"confidence":"0.8","content":"second\u0000part","iscontentenc":"0"}],`+
		`"asrusercase":"0"}`, s.ServerID)
	if got := e.sendPush(s.pushPath(), body, rightToken(s)); got.status != 200 {
		t.Fatalf("answer %+v", got)
	}
	ns, _ := e.notifications(s.ReceiverKey)
	n := ns[0]
	want := domain.Notification{ID: n.ID, Accepted: true, HTTPStatus: 200, ServerID: s.ServerID, CallID: "c-1",
		Speaker: "1", Text: "first second\uFFFDpart", CauseCode: "0", Confidence: "0.9", Body: body}
	if diff := cmp.Diff(want, n); diff != "" {
		t.Errorf("stored notification (-want +got):\n%s", diff)
	}
}

func TestReceiverMarksEncryptedContent(t *testing.T) {
	e := newEnv(t)
	s := e.newReceiverSub(uniq("tok"))
	body := fmt.Sprintf(`{"serverid":%q,"curcallid":"c-enc","result":[{"confidence":"1","content":"QUJDREVG","iscontentenc":"1"}]}`, s.ServerID)
	if got := e.sendPush(s.pushPath(), body, rightToken(s)); got.status != 200 {
		t.Fatalf("answer %+v", got)
	}
	ns, _ := e.notifications(s.ReceiverKey)
	if !ns[0].TextEncrypted || ns[0].Text != "QUJDREVG" {
		t.Fatalf("stored encrypted=%v text=%q; want the ciphertext marked encrypted", ns[0].TextEncrypted, ns[0].Text)
	}
}

func TestReceiverStoresAReplayOnce(t *testing.T) {
	e := newEnv(t)
	s := e.newReceiverSub(uniq("tok"))
	body := pushJSON(s.ServerID, "call-replay", "hello")
	// The same JSON with other whitespace and key order is the same push.
	var m map[string]any
	_ = json.Unmarshal([]byte(body), &m)
	indented, _ := json.MarshalIndent(m, "", "    ")
	for i, b := range []string{body, body, string(indented)} {
		if got := e.sendPush(s.pushPath(), b, rightToken(s)); got.status != 200 || got.retcode != "0" {
			t.Fatalf("copy %d: answer %+v, want 200 retcode 0", i+1, got)
		}
	}
	if ns, _ := e.notifications(s.ReceiverKey); len(ns) != 1 {
		t.Fatalf("%d rows after three copies, want 1", len(ns))
	}
	if got := e.sendPush(s.pushPath(), pushJSON(s.ServerID, "call-next", "hello"), rightToken(s)); got.status != 200 {
		t.Fatalf("next push: %+v", got)
	}
	if ns, _ := e.notifications(s.ReceiverKey); len(ns) != 2 || ns[0].CallID != "call-next" {
		t.Fatalf("%d rows after a new push, want 2 with call-next on top", len(ns))
	}
}

func TestReceiverForASubscriptionWithoutAToken(t *testing.T) {
	e := newEnv(t)
	s := e.newReceiverSub("")
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
			body := pushJSON(s.ServerID, fmt.Sprintf("call-%d", i), "hi")
			if got := e.sendPush(s.pushPath(), body, pushOpts{tokens: tc.tokens}); got.status != tc.status {
				t.Fatalf("answer %+v, want %d", got, tc.status)
			}
		})
	}
}

func TestReceiverAnswers404ForAnUnknownKeyAndStoresIt(t *testing.T) {
	e := newEnv(t)
	key := uniq("unknown")
	got := e.sendPush("/receiver/"+key+"/v100/subscribe/asrevent/asrresult", `{"serverid":"x"}`, pushOpts{tokens: []string{"t"}})
	if got.status != 404 || got.retcode != "000-002" {
		t.Fatalf("answer %+v, want 404 JSON", got)
	}
	ns, texts := e.notifications(key)
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
	s := e.newReceiverSub(uniq("tok"))
	cases := []struct {
		name   string
		header map[string]string
	}{
		{"a browser's cross-site POST is refused", map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"a POST from another origin is refused", map[string]string{"Origin": "https://evil.example"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := rightToken(s)
			o.header = tc.header
			if got := e.sendPush(s.pushPath(), okBody(s), o); got.status != http.StatusForbidden {
				t.Fatalf("status %d, want 403", got.status)
			}
		})
	}
	if ns, _ := e.notifications(s.ReceiverKey); len(ns) != 0 {
		t.Fatalf("%d refused browser posts reached the receiver", len(ns))
	}
}
