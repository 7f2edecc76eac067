package api_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/config"
	"ccsub/internal/domain"
)

// TestAnAPITokenOverItsRateIsRefusedAndOthersAreNot: a token that used up
// its burst gets 429 in the API's error shape with Retry-After, and nothing
// it asks for is done; another token, and a request without one, are not
// affected. The rate is one an hour, so no request comes back while the
// test runs, however slow the machine.
func TestAnAPITokenOverItsRateIsRefusedAndOthersAreNot(t *testing.T) {
	const burst = 3
	e := &testEnv{apptest.NewTuned(t, func(c *config.Config) { c.APIRate, c.APIBurst = 1.0/3600, burst })}
	busy, other := e.Token(domain.RoleAdmin), e.Token(domain.RoleAuditor)
	for range burst {
		e.Call(busy, "GET", "/api/v1/gateways", "").Want(t, http.StatusOK)
	}
	for i := range 5 {
		r := e.Call(busy, "GET", "/api/v1/gateways", "").Want(t, http.StatusTooManyRequests)
		if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
			t.Fatalf("request %d over the limit: Retry-After %q, want whole seconds", i+1, r.Header.Get("Retry-After"))
		}
		if msg, _ := r.JSON(t)["error"].(string); !strings.Contains(msg, "Too many requests with this API token") {
			t.Fatalf("request %d over the limit: error %q", i+1, msg)
		}
	}
	name := apptest.Uniq("limited-gw")
	body := fmt.Sprintf(`{"name": %q, "baseUrl": "https://10.9.8.7:8043", "agentId": 100002, "password": "pw"}`, name)
	e.Call(busy, "POST", "/api/v1/gateways", body).Want(t, http.StatusTooManyRequests)
	if n := len(e.AuditEntries(domain.AuditGatewayCreate, name)); n != 0 {
		t.Errorf("a create over the limit was done: %d gateway_create entries", n)
	}

	for range burst { // its whole burst: the busy token took none of it
		e.Call(other, "GET", "/api/v1/gateways", "").Want(t, http.StatusOK)
	}
	r := e.Call("", "GET", "/api/v1/gateways", "").Want(t, http.StatusUnauthorized)
	if r.Header.Get("Retry-After") != "" {
		t.Errorf("a request without a token got Retry-After %q", r.Header.Get("Retry-After"))
	}
	if lines := strings.Count(e.Logs.String(), "API token over its rate limit"); lines < 1 || lines > 2 {
		t.Errorf("%d log lines about 6 refused requests, want one", lines)
	}
}
