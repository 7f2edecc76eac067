package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"
	"ccsub/internal/gatewaysim"
)

func TestAPIClosesASubscriptionTheGatewayDroppedInCcsubOnly(t *testing.T) {
	e := newEnv(t)
	op, auditor := e.Token(domain.RoleOperator), e.Token(domain.RoleAuditor)
	reg := e.Call(op, "POST", "/api/v1/subscriptions", e.RegisterJSON("tok-"+apptest.Uniq("s"))).Want(t, http.StatusCreated).JSON(t)
	sub := reg["subscription"].(map[string]any)
	id, serverID := int64(sub["id"].(float64)), sub["serverId"].(string)
	path := "/api/v1/subscriptions/" + strconv.FormatInt(id, 10)
	confirm := fmt.Sprintf(`{"confirmServerId": %q}`, serverID)
	stateChanges := func() int {
		var n int
		err := e.St.Pool().QueryRow(context.Background(),
			`SELECT count(*) FROM calls WHERE subscription_id = $1 AND operation = 'state_change'`, id).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Without a 107-031 answer there is nothing to close in ccsub only.
	if r := e.Call(op, "POST", path+"/close", confirm).Want(t, http.StatusConflict).JSON(t); !strings.Contains(r["error"].(string), "107-031") {
		t.Errorf("the 409 does not say why: %v", r)
	}

	// The gateway no longer has it: the cancel is answered 107-031.
	e.Sim.Inject(gatewaysim.Fault{Op: "unregister", Retcode: "107-031"})
	cancel := e.Call(op, "POST", path+"/cancel", confirm).Want(t, http.StatusOK).JSON(t)
	dropped := cancel["call"].(map[string]any)
	if dropped["retcode"] != "107-031" || cancel["subscription"].(map[string]any)["state"] != "active" {
		t.Fatalf("cancel answer %v", cancel)
	}

	e.Call(auditor, "POST", path+"/close", confirm).Want(t, http.StatusForbidden)
	if r := e.Call(op, "POST", path+"/close", `{"confirmServerId": "other"}`).Want(t, http.StatusUnprocessableEntity); r.FieldError(t, "confirmServerId") == "" {
		t.Errorf("no message on confirmServerId: %s", r.Body)
	}
	e.Call(op, "POST", path+"/close", `{"confirmServerId": "x", "force": true}`).Want(t, http.StatusBadRequest) // strict decoding

	requests, changes := len(e.Sim.Requests()), stateChanges()
	r := e.Call(op, "POST", path+"/close", confirm).Want(t, http.StatusOK).JSON(t)
	got, call := r["subscription"].(map[string]any), r["call"].(map[string]any)
	if got["state"] != "cancelled" || call["id"] != dropped["id"] || call["retcode"] != "107-031" || call["operation"] != "unregister" {
		t.Errorf("close answer %v", r)
	}
	if n := len(e.Sim.Requests()); n != requests {
		t.Errorf("closing in ccsub only sent %d gateway requests", n-requests)
	}
	after, _ := e.St.Subscription(context.Background(), id)
	wantReason := fmt.Sprintf("unregister call #%d", int64(dropped["id"].(float64)))
	if after.State != domain.SubCancelled || !strings.Contains(after.StateReason, "closed in ccsub only") ||
		!strings.Contains(after.StateReason, "(API token #") || !strings.Contains(after.StateReason, wantReason) {
		t.Errorf("after close: %s, %q", after.State, after.StateReason)
	}
	if n := stateChanges() - changes; n != 1 {
		t.Errorf("%d new state-change rows, want 1", n)
	}
	if n := len(e.AuditEntries(domain.AuditSubClose, serverID)); n != 1 {
		t.Errorf("%d close entries, want 1", n)
	}

	// Once closed, it is cancelled: closing again is refused, recording nothing.
	e.Call(op, "POST", path+"/close", confirm).Want(t, http.StatusConflict)
	if n := len(e.AuditEntries(domain.AuditSubClose, serverID)); n != 1 || stateChanges()-changes != 1 {
		t.Errorf("a second close wrote %d entries", n)
	}
}
