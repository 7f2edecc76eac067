package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/domain"
)

func TestAPIGateways(t *testing.T) {
	e := newEnv(t)
	admin, reader := e.token(domain.RoleAdmin), e.token(domain.RoleAuditor)
	gwPath := "/api/v1/gateways/" + strconv.FormatInt(e.gw.ID, 10)

	t.Run("the list shows the gateway with its password only as set", func(t *testing.T) {
		r := e.call(reader, "GET", "/api/v1/gateways", "").want(t, http.StatusOK)
		var got struct{ Gateways []map[string]any }
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, g := range got.Gateways {
			if g["id"] == float64(e.gw.ID) {
				found = g["name"] == e.gw.Name && g["password"] == "set" && g["agentId"] == float64(simAgent)
			}
		}
		if !found || strings.Contains(string(r.body), simPassword) {
			t.Fatalf("list %s", r.body)
		}
	})
	t.Run("one gateway is read by id", func(t *testing.T) {
		g := e.call(reader, "GET", gwPath, "").want(t, http.StatusOK).json(t)
		if g["baseUrl"] != e.gw.BaseURL || g["password"] != "set" {
			t.Fatalf("gateway %v", g)
		}
	})
	t.Run("an unknown gateway is 404 JSON", func(t *testing.T) {
		e.call(reader, "GET", "/api/v1/gateways/999999999", "").want(t, http.StatusNotFound)
	})
	t.Run("an admin token creates a gateway; the password is write-only", func(t *testing.T) {
		name := uniq("api-gw")
		body := fmt.Sprintf(`{"name": %q, "baseUrl": "https://10.9.8.7:8043", "agentId": 100002, "password": "pw-%s"}`, name, name)
		r := e.call(admin, "POST", "/api/v1/gateways", body).want(t, http.StatusCreated)
		g := r.json(t)
		if g["name"] != name || g["password"] != "set" || strings.Contains(string(r.body), "pw-"+name) {
			t.Fatalf("created %s", r.body)
		}
		if r.header.Get("Location") != "/api/v1/gateways/"+strconv.Itoa(int(g["id"].(float64))) {
			t.Errorf("Location %q", r.header.Get("Location"))
		}
		if n := len(e.auditEntries(domain.AuditGatewayCreate, name)); n != 1 {
			t.Errorf("%d gateway_create entries, want 1", n)
		}
	})
	t.Run("an update changes only the fields sent", func(t *testing.T) {
		name := uniq("renamed")
		gw := e.addGateway(uniq("gw"), "https://10.1.1.1:8043", "", "pw")
		path := "/api/v1/gateways/" + strconv.FormatInt(gw.ID, 10)
		g := e.call(admin, "PATCH", path, fmt.Sprintf(`{"name": %q}`, name)).want(t, http.StatusOK).json(t)
		if g["name"] != name || g["baseUrl"] != "https://10.1.1.1:8043" || g["password"] != "set" {
			t.Fatalf("updated %v", g)
		}
	})
	t.Run("an operator token cannot create a gateway", func(t *testing.T) {
		e.call(e.token(domain.RoleOperator), "POST", "/api/v1/gateways", `{"name":"x"}`).want(t, http.StatusForbidden)
	})

	invalid := []struct {
		name, body, field, want string
	}{
		{"a missing password", `{"name":"n1","baseUrl":"https://10.0.0.1","agentId":1}`, "password", "Enter the administrator"},
		{"an http address", `{"name":"n2","baseUrl":"http://10.0.0.1","agentId":1,"password":"p"}`, "baseUrl", "https://"},
		{"an address with user-info", `{"name":"n3","baseUrl":"https://u:p@10.0.0.1","agentId":1,"password":"p"}`, "baseUrl", "user name or password"},
		{"an agent id out of range", `{"name":"n4","baseUrl":"https://10.0.0.1","agentId":0,"password":"p"}`, "agentId", "whole number from 1"},
		{"a script payload in the name is fine but a taken name is not", fmt.Sprintf(`{"name":%q,"baseUrl":"https://10.0.0.1","agentId":1,"password":"p"}`, e.gw.Name), "name", "already has this name"},
	}
	for _, tt := range invalid {
		t.Run(tt.name+" gets 422 with a message on "+tt.field, func(t *testing.T) {
			r := e.call(admin, "POST", "/api/v1/gateways", tt.body).want(t, http.StatusUnprocessableEntity)
			if msg := r.fieldError(t, tt.field); !strings.Contains(msg, tt.want) {
				t.Errorf("errors.%s = %q, want it to contain %q", tt.field, msg, tt.want)
			}
		})
	}
}

