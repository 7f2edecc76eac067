package gatewaysim

import (
	"regexp"
	"testing"
)

func TestLogin(t *testing.T) {
	h := start(t, Config{Accounts: map[int64]string{100001: "right", 42: "other"}})
	tests := []struct {
		name        string
		body        string
		contentType string
		wantStatus  int
		wantRetcode string
	}{
		{"the right password gets a Guid", loginBody("100001", "right"), "", 200, "0"},
		{"a second account logs in with its own password", loginBody("42", "other"), "", 200, "0"},
		{"a charset-less JSON Content-Type is accepted", loginBody("100001", "right"), "application/json", 200, "0"},
		{"a wrong password is 107-003", loginBody("100001", "wrong"), "", 200, "107-003"},
		{"another account's password is 107-003", loginBody("42", "right"), "", 200, "107-003"},
		{"an unknown agentId is 107-004", loginBody("999", "right"), "", 200, "107-004"},
		{"an agentId sent as a string is 107-002", loginBody(`"100001"`, "right"), "", 200, "107-002"},
		{"a fractional agentId is 107-002", loginBody("100001.5", "right"), "", 200, "107-002"},
		{"a missing password is 107-002", `{"agentId":100001}`, "", 200, "107-002"},
		{"an empty password is 107-002", loginBody("100001", ""), "", 200, "107-002"},
		{"a body that is not JSON is 107-002", `agentId=100001`, "", 200, "107-002"},
		{"a form Content-Type is 000-002", loginBody("100001", "right"), "application/x-www-form-urlencoded", 200, "000-002"},
		{"a missing Content-Type is 000-002", loginBody("100001", "right"), "-", 200, "000-002"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := call{method: "POST", path: LoginPath, body: tc.body}
			switch tc.contentType {
			case "":
			case "-":
				c.header = map[string]string{"Content-Type": ""}
			default:
				c.header = map[string]string{"Content-Type": tc.contentType}
			}
			r := h.do(t, c)
			expect(t, r, tc.wantStatus, tc.wantRetcode)
			_, hasGuid := r.Env.Result["guid"]
			if hasGuid != (tc.wantRetcode == "0") || r.Header.Get("Guid") != "" || r.Header.Get("Set-GUID") != "" {
				t.Errorf("guid in body %v, Guid header %q, Set-GUID %q; want the body's only, on success only",
					hasGuid, r.Header.Get("Guid"), r.Header.Get("Set-GUID"))
			}
		})
	}
}

func TestLoginGuidIsInBodyAndHeaderWithTheNodeSuffix(t *testing.T) {
	h := start(t, Config{Node: "AgentGateway7", GuidIn: GuidInBodyAndHeader})
	pattern := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.AgentGateway7$`)
	seen := map[string]bool{}
	for range 3 {
		r := h.do(t, call{method: "POST", path: LoginPath, body: loginBody("100001", DefaultPassword)})
		expect(t, r, 200, "0")
		body, _ := r.Env.Result["guid"].(string)
		if !pattern.MatchString(body) {
			t.Fatalf("guid %q does not look like <uuid>.AgentGateway7", body)
		}
		if got := r.Header.Get("Guid"); got != body {
			t.Fatalf("Guid header %q differs from result.guid %q", got, body)
		}
		if seen[body] {
			t.Fatalf("guid %q issued twice", body)
		}
		seen[body] = true
		if r.Env.Message != "success" {
			t.Errorf("message %q, want success", r.Env.Message)
		}
	}
}

func TestEveryIssuedGuidWorksUntilExpireGuids(t *testing.T) {
	h := start(t, Config{})
	first, second := h.login(t), h.login(t)
	for _, g := range []string{first, second} {
		h.register(t, g, validRegister)
	}
	h.sim.ExpireGuids()
	for _, g := range []string{first, second} {
		r := h.do(t, call{method: "POST", path: RegisterPath, body: validRegister, guid: g})
		expect(t, r, 200, "107-000")
	}
	h.register(t, h.login(t), validRegister)
}
