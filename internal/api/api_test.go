package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"
)

func TestAPIGateways(t *testing.T) {
	e := newEnv(t)
	admin, reader := e.Token(domain.RoleAdmin), e.Token(domain.RoleAuditor)
	gwPath := "/api/v1/gateways/" + strconv.FormatInt(e.Gw.ID, 10)

	t.Run("the list shows the gateway with its password only as set", func(t *testing.T) {
		r := e.Call(reader, "GET", "/api/v1/gateways", "").Want(t, http.StatusOK)
		var got struct{ Gateways []map[string]any }
		if err := json.Unmarshal(r.Body, &got); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, g := range got.Gateways {
			if g["id"] == float64(e.Gw.ID) {
				found = g["name"] == e.Gw.Name && g["password"] == "set" && g["agentId"] == float64(apptest.SimAgent)
			}
		}
		if !found || strings.Contains(string(r.Body), apptest.SimPassword) {
			t.Fatalf("list %s", r.Body)
		}
	})
	t.Run("one gateway is read by id", func(t *testing.T) {
		g := e.Call(reader, "GET", gwPath, "").Want(t, http.StatusOK).JSON(t)
		if g["baseUrl"] != e.Gw.BaseURL || g["password"] != "set" {
			t.Fatalf("gateway %v", g)
		}
	})
	t.Run("an unknown gateway is 404 JSON", func(t *testing.T) {
		e.Call(reader, "GET", "/api/v1/gateways/999999999", "").Want(t, http.StatusNotFound)
	})
	t.Run("an admin token creates a gateway; the password is write-only", func(t *testing.T) {
		name := apptest.Uniq("api-gw")
		body := fmt.Sprintf(`{"name": %q, "baseUrl": "https://10.9.8.7:8043", "agentId": 100002, "password": "pw-%s"}`, name, name)
		r := e.Call(admin, "POST", "/api/v1/gateways", body).Want(t, http.StatusCreated)
		g := r.JSON(t)
		if g["name"] != name || g["password"] != "set" || strings.Contains(string(r.Body), "pw-"+name) {
			t.Fatalf("created %s", r.Body)
		}
		if r.Header.Get("Location") != "/api/v1/gateways/"+strconv.Itoa(int(g["id"].(float64))) {
			t.Errorf("Location %q", r.Header.Get("Location"))
		}
		if n := len(e.AuditEntries(domain.AuditGatewayCreate, name)); n != 1 {
			t.Errorf("%d gateway_create entries, want 1", n)
		}
	})
	t.Run("an update changes only the fields sent", func(t *testing.T) {
		name := apptest.Uniq("renamed")
		gw := e.AddGateway(apptest.Uniq("gw"), "https://10.1.1.1:8043", "", "pw")
		path := "/api/v1/gateways/" + strconv.FormatInt(gw.ID, 10)
		g := e.Call(admin, "PATCH", path, fmt.Sprintf(`{"name": %q}`, name)).Want(t, http.StatusOK).JSON(t)
		if g["name"] != name || g["baseUrl"] != "https://10.1.1.1:8043" || g["password"] != "set" {
			t.Fatalf("updated %v", g)
		}
	})
	t.Run("an operator token cannot create a gateway", func(t *testing.T) {
		e.Call(e.Token(domain.RoleOperator), "POST", "/api/v1/gateways", `{"name":"x"}`).Want(t, http.StatusForbidden)
	})

	invalid := []struct {
		name, body, field, want string
	}{
		{"a missing password", `{"name":"n1","baseUrl":"https://10.0.0.1","agentId":1}`, "password", "Enter the administrator"},
		{"an http address", `{"name":"n2","baseUrl":"http://10.0.0.1","agentId":1,"password":"p"}`, "baseUrl", "https://"},
		{"an address with user-info", `{"name":"n3","baseUrl":"https://u:p@10.0.0.1","agentId":1,"password":"p"}`, "baseUrl", "user name or password"},
		{"an agent id out of range", `{"name":"n4","baseUrl":"https://10.0.0.1","agentId":0,"password":"p"}`, "agentId", "whole number from 1"},
		{"a script payload in the name is fine but a taken name is not", fmt.Sprintf(`{"name":%q,"baseUrl":"https://10.0.0.1","agentId":1,"password":"p"}`, e.Gw.Name), "name", "already has this name"},
	}
	for _, tt := range invalid {
		t.Run(tt.name+" gets 422 with a message on "+tt.field, func(t *testing.T) {
			r := e.Call(admin, "POST", "/api/v1/gateways", tt.body).Want(t, http.StatusUnprocessableEntity)
			if msg := r.FieldError(t, tt.field); !strings.Contains(msg, tt.want) {
				t.Errorf("errors.%s = %q, want it to contain %q", tt.field, msg, tt.want)
			}
		})
	}
}

