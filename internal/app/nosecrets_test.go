package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/gatewaysim"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// capture keeps every response body a scenario produced, by name.
type capture struct {
	t      *testing.T
	bodies map[string][]byte
}

func (c *capture) keep(name string, res *http.Response) *http.Response {
	c.t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	res.Body = io.NopCloser(bytes.NewReader(b))
	c.bodies[name] = append(c.bodies[name], b...)
	for _, h := range []string{"Location", "Set-Cookie"} {
		c.bodies[name] = append(c.bodies[name], []byte(strings.Join(res.Header.Values(h), "\n"))...)
	}
	return res
}

// leaks lists where any of the secrets occurs in data, in clear or in the
// encodings a careless writer would use.
func leaks(where string, data []byte, secrets map[string]string) []string {
	var out []string
	for what, s := range secrets {
		for _, form := range []string{s, url.QueryEscape(s), base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s))} {
			if bytes.Contains(data, []byte(form)) {
				out = append(out, fmt.Sprintf("%s contains the %s", where, what))
				break
			}
		}
	}
	return out
}

// TestNoSecretIsWrittenInClear drives gateway passwords, service tokens and
// an API token through the forms, the API, the receiver, reveals and
// exports on a database of its own, then searches every log line, every
// page and export, and every column of every table for them.
func TestNoSecretIsWrittenInClear(t *testing.T) {
	pool, _ := dbtest.Isolated(t)
	e := &testEnv{apptest.NewOn(t, pool)}
	secrets := map[string]string{
		"wrong gateway password": "WrongGwPw-" + apptest.Uniq("s"),
		"gateway password":       "GwPw-" + apptest.Uniq("s"),
		"form service token":     "SvcTokForm-" + apptest.Uniq("s"),
		"receiver service token": "SvcTokRecv-" + apptest.Uniq("s"),
		"replacement token":      "SvcTokRepl-" + apptest.Uniq("s"),
		"API service token":      "SvcTokApi-" + apptest.Uniq("s"),
		"wrong pushed token":     "SvcTokWrong-" + apptest.Uniq("s"),
	}
	sim := gatewaysim.New(gatewaysim.Config{Accounts: map[int64]string{apptest.SimAgent: secrets["gateway password"]},
		SubscriptionServers: apptest.SimSubscriptionServers, AllowHTTPLoopback: true})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	admin, _ := e.User(domain.RoleAdmin)
	operator, _ := e.User(domain.RoleOperator)
	apiToken := e.Token(domain.RoleOperator)
	secrets["API token"] = apiToken
	c := &capture{t: t, bodies: map[string][]byte{}}
	revealed := &capture{t: t, bodies: map[string][]byte{}} // shown once on purpose: not searched

	gwID := e.secretsGateway(c, admin, sim, secrets)
	subs := e.secretsSubscriptions(c, operator, gwID, secrets)
	e.secretsAPI(c, apiToken, gwID, secrets["API service token"])
	revealed.keep("gateway reveal", e.Post(admin, fmt.Sprintf("/gateways/%d/reveal", gwID), nil))
	revealed.keep("token reveal", e.Post(admin, fmt.Sprintf("/subscriptions/%d/reveal-token", subs[0]), nil))
	if !bytes.Contains(revealed.bodies["gateway reveal"], []byte(secrets["gateway password"])) {
		t.Fatalf("the reveal did not show the password: the scenario is not what this test thinks")
	}
	e.secretsPages(c, admin, apiToken, gwID, subs)

	var found []string
	for name, b := range c.bodies {
		found = append(found, leaks("response "+name, b, secrets)...)
	}
	found = append(found, leaks("the log", []byte(e.Logs.String()), secrets)...)
	found = append(found, dbLeaks(t, pool, secrets)...)
	for _, f := range found {
		t.Error(f)
	}
	t.Logf("searched %d responses, %d bytes of log and every column of the database for %d secrets", len(c.bodies), len(e.Logs.String()), len(secrets))
}

