package receiver_test

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"
)

// pushWith is apptest.PushJSON for s with some fields replaced by raw JSON
// values: top-level fields by name, fields of result[0] as "result.name".
// A field not in the push is added, so unknown fields can be sent too.
func pushWith(t *testing.T, serverID string, fields map[string]string) string {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(apptest.PushJSON(serverID, "call-flex", "hello")), &top); err != nil {
		t.Fatal(err)
	}
	var segs []map[string]json.RawMessage
	if err := json.Unmarshal(top["result"], &segs); err != nil {
		t.Fatal(err)
	}
	for name, raw := range fields {
		if seg, ok := strings.CutPrefix(name, "result."); ok {
			segs[0][seg] = json.RawMessage(raw)
		} else {
			top[name] = json.RawMessage(raw)
		}
	}
	b, err := json.Marshal(segs)
	if err != nil {
		t.Fatal(err)
	}
	top["result"] = b
	if b, err = json.Marshal(top); err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReceiverAcceptsBooleansNumbersAndStringsInEveryScalarField: every
// documented scalar of a push (docs/gateway-contract.md §6) may come as a
// string, a number or a boolean (§9). The push is accepted, its text is
// kept as written, and the raw body is stored as it came.
func TestReceiverAcceptsBooleansNumbersAndStringsInEveryScalarField(t *testing.T) {
	e := newEnv(t)
	// stored picks the inbox column a field lands in ("" for fields the
	// inbox does not show: the stored body still has them).
	stored := map[string]func(domain.Notification) string{
		"subscribetype": nil, "initialagentid": nil, "ccid": nil, "vdnid": nil, "curuserdn": nil, "talkerid": nil,
		"curcallid":         func(n domain.Notification) string { return n.CallID },
		"talkertype":        func(n domain.Notification) string { return n.Speaker },
		"asrusercase":       func(n domain.Notification) string { return n.CauseCode },
		"result.confidence": func(n domain.Notification) string { return n.Confidence },
		"result.content":    func(n domain.Notification) string { return n.Text },
	}
	for field, column := range stored {
		for _, raw := range []string{"true", "false", "0", "1", "0.87", "-2", "1e3", `"2"`, `""`, "null"} {
			t.Run(field+"="+raw, func(t *testing.T) {
				s := e.NewReceiverSub(apptest.Uniq("tok"))
				body := pushWith(t, s.ServerID, map[string]string{field: raw})
				if got := e.SendPush(s.PushPath(), body, apptest.RightToken(s)); got.Status != 200 || got.Retcode != "0" {
					t.Fatalf("answer %+v, want 200 retcode 0", got)
				}
				ns, _ := e.Notifications(s.ReceiverKey)
				if len(ns) != 1 || !ns[0].Accepted || ns[0].Body != body {
					t.Fatalf("stored %+v, want one accepted row with the body as sent", ns)
				}
				want := strings.Trim(raw, `"`)
				if raw == "null" {
					want = ""
				}
				if column != nil && column(ns[0]) != want {
					t.Errorf("stored %s as %q, want %q (the text as written)", field, column(ns[0]), want)
				}
			})
		}
	}
}