func TestAPIDecodesJSONStrictly(t *testing.T) {
	e := newEnv(t)
	op := e.Token(domain.RoleOperator)
	gw := strconv.FormatInt(e.Gw.ID, 10)
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
			r := e.Call(op, "POST", "/api/v1/subscriptions", tt.body, headers...).Want(t, tt.status)
			msg := r.JSON(t)["error"].(string)
			if tt.field != "" {
				msg = r.FieldError(t, tt.field)
			}
			if !strings.Contains(msg, tt.want) {
				t.Errorf("message %q, want it to contain %q (%s)", msg, tt.want, r.Body)
			}
		})
	}
	t.Run("nothing was sent to the gateway", func(t *testing.T) {
		if n := len(e.Sim.RequestsFor("register")); n != 0 {
			t.Errorf("simulator saw %d registers", n)
		}
	})
}

func TestAPIRegisterReachesTheGatewayExactlyLikeTheForm(t *testing.T) {
	e := newEnv(t)
	op := e.Token(domain.RoleOperator)
	browser, _ := e.User(domain.RoleOperator)
	token := "tok-" + apptest.Uniq("secret")

	f := e.RegisterForm()
	f.Set("serviceToken", token)
	apptest.SubscriptionIDFrom(t, e.Post(browser, "/subscriptions", f))
	r := e.Call(op, "POST", "/api/v1/subscriptions", e.RegisterJSON(token)).Want(t, http.StatusCreated)

	regs := e.Sim.RequestsFor("register")
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
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	t.Run("the answer has the call and the new subscription, without the token", func(t *testing.T) {
		if got.Call["outcome"] != "success" || got.Call["serviceToken"] != "set" || got.Call["serverId"] == "" {
			t.Errorf("call %v", got.Call)
		}
		if got.Subscription["state"] != "active" || got.Subscription["serverId"] != got.Call["serverId"] || got.Subscription["serviceToken"] != "set" {
			t.Errorf("subscription %v", got.Subscription)
		}
		if strings.Contains(string(r.Body), token) {
			t.Error("the answer holds the service token")
		}
		if !strings.HasPrefix(r.Header.Get("Location"), "/api/v1/calls/") {
			t.Errorf("Location %q", r.Header.Get("Location"))
		}
	})
	t.Run("the call is recorded under the token's name and audited", func(t *testing.T) {
		if actor, _ := got.Call["actor"].(string); !strings.Contains(actor, "API token #") {
			t.Errorf("actor %q", actor)
		}
		if n := len(e.AuditEntries(domain.AuditSubRegister, got.Call["serverId"].(string))); n != 1 {
			t.Errorf("%d register entries, want 1", n)
		}
	})
}