func TestAPIDecodesJSONStrictly(t *testing.T) {
	e := newEnv(t)
	op := e.token(domain.RoleOperator)
	gw := strconv.FormatInt(e.gw.ID, 10)
	tests := []struct {
		name   string
		ctype  string
		body   string
		status int
		field  string // "" when the answer names no field
		want   string
	}{
		{"an unknown field", "", `{"gateway":` + gw + `,"foo":1}`, 400, "foo", "Unknown field"},
		{"a field in the wrong case", "", `{"Gateway":` + gw + `}`, 400, "Gateway", "case-sensitive"},
		{"a duplicated field", "", `{"gateway":` + gw + `,"gateway":` + gw + `}`, 400, "gateway", "more than once"},
		{"a string where a boolean belongs", "", `{"gateway":` + gw + `,"nlpFlag":"true"}`, 400, "nlpFlag", "true or false"},
		{"a string where a number belongs", "", `{"gateway":"` + gw + `"}`, 400, "gateway", "whole number"},
		{"a fraction where a whole number belongs", "", `{"gateway":1.5}`, 400, "gateway", "whole number"},
		{"a null field", "", `{"gateway":` + gw + `,"serviceToken":null}`, 400, "serviceToken", "null"},
		{"an array instead of an object", "", `[1,2]`, 400, "", "JSON object"},
		{"two objects", "", `{"gateway":` + gw + `}{}`, 400, "", "after the JSON object"},
		{"broken JSON", "", `{"gateway":`, 400, "", "ends before"},
		{"invalid UTF-8", "", "{\"serviceToken\":\"\xff\"}", 400, "", "UTF-8"},
		{"a form body", "application/x-www-form-urlencoded", `gateway=1`, 415, "", "application/json"},
		{"a body over 1 MiB", "", `{"serviceToken":"` + strings.Repeat("a", 1<<20) + `"}`, 413, "", "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused with a specific message", func(t *testing.T) {
			var headers []string
			if tt.ctype != "" {
				headers = []string{"Content-Type", tt.ctype}
			}
			r := e.call(op, "POST", "/api/v1/subscriptions", tt.body, headers...).want(t, tt.status)
			msg := r.json(t)["error"].(string)
			if tt.field != "" {
				msg = r.fieldError(t, tt.field)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("message %q, want it to contain %q (%s)", msg, tt.want, r.body)
			}
		})
	}
	t.Run("nothing was sent to the gateway", func(t *testing.T) {
		if n := len(e.sim.RequestsFor("register")); n != 0 {
			t.Errorf("simulator saw %d registers", n)
		}
	})
}

func (e *testEnv) registerJSON(token string) string {
	return fmt.Sprintf(`{"gateway": %d, "subscribeType": "1", "serviceToken": %q,
		"serviceCallBackUri": "https://crm.example.com/cc", "nlpFlag": true, "flowAccessCode": "8001"}`, e.gw.ID, token)
}

