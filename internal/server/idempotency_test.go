package server_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"
)

func countCalls(t *testing.T, e *testEnv, gatewayID int64) int {
	t.Helper()
	var n int
	if err := e.St.Pool().QueryRow(t.Context(), `SELECT count(*) FROM calls WHERE gateway_id = $1`, gatewayID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func copyForm(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// The register and replace forms must carry their one-time key: without
// one a repeat could not be told from a new request, so nothing is sent.
func TestAFormWithoutItsOneTimeKeyIsRefusedAndSendsNothing(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	const registerMsg = "This form has no one-time key: reload the register page and submit it again; nothing was sent."
	for name, edit := range map[string]func(url.Values){
		"without a key": func(v url.Values) { v.Del("idempotencyKey") },
		"with an empty key": func(v url.Values) {
			v.Set("idempotencyKey", "")
		},
	} {
		f := e.RegisterForm()
		edit(f)
		doc := e.Doc(e.Post(c, "/subscriptions", f), http.StatusBadRequest)
		if !strings.Contains(doc.Text(), registerMsg) {
			t.Errorf("register form %s: the page does not say %q", name, registerMsg)
		}
	}
	if n := len(e.Sim.RequestsFor("register")); n != 0 {
		t.Fatalf("%d registers reached the gateway", n)
	}
	if n := countCalls(t, e, e.Gw.ID); n != 0 {
		t.Fatalf("%d calls recorded", n)
	}

	sub := e.Registered(c, nil)
	for name, v := range map[string]url.Values{
		"without a key":     {"serviceToken": {"brand-new-token-123"}},
		"with an empty key": {"serviceToken": {"brand-new-token-123"}, "idempotencyKey": {""}},
	} {
		doc := e.Doc(e.Post(c, subURL(sub, "replace"), v), http.StatusBadRequest)
		if !strings.Contains(doc.Text(), "This form has no one-time key: reload the subscription page") {
			t.Errorf("replace form %s: the page says %q", name, doc.Find("main").Text())
		}
	}
	if regs, unregs := len(e.Sim.RequestsFor("register")), len(e.Sim.RequestsFor("unregister")); regs != 1 || unregs != 0 {
		t.Errorf("%d registers and %d unregisters reached the gateway, want only the first register", regs, unregs)
	}
}

// The pages always give their forms a key, so a form as the page renders
// it is never refused for want of one.
func TestThePagesRenderAOneTimeKey(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	if key, _ := e.Page(c, "/subscriptions/new", http.StatusOK).Find(`form input[name="idempotencyKey"]`).Attr("value"); key == "" {
		t.Error("the register form has no one-time key")
	}
	sub := e.Registered(c, nil)
	if key, _ := e.Page(c, subURL(sub, ""), http.StatusOK).Find(`form[action$="/replace"] input[name="idempotencyKey"]`).Attr("value"); key == "" {
		t.Error("the replace form has no one-time key")
	}
}

// A form resubmitted under the same key with other values is not the
// first submit again: 422, the form back with a message and a new key,
// and nothing sent. Submitting that form then is a new request.
func TestARegisterFormResubmittedWithOtherValuesIsRefused(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	f := e.RegisterForm()
	first := e.RegisterCallFrom(t, e.Post(c, "/subscriptions", f))

	var newKey string
	for _, tc := range []struct {
		name string
		edit func(url.Values)
	}{
		{"another callback", func(v url.Values) { v.Set("serviceCallBackUri", "https://new.example.com/cc") }},
		{"another service token", func(v url.Values) { v.Set("serviceToken", "tok-"+apptest.Uniq("other")) }},
		{"no service token", func(v url.Values) { v.Del("serviceToken") }},
	} {
		changed := copyForm(f)
		tc.edit(changed)
		doc := e.Doc(e.Post(c, "/subscriptions", changed), http.StatusUnprocessableEntity)
		if msg := doc.Find("#idempotencyKey-error").Text(); !strings.Contains(msg, "already submitted with other values") {
			t.Errorf("%s: message %q", tc.name, msg)
		}
		newKey, _ = doc.Find(`input[name="idempotencyKey"]`).Attr("value")
		if newKey == "" || newKey == f.Get("idempotencyKey") {
			t.Errorf("%s: the form came back with key %q, want a new one", tc.name, newKey)
		}
		if got, _ := doc.Find("#serviceCallBackUri").Attr("value"); got != changed.Get("serviceCallBackUri") {
			t.Errorf("%s: the callback was not kept (%q)", tc.name, got)
		}
		if n := len(e.Sim.RequestsFor("register")); n != 1 {
			t.Fatalf("%s: %d registers reached the gateway, want 1", tc.name, n)
		}
		if n := countCalls(t, e, e.Gw.ID); n != 1 {
			t.Fatalf("%s: %d calls recorded, want 1", tc.name, n)
		}
	}
	// The very same form is still the first submit.
	if again := e.RegisterCallFrom(t, e.Post(c, "/subscriptions", f)); again != first {
		t.Errorf("the same form went to call %d, want %d", again, first)
	}
	// The changed values with the key the page gave them are a new request.
	changed := copyForm(f)
	changed.Set("serviceCallBackUri", "https://new.example.com/cc")
	changed.Set("idempotencyKey", newKey)
	if second := e.RegisterCallFrom(t, e.Post(c, "/subscriptions", changed)); second == first || len(e.Sim.RequestsFor("register")) != 2 {
		t.Errorf("the form with its new key went to call %d (first %d), %d registers", second, first, len(e.Sim.RequestsFor("register")))
	}
}

// The replace form's key stands for its token: the same key with another
// token is refused on the subscription page, and nothing is sent.
func TestAReplaceFormResubmittedWithAnotherTokenIsRefused(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	old := e.Registered(c, nil)
	// The replacement's register is refused by the gateway, so the old
	// subscription stays active and the form can be sent again.
	e.Sim.Inject(gatewayFault("register", "107-027"))
	key := apptest.Uniq("k")
	first := apptest.CallIDFrom(t, e.Post(c, subURL(old, "replace"), url.Values{"serviceToken": {"first-new-token-123"}, "idempotencyKey": {key}}))

	doc := e.Doc(e.Post(c, subURL(old, "replace"), url.Values{"serviceToken": {"other-new-token-456"}, "idempotencyKey": {key}}),
		http.StatusUnprocessableEntity)
	if msg := doc.Find("#newToken-error").Text(); !strings.Contains(msg, "already submitted with other values") {
		t.Errorf("message %q", msg)
	}
	if k, _ := doc.Find(`form[action$="/replace"] input[name="idempotencyKey"]`).Attr("value"); k == "" || k == key {
		t.Errorf("the replace form came back with key %q, want a new one", k)
	}
	if regs, unregs := len(e.Sim.RequestsFor("register")), len(e.Sim.RequestsFor("unregister")); regs != 2 || unregs != 0 {
		t.Errorf("%d registers and %d unregisters, want the two first registers only", regs, unregs)
	}
	res := e.Post(c, subURL(old, "replace"), url.Values{"serviceToken": {"first-new-token-123"}, "idempotencyKey": {key}})
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/calls/"+strconv.FormatInt(first, 10) {
		t.Errorf("the same form again: %d to %q, want the first call %d", res.StatusCode, loc, first)
	}
}

// A call ccsub refused before sending is shown as such on its page: not
// as if the gateway had answered.
func TestACallRefusedByCcsubShowsNotSent(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	tests := []struct {
		name, url, ca, reason string
	}{
		{"a gateway outside the gateway networks", "https://8.8.8.8", string(e.Sim.CAPEM()), "not in the gateway networks"},
		{"a CA bundle that is not PEM", e.Sim.URL(), "not a certificate", "contains no valid PEM certificate"},
	}
	for _, tt := range tests {
		gw := e.AddGateway(apptest.Uniq("refused"), tt.url, tt.ca, apptest.SimPassword)
		f := e.RegisterForm()
		f.Set("gateway", strconv.FormatInt(gw.ID, 10))
		id := e.RegisterCallFrom(t, e.Post(c, "/subscriptions", f))
		page := e.Page(c, "/calls/"+strconv.FormatInt(id, 10), http.StatusOK)
		got := strings.Join(strings.Fields(page.Find("#call-not-sent").Text()), " ")
		if !strings.HasPrefix(got, "Not sent: ccsub refused it before sending — ") || !strings.Contains(got, tt.reason) {
			t.Errorf("%s: the call page says %q", tt.name, got)
		}
		if call, err := e.St.Call(t.Context(), id); err != nil || !call.RefusedByCcsub || call.Outcome != domain.OutcomeFailed {
			t.Errorf("%s: recorded %+v, %v", tt.name, call, err)
		}
	}
	if n := len(e.Sim.Requests()); n != 0 {
		t.Errorf("the simulator saw %d requests", n)
	}
	t.Run("a call the gateway answered shows no such line", func(t *testing.T) {
		id := e.RegisterCallFrom(t, e.Post(c, "/subscriptions", e.RegisterForm()))
		if e.Page(c, "/calls/"+strconv.FormatInt(id, 10), http.StatusOK).Find("#call-not-sent").Length() != 0 {
			t.Error("a sent call says it was not sent")
		}
	})
}