func TestAPIRegisterWithAnIdempotencyKeySendsOnce(t *testing.T) {
	e := newEnv(t)
	op := e.Token(domain.RoleOperator)
	key := apptest.Uniq("idem")
	body := e.RegisterJSON("tok-" + apptest.Uniq("s"))
	first := e.Call(op, "POST", "/api/v1/subscriptions", body, "Idempotency-Key", key).Want(t, http.StatusCreated).JSON(t)
	second := e.Call(op, "POST", "/api/v1/subscriptions", body, "Idempotency-Key", key).Want(t, http.StatusOK).JSON(t)
	t.Run("the repeat answers with the first call, marked replayed", func(t *testing.T) {
		c1, c2 := first["call"].(map[string]any), second["call"].(map[string]any)
		if c1["id"] != c2["id"] || second["replayed"] != true {
			t.Errorf("first %v, second %v", first, second)
		}
	})
	t.Run("the gateway saw one register", func(t *testing.T) {
		if n := len(e.Sim.RequestsFor("register")); n != 1 {
			t.Errorf("%d registers", n)
		}
	})
	t.Run("another token's same key is a different submission", func(t *testing.T) {
		e.Call(e.Token(domain.RoleOperator), "POST", "/api/v1/subscriptions", body, "Idempotency-Key", key).Want(t, http.StatusCreated)
	})
	t.Run("an unusable key is refused", func(t *testing.T) {
		r := e.Call(op, "POST", "/api/v1/subscriptions", body, "Idempotency-Key", strings.Repeat("k", 101)).Want(t, http.StatusBadRequest)
		if r.FieldError(t, "Idempotency-Key") == "" {
			t.Error("no message on Idempotency-Key")
		}
	})
}

func TestAPIRegisterAppliesTheFormsRules(t *testing.T) {
	e := newEnv(t)
	op := e.Token(domain.RoleOperator)
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
				body = fmt.Sprintf(body, e.Gw.ID)
			}
			r := e.Call(op, "POST", "/api/v1/subscriptions", body).Want(t, http.StatusUnprocessableEntity)
			if msg := r.FieldError(t, tt.field); !strings.Contains(msg, tt.want) {
				t.Errorf("errors.%s = %q, want %q", tt.field, msg, tt.want)
			}
		})
	}
	t.Run("the receiver can be the callback", func(t *testing.T) {
		body := fmt.Sprintf(`{"gateway":%d,"useReceiver":true,"serviceToken":"tok-recv"}`, e.Gw.ID)
		r := e.Call(op, "POST", "/api/v1/subscriptions", body).Want(t, http.StatusCreated).JSON(t)
		sub := r["subscription"].(map[string]any)
		if sub["useReceiver"] != true || !strings.HasPrefix(sub["serviceCallBackUri"].(string), e.Srv.URL+"/receiver/") {
			t.Errorf("subscription %v", sub)
		}
	})
	t.Run("nothing invalid reached the gateway", func(t *testing.T) {
		if n := len(e.Sim.RequestsFor("register")); n != 1 {
			t.Errorf("%d registers, want only the valid one", n)
		}
	})
}