func TestAPIRegisterReachesTheGatewayExactlyLikeTheForm(t *testing.T) {
	e := newEnv(t)
	op := e.token(domain.RoleOperator)
	browser, _ := e.user(domain.RoleOperator)
	token := "tok-" + uniq("secret")

	f := e.registerForm()
	f.Set("serviceToken", token)
	callIDFrom(t, e.post(browser, "/subscriptions", f))
	r := e.call(op, "POST", "/api/v1/subscriptions", e.registerJSON(token)).want(t, http.StatusCreated)

	regs := e.sim.RequestsFor("register")
	if len(regs) != 2 {
		t.Fatalf("simulator saw %d registers, want 2", len(regs))
	}
	t.Run("the gateway receives the same body from the API as from the form", func(t *testing.T) {
		if string(regs[0].Body) != string(regs[1].Body) {
			t.Errorf("form sent %s\nAPI sent %s", regs[0].Body, regs[1].Body)
		}
		if regs[0].Header.Get("Content-Type") != regs[1].Header.Get("Content-Type") {
			t.Error("different Content-Type")
		}
	})
	var got struct {
		Call         map[string]any
		Subscription map[string]any
	}
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	t.Run("the answer has the call and the new subscription, without the token", func(t *testing.T) {
		if got.Call["outcome"] != "success" || got.Call["serviceToken"] != "set" || got.Call["serverId"] == "" {
			t.Errorf("call %v", got.Call)
		}
		if got.Subscription["state"] != "active" || got.Subscription["serverId"] != got.Call["serverId"] || got.Subscription["serviceToken"] != "set" {
			t.Errorf("subscription %v", got.Subscription)
		}
		if strings.Contains(string(r.body), token) {
			t.Error("the answer holds the service token")
		}
		if !strings.HasPrefix(r.header.Get("Location"), "/api/v1/calls/") {
			t.Errorf("Location %q", r.header.Get("Location"))
		}
	})
	t.Run("the call is recorded under the token's name and audited", func(t *testing.T) {
		if actor, _ := got.Call["actor"].(string); !strings.Contains(actor, "API token #") {
			t.Errorf("actor %q", actor)
		}
		if n := len(e.auditEntries(domain.AuditSubRegister, got.Call["serverId"].(string))); n != 1 {
			t.Errorf("%d register entries, want 1", n)
		}
	})
}

func TestAPIRegisterWithAnIdempotencyKeySendsOnce(t *testing.T) {
	e := newEnv(t)
	op := e.token(domain.RoleOperator)
	key := uniq("idem")
	body := e.registerJSON("tok-" + uniq("s"))
	first := e.call(op, "POST", "/api/v1/subscriptions", body, "Idempotency-Key", key).want(t, http.StatusCreated).json(t)
	second := e.call(op, "POST", "/api/v1/subscriptions", body, "Idempotency-Key", key).want(t, http.StatusOK).json(t)
	t.Run("the repeat answers with the first call, marked replayed", func(t *testing.T) {
		c1, c2 := first["call"].(map[string]any), second["call"].(map[string]any)
		if c1["id"] != c2["id"] || second["replayed"] != true {
			t.Errorf("first %v, second %v", first, second)
		}
	})
	t.Run("the gateway saw one register", func(t *testing.T) {
		if n := len(e.sim.RequestsFor("register")); n != 1 {
			t.Errorf("%d registers", n)
		}
	})
	t.Run("another token's same key is a different submission", func(t *testing.T) {
		e.call(e.token(domain.RoleOperator), "POST", "/api/v1/subscriptions", body, "Idempotency-Key", key).want(t, http.StatusCreated)
	})
	t.Run("an unusable key is refused", func(t *testing.T) {
		r := e.call(op, "POST", "/api/v1/subscriptions", body, "Idempotency-Key", strings.Repeat("k", 101)).want(t, http.StatusBadRequest)
		if r.fieldError(t, "Idempotency-Key") == "" {
			t.Error("no message on Idempotency-Key")
		}
	})
}

