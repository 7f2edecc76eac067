package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/audit"
	"ccsub/internal/domain"
)

// auditHead is the id of the newest audit entry (0 when there is none), to
// find what an action appended after it.
func (e *testEnv) auditHead() int64 {
	e.T.Helper()
	var id int64
	if err := e.St.Pool().QueryRow(context.Background(), "SELECT coalesce(max(id), 0) FROM audit_log").Scan(&id); err != nil {
		e.T.Fatal(err)
	}
	return id
}

// auditedSince returns the entries actor caused after mark, oldest first,
// leaving out sign-ins and sign-outs (another helper's subject).
func (e *testEnv) auditedSince(actor string, mark int64) []domain.AuditEntry {
	e.T.Helper()
	page, err := e.St.ListAudit(context.Background(), domain.AuditFilter{Actor: actor}, domain.PageRequest{Limit: 200})
	if err != nil {
		e.T.Fatal(err)
	}
	var out []domain.AuditEntry
	for _, a := range page.Entries {
		if a.ID > mark && a.Action != domain.AuditLogin && a.Action != domain.AuditLogout {
			out = append([]domain.AuditEntry{a}, out...)
		}
	}
	return out
}

// auditRowText is every stored column of one entry as text, for the
// "no secret in clear" checks.
func (e *testEnv) auditRowText(id int64) string {
	e.T.Helper()
	var s string
	err := e.St.Pool().QueryRow(context.Background(), `SELECT concat_ws(' ', actor, source_addr, user_agent, action,
		target_type, target_id, target_name, outcome, diff) FROM audit_log WHERE id = $1`, id).Scan(&s)
	if err != nil {
		e.T.Fatal(err)
	}
	return s
}

// change is what a test expects of one field of a diff; JSON gives
// numbers back as float64.
type change struct {
	field         string
	before, after any
}

