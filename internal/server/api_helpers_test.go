package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"ccsub/internal/apitoken"
	"ccsub/internal/domain"
)

// token issues an API token with the role straight into the store and
// returns it in clear, as an admin would have copied it.
func (e *testEnv) token(role domain.Role) string {
	e.t.Helper()
	return e.tokenExpiring(role, time.Now().Add(time.Hour))
}

func (e *testEnv) tokenExpiring(role domain.Role, expires time.Time) string {
	e.t.Helper()
	is, err := apitoken.Generate()
	if err != nil {
		e.t.Fatal(err)
	}
	_, err = e.st.CreateAPIToken(context.Background(), domain.NewAPIToken{Name: uniq("script"), Hash: is.Hash,
		Prefix: is.Prefix, Role: role, CreatedBy: "test", ExpiresAt: expires})
	if err != nil {
		e.t.Fatal(err)
	}
	return is.Plain
}

// apiReply is one API answer, read whole.
type apiReply struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the answer into a generic map (numbers as float64).
func (a apiReply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v\n%s", err, a.body)
	}
	return m
}

// fieldError returns the answer's message for field, failing when the
// answer is not the API's error shape.
func (a apiReply) fieldError(t *testing.T, field string) string {
	t.Helper()
	m := a.json(t)
	if msg, _ := m["error"].(string); msg == "" {
		t.Fatalf("no error message in %s", a.body)
	}
	errs, _ := m["errors"].(map[string]any)
	msg, _ := errs[field].(string)
	return msg
}

// call sends one API request with a bearer token ("" sends none), a JSON
// body ("" sends none) and extra headers as name, value pairs.
func (e *testEnv) call(token, method, path, body string, headers ...string) apiReply {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Content-Type" { // a test's own type replaces JSON
			req.Header.Del("Content-Type")
		}
		req.Header.Add(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return apiReply{status: res.StatusCode, header: res.Header, body: b}
}

// want fails unless the answer has the status and is JSON.
func (a apiReply) want(t *testing.T, status int) apiReply {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d: %s", a.status, status, a.body)
	}
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want JSON", ct)
	}
	return a
}
