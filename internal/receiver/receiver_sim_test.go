package receiver_test

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"
	"ccsub/internal/gatewaysim"
	"ccsub/internal/subscribe"
)

// pushSim is a simulator of its own whose clock stands at a random past
// instant: its serverIds embed the time, so they cannot collide with those
// other tests' simulators issue at the real time on the shared database.
func (e *testEnv) pushSim() (*gatewaysim.Sim, domain.Gateway) {
	e.T.Helper()
	start := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rand.Int64N(1e8)) * time.Second)
	sim := gatewaysim.New(gatewaysim.Config{Accounts: map[int64]string{apptest.SimAgent: apptest.SimPassword},
		Clock: gatewaysim.NewManualClock(start), SubscriptionServers: []string{"127.0.0.1"}, AllowHTTPLoopback: true})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		e.T.Fatal(err)
	}
	e.T.Cleanup(func() { _ = sim.Close() })
	return sim, e.AddGateway(apptest.Uniq("push-gw"), sim.URL(), string(sim.CAPEM()), apptest.SimPassword)
}

// registerToReceiver registers, through the console's service and the
// simulator, a subscription whose callback is this console's receiver.
func (e *testEnv) registerToReceiver(gw domain.Gateway, token string) apptest.ReceiverSub {
	e.T.Helper()
	key := apptest.Uniq("rk") + apptest.Uniq("")
	call, err := e.Svc.Register(e.T.Context(), domain.Actor{Name: "test"}, subscribe.RegisterInput{
		GatewayID: gw.ID, SubscribeType: "1", ServiceToken: token,
		CallbackURI: e.Srv.URL + "/receiver/" + key, ReceiverKey: key,
	})
	if err != nil || call.Outcome != domain.OutcomeSuccess {
		e.T.Fatalf("register: outcome %s, err %v", call.Outcome, err)
	}
	sub, err := e.St.SubscriptionByReceiverKey(e.T.Context(), key)
	if err != nil {
		e.T.Fatal(err)
	}
	return apptest.ReceiverSub{Subscription: sub, Token: token}
}

// TestASimulatorPushReachesTheInbox: the simulated platform pushes to the
// callback it was given, with the token it was given, and the receiver
// accepts and stores what it sent.
func TestASimulatorPushReachesTheInbox(t *testing.T) {
	e := newEnv(t)
	sim, gw := e.pushSim()
	for _, token := range []string{apptest.Uniq("sim-token"), ""} {
		name := "with a service token"
		if token == "" {
			name = "without a service token"
		}
		t.Run("a push to a subscription registered "+name+" is accepted", func(t *testing.T) {
			s := e.registerToReceiver(gw, token)
			res := sim.PushTo(t.Context(), s.ServerID, gatewaysim.Push{CallID: "sim-call", Text: "simulated words", Speaker: "1"})
			var ans struct{ Retcode string }
			if res.Err != nil || res.Status != 200 || json.Unmarshal(res.Body, &ans) != nil || ans.Retcode != "0" {
				t.Fatalf("push: status %d, answer %s, err %v", res.Status, res.Body, res.Err)
			}
			ns, _ := e.Notifications(s.ReceiverKey)
			if len(ns) != 1 || !ns[0].Accepted || ns[0].CallID != "sim-call" || ns[0].Text != "simulated words" ||
				ns[0].Speaker != "1" || ns[0].Body != string(res.Sent) {
				t.Fatalf("stored %+v", ns)
			}
		})
	}
}