func TestAPIRegisterAppliesTheFormsRules(t *testing.T) {
	e := newEnv(t)
	op := e.token(domain.RoleOperator)
	tests := []struct {
		name, body, field, want string
	}{
		{"a callback with another scheme", `{"gateway":%d,"serviceCallBackUri":"javascript:alert(1)"}`, "serviceCallBackUri", "https://"},
		{"a callback with user-info", `{"gateway":%d,"serviceCallBackUri":"https://a:b@crm.example.com/cc"}`, "serviceCallBackUri", "user name or password"},
		{"a callback with a zero-width space", `{"gateway":%d,"serviceCallBackUri":"https://crm.example.com/c\u200bc"}`, "serviceCallBackUri", "invisible"},
		{"a missing callback", `{"gateway":%d}`, "serviceCallBackUri", "Enter the address"},
		{"a token with a space", `{"gateway":%d,"serviceCallBackUri":"https://crm.example.com/cc","serviceToken":"a b"}`, "serviceToken", "HTTP header"},
		{"a flow access code without nlpFlag", `{"gateway":%d,"serviceCallBackUri":"https://crm.example.com/cc","flowAccessCode":"1"}`, "flowAccessCode", "semantic analysis"},
		{"a reserved subscribe type", `{"gateway":%d,"serviceCallBackUri":"https://crm.example.com/cc","subscribeType":"2"}`, "subscribeType", "Only type 1"},
		{"both a callback and the receiver", `{"gateway":%d,"serviceCallBackUri":"https://crm.example.com/cc","useReceiver":true,"serviceToken":"t"}`, "serviceCallBackUri", "Leave this out"},
		{"an unknown gateway", `{"gateway":999999999,"serviceCallBackUri":"https://crm.example.com/cc"}`, "gateway", "does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" gets 422 naming "+tt.field, func(t *testing.T) {
			body := tt.body
			if strings.Contains(body, "%d") {
				body = fmt.Sprintf(body, e.gw.ID)
			}
			r := e.call(op, "POST", "/api/v1/subscriptions", body).want(t, http.StatusUnprocessableEntity)
			if msg := r.fieldError(t, tt.field); !strings.Contains(msg, tt.want) {
				t.Errorf("errors.%s = %q, want %q", tt.field, msg, tt.want)
			}
		})
	}
	t.Run("the receiver can be the callback", func(t *testing.T) {
		body := fmt.Sprintf(`{"gateway":%d,"useReceiver":true,"serviceToken":"tok-recv"}`, e.gw.ID)
		r := e.call(op, "POST", "/api/v1/subscriptions", body).want(t, http.StatusCreated).json(t)
		sub := r["subscription"].(map[string]any)
		if sub["useReceiver"] != true || !strings.HasPrefix(sub["serviceCallBackUri"].(string), e.srv.URL+"/receiver/") {
			t.Errorf("subscription %v", sub)
		}
	})
	t.Run("nothing invalid reached the gateway", func(t *testing.T) {
		if n := len(e.sim.RequestsFor("register")); n != 1 {
			t.Errorf("%d registers, want only the valid one", n)
		}
	})
}