// TestReceiverReadsIsContentEncAsAFlag: true, "1" and 1 mean the content
// is encrypted; false, "0", 0, null and a missing field mean it is not.
func TestReceiverReadsIsContentEncAsAFlag(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		raw       string
		encrypted bool
	}{
		{"true", true}, {`"1"`, true}, {"1", true},
		{"false", false}, {`"0"`, false}, {"0", false}, {"null", false}, {`""`, false},
	}
	for _, tc := range cases {
		t.Run(tc.raw, func(t *testing.T) {
			s := e.NewReceiverSub(apptest.Uniq("tok"))
			body := pushWith(t, s.ServerID, map[string]string{"result.iscontentenc": tc.raw, "result.content": `"QUJD"`})
			if got := e.SendPush(s.PushPath(), body, apptest.RightToken(s)); got.Status != 200 {
				t.Fatalf("answer %+v, want 200", got)
			}
			ns, _ := e.Notifications(s.ReceiverKey)
			if ns[0].TextEncrypted != tc.encrypted || ns[0].Text != "QUJD" {
				t.Errorf("stored encrypted=%v text=%q, want encrypted=%v and the content as received",
					ns[0].TextEncrypted, ns[0].Text, tc.encrypted)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		s := e.NewReceiverSub(apptest.Uniq("tok"))
		body := fmt.Sprintf(`{"serverid":%q,"curcallid":"c","result":[{"content":"plain"}]}`, s.ServerID)
		if got := e.SendPush(s.PushPath(), body, apptest.RightToken(s)); got.Status != 200 {
			t.Fatalf("answer %+v, want 200", got)
		}
		if ns, _ := e.Notifications(s.ReceiverKey); ns[0].TextEncrypted {
			t.Error("a segment without iscontentenc was marked encrypted")
		}
	})
}

// TestReceiverAcceptsANumericServerID: a serverid sent as a number matches
// the subscription whose serverId has the same digits; a boolean never
// matches one.
func TestReceiverAcceptsANumericServerID(t *testing.T) {
	e := newEnv(t)
	s := e.NewReceiverSub(apptest.Uniq("tok"))
	n, err := rand.Int(rand.Reader, big.NewInt(1e15))
	if err != nil {
		t.Fatal(err)
	}
	s.ServerID = fmt.Sprint(1e15 + n.Int64())
	e.Exec(t, `UPDATE subscriptions SET server_id = $1 WHERE id = $2`, s.ServerID, s.ID)
	if got := e.SendPush(s.PushPath(), pushWith(t, s.ServerID, map[string]string{"serverid": s.ServerID}), apptest.RightToken(s)); got.Status != 200 {
		t.Fatalf("numeric serverid: answer %+v, want 200", got)
	}
	got := e.SendPush(s.PushPath(), pushWith(t, s.ServerID, map[string]string{"serverid": "true"}), apptest.RightToken(s))
	if got.Status != 400 || !strings.Contains(got.Message, "is not this receiver's subscription") {
		t.Fatalf("boolean serverid: answer %+v, want 400 naming the mismatch", got)
	}
}

// TestReceiverKeepsUnknownFieldsInTheStoredBody: fields the contract does
// not list are not refused, and the stored body keeps them byte for byte;
// only a body over the storage cap is cut (and marked cut).
func TestReceiverKeepsUnknownFieldsInTheStoredBody(t *testing.T) {
	e := newEnv(t)
	t.Run("kept as sent", func(t *testing.T) {
		s := e.NewReceiverSub(apptest.Uniq("tok"))
		body := pushWith(t, s.ServerID, map[string]string{
			"newVendorField": `{"nested":[1,true,"x"]}`, "anotherFlag": "false", "nlpResult": `{"intent":"refund"}`,
			"result.newSegmentField": `"kept"`, "result.score": "12.5",
		})
		// Whitespace and key order are part of what arrived.
		body = strings.Replace(body, `"anotherFlag":false`, `"anotherFlag" :  false`, 1)
		if got := e.SendPush(s.PushPath(), body, apptest.RightToken(s)); got.Status != 200 {
			t.Fatalf("answer %+v, want 200", got)
		}
		ns, _ := e.Notifications(s.ReceiverKey)
		if ns[0].Body != body || ns[0].BodyTruncated {
			t.Errorf("stored body %q (cut=%v), want exactly what was sent:\n%s", ns[0].Body, ns[0].BodyTruncated, body)
		}
	})
	t.Run("cut at the storage cap", func(t *testing.T) {
		s := e.NewReceiverSub(apptest.Uniq("tok"))
		body := pushWith(t, s.ServerID, map[string]string{"newVendorField": `"` + strings.Repeat("v", 20<<10) + `"`})
		if got := e.SendPush(s.PushPath(), body, apptest.RightToken(s)); got.Status != 200 {
			t.Fatalf("answer %+v, want 200", got)
		}
		ns, _ := e.Notifications(s.ReceiverKey)
		if !ns[0].BodyTruncated || len(ns[0].Body) == 0 || len(ns[0].Body) >= len(body) || !strings.HasPrefix(body, ns[0].Body) {
			t.Errorf("stored %d of %d bytes (cut=%v), want a marked prefix", len(ns[0].Body), len(body), ns[0].BodyTruncated)
		}
	})
}

// TestReceiverStaysStrictAboutAuthenticity: tolerance covers the content
// of a push, never what proves it came from the platform. A body full of
// booleans and numbers is still refused for a wrong or missing token, an
// unknown receiver key, a size over the limit, a wrong content type, JSON
// that does not parse, an object in a scalar's place, or a serverid that is
// not the subscription's. Every refusal is stored as rejected.
func TestReceiverStaysStrictAboutAuthenticity(t *testing.T) {
	e := newEnv(t)
	other := e.NewReceiverSub(apptest.Uniq("other-token"))
	flexible := map[string]string{
		"subscribetype": "1", "initialagentid": "1001", "ccid": "true", "vdnid": "7", "curcallid": "42",
		"curuserdn": "false", "talkertype": "2", "talkerid": "13800000000", "asrusercase": "0",
		"result.confidence": "0.9", "result.content": "true", "result.iscontentenc": "false",
	}
	body := func(s apptest.ReceiverSub, extra map[string]string) string {
		f := map[string]string{}
		for k, v := range flexible {
			f[k] = v
		}
		for k, v := range extra {
			f[k] = v
		}
		return pushWith(t, s.ServerID, f)
	}
	cases := []struct {
		name    string
		path    func(s apptest.ReceiverSub) string
		body    func(s apptest.ReceiverSub) string
		opts    func(s apptest.ReceiverSub) apptest.PushOpts
		status  int
		retcode string
		reason  string
	}{
		{"the right token is accepted", nil, nil, apptest.RightToken, 200, "0", ""},
		{"a wrong token is refused", nil, nil,
			func(apptest.ReceiverSub) apptest.PushOpts { return apptest.PushOpts{Tokens: []string{"true"}} },
			401, "107-051", "does not match"},
		{"another subscription's token is refused", nil, nil,
			func(apptest.ReceiverSub) apptest.PushOpts { return apptest.PushOpts{Tokens: []string{other.Token}} },
			401, "107-051", "does not match"},
		{"a missing token is refused", nil, nil,
			func(apptest.ReceiverSub) apptest.PushOpts { return apptest.PushOpts{} }, 401, "107-051", "missing"},
		{"a token sent twice is refused", nil, nil,
			func(s apptest.ReceiverSub) apptest.PushOpts {
				return apptest.PushOpts{Tokens: []string{s.Token, s.Token}}
			},
			401, "107-051", "more than once"},
		{"an unknown receiver key is refused",
			func(apptest.ReceiverSub) string {
				return "/receiver/" + apptest.Uniq("unknown") + "/v100/subscribe/asrevent/asrresult"
			}, nil, apptest.RightToken, 404, "000-002", "no subscription"},
		{"a body over 64 KiB is refused", nil,
			func(s apptest.ReceiverSub) string {
				return body(s, map[string]string{"newVendorField": `"` + strings.Repeat("x", 70<<10) + `"`})
			}, apptest.RightToken, 413, "000-002", "larger than 64 KiB"},
		{"a wrong content type is refused", nil, nil,
			func(s apptest.ReceiverSub) apptest.PushOpts {
				return apptest.PushOpts{Tokens: []string{s.Token}, ContentType: "text/plain"}
			}, 415, "000-002", "Content-Type"},
		{"JSON that does not parse is refused", nil,
			func(s apptest.ReceiverSub) string { b := body(s, nil); return b[:len(b)-1] },
			apptest.RightToken, 400, "000-002", "ends too early"},
		{"an object in a scalar's place is refused", nil,
			func(s apptest.ReceiverSub) string {
				return body(s, map[string]string{"result.iscontentenc": `{"v":true}`})
			},
			apptest.RightToken, 400, "000-002", "iscontentenc must be a string, a number or a boolean, not object"},
		{"an array in a scalar's place is refused", nil,
			func(s apptest.ReceiverSub) string { return body(s, map[string]string{"talkertype": `[true]`}) },
			apptest.RightToken, 400, "000-002", "talkertype must be a string, a number or a boolean, not array"},
		{"another subscription's serverid is refused", nil,
			func(apptest.ReceiverSub) string { return body(other, nil) },
			apptest.RightToken, 400, "000-002", "is not this receiver's subscription"},
		{"a boolean serverid is refused", nil,
			func(s apptest.ReceiverSub) string { return body(s, map[string]string{"serverid": "true"}) },
			apptest.RightToken, 400, "000-002", "is not this receiver's subscription"},
		{"a missing serverid is refused", nil,
			func(s apptest.ReceiverSub) string { return body(s, map[string]string{"serverid": "null"}) },
			apptest.RightToken, 400, "000-002", "serverid is missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := e.NewReceiverSub(apptest.Uniq("tok"))
			path, b := s.PushPath(), body(s, nil)
			if tc.path != nil {
				path = tc.path(s)
			}
			if tc.body != nil {
				b = tc.body(s)
			}
			got := e.SendPush(path, b, tc.opts(s))
			if got.Status != tc.status || got.Retcode != tc.retcode || !strings.Contains(got.Message, tc.reason) {
				t.Fatalf("answer %+v, want %d retcode %s with %q", got, tc.status, tc.retcode, tc.reason)
			}
			key := strings.Split(strings.TrimPrefix(path, "/receiver/"), "/")[0]
			ns, _ := e.Notifications(key)
			if len(ns) != 1 || ns[0].Accepted != (tc.status == 200) || ns[0].HTTPStatus != tc.status || !strings.Contains(ns[0].Reason, tc.reason) {
				t.Fatalf("stored %+v, want one row with status %d and reason %q", ns, tc.status, tc.reason)
			}
		})
	}
}