func TestAPISubscriptionLifecycle(t *testing.T) {
	e := newEnv(t)
	op, reader := e.Token(domain.RoleOperator), e.Token(domain.RoleAuditor)
	reg := e.Call(op, "POST", "/api/v1/subscriptions", e.RegisterJSON("tok-"+apptest.Uniq("s"))).Want(t, http.StatusCreated).JSON(t)
	sub := reg["subscription"].(map[string]any)
	id := strconv.Itoa(int(sub["id"].(float64)))
	path := "/api/v1/subscriptions/" + id

	t.Run("it is listed with its state and readable by id", func(t *testing.T) {
		list := e.Call(reader, "GET", "/api/v1/subscriptions?state=active&gateway="+strconv.FormatInt(e.Gw.ID, 10), "").Want(t, http.StatusOK)
		var got struct{ Subscriptions []map[string]any }
		_ = json.Unmarshal(list.Body, &got)
		if len(got.Subscriptions) != 1 || got.Subscriptions[0]["id"] != sub["id"] {
			t.Fatalf("list %s", list.Body)
		}
		one := e.Call(reader, "GET", path, "").Want(t, http.StatusOK).JSON(t)
		if one["serverId"] != sub["serverId"] {
			t.Errorf("read %v", one)
		}
	})
	t.Run("filters that cannot be used are refused", func(t *testing.T) {
		e.Call(reader, "GET", "/api/v1/subscriptions?state=sleeping", "").Want(t, http.StatusBadRequest)
		e.Call(reader, "GET", "/api/v1/subscriptions?gateway=x", "").Want(t, http.StatusBadRequest)
		e.Call(reader, "GET", "/api/v1/subscriptions?State=active", "").Want(t, http.StatusBadRequest)
	})
	t.Run("an auditor token cannot modify", func(t *testing.T) {
		e.Call(reader, "POST", path+"/modify", `{"nlpFlag": false}`).Want(t, http.StatusForbidden)
	})
	t.Run("modify sends only what changed and keeps the rest", func(t *testing.T) {
		r := e.Call(op, "POST", path+"/modify", `{"serviceCallBackUri": "https://ivr.example.com/new"}`).Want(t, http.StatusOK).JSON(t)
		s := r["subscription"].(map[string]any)
		if r["call"].(map[string]any)["outcome"] != "success" || s["serviceCallBackUri"] != "https://ivr.example.com/new" ||
			s["nlpFlag"] != true || s["flowAccessCode"] != "8001" {
			t.Fatalf("answer %v", r)
		}
		mods := e.Sim.RequestsFor("modify")
		if len(mods) != 1 || !strings.Contains(string(mods[0].Body), "https://ivr.example.com/new") {
			t.Errorf("simulator saw %d modifies", len(mods))
		}
	})
	t.Run("modify applies the form's rules", func(t *testing.T) {
		r := e.Call(op, "POST", path+"/modify", `{"serviceCallBackUri": "ftp://x"}`).Want(t, http.StatusUnprocessableEntity)
		if r.FieldError(t, "serviceCallBackUri") == "" {
			t.Error("no message on serviceCallBackUri")
		}
	})
	t.Run("cancel needs the serverId as confirmation", func(t *testing.T) {
		r := e.Call(op, "POST", path+"/cancel", `{"confirmServerId": "other"}`).Want(t, http.StatusUnprocessableEntity)
		if r.FieldError(t, "confirmServerId") == "" || len(e.Sim.RequestsFor("unregister")) != 0 {
			t.Errorf("answer %s", r.Body)
		}
	})
	t.Run("cancel with the serverId cancels", func(t *testing.T) {
		body := fmt.Sprintf(`{"confirmServerId": %q}`, sub["serverId"])
		r := e.Call(op, "POST", path+"/cancel", body).Want(t, http.StatusOK).JSON(t)
		if r["subscription"].(map[string]any)["state"] != "cancelled" {
			t.Errorf("answer %v", r)
		}
		if n := len(e.AuditEntries(domain.AuditSubCancel, sub["serverId"].(string))); n != 1 {
			t.Errorf("%d cancel entries", n)
		}
	})
	t.Run("a cancelled subscription cannot be changed: 409", func(t *testing.T) {
		e.Call(op, "POST", path+"/modify", `{"serviceCallBackUri": "https://ivr.example.com/again"}`).Want(t, http.StatusConflict)
	})
	t.Run("an unknown subscription is 404", func(t *testing.T) {
		e.Call(reader, "GET", "/api/v1/subscriptions/999999999", "").Want(t, http.StatusNotFound)
		e.Call(reader, "GET", "/api/v1/subscriptions/abc", "").Want(t, http.StatusNotFound)
	})
}