func TestAPISubscriptionLifecycle(t *testing.T) {
	e := newEnv(t)
	op, reader := e.token(domain.RoleOperator), e.token(domain.RoleAuditor)
	reg := e.call(op, "POST", "/api/v1/subscriptions", e.registerJSON("tok-"+uniq("s"))).want(t, http.StatusCreated).json(t)
	sub := reg["subscription"].(map[string]any)
	id := strconv.Itoa(int(sub["id"].(float64)))
	path := "/api/v1/subscriptions/" + id

	t.Run("it is listed with its state and readable by id", func(t *testing.T) {
		list := e.call(reader, "GET", "/api/v1/subscriptions?state=active&gateway="+strconv.FormatInt(e.gw.ID, 10), "").want(t, http.StatusOK)
		var got struct{ Subscriptions []map[string]any }
		_ = json.Unmarshal(list.body, &got)
		if len(got.Subscriptions) != 1 || got.Subscriptions[0]["id"] != sub["id"] {
			t.Fatalf("list %s", list.body)
		}
		one := e.call(reader, "GET", path, "").want(t, http.StatusOK).json(t)
		if one["serverId"] != sub["serverId"] {
			t.Errorf("read %v", one)
		}
	})
	t.Run("filters that cannot be used are refused", func(t *testing.T) {
		e.call(reader, "GET", "/api/v1/subscriptions?state=sleeping", "").want(t, http.StatusBadRequest)
		e.call(reader, "GET", "/api/v1/subscriptions?gateway=x", "").want(t, http.StatusBadRequest)
		e.call(reader, "GET", "/api/v1/subscriptions?State=active", "").want(t, http.StatusBadRequest)
	})
	t.Run("an auditor token cannot modify", func(t *testing.T) {
		e.call(reader, "POST", path+"/modify", `{"nlpFlag": false}`).want(t, http.StatusForbidden)
	})
	t.Run("modify sends only what changed and keeps the rest", func(t *testing.T) {
		r := e.call(op, "POST", path+"/modify", `{"serviceCallBackUri": "https://ivr.example.com/new"}`).want(t, http.StatusOK).json(t)
		s := r["subscription"].(map[string]any)
		if r["call"].(map[string]any)["outcome"] != "success" || s["serviceCallBackUri"] != "https://ivr.example.com/new" ||
			s["nlpFlag"] != true || s["flowAccessCode"] != "8001" {
			t.Fatalf("answer %v", r)
		}
		mods := e.sim.RequestsFor("modify")
		if len(mods) != 1 || !strings.Contains(string(mods[0].Body), "https://ivr.example.com/new") {
			t.Errorf("simulator saw %d modifies", len(mods))
		}
	})
	t.Run("modify applies the form's rules", func(t *testing.T) {
		r := e.call(op, "POST", path+"/modify", `{"serviceCallBackUri": "ftp://x"}`).want(t, http.StatusUnprocessableEntity)
		if r.fieldError(t, "serviceCallBackUri") == "" {
			t.Error("no message on serviceCallBackUri")
		}
	})
	t.Run("cancel needs the serverId as confirmation", func(t *testing.T) {
		r := e.call(op, "POST", path+"/cancel", `{"confirmServerId": "other"}`).want(t, http.StatusUnprocessableEntity)
		if r.fieldError(t, "confirmServerId") == "" || len(e.sim.RequestsFor("unregister")) != 0 {
			t.Errorf("answer %s", r.body)
		}
	})
	t.Run("cancel with the serverId cancels", func(t *testing.T) {
		body := fmt.Sprintf(`{"confirmServerId": %q}`, sub["serverId"])
		r := e.call(op, "POST", path+"/cancel", body).want(t, http.StatusOK).json(t)
		if r["subscription"].(map[string]any)["state"] != "cancelled" {
			t.Errorf("answer %v", r)
		}
		if n := len(e.auditEntries(domain.AuditSubCancel, sub["serverId"].(string))); n != 1 {
			t.Errorf("%d cancel entries", n)
		}
	})
	t.Run("a cancelled subscription cannot be changed: 409", func(t *testing.T) {
		e.call(op, "POST", path+"/modify", `{"serviceCallBackUri": "https://ivr.example.com/again"}`).want(t, http.StatusConflict)
	})
	t.Run("an unknown subscription is 404", func(t *testing.T) {
		e.call(reader, "GET", "/api/v1/subscriptions/999999999", "").want(t, http.StatusNotFound)
		e.call(reader, "GET", "/api/v1/subscriptions/abc", "").want(t, http.StatusNotFound)
	})
}

