package gatewaysim

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// Operations, as in Fault.Op and Request.Op. Both handshake forms (GET and
// the extended POST) are OpHandshake; Request.Method tells them apart.
const (
	OpLogin      = "login"
	OpRegister   = "register"
	OpModify     = "modify"
	OpUnregister = "unregister"
	OpHandshake  = "handshake"
)

// Paths of the gateway interfaces (docs/gateway-contract.md §1–5).
const (
	LoginPath       = "/agentgateway/resource/config/login"
	RegisterPath    = "/agentgateway/resource/config/subscribe/register"
	ModifyPath      = "/agentgateway/resource/config/subscribe/modify"
	UnregisterPath  = "/agentgateway/resource/config/subscribe/unregister"
	HandshakePrefix = "/agentgateway/resource/config/subscribe/handshake/"
)

// Vendor limits on register/modify fields, in characters.
const (
	maxCallbackURI  = 200
	maxServiceToken = 256
)

// route is what a path names: its operation, the methods it takes and,
// for handshakes, the serverId in the path. op is "" for unknown paths.
type route struct {
	op       string
	methods  []string
	serverID string
}

func lookupRoute(path string) route {
	switch path {
	case LoginPath:
		return route{op: OpLogin, methods: []string{http.MethodPost}}
	case RegisterPath:
		return route{op: OpRegister, methods: []string{http.MethodPost}}
	case ModifyPath:
		return route{op: OpModify, methods: []string{http.MethodPost}}
	case UnregisterPath:
		return route{op: OpUnregister, methods: []string{http.MethodPut}}
	}
	if id, found := strings.CutPrefix(path, HandshakePrefix); found && !strings.Contains(id, "/") {
		return route{op: OpHandshake, methods: []string{http.MethodGet, http.MethodPost}, serverID: id}
	}
	return route{}
}

func (rt route) allows(method string) bool {
	for _, m := range rt.methods {
		if m == method {
			return true
		}
	}
	return false
}

func (rt route) allowHeader() string { return strings.Join(rt.methods, ", ") }

// handle runs the operation of an authorised, well-formed request under
// the rules in force when it arrived.
func (s *Sim) handle(x *exchange, rules Rules) answer {
	switch x.route.op {
	case OpLogin:
		return s.login(x.body, rules)
	case OpRegister:
		return s.register(x.body, rules)
	case OpModify:
		return s.modify(x.r.URL.Query().Get("serverId"), x.body, rules)
	case OpUnregister:
		return s.unregister(x.body)
	default:
		return s.handshake(x.route.serverID, x.r, rules)
	}
}

func (s *Sim) login(body []byte, rules Rules) answer {
	f, valid := decodeObject(body)
	if !valid {
		return reject("107-002", "body must be a JSON object")
	}
	agentID, valid := jsonInt(f["agentId"])
	if !valid {
		return reject("107-002", "agentId must be a JSON number")
	}
	password, valid := jsonString(f["password"])
	if !valid || password == "" {
		return reject("107-002", "password is required")
	}
	if !rules.LaxAgentID {
		if utf8.RuneCountInString(password) > maxPassword {
			return reject("107-002", fmt.Sprintf("password must be at most %d characters", maxPassword))
		}
		if agentID < MinAgentID || agentID > MaxAgentID {
			return reject("107-004", "invalid administrator account: agentId must be a work ID (1-999999) or a VDN account (VDN ID + 100000 or + 1000000)")
		}
	}
	want, known := s.accounts[agentID]
	if !known {
		return reject("107-004", "invalid administrator account")
	}
	if subtle.ConstantTimeCompare([]byte(password), []byte(want)) != 1 {
		return reject("107-003", "wrong administrator password")
	}
	return loginAnswer(s.state.issueGuid(agentID), rules.GuidIn)
}

