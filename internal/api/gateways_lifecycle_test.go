package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"
	"ccsub/internal/form"
)

func TestAPIDisablesAndRemovesAGatewayOnlyWhenUnused(t *testing.T) {
	e := newEnv(t)
	admin, op := e.Token(domain.RoleAdmin), e.Token(domain.RoleOperator)
	g := e.AddGateway(apptest.Uniq("api-retiring"), e.Sim.URL(), string(e.Sim.CAPEM()), apptest.SimPassword)
	gwPath := "/api/v1/gateways/" + strconv.FormatInt(g.ID, 10)
	register := fmt.Sprintf(`{"gateway": %d, "subscribeType": "1", "serviceToken": "tok-%s",
		"serviceCallBackUri": "https://crm.example.com/cc"}`, g.ID, apptest.Uniq("t"))
	reg := e.Call(op, "POST", "/api/v1/subscriptions", register).Want(t, http.StatusCreated).JSON(t)
	call := reg["call"].(map[string]any)
	serverID := call["serverId"].(string)
	subID := int64(call["subscriptionId"].(float64))

	t.Run("PATCH disabled and DELETE are refused with 409 naming the subscription", func(t *testing.T) {
		for _, req := range []struct{ method, body, word string }{
			{"PATCH", `{"disabled": true}`, "disabled"},
			{"DELETE", "", "removed"},
		} {
			msg, _ := e.Call(admin, req.method, gwPath, req.body).Want(t, http.StatusConflict).JSON(t)["error"].(string)
			if !strings.Contains(msg, "cannot be "+req.word) || !strings.Contains(msg, serverID) {
				t.Errorf("%s: message %q", req.method, msg)
			}
		}
		if got := e.Call(admin, "GET", gwPath, "").Want(t, http.StatusOK).JSON(t); got["disabled"] != false {
			t.Errorf("after the refusals: %v", got)
		}
	})
	e.Call(op, "POST", "/api/v1/subscriptions/"+strconv.FormatInt(subID, 10)+"/cancel",
		`{"confirmServerId": "`+serverID+`"}`).Want(t, http.StatusOK)

	t.Run("once cancelled PATCH disables it, and a register on it is refused", func(t *testing.T) {
		if got := e.Call(admin, "PATCH", gwPath, `{"disabled": true}`).Want(t, http.StatusOK).JSON(t); got["disabled"] != true {
			t.Fatalf("after PATCH: %v", got)
		}
		r := e.Call(op, "POST", "/api/v1/subscriptions", register).Want(t, http.StatusUnprocessableEntity)
		if msg := r.FieldError(t, "gateway"); msg != form.GatewayDisabled {
			t.Errorf("gateway error %q", msg)
		}
	})
	t.Run("PATCH enables it; settings and disabled in one body are checked first", func(t *testing.T) {
		e.Call(admin, "PATCH", gwPath, `{"disabled": false, "agentId": -1}`).Want(t, http.StatusUnprocessableEntity)
		if got := e.Call(admin, "GET", gwPath, "").Want(t, http.StatusOK).JSON(t); got["disabled"] != true {
			t.Errorf("a refused body changed disabled: %v", got)
		}
		if got := e.Call(admin, "PATCH", gwPath, `{"disabled": false}`).Want(t, http.StatusOK).JSON(t); got["disabled"] != false {
			t.Errorf("after PATCH: %v", got)
		}
	})
	t.Run("a new gateway cannot be created disabled", func(t *testing.T) {
		body := fmt.Sprintf(`{"name": %q, "baseUrl": "https://10.9.8.7:8043", "agentId": 100002, "password": "pw", "disabled": true}`,
			apptest.Uniq("api-gw"))
		if e.Call(admin, "POST", "/api/v1/gateways", body).Want(t, http.StatusUnprocessableEntity).FieldError(t, "disabled") == "" {
			t.Error("no message for disabled")
		}
	})
	t.Run("DELETE removes it: 204, then 404 and out of the list", func(t *testing.T) {
		if r := e.Call(admin, "DELETE", gwPath, ""); r.Status != http.StatusNoContent {
			t.Fatalf("DELETE: %d %s", r.Status, r.Body)
		}
		e.Call(admin, "GET", gwPath, "").Want(t, http.StatusNotFound)
		e.Call(admin, "DELETE", gwPath, "").Want(t, http.StatusNotFound)
		var list struct{ Gateways []map[string]any }
		if err := json.Unmarshal(e.Call(admin, "GET", "/api/v1/gateways", "").Want(t, http.StatusOK).Body, &list); err != nil {
			t.Fatal(err)
		}
		for _, gw := range list.Gateways {
			if gw["id"] == float64(g.ID) {
				t.Error("the list holds the removed gateway")
			}
		}
		c := e.Call(admin, "GET", "/api/v1/calls/"+strconv.FormatInt(int64(call["id"].(float64)), 10), "").Want(t, http.StatusOK).JSON(t)
		if c["gatewayName"] != g.Name {
			t.Errorf("the register call names gateway %v, want %q", c["gatewayName"], g.Name)
		}
	})
	t.Run("an operator may not disable or remove a gateway", func(t *testing.T) {
		e.Call(op, "PATCH", "/api/v1/gateways/"+strconv.FormatInt(e.Gw.ID, 10), `{"disabled": true}`).Want(t, http.StatusForbidden)
		e.Call(op, "DELETE", "/api/v1/gateways/"+strconv.FormatInt(e.Gw.ID, 10), "").Want(t, http.StatusForbidden)
	})
}
