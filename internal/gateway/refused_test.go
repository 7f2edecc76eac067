package gateway

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"

	"ccsub/internal/domain"
)

// RefusedByCcsub tells the calls ccsub's own checks stopped before a byte
// left (the gateway networks, the address, the CA bundle, the serverId)
// from those the gateway answered or that could not reach it. The outcome
// word is failed either way.
func TestRefusalsByCcsubAreToldApart(t *testing.T) {
	sim := startSim(t)
	other := startSim(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := closed.Addr().String()
	closed.Close()
	loopbackOnly := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	tests := []struct {
		name    string
		edit    func(*Target)
		call    func(*Client, Target) Result
		refused bool
		outcome domain.Outcome
		wantErr string
	}{
		{"an address outside the gateway networks (the login is refused at dial time)",
			func(tg *Target) { tg.BaseURL = "https://8.8.8.8" }, sendRegister, true, domain.OutcomeFailed, "not in the gateway networks"},
		{"an address outside the gateway networks, on a connection test",
			func(tg *Target) { tg.BaseURL = "https://8.8.8.8" }, sendLogin, true, domain.OutcomeFailed, "not in the gateway networks"},
		{"a CA bundle that is not PEM", func(tg *Target) { tg.CAPEM = []byte("not a certificate") }, sendRegister, true,
			domain.OutcomeFailed, "contains no valid PEM certificate; nothing was sent"},
		{"a CA bundle that is not PEM, on a connection test", func(tg *Target) { tg.CAPEM = []byte("not a certificate") }, sendLogin, true,
			domain.OutcomeFailed, "contains no valid PEM certificate; nothing was sent"},
		{"a plain http address", func(tg *Target) { tg.BaseURL = strings.Replace(tg.BaseURL, "https", "http", 1) }, sendRegister, true,
			domain.OutcomeFailed, "must start with https://"},
		{"no serverId", func(*Target) {}, func(c *Client, tg Target) Result { return c.Modify(context.Background(), tg, ModifyRequest{}) },
			true, domain.OutcomeFailed, "no serverId given; nothing was sent"},
		{"a closed port is the gateway not reachable, not a refusal", func(tg *Target) { tg.BaseURL = "https://" + deadAddr },
			sendRegister, false, domain.OutcomeFailed, "connection refused"},
		{"a certificate from another CA is the gateway's, not a refusal", func(tg *Target) { tg.CAPEM = other.CAPEM() },
			sendRegister, false, domain.OutcomeFailed, "not signed by the configured CA bundle"},
		{"a register the gateway answers", func(*Target) {}, sendRegister, false, domain.OutcomeSuccess, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newClient(Config{Networks: loopbackOnly})
			tg := simTarget(sim)
			tt.edit(&tg)
			before := len(sim.Requests())
			res := tt.call(c, tg)
			wantOutcome(t, res, tt.outcome)
			if res.RefusedByCcsub() != tt.refused {
				t.Errorf("RefusedByCcsub %v, want %v (err %v)", res.RefusedByCcsub(), tt.refused, res.Err)
			}
			if !strings.Contains(errString(res.Err), tt.wantErr) {
				t.Errorf("err %q, want it to contain %q", errString(res.Err), tt.wantErr)
			}
			if tt.refused && len(sim.Requests()) != before {
				t.Errorf("the simulator received %d requests", len(sim.Requests())-before)
			}
		})
	}
}

func sendRegister(c *Client, tg Target) Result {
	return c.Register(context.Background(), tg, validRegister())
}
func sendLogin(c *Client, tg Target) Result { return c.Login(context.Background(), tg) }
