package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"
)

const keyConflict = "This Idempotency-Key was already used with another request body; use a new key for a new request."

// An Idempotency-Key stands for the request it was first used with: the
// same body again replays the first answer; another body is a 422 naming
// the conflict, and nothing is sent.
func TestAnIdempotencyKeyReusedWithAnotherBodyIsRefused(t *testing.T) {
	e := newEnv(t)
	op := e.Token(domain.RoleOperator)
	key := apptest.Uniq("idem")
	token := "tok-" + apptest.Uniq("s")
	body := e.RegisterJSON(token)
	first := e.Call(op, "POST", "/api/v1/subscriptions", body, "Idempotency-Key", key).Want(t, http.StatusCreated).JSON(t)
	firstID := first["call"].(map[string]any)["id"]

	t.Run("the same body, spaced and ordered differently, replays the first answer", func(t *testing.T) {
		same := `{"flowAccessCode": "8001", "nlpFlag": true, "serviceCallBackUri": "  https://crm.example.com/cc ",
			"serviceToken": "` + token + `", "subscribeType": "1", "gateway": ` + strconv.FormatInt(e.Gw.ID, 10) + `}`
		r := e.Call(op, "POST", "/api/v1/subscriptions", same, "Idempotency-Key", key).Want(t, http.StatusOK).JSON(t)
		if r["replayed"] != true || r["call"].(map[string]any)["id"] != firstID {
			t.Errorf("answer %v; want the first call %v, replayed", r, firstID)
		}
	})
	others := []struct{ name, body string }{
		{"another callback", strings.Replace(body, "crm.example.com/cc", "new.example.com/cc", 1)},
		{"another service token", e.RegisterJSON("tok-" + apptest.Uniq("other"))},
		{"no service token", strings.Replace(body, `"serviceToken": "`+token+`",`, "", 1)},
		{"another flag", strings.Replace(body, `"nlpFlag": true, "flowAccessCode": "8001"`, `"nlpFlag": false`, 1)},
		{"ccsub's receiver instead of the callback", `{"gateway": ` + strconv.FormatInt(e.Gw.ID, 10) + `, "serviceToken": "` + token + `", "useReceiver": true}`},
	}
	for _, o := range others {
		t.Run(o.name+" under the same key is a 422 and sends nothing", func(t *testing.T) {
			if o.body == body {
				t.Fatal("the test's body did not change")
			}
			r := e.Call(op, "POST", "/api/v1/subscriptions", o.body, "Idempotency-Key", key).Want(t, http.StatusUnprocessableEntity)
			if msg := r.JSON(t)["error"]; msg != keyConflict {
				t.Errorf("error %q, want %q", msg, keyConflict)
			}
		})
	}
	t.Run("the gateway saw one register, and one call is recorded", func(t *testing.T) {
		if n := len(e.Sim.RequestsFor("register")); n != 1 {
			t.Errorf("%d registers, want 1", n)
		}
		var n int
		if err := e.St.Pool().QueryRow(t.Context(), `SELECT count(*) FROM calls WHERE gateway_id = $1`, e.Gw.ID).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d calls recorded (%v), want 1", n, err)
		}
	})
	t.Run("the first body still replays after the refusals", func(t *testing.T) {
		r := e.Call(op, "POST", "/api/v1/subscriptions", body, "Idempotency-Key", key).Want(t, http.StatusOK).JSON(t)
		if r["call"].(map[string]any)["id"] != firstID {
			t.Errorf("answer %v", r)
		}
	})
}

// ccsub's receiver gets a new key on every API request; a repeat of a
// register to the receiver is still the same request.
func TestARepeatedRegisterToTheReceiverReplays(t *testing.T) {
	e := newEnv(t)
	op := e.Token(domain.RoleOperator)
	key := apptest.Uniq("idem")
	body := `{"gateway": ` + strconv.FormatInt(e.Gw.ID, 10) + `, "serviceToken": "tok-` + apptest.Uniq("r") + `", "useReceiver": true}`
	first := e.Call(op, "POST", "/api/v1/subscriptions", body, "Idempotency-Key", key).Want(t, http.StatusCreated).JSON(t)
	again := e.Call(op, "POST", "/api/v1/subscriptions", body, "Idempotency-Key", key).Want(t, http.StatusOK).JSON(t)
	if again["replayed"] != true || again["call"].(map[string]any)["id"] != first["call"].(map[string]any)["id"] {
		t.Errorf("first %v, again %v", first, again)
	}
	if n := len(e.Sim.RequestsFor("register")); n != 1 {
		t.Errorf("%d registers, want 1", n)
	}
}

// A call ccsub refused before sending says so in its JSON, in the answer to
// the register and on GET /api/v1/calls/{id}; the outcome word is failed.
func TestACallRefusedByCcsubSaysNothingWasSent(t *testing.T) {
	e := newEnv(t)
	op := e.Token(domain.RoleOperator)
	// A public address: outside the default gateway networks.
	gw := e.AddGateway(apptest.Uniq("outside"), "https://8.8.8.8", string(e.Sim.CAPEM()), apptest.SimPassword)
	body := strings.Replace(e.RegisterJSON("tok-"+apptest.Uniq("s")), `"gateway": `+strconv.FormatInt(e.Gw.ID, 10), `"gateway": `+strconv.FormatInt(gw.ID, 10), 1)
	r := e.Call(op, "POST", "/api/v1/subscriptions", body).Want(t, http.StatusCreated).JSON(t)
	call := r["call"].(map[string]any)
	id := strconv.FormatFloat(call["id"].(float64), 'f', 0, 64)
	detail := e.Call(op, "GET", "/api/v1/calls/"+id, "").Want(t, http.StatusOK).JSON(t)
	for name, c := range map[string]map[string]any{"the register's answer": call, "the call": detail} {
		reason, _ := c["notSentReason"].(string)
		if c["refusedByCcsub"] != true || c["outcome"] != "failed" || !strings.Contains(reason, "not in the gateway networks") {
			t.Errorf("%s: refusedByCcsub %v, outcome %v, notSentReason %q", name, c["refusedByCcsub"], c["outcome"], reason)
		}
	}
	if n := len(e.Sim.Requests()); n != 0 {
		t.Errorf("the simulator saw %d requests", n)
	}
	t.Run("a call the gateway answered is not marked", func(t *testing.T) {
		r := e.Call(op, "POST", "/api/v1/subscriptions", e.RegisterJSON("tok-"+apptest.Uniq("s"))).Want(t, http.StatusCreated).JSON(t)
		c := r["call"].(map[string]any)
		if c["refusedByCcsub"] != false || c["notSentReason"] != nil {
			t.Errorf("call %v", c)
		}
	})
}
