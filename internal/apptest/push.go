package apptest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"ccsub/internal/domain"
	"ccsub/internal/secret"
)

// ReceiverSub is a subscription whose callback is ccsub's own receiver.
type ReceiverSub struct {
	domain.Subscription
	Token string // "" when registered without one
}

// NewReceiverSub creates a subscription with a fresh receiver key and, when
// token is not empty, that service token sealed as register would.
func (e *Env) NewReceiverSub(token string) ReceiverSub {
	e.T.Helper()
	var sealed []byte
	if token != "" {
		var err error
		if sealed, err = e.Keys.Seal([]byte(token), secret.PurposeServiceToken); err != nil {
			e.T.Fatal(err)
		}
	}
	key := Uniq("rk") + Uniq("")
	sub, err := e.St.CreateSubscription(context.Background(), domain.NewSubscription{
		GatewayID: e.Gw.ID, ServerID: Uniq("20140414172508-001"), SubscribeType: "1",
		CallbackURI: e.Srv.URL + "/receiver/" + key, TokenSealed: sealed, CreatedBy: "test",
		RegisterCallID: 1, ReceiverKey: key,
	})
	if err != nil {
		e.T.Fatal(err)
	}
	return ReceiverSub{Subscription: sub, Token: token}
}

// PushPath is where the platform pushes the subscription's results.
func (s ReceiverSub) PushPath() string {
	return "/receiver/" + s.ReceiverKey + "/v100/subscribe/asrevent/asrresult"
}

// PushJSON is a recognition result as the contract describes it.
func PushJSON(serverID, callID, text string) string {
	b, _ := json.Marshal(map[string]any{
		"serverid": serverID, "subscribetype": "1", "initialagentid": "1001", "ccid": "1", "vdnid": "1",
		"curcallid": callID, "curuserdn": "13800000000", "talkertype": "2", "talkerid": "13800000000",
		"result":      []map[string]any{{"confidence": "0.93", "content": text, "iscontentenc": "0"}},
		"asrusercase": "0",
	})
	return string(b)
}

// PushOpts are the parts of a push a case changes.
type PushOpts struct {
	Tokens      []string // service_token headers; nil sends none
	ContentType string   // "" means the contract's
	Header      map[string]string
	Client      *http.Client // nil: http.DefaultClient, from 127.0.0.1
}

// PushReply is the receiver's answer to a push.
type PushReply struct {
	Status  int
	Header  http.Header
	Retcode string
	Message string
}

// SendPush posts body to path as the platform would (no cookies, no
// browser headers) and decodes the JSON answer.
func (e *Env) SendPush(path, body string, o PushOpts) PushReply {
	e.T.Helper()
	req, err := http.NewRequest(http.MethodPost, e.Srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.T.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	if o.ContentType != "" {
		req.Header.Set("Content-Type", o.ContentType)
	}
	for _, tok := range o.Tokens {
		req.Header.Add("service_token", tok)
	}
	for k, v := range o.Header {
		req.Header.Set(k, v)
	}
	c := http.DefaultClient
	if o.Client != nil {
		c = o.Client
	}
	res, err := c.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var ans struct{ Retcode, Message string }
	if res.StatusCode != http.StatusForbidden || strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &ans); err != nil {
			e.T.Fatalf("status %d: answer is not JSON: %v\n%s", res.StatusCode, err, raw)
		}
	}
	return PushReply{Status: res.StatusCode, Header: res.Header, Retcode: ans.Retcode, Message: ans.Message}
}

// Notifications returns what is stored for a receiver key, newest first,
// with each row as Postgres text (to look for a leaked token anywhere).
func (e *Env) Notifications(key string) ([]domain.Notification, []string) {
	e.T.Helper()
	rows, err := e.St.Pool().Query(context.Background(), `SELECT id, accepted, reason, http_status, server_id,
		call_id, speaker, text, text_encrypted, cause_code, confidence, body, body_truncated, n::text
		FROM notifications n WHERE receiver_key = $1 ORDER BY received_at DESC, id DESC`, key)
	if err != nil {
		e.T.Fatal(err)
	}
	defer rows.Close()
	var ns []domain.Notification
	var texts []string
	for rows.Next() {
		var n domain.Notification
		var all string
		if err := rows.Scan(&n.ID, &n.Accepted, &n.Reason, &n.HTTPStatus, &n.ServerID, &n.CallID, &n.Speaker,
			&n.Text, &n.TextEncrypted, &n.CauseCode, &n.Confidence, &n.Body, &n.BodyTruncated, &all); err != nil {
			e.T.Fatal(err)
		}
		ns, texts = append(ns, n), append(texts, all)
	}
	if err := rows.Err(); err != nil {
		e.T.Fatal(err)
	}
	return ns, texts
}