// secretsGateway adds a gateway with a wrong password, tests it (refused),
// fixes the password and tests again (accepted).
func (e *testEnv) secretsGateway(c *capture, admin *http.Client, sim *gatewaysim.Sim, secrets map[string]string) int64 {
	e.T.Helper()
	f := url.Values{"name": {apptest.Uniq("gw")}, "baseUrl": {sim.URL()}, "agentId": {fmt.Sprint(apptest.SimAgent)},
		"password": {secrets["wrong gateway password"]}, "caPem": {string(sim.CAPEM())}}
	c.keep("create gateway", e.Post(admin, "/gateways", f))
	g, err := e.St.GatewayByName(context.Background(), f.Get("name"))
	if err != nil {
		e.T.Fatal(err)
	}
	path := fmt.Sprintf("/gateways/%d", g.ID)
	c.keep("test wrong password", e.Post(admin, path+"/test", nil))
	f.Set("password", secrets["gateway password"])
	c.keep("edit gateway", e.Post(admin, path, f))
	f.Set("password", "bad\x00password-"+secrets["gateway password"])
	c.keep("refused gateway edit", e.Post(admin, path, f))
	c.keep("test right password", e.Post(admin, path+"/test", nil))
	if res := e.Post(admin, path+"/test", nil); res.StatusCode != http.StatusSeeOther {
		e.T.Fatalf("test connection: %d", res.StatusCode)
	}
	return g.ID
}

// secretsSubscriptions registers with a token, registers to ccsub's
// receiver and pushes with the right and a wrong token, replaces a token,
// and submits a form that is refused while carrying a token.
func (e *testEnv) secretsSubscriptions(c *capture, op *http.Client, gwID int64, secrets map[string]string) []int64 {
	e.T.Helper()
	form := func(token string) url.Values {
		return url.Values{"gateway": {fmt.Sprint(gwID)}, "subscribeType": {"1"}, "serviceToken": {token},
			"serviceCallBackUri": {"https://crm.example.com/cc"}, "idempotencyKey": {apptest.Uniq("k")}}
	}
	first := e.registeredVia(c, op, "register with token", form(secrets["form service token"]))
	recv := form(secrets["receiver service token"])
	recv.Del("serviceCallBackUri")
	recv.Set("useReceiver", "true")
	recv.Set("receiverKey", strings.ReplaceAll(apptest.Uniq("recvkey")+apptest.Uniq("x"), "-", "_"))
	second := e.registeredVia(c, op, "register to receiver", recv)
	refused := form(secrets["form service token"])
	refused.Set("serviceCallBackUri", "javascript:alert(1)")
	c.keep("refused register", e.Post(op, "/subscriptions", refused))

	sub, err := e.St.Subscription(context.Background(), second)
	if err != nil {
		e.T.Fatal(err)
	}
	rs := apptest.ReceiverSub{Subscription: sub, Token: secrets["receiver service token"]}
	for name, tok := range map[string]string{"push right token": rs.Token, "push wrong token": secrets["wrong pushed token"]} {
		r := e.SendPush(rs.PushPath(), apptest.PushJSON(sub.ServerID, apptest.Uniq("call"), "hello"), apptest.PushOpts{Tokens: []string{tok}})
		c.bodies[name] = []byte(r.Message)
	}
	c.keep("replace token", e.Post(op, fmt.Sprintf("/subscriptions/%d/replace", first),
		url.Values{"serviceToken": {secrets["replacement token"]}, "idempotencyKey": {apptest.Uniq("k")}}))
	return []int64{first, second}
}

// registeredVia registers through the form and returns the subscription id.
func (e *testEnv) registeredVia(c *capture, op *http.Client, name string, f url.Values) int64 {
	e.T.Helper()
	id := e.RegisterCallFrom(e.T, c.keep(name, e.Post(op, "/subscriptions", f)))
	call, err := e.St.Call(context.Background(), id)
	if err != nil || call.SubscriptionID == nil {
		e.T.Fatalf("%s: call %d: %v, outcome %s %s", name, id, err, call.Outcome, call.Error)
	}
	return *call.SubscriptionID
}

