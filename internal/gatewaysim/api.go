package gatewaysim

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
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

// handle runs the operation of an authorised, well-formed request.
func (s *Sim) handle(x *exchange) answer {
	switch x.route.op {
	case OpLogin:
		return s.login(x.body)
	case OpRegister:
		return s.register(x.body)
	case OpModify:
		return s.modify(x.r.URL.Query().Get("serverId"), x.body)
	case OpUnregister:
		return s.unregister(x.body)
	default:
		return s.handshake(x.route.serverID, x.r)
	}
}

func (s *Sim) login(body []byte) answer {
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
	want, known := s.accounts[agentID]
	if !known {
		return reject("107-004", "invalid administrator account")
	}
	if subtle.ConstantTimeCompare([]byte(password), []byte(want)) != 1 {
		return reject("107-003", "wrong administrator password")
	}
	guid := s.state.issueGuid(agentID)
	a := ok(map[string]string{"guid": guid})
	a.header = http.Header{"Guid": {guid}}
	return a
}

func (s *Sim) register(body []byte) answer {
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
	t, problem := parseTarget(f)
	if problem != "" {
		return reject("107-002", problem)
	}
	id := s.state.register(Subscription{SubscribeType: "1", ServiceToken: token,
		CallBackURI: t.uri, NLPFlag: t.nlp, FlowAccessCode: t.flow})
	return ok(map[string]string{"serverId": id})
}

func (s *Sim) modify(serverID string, body []byte) answer {
	if serverID == "" {
		return reject("107-002", "serverId query parameter is required")
	}
	f, valid := decodeObject(body)
	if !valid {
		return reject("107-002", "body must be a JSON object")
	}
	t, problem := parseTarget(f)
	if problem != "" {
		return reject("107-002", problem)
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

// handshake serves both forms: POST is the extended one that must carry
// the registered service token in the "service_token" header.
func (s *Sim) handshake(serverID string, r *http.Request) answer {
	if serverID == "" {
		return reject("107-002", "serverId is required in the path")
	}
	extended := r.Method == http.MethodPost
	if !s.state.handshake(serverID, extended, r.Header.Get("service_token")) {
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

// parseTarget reads serviceCallBackUri, nlpFlag and flowAccessCode; problem
// is "" when they are valid.
func parseTarget(f map[string]json.RawMessage) (t target, problem string) {
	uri, valid := jsonString(f["serviceCallBackUri"])
	if !valid || !isCallbackURI(uri) {
		return t, "serviceCallBackUri must be an http(s) URL of at most 200 characters"
	}
	nlp, valid := jsonFlag(f["nlpFlag"])
	if !valid {
		return t, "nlpFlag must be true or false"
	}
	flow, valid := optionalString(f["flowAccessCode"], -1)
	if !valid {
		return t, "flowAccessCode must be a string"
	}
	return target{uri: uri, nlp: nlp, flow: flow}, ""
}

// isCallbackURI: the vendor only documents the length; a real gateway
// cannot push to anything but an absolute http(s) URL either.
func isCallbackURI(s string) bool {
	if s == "" || utf8.RuneCountInString(s) > maxCallbackURI {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
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