func TestAPICallsAndAudit(t *testing.T) {
	e := newEnv(t)
	op, auditor := e.token(domain.RoleOperator), e.token(domain.RoleAuditor)
	token := "tok-" + uniq("s")
	var serverIDs []string
	for range 3 {
		r := e.call(op, "POST", "/api/v1/subscriptions", e.registerJSON(token)).want(t, http.StatusCreated).json(t)
		serverIDs = append(serverIDs, r["call"].(map[string]any)["serverId"].(string))
	}

	t.Run("the list honours a filter", func(t *testing.T) {
		r := e.call(auditor, "GET", "/api/v1/calls?serverId="+serverIDs[1], "").want(t, http.StatusOK)
		var got struct{ Calls []map[string]any }
		_ = json.Unmarshal(r.body, &got)
		if len(got.Calls) != 1 || got.Calls[0]["serverId"] != serverIDs[1] || got.Calls[0]["requestBody"] != nil {
			t.Fatalf("calls %s", r.body)
		}
	})
	t.Run("next and prev walk the pages with the filters kept", func(t *testing.T) {
		seen := map[string]bool{}
		next := "/api/v1/calls?operation=register&limit=1&callback=crm.example.com"
		for range 3 {
			r := e.call(auditor, "GET", next, "").want(t, http.StatusOK)
			var page struct {
				Calls []map[string]any
				Next  *string
				Prev  *string
			}
			_ = json.Unmarshal(r.body, &page)
			if len(page.Calls) != 1 || page.Next == nil {
				t.Fatalf("page %s", r.body)
			}
			seen[page.Calls[0]["serverId"].(string)] = true
			for _, p := range []string{"operation=register", "limit=1", "callback=crm.example.com"} {
				if !strings.Contains(*page.Next, p) {
					t.Errorf("next %q lost %q", *page.Next, p)
				}
			}
			next = *page.Next
		}
		for _, id := range serverIDs {
			if !seen[id] {
				t.Errorf("serverId %s not seen while paging", id)
			}
		}
	})
	t.Run("one call shows its redacted bodies, never the token", func(t *testing.T) {
		loc := e.call(op, "POST", "/api/v1/subscriptions", e.registerJSON(token)).want(t, http.StatusCreated).header.Get("Location")
		r := e.call(auditor, "GET", loc, "").want(t, http.StatusOK)
		c := r.json(t)
		if c["requestBody"] == "" || c["retcodeMeaning"] == "" || strings.Contains(string(r.body), token) {
			t.Fatalf("call %s", r.body)
		}
	})
	bad := []struct{ query, field string }{
		{"outcome=great", "outcome"},
		{"operation=delete", "operation"},
		{"from=yesterday", "from"},
		{"limit=0", "limit"},
		{"limit=201", "limit"},
		{"before=garbage", "before"},
		{"serverId=a%00b", "serverId"},
		{"sort=id", "sort"},
		{"outcome=success&outcome=failed", "outcome"},
	}
	for _, tt := range bad {
		t.Run("the calls filter "+tt.query+" is refused naming "+tt.field, func(t *testing.T) {
			r := e.call(auditor, "GET", "/api/v1/calls?"+tt.query, "").want(t, http.StatusBadRequest)
			if r.fieldError(t, tt.field) == "" {
				t.Errorf("no message on %s: %s", tt.field, r.body)
			}
		})
	}
	t.Run("an unknown call is 404", func(t *testing.T) {
		e.call(auditor, "GET", "/api/v1/calls/999999999", "").want(t, http.StatusNotFound)
	})
	t.Run("the audit list is filtered like the page", func(t *testing.T) {
		q := url.Values{"action": {"subscription_register"}, "target_type": {"subscription"}, "limit": {"200"}}
		r := e.call(auditor, "GET", "/api/v1/audit?"+q.Encode(), "").want(t, http.StatusOK)
		var got struct{ Entries []map[string]any }
		_ = json.Unmarshal(r.body, &got)
		found := 0
		for _, en := range got.Entries {
			if en["action"] != "subscription_register" || en["hash"] == "" {
				t.Fatalf("entry %v", en)
			}
			for _, id := range serverIDs {
				if en["targetName"] == id {
					found++
				}
			}
		}
		if found != 3 || strings.Contains(string(r.body), token) {
			t.Errorf("found %d of 3 registers: %s", found, r.body)
		}
	})
	t.Run("an operator token cannot read the audit trail", func(t *testing.T) {
		e.call(op, "GET", "/api/v1/audit", "").want(t, http.StatusForbidden)
	})
	t.Run("a bad audit filter is refused", func(t *testing.T) {
		r := e.call(auditor, "GET", "/api/v1/audit?action=drop_table", "").want(t, http.StatusBadRequest)
		if r.fieldError(t, "action") == "" {
			t.Error("no message on action")
		}
	})
	t.Run("an unknown API path is 404 JSON", func(t *testing.T) {
		e.call(auditor, "GET", "/api/v1/nothing", "").want(t, http.StatusNotFound)
	})
}
