package app_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"ccsub/internal/apitoken"
	"ccsub/internal/app"
	"ccsub/internal/apptest"
	"ccsub/internal/domain"
)

// caller is one column of the route × role matrix.
type caller string

const (
	nobody   caller = "no session"
	auditor  caller = "auditor"
	operator caller = "operator"
	admin    caller = "admin"
)

var callers = []caller{nobody, auditor, operator, admin}

// Who may use a route, written out here rather than read from the route
// table, so a route given the wrong access level fails this test.
var (
	everyone          = []caller{nobody, auditor, operator, admin}
	signedIn          = []caller{auditor, operator, admin}
	operators         = []caller{operator, admin}
	admins            = []caller{admin}
	adminsAndAuditors = []caller{auditor, admin}
)

// allowed is the expectation for every route of the console. A route added
// without a line here fails TestEveryRouteAdmitsExactlyTheExpectedRoles.
var allowed = map[string][]caller{
	"GET /healthz":     everyone,
	"GET /readyz":      everyone,
	"GET /static/":     everyone,
	"GET /favicon.ico": everyone,
	"GET /login":       everyone,
	"POST /login":      everyone,
	"POST /logout":     everyone,
	"POST /language":   everyone,
	"/":                everyone,
	"POST /receiver/{key}/v100/subscribe/asrevent/asrresult": everyone,

	"GET /{$}":                              signedIn,
	"GET /preferences":                      signedIn,
	"POST /preferences":                     signedIn,
	"GET /subscriptions":                    signedIn,
	"GET /subscriptions/{id}":               signedIn,
	"GET /subscriptions/{id}/inbox":         signedIn,
	"GET /history":                          signedIn,
	"GET /calls/{id}":                       signedIn,
	"GET /retcodes":                         signedIn,
	"GET /retcodes/{code}":                  signedIn,
	"GET /gateways":                         signedIn,
	"GET /inbox":                            signedIn,
	"GET /inbox/rows":                       signedIn,
	"GET /history/export.csv":               signedIn,
	"GET /history/export-excel.csv":         signedIn,
	"GET /history/export.json":              signedIn,
	"GET /subscriptions/new":                operators,
	"POST /subscriptions":                   operators,
	"POST /subscriptions/{id}/modify":       operators,
	"GET /subscriptions/{id}/cancel":        operators,
	"POST /subscriptions/{id}/cancel":       operators,
	"POST /subscriptions/{id}/replace":      operators,
	"POST /subscriptions/{id}/policy":       operators,
	"POST /subscriptions/{id}/resolve":      operators,
	"POST /subscriptions/{id}/close":        operators,
	"POST /gateways/{id}/test":              operators,
	"POST /gateways/{id}/retry-login":       admins,
	"POST /gateways/{id}/disable":           admins,
	"POST /gateways/{id}/enable":            admins,
	"POST /gateways/{id}/remove":            admins,
	"GET /gateways/new":                     admins,
	"POST /gateways":                        admins,
	"GET /gateways/{id}":                    admins,
	"POST /gateways/{id}":                   admins,
	"POST /gateways/{id}/reveal":            admins,
	"POST /subscriptions/{id}/reveal-token": admins,

	"GET /audit":                  adminsAndAuditors,
	"GET /audit/export.csv":       adminsAndAuditors,
	"GET /audit/export-excel.csv": adminsAndAuditors,
	"GET /audit/export.json":      adminsAndAuditors,
	"GET /audit/verify":           admins,

	"GET /users":                admins,
	"GET /users/new":            admins,
	"POST /users":               admins,
	"GET /users/{id}":           admins,
	"POST /users/{id}/role":     admins,
	"POST /users/{id}/disable":  admins,
	"POST /users/{id}/enable":   admins,
	"POST /users/{id}/password": admins,
	"GET /tokens":               admins,
	"POST /tokens":              admins,
	"POST /tokens/{id}/revoke":  admins,
	"GET /retention":            admins,
	"POST /retention/run":       admins,

	"GET /api/v1/gateways":                   signedIn,
	"GET /api/v1/gateways/{id}":              signedIn,
	"POST /api/v1/gateways":                  admins,
	"PATCH /api/v1/gateways/{id}":            admins,
	"DELETE /api/v1/gateways/{id}":           admins,
	"GET /api/v1/subscriptions":              signedIn,
	"GET /api/v1/subscriptions/counts":       signedIn,
	"GET /api/v1/subscriptions/{id}":         signedIn,
	"POST /api/v1/subscriptions":             operators,
	"POST /api/v1/subscriptions/{id}/modify": operators,
	"POST /api/v1/subscriptions/{id}/cancel": operators,
	"POST /api/v1/subscriptions/{id}/close":  operators,
	"GET /api/v1/calls":                      signedIn,
	"GET /api/v1/calls/{id}":                 signedIn,
	"GET /api/v1/audit":                      adminsAndAuditors,
}

// matrix holds what the walk needs: a client per caller (pages), a bearer
// token per caller (the API) and the ids that fill the patterns.
type matrix struct {
	e       *testEnv
	clients map[caller]*http.Client
	tokens  map[caller]string
	ids     map[string]string // resource (the path segment before {id}) → id
	key     string            // a receiver key
}