func TestAPICallsAndAudit(t *testing.T) {
	e := newEnv(t)
	op, auditor := e.Token(domain.RoleOperator), e.Token(domain.RoleAuditor)
	token := "tok-" + apptest.Uniq("s")
	var serverIDs []string
	for range 3 {
		r := e.Call(op, "POST", "/api/v1/subscriptions", e.RegisterJSON(token)).Want(t, http.StatusCreated).JSON(t)
		serverIDs = append(serverIDs, r["call"].(map[string]any)["serverId"].(string))
	}

	t.Run("the list honours a filter", func(t *testing.T) {
		r := e.Call(auditor, "GET", "/api/v1/calls?serverId="+serverIDs[1], "").Want(t, http.StatusOK)
		var got struct{ Calls []map[string]any }
		_ = json.Unmarshal(r.Body, &got)
		if len(got.Calls) != 1 || got.Calls[0]["serverId"] != serverIDs[1] || got.Calls[0]["requestBody"] != nil {
			t.Fatalf("calls %s", r.Body)
		}
	})
	t.Run("the list searches the message and a serverId's start", func(t *testing.T) {
		q := url.Values{"serverId": {serverIDs[2] + "*"}, "message": {"SUCC"}, "callback": {"crm.example"}}
		r := e.Call(auditor, "GET", "/api/v1/calls?"+q.Encode(), "").Want(t, http.StatusOK)
		var got struct{ Calls []map[string]any }
		_ = json.Unmarshal(r.Body, &got)
		if len(got.Calls) != 1 || got.Calls[0]["serverId"] != serverIDs[2] {
			t.Fatalf("calls %s", r.Body)
		}
		q.Set("message", "nothing like it")
		r = e.Call(auditor, "GET", "/api/v1/calls?"+q.Encode(), "").Want(t, http.StatusOK)
		if got.Calls = nil; json.Unmarshal(r.Body, &got) != nil || len(got.Calls) != 0 {
			t.Fatalf("calls %s", r.Body)
		}
	})
	t.Run("next and prev walk the pages with the filters kept", func(t *testing.T) {
		// This env's own gateway: the package's other tests write calls to
		// the same database, and must not add pages to this walk.
		seen := map[string]bool{}
		gw := fmt.Sprint(e.Gw.ID)
		next := "/api/v1/calls?operation=register&limit=1&callback=crm.example.com&gateway=" + gw
		for i := range 3 {
			r := e.Call(auditor, "GET", next, "").Want(t, http.StatusOK)
			var page struct {
				Calls []map[string]any
				Next  *string
				Prev  *string
			}
			_ = json.Unmarshal(r.Body, &page)
			if len(page.Calls) != 1 || (page.Next == nil) != (i == 2) || (page.Prev == nil) != (i == 0) {
				t.Fatalf("page %d of 3: %s", i+1, r.Body)
			}
			seen[page.Calls[0]["serverId"].(string)] = true
			if page.Next == nil {
				break
			}
			for _, p := range []string{"operation=register", "limit=1", "callback=crm.example.com", "gateway=" + gw} {
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
		loc := e.Call(op, "POST", "/api/v1/subscriptions", e.RegisterJSON(token)).Want(t, http.StatusCreated).Header.Get("Location")
		r := e.Call(auditor, "GET", loc, "").Want(t, http.StatusOK)
		c := r.JSON(t)
		if c["requestBody"] == "" || c["retcodeMeaning"] == "" || strings.Contains(string(r.Body), token) {
			t.Fatalf("call %s", r.Body)
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
		{"serverId=20*26", "serverId"},
		{"message=a%00b", "message"},
		{"sort=id", "sort"},
		{"outcome=success&outcome=failed", "outcome"},
	}
	for _, tt := range bad {
		t.Run("the calls filter "+tt.query+" is refused naming "+tt.field, func(t *testing.T) {
			r := e.Call(auditor, "GET", "/api/v1/calls?"+tt.query, "").Want(t, http.StatusBadRequest)
			if r.FieldError(t, tt.field) == "" {
				t.Errorf("no message on %s: %s", tt.field, r.Body)
			}
		})
	}
	t.Run("an unknown call is 404", func(t *testing.T) {
		e.Call(auditor, "GET", "/api/v1/calls/999999999", "").Want(t, http.StatusNotFound)
	})
	t.Run("the audit list is filtered like the page", func(t *testing.T) {
		q := url.Values{"action": {"subscription_register"}, "target_type": {"subscription"}, "limit": {"200"}}
		r := e.Call(auditor, "GET", "/api/v1/audit?"+q.Encode(), "").Want(t, http.StatusOK)
		var got struct{ Entries []map[string]any }
		_ = json.Unmarshal(r.Body, &got)
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
		if found != 3 || strings.Contains(string(r.Body), token) {
			t.Errorf("found %d of 3 registers: %s", found, r.Body)
		}
	})
	t.Run("an operator token cannot read the audit trail", func(t *testing.T) {
		e.Call(op, "GET", "/api/v1/audit", "").Want(t, http.StatusForbidden)
	})
	t.Run("a bad audit filter is refused", func(t *testing.T) {
		r := e.Call(auditor, "GET", "/api/v1/audit?action=drop_table", "").Want(t, http.StatusBadRequest)
		if r.FieldError(t, "action") == "" {
			t.Error("no message on action")
		}
	})
	t.Run("an unknown API path is 404 JSON", func(t *testing.T) {
		e.Call(auditor, "GET", "/api/v1/nothing", "").Want(t, http.StatusNotFound)
	})
}