// secretsAPI registers through the JSON API with a service token.
func (e *testEnv) secretsAPI(c *capture, apiToken string, gwID int64, token string) {
	e.T.Helper()
	body := fmt.Sprintf(`{"gateway":%d,"subscribeType":"1","serviceToken":%q,"serviceCallBackUri":"https://crm.example.com/api"}`, gwID, token)
	a := e.Call(apiToken, http.MethodPost, "/api/v1/subscriptions", body)
	if a.Status >= 300 {
		e.T.Fatalf("API register: %d %s", a.Status, a.Body)
	}
	c.bodies["API register"] = a.Body
	bad := fmt.Sprintf(`{"gateway":%d,"subscribeType":"1","serviceToken":%q,"serviceCallBackUri":"ftp://x"}`, gwID, token)
	c.bodies["API refused register"] = e.Call(apiToken, http.MethodPost, "/api/v1/subscriptions", bad).Body
}

// secretsPages reads every page, export and API list that shows what the
// scenario did.
func (e *testEnv) secretsPages(c *capture, admin *http.Client, apiToken string, gwID int64, subs []int64) {
	e.T.Helper()
	paths := []string{"/history", "/subscriptions", "/gateways", fmt.Sprintf("/gateways/%d", gwID), "/inbox", "/audit",
		"/history/export.csv", "/history/export-excel.csv", "/history/export.json", "/audit/export.csv", "/audit/export-excel.csv",
		"/audit/export.json"}
	for _, id := range subs {
		paths = append(paths, fmt.Sprintf("/subscriptions/%d", id), fmt.Sprintf("/subscriptions/%d/inbox", id))
	}
	var ids []int64
	if err := e.St.Pool().QueryRow(context.Background(), "SELECT array_agg(id) FROM calls").Scan(&ids); err != nil {
		e.T.Fatal(err)
	}
	for _, id := range ids {
		paths = append(paths, fmt.Sprintf("/calls/%d", id))
	}
	for _, p := range paths {
		if res := c.keep("GET "+p, e.Get(admin, p)); res.StatusCode != http.StatusOK {
			e.T.Errorf("GET %s: %d", p, res.StatusCode)
		}
	}
	for _, p := range []string{"/api/v1/calls", "/api/v1/subscriptions", "/api/v1/gateways", fmt.Sprintf("/api/v1/gateways/%d", gwID)} {
		a := e.Call(apiToken, http.MethodGet, p, "")
		if a.Status != http.StatusOK {
			e.T.Errorf("GET %s: %d", p, a.Status)
		}
		c.bodies["API GET "+p] = a.Body
	}
}

// dbLeaks searches every text-like and bytea column of every table in the
// public schema: text columns must not hold a secret in clear, and sealed
// bytea must not contain its plaintext bytes.
func dbLeaks(t *testing.T, pool *pgxpool.Pool, secrets map[string]string) []string {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea', 'ARRAY')
		ORDER BY table_name, column_name`)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([3]string, error) {
		var c [3]string
		return c, r.Scan(&c[0], &c[1], &c[2])
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) < 20 {
		t.Fatalf("found only %d columns to search", len(cols))
	}
	var out []string
	for _, c := range cols {
		table, col := pgx.Identifier{c[0]}.Sanitize(), pgx.Identifier{c[1]}.Sanitize()
		q := fmt.Sprintf("SELECT convert_to(coalesce(%s::text, ''), 'UTF8') FROM %s", col, table)
		if c[2] == "bytea" {
			q = fmt.Sprintf("SELECT coalesce(%s, ''::bytea) FROM %s", col, table)
		}
		vals, err := pool.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s.%s: %v", c[0], c[1], err)
		}
		all, err := pgx.CollectRows(vals, pgx.RowTo[[]byte])
		if err != nil {
			t.Fatalf("%s.%s: %v", c[0], c[1], err)
		}
		out = append(out, leaks(c[0]+"."+c[1], bytes.Join(all, []byte{0}), secrets)...)
	}
	return out
}