func newMatrix(e *testEnv) *matrix {
	m := &matrix{e: e, clients: map[caller]*http.Client{nobody: e.Anonymous()}, tokens: map[caller]string{}}
	for _, c := range callers[1:] {
		m.clients[c], _ = e.User(domain.Role(c))
		m.tokens[c] = e.Token(domain.Role(c))
	}
	sub := e.Registered(m.clients[admin], nil)
	target := e.Account(domain.RoleOperator)
	throwaway := e.apiTokenID(domain.RoleAuditor)
	m.ids = map[string]string{
		"subscriptions": strconv.FormatInt(sub.ID, 10), "calls": strconv.FormatInt(sub.RegisterCallID, 10),
		"gateways": strconv.FormatInt(e.Gw.ID, 10), "users": strconv.FormatInt(target.ID, 10),
		"tokens": strconv.FormatInt(throwaway, 10),
	}
	m.key = e.NewReceiverSub("").ReceiverKey
	return m
}

// request turns a route pattern into a concrete request.
func (m *matrix) request(t *testing.T, pattern string) (method, path string) {
	t.Helper()
	method, path, ok := strings.Cut(pattern, " ")
	if !ok { // a pattern without a method: any method; GET a page that is not there
		return http.MethodGet, "/no/such/page"
	}
	parts := strings.Split(path, "/")
	for i, p := range parts {
		switch p {
		case "{$}":
			parts[i] = ""
		case "{key}":
			parts[i] = m.key
		case "{code}":
			parts[i] = "107-026"
		case "{id}":
			id, ok := m.ids[parts[i-1]]
			if !ok {
				t.Fatalf("%s: no fixture id for %q routes; add one to newMatrix", pattern, parts[i-1])
			}
			parts[i] = id
		}
	}
	return method, strings.Join(parts, "/")
}

// send makes the request as c: pages with c's session cookie, the API with
// c's bearer token (and, for "no session", an admin's cookie that the API
// must ignore). Bodies are empty: the walk is about who gets in, not what
// the handler then accepts.
func (m *matrix) send(t *testing.T, c caller, method, path string) *http.Response {
	t.Helper()
	api := strings.HasPrefix(path, "/api/")
	body, ctype := "", "application/x-www-form-urlencoded"
	if api {
		body, ctype = "{}", "application/json"
	}
	var rd io.Reader
	if method != http.MethodGet {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, m.e.Srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	client := m.clients[c]
	if api && c != nobody {
		req.Header.Set("Authorization", "Bearer "+m.tokens[c])
	} else if api {
		client = m.clients[admin]
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// refused reports whether the answer is the access check's refusal: with
// no session, a 303 to the sign-in page that leaves the cookie alone (a
// sign-out also redirects there, but sets the signed-out cookie) or, on the
// API, a 401; with a role, a 403.
func refused(c caller, api bool, res *http.Response) bool {
	switch {
	case c != nobody:
		return res.StatusCode == http.StatusForbidden
	case api:
		return res.StatusCode == http.StatusUnauthorized
	}
	return res.StatusCode == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/login") &&
		len(res.Cookies()) == 0
}

func TestEveryRouteAdmitsExactlyTheExpectedRoles(t *testing.T) {
	e := newEnv(t)
	m := newMatrix(e)
	routes := e.App.Routes(apptest.SessionKeys)
	t.Run("every route has an expectation and every expectation a route", func(t *testing.T) {
		seen := map[string]bool{}
		for _, rt := range routes {
			seen[rt.Pattern] = true
			if _, ok := allowed[rt.Pattern]; !ok {
				t.Errorf("route %q has no line in the expectation table", rt.Pattern)
			}
		}
		for p := range allowed {
			if !seen[p] {
				t.Errorf("the expectation table names %q, which is no route", p)
			}
		}
	})
	// Signing out ends the caller's session, so it goes last.
	slices.SortStableFunc(routes, func(a, b app.Route) int { return boolCmp(a.Pattern == "POST /logout", b.Pattern == "POST /logout") })
	for _, c := range callers {
		for _, rt := range routes {
			want, ok := allowed[rt.Pattern]
			if !ok {
				continue
			}
			wantIn := slices.Contains(want, c)
			t.Run(sentence(c, rt.Pattern, wantIn), func(t *testing.T) {
				method, path := m.request(t, rt.Pattern)
				res := m.send(t, c, method, path)
				if res.StatusCode >= 500 {
					t.Errorf("%s %s: status %d; never 5xx", method, path, res.StatusCode)
				}
				// A signed-in caller sent to the sign-in page has lost its
				// session, which would hide every refusal after it.
				if c != nobody && rt.Pattern != "POST /logout" && strings.HasPrefix(res.Header.Get("Location"), "/login") {
					t.Fatalf("%s %s: redirected to %q; the %s's session ended", method, path, res.Header.Get("Location"), c)
				}
				if gotIn := !refused(c, strings.HasPrefix(path, "/api/"), res); gotIn != wantIn {
					t.Errorf("%s %s: status %d to %q; let in %v, want %v",
						method, path, res.StatusCode, res.Header.Get("Location"), gotIn, wantIn)
				}
			})
		}
	}
}

// sentence names a cell of the matrix, e.g. "an auditor is refused GET /users".
func sentence(c caller, pattern string, in bool) string {
	who := "a caller with no session"
	switch c {
	case auditor, admin:
		who = "an " + string(c)
	case operator:
		who = "an operator"
	}
	if in {
		return who + " may use " + pattern
	}
	return who + " is refused " + pattern
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// apiTokenID creates an API token nobody uses and returns its id.
func (e *testEnv) apiTokenID(role domain.Role) int64 {
	e.T.Helper()
	is, err := apitoken.Generate()
	if err != nil {
		e.T.Fatal(err)
	}
	tok, err := e.St.CreateAPIToken(context.Background(), domain.NewAPIToken{Name: apptest.Uniq("throwaway"), Hash: is.Hash,
		Prefix: is.Prefix, Role: role, CreatedBy: "test", ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		e.T.Fatal(err)
	}
	return tok.ID
}
