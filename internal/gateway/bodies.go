package gateway

// Request bodies. The shapes are strict because we control them
// (docs/gateway-contract.md §1–4): agentId a number, nlpFlag a boolean, optional
// strings omitted when empty. Each builder returns the exact bytes sent and
// a redacted twin for the history.

// RegisterRequest is the body of a register call.
type RegisterRequest struct {
	SubscribeType      string // "1" = recognition
	ServiceToken       string // optional secret, echoed on every notification
	ServiceCallBackURI string
	NLPFlag            bool
	FlowAccessCode     string // optional; only meaningful with NLPFlag
}

// ModifyRequest is the body (and serverId query parameter) of a modify call.
type ModifyRequest struct {
	ServerID           string
	ServiceCallBackURI string
	NLPFlag            bool
	FlowAccessCode     string
}

type loginBody struct {
	AgentID  int64  `json:"agentId"`
	Password string `json:"password"`
}

type registerBody struct {
	SubscribeType      string `json:"subscribeType"`
	ServiceToken       string `json:"serviceToken,omitempty"`
	ServiceCallBackURI string `json:"serviceCallBackUri"`
	NLPFlag            bool   `json:"nlpFlag"`
	FlowAccessCode     string `json:"flowAccessCode,omitempty"`
}

type modifyBody struct {
	ServiceCallBackURI string `json:"serviceCallBackUri"`
	NLPFlag            bool   `json:"nlpFlag"`
	FlowAccessCode     string `json:"flowAccessCode,omitempty"`
}

type unregisterBody struct {
	ServerID string `json:"serverId"`
}

// RegisterBody returns the exact JSON a register sends and its redacted
// twin (service token replaced), so the caller can record the request
// before it leaves.
func RegisterBody(r RegisterRequest) (sent []byte, redactedBody string) {
	b := registerBody{
		SubscribeType:      r.SubscribeType,
		ServiceToken:       r.ServiceToken,
		ServiceCallBackURI: r.ServiceCallBackURI,
		NLPFlag:            r.NLPFlag,
		FlowAccessCode:     r.FlowAccessCode,
	}
	sent = mustMarshal(b)
	if b.ServiceToken != "" {
		b.ServiceToken = redacted
	}
	return sent, string(mustMarshal(b))
}

// ModifyBody returns the exact JSON a modify sends; it holds no secret, so
// the redacted twin is the same text.
func ModifyBody(r ModifyRequest) (sent []byte, redactedBody string) {
	sent = mustMarshal(modifyBody{
		ServiceCallBackURI: r.ServiceCallBackURI,
		NLPFlag:            r.NLPFlag,
		FlowAccessCode:     r.FlowAccessCode,
	})
	return sent, string(sent)
}

// UnregisterBody returns the exact JSON an unregister sends (no secret).
func UnregisterBody(serverID string) (sent []byte, redactedBody string) {
	sent = mustMarshal(unregisterBody{ServerID: serverID})
	return sent, string(sent)
}

// loginBodies returns the login JSON and its twin with the password redacted.
func loginBodies(t Target) (sent []byte, redactedBody string) {
	sent = mustMarshal(loginBody{AgentID: t.AgentID, Password: t.Password})
	return sent, string(mustMarshal(loginBody{AgentID: t.AgentID, Password: redacted}))
}

// mustMarshal encodes the fixed body structs above, which hold only strings,
// a bool and an int64: encoding them cannot fail.
func mustMarshal(v any) []byte {
	b, err := marshal(v)
	if err != nil {
		panic("gateway: encoding a request body: " + err.Error())
	}
	return b
}