// loginAnswer places guid where mode says (see GuidInModes). Header names
// are written as the vendor spells them.
func loginAnswer(guid, mode string) answer {
	if mode == GuidInBody || mode == GuidInBodyAndHeader {
		a := ok(map[string]string{"guid": guid})
		if mode == GuidInBodyAndHeader {
			a.header = http.Header{"Guid": {guid}}
		}
		return a
	}
	a := ok(map[string]string{}) // a result, but without the guid
	switch mode {
	case GuidInHeader:
		a.header = http.Header{"Guid": {guid}}
	case GuidInSetGUIDJSessionID:
		a.header = http.Header{"Set-GUID": {"JSESSIONID=" + guid}}
	default: // GuidInSetGUIDGuid; Rules.normalized admits nothing else
		a.header = http.Header{"Set-GUID": {"Guid=" + guid}}
	}
	return a
}

func (s *Sim) register(body []byte, rules Rules) answer {
	if rules.IFSubConfigureOff {
		return reject("107-026", "subscription failed: IF_SUB_CONFIGURE is not ON on this gateway")
	}
	f, valid := decodeObject(body)
	if !valid {
		return reject("107-002", "body must be a JSON object")
	}
	if st, valid := jsonString(f["subscribeType"]); !valid || st != "1" {
		return reject("107-002", `subscribeType must be the string "1"`)
	}
	token, valid := optionalString(f["serviceToken"], maxServiceToken)
	if !valid {
		return reject("107-002", "serviceToken must be a string of at most 256 characters")
	}
	t, a := parseTarget(f, rules)
	if a != nil {
		return *a
	}
	id := s.state.register(Subscription{SubscribeType: "1", ServiceToken: token,
		CallBackURI: t.uri, NLPFlag: t.nlp, FlowAccessCode: t.flow})
	return ok(map[string]string{"serverId": id})
}

func (s *Sim) modify(serverID string, body []byte, rules Rules) answer {
	if serverID == "" {
		return reject("107-002", "serverId query parameter is required")
	}
	f, valid := decodeObject(body)
	if !valid {
		return reject("107-002", "body must be a JSON object")
	}
	t, a := parseTarget(f, rules)
	if a != nil {
		return *a
	}
	if !s.state.modify(serverID, t) {
		return reject("107-002", "no active subscription with this serverId")
	}
	return ok(map[string]string{"serverId": serverID})
}

func (s *Sim) unregister(body []byte) answer {
	f, valid := decodeObject(body)
	if !valid {
		return reject("107-002", "body must be a JSON object")
	}
	id, valid := jsonString(f["serverId"])
	if !valid || id == "" {
		return reject("107-002", "serverId is required")
	}
	if !s.state.cancel(id) {
		return reject("107-031", "cancelling the subscription failed: no active subscription with this serverId")
	}
	return ok(nil)
}

// handshake serves both forms. The extended POST must carry the registered
// (non-empty) service token in exactly one "service_token" header; a GET
// that carries the header is held to the same rule unless
// Rules.LaxHandshakeToken.
func (s *Sim) handshake(serverID string, r *http.Request, rules Rules) answer {
	if serverID == "" {
		return reject("107-002", "serverId is required in the path")
	}
	sent := r.Header.Values("service_token") // net/http canonicalised the name: any spelling matches
	check := r.Method == http.MethodPost || len(sent) > 0 && !rules.LaxHandshakeToken
	tokenOK := func(registered string) bool {
		return !check || len(sent) == 1 && registered != "" &&
			subtle.ConstantTimeCompare([]byte(sent[0]), []byte(registered)) == 1
	}
	if !s.state.handshake(serverID, tokenOK) {
		return reject("107-032", "handshake failed")
	}
	return ok(nil)
}

// target is what register and modify both set.
type target struct {
	uri  string
	nlp  bool
	flow string
}

