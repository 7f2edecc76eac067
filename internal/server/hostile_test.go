package server_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"ccsub/internal/domain"
	"ccsub/internal/gatewaysim"
)

// TestHostileGatewayAnswersNeverMakeA500: whatever the gateway answers a
// register with, the person gets the call's page with its outcome, one
// request reached the gateway, and a register that may have taken effect
// is listed as an unknown subscription to settle, never re-sent.
func TestHostileGatewayAnswersNeverMakeA500(t *testing.T) {
	tests := []struct {
		name  string
		fault gatewaysim.Fault
		want  domain.Outcome
	}{
		{"a body that stops half way", gatewaysim.Fault{Truncate: true, Processed: true}, domain.OutcomeUnknown},
		{"an HTML error page with a 502", gatewaysim.Fault{HTML: true, HTTPStatus: 502}, domain.OutcomeUnknown},
		{"a retcode as a number", gatewaysim.Fault{NumericRetcode: true}, domain.OutcomeSuccess},
		{"a success without result", gatewaysim.Fault{NoResult: true, Processed: true}, domain.OutcomeUnknown},
		{"a result of the wrong type", gatewaysim.Fault{ResultAs: gatewaysim.ResultAsNumber, Processed: true}, domain.OutcomeUnknown},
		{"an oversized body", gatewaysim.Fault{Oversize: true, Processed: true}, domain.OutcomeUnknown},
		{"a redirect", gatewaysim.Fault{Redirect: true}, domain.OutcomeFailed},
		{"107-029 while the platform creates it", gatewaysim.Fault{Retcode: "107-029", Processed: true}, domain.OutcomeUnknown},
	}
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.Sim.RequestsFor("register"))
			tt.fault.Op = "register"
			e.Sim.Inject(tt.fault)
			id := e.RegisterCallFrom(t, e.Post(c, "/subscriptions", e.RegisterForm()))
			if res := e.Get(c, "/calls/"+strconv.FormatInt(id, 10)); res.StatusCode != http.StatusOK {
				t.Fatalf("the call page answered %d", res.StatusCode)
			}
			call, err := e.St.Call(context.Background(), id)
			if err != nil || call.Outcome != tt.want {
				t.Fatalf("call outcome %q (%v), want %q", call.Outcome, err, tt.want)
			}
			if n := len(e.Sim.RequestsFor("register")) - before; n != 1 {
				t.Errorf("%d register requests reached the gateway, want 1", n)
			}
			if tt.want != domain.OutcomeUnknown {
				return
			}
			if call.SubscriptionID == nil {
				t.Fatal("an unknown register is not listed as a subscription to settle")
			}
			sub, err := e.St.Subscription(context.Background(), *call.SubscriptionID)
			if err != nil || sub.State != domain.SubUnknown {
				t.Errorf("subscription %+v (%v), want state unknown", sub, err)
			}
			doc := e.Page(c, "/subscriptions/"+idOf(sub), http.StatusOK)
			if doc.Find(`form[action$="/resolve"]`).Length() == 0 {
				t.Error("the subscription page offers no way to settle the unknown register")
			}
		})
	}
}