func TestEachGatewayAndSubscriptionActionIsAuditedExactlyOnce(t *testing.T) {
	e := newEnv(t)
	c, admin := e.User(domain.RoleAdmin)
	gwName, pw1, pw2, tok2 := apptest.Uniq("audited"), "first-"+apptest.Uniq("pw"), "second-"+apptest.Uniq("pw"), "tok-"+apptest.Uniq("replacement")
	renamed := gwName + "-renamed"
	form := e.RegisterForm()
	tok1 := form.Get("serviceToken")
	secrets := []string{pw1, pw2, tok1, tok2, apptest.SimPassword, strings.Split(string(e.Sim.CAPEM()), "\n")[1]}
	var gw domain.Gateway
	var sub, replacement domain.Subscription
	gwPath := func(suffix string) string { return "/gateways/" + strconv.FormatInt(gw.ID, 10) + suffix }
	gatewayForm := func(name, pw string) url.Values {
		return url.Values{"name": {name}, "baseUrl": {e.Sim.URL()}, "agentId": {"100001"}, "password": {pw}, "caPem": {string(e.Sim.CAPEM())}}
	}

	steps := []struct {
		name       string
		do         func()
		action     domain.AuditAction
		targetType string
		targetID   func() int64
		outcome    string
		changes    []change
		absent     []string // fields the diff must not hold
	}{
		{
			name: "adding a gateway records its fields, the CA by fingerprint and the password as a marker",
			do: func() {
				if res := e.Post(c, "/gateways", gatewayForm(gwName, pw1)); res.StatusCode != http.StatusSeeOther {
					t.Fatalf("create gateway: %d", res.StatusCode)
				}
				gw = e.gatewayNamed(gwName)
			},
			action: domain.AuditGatewayCreate, targetType: domain.TargetGateway, targetID: func() int64 { return gw.ID }, outcome: "success",
			changes: []change{{"name", nil, gwName}, {"agentId", nil, float64(100001)}, {"baseUrl", nil, e.Sim.URL()},
				{"password", nil, audit.SecretChanged}},
		},
		{
			name:   "renaming a gateway without a new password diffs the name and marks the password unchanged",
			do:     func() { e.Post(c, gwPath(""), gatewayForm(renamed, "")) },
			action: domain.AuditGatewayUpdate, targetType: domain.TargetGateway, targetID: func() int64 { return gw.ID }, outcome: "success",
			changes: []change{{"name", gwName, renamed}, {"password", nil, audit.SecretUnchanged}},
			absent:  []string{"baseUrl", "agentId", "caFingerprint"},
		},
		{
			name:   "a new password is recorded only as changed",
			do:     func() { e.Post(c, gwPath(""), gatewayForm(renamed, pw2)) },
			action: domain.AuditGatewayUpdate, targetType: domain.TargetGateway, targetID: func() int64 { return gw.ID }, outcome: "success",
			changes: []change{{"password", nil, audit.SecretChanged}},
			absent:  []string{"name"},
		},
		{
			name:   "a connection test refused by the gateway records the call's outcome and retcode",
			do:     func() { e.Post(c, gwPath("/test"), nil) },
			action: domain.AuditGatewayTest, targetType: domain.TargetGateway, targetID: func() int64 { return gw.ID }, outcome: "rejected",
			changes: []change{{"retcode", nil, "107-003"}},
		},
		{
			name:   "an administrator's one retry of the refused login records its call",
			do:     func() { e.Post(c, gwPath("/retry-login"), nil) },
			action: domain.AuditGatewayRetry, targetType: domain.TargetGateway, targetID: func() int64 { return gw.ID }, outcome: "rejected",
			changes: []change{{"retcode", nil, "107-003"}},
		},
		{
			name: "registering records the settings, the serverId and the token only as a marker",
			do: func() {
				sub = e.Registered(c, func(v url.Values) { v.Set("serviceToken", tok1); v.Set("idempotencyKey", apptest.Uniq("k")) })
			},
			action: domain.AuditSubRegister, targetType: domain.TargetSubscription, targetID: func() int64 { return sub.ID }, outcome: "success",
			changes: []change{{"callbackUri", nil, "https://crm.example.com/cc"}, {"serviceToken", nil, audit.SecretChanged},
				{"nlpFlag", nil, true}},
		},
		{
			name: "modifying records the callback before and after",
			do: func() {
				e.Post(c, subURL(sub, "modify"), url.Values{"serviceCallBackUri": {"https://new.example.com/cb"}, "nlpFlag": {"true"}, "flowAccessCode": {"8001"}})
			},
			action: domain.AuditSubModify, targetType: domain.TargetSubscription, targetID: func() int64 { return sub.ID }, outcome: "success",
			changes: []change{{"callbackUri", "https://crm.example.com/cc", "https://new.example.com/cb"}},
			absent:  []string{"nlpFlag", "flowAccessCode"},
		},
		{
			name:   "turning automatic re-registration on records the switch",
			do:     func() { e.Post(c, subURL(sub, "policy"), url.Values{"autoReregister": {"true"}}) },
			action: domain.AuditSubPolicy, targetType: domain.TargetSubscription, targetID: func() int64 { return sub.ID }, outcome: "success",
			changes: []change{{"autoReregister", false, true}},
		},
		{
			name: "replacing records the new serverId on the old subscription and the token only as a marker",
			do: func() {
				res := e.Post(c, subURL(sub, "replace"), url.Values{"serviceToken": {tok2}, "idempotencyKey": {apptest.Uniq("k")}})
				id, err := strconv.ParseInt(strings.TrimPrefix(res.Header.Get("Location"), "/subscriptions/"), 10, 64)
				if err != nil {
					t.Fatalf("replace went to %q", res.Header.Get("Location"))
				}
				replacement, _ = e.St.Subscription(context.Background(), id)
			},
			action: domain.AuditSubReplace, targetType: domain.TargetSubscription, targetID: func() int64 { return sub.ID }, outcome: "success",
			changes: []change{{"serviceToken", nil, audit.SecretChanged}},
		},
		{
			name: "cancelling records the state before and after",
			do: func() {
				e.Post(c, subURL(replacement, "cancel"), url.Values{"confirmServerId": {replacement.ServerID}})
			},
			action: domain.AuditSubCancel, targetType: domain.TargetSubscription, targetID: func() int64 { return replacement.ID }, outcome: "success",
			changes: []change{{"state", "active", "cancelled"}},
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			mark := e.auditHead()
			st.do()
			got := e.auditedSince(admin, mark)
			if len(got) != 1 {
				t.Fatalf("%d entries, want exactly 1: %+v", len(got), got)
			}
			a := got[0]
			id := strconv.FormatInt(st.targetID(), 10)
			if a.Action != st.action || a.TargetType != st.targetType || a.TargetID != id || a.Outcome != st.outcome {
				t.Errorf("entry %s %s/%s outcome %s, want %s %s/%s outcome %s", a.Action, a.TargetType, a.TargetID, a.Outcome,
					st.action, st.targetType, id, st.outcome)
			}
			if a.SourceAddr != "127.0.0.1" || !strings.HasPrefix(a.UserAgent, "Go-http-client/") {
				t.Errorf("source %q, user agent %q", a.SourceAddr, a.UserAgent)
			}
			for _, ch := range st.changes {
				fc, ok := a.Diff[ch.field]
				if !ok || fc.Before != ch.before || fc.After != ch.after {
					t.Errorf("diff[%s] = %#v (present %v), want %v → %v; diff %v", ch.field, fc, ok, ch.before, ch.after, a.Diff)
				}
			}
			for _, f := range st.absent {
				if _, ok := a.Diff[f]; ok {
					t.Errorf("diff holds unchanged field %s: %v", f, a.Diff)
				}
			}
			text := e.auditRowText(a.ID)
			for _, s := range secrets {
				if strings.Contains(text, s) {
					t.Errorf("entry %d holds a secret in clear (%.6s…)", a.ID, s)
				}
			}
		})
	}
}

func (e *testEnv) gatewayNamed(name string) domain.Gateway {
	e.T.Helper()
	gws, err := e.St.ListGateways(context.Background())
	if err != nil {
		e.T.Fatal(err)
	}
	for _, g := range gws {
		if g.Name == name {
			return g
		}
	}
	e.T.Fatalf("no gateway %q", name)
	return domain.Gateway{}
}