// parseTarget reads serviceCallBackUri, nlpFlag and flowAccessCode; a is
// the refusal when they are not acceptable: 107-002 for an invalid field,
// 107-027 for a callback host that is not a subscription server.
func parseTarget(f map[string]json.RawMessage, rules Rules) (t target, a *answer) {
	refuse := func(code, msg string) (target, *answer) {
		r := reject(code, msg)
		return target{}, &r
	}
	uri, valid := jsonString(f["serviceCallBackUri"])
	if !valid {
		return refuse("107-002", "serviceCallBackUri is required and must be a string")
	}
	u, problem := checkCallback(uri, rules)
	if problem != "" {
		return refuse("107-002", "serviceCallBackUri "+problem)
	}
	nlp, valid := jsonFlag(f["nlpFlag"])
	if !valid {
		return refuse("107-002", "nlpFlag must be true or false")
	}
	flow, valid := optionalString(f["flowAccessCode"], -1)
	if !valid {
		return refuse("107-002", "flowAccessCode must be a string")
	}
	if !rules.listed(u.Hostname()) {
		return refuse("107-027", fmt.Sprintf("subscription registration failed: %s is not a subscription server of this gateway", u.Hostname()))
	}
	return target{uri: uri, nlp: nlp, flow: flow}, nil
}

// checkCallback validates a callback address as the platform does and
// returns the parsed URL, or what is wrong with it (to follow
// "serviceCallBackUri "). Lengths count characters, not bytes.
func checkCallback(raw string, rules Rules) (*url.URL, string) {
	if raw == "" {
		return nil, "is required"
	}
	if n := utf8.RuneCountInString(raw); n > maxCallbackURI {
		return nil, fmt.Sprintf("must be at most %d characters, not %d", maxCallbackURI, n)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, "is not a valid URL"
	}
	if !u.IsAbs() || u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return nil, "must be an absolute URL with a host, such as https://crm.example.com/cc"
	}
	if rules.LaxCallbacks {
		if u.Scheme != "https" && u.Scheme != "http" {
			return nil, "must be an http(s) URL"
		}
		return u, ""
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && rules.AllowHTTPLoopback && isLoopbackHost(u.Hostname()):
	case u.Scheme == "http":
		return nil, "must use https: the platform pushes over TLS only"
	default:
		return nil, fmt.Sprintf("must use https, not %q", u.Scheme)
	}
	switch {
	case u.User != nil:
		return nil, "must not contain user info (a name or password before @)"
	case u.RawQuery != "" || u.ForceQuery:
		return nil, "must not contain a query string"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, "must not contain a fragment"
	}
	return u, ""
}

func isJSONContentType(v string) bool {
	mt, _, err := mime.ParseMediaType(v)
	return err == nil && mt == "application/json"
}

// decodeObject parses a JSON object, keeping each value raw so the field
// helpers can insist on JSON types the way the gateway does.
func decodeObject(body []byte) (map[string]json.RawMessage, bool) {
	var f map[string]json.RawMessage
	if err := json.Unmarshal(body, &f); err != nil || f == nil {
		return nil, false
	}
	return f, true
}

func isAbsent(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(raw, []byte("null"))
}

// jsonInt accepts only a JSON integer (not "100001").
func jsonInt(raw json.RawMessage) (int64, bool) {
	var n int64
	if isAbsent(raw) || json.Unmarshal(raw, &n) != nil {
		return 0, false
	}
	return n, true
}

func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if isAbsent(raw) || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// jsonFlag accepts a JSON boolean or, as the vendor's own examples send,
// the strings "true" and "false".
func jsonFlag(raw json.RawMessage) (bool, bool) {
	var b bool
	if !isAbsent(raw) && json.Unmarshal(raw, &b) == nil {
		return b, true
	}
	switch s, _ := jsonString(raw); s {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// optionalString accepts an absent/null field as "", otherwise a string of
// at most max characters (max < 0: no limit).
func optionalString(raw json.RawMessage, max int) (string, bool) {
	if isAbsent(raw) {
		return "", true
	}
	s, valid := jsonString(raw)
	if !valid || (max >= 0 && utf8.RuneCountInString(s) > max) {
		return "", false
	}
	return s, true
}
