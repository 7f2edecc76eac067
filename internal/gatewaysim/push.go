package gatewaysim

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// PushPath is appended to a subscription's serviceCallBackUri to push a
// recognition result (docs/gateway-contract.md §6).
const PushPath = "/v100/subscribe/asrevent/asrresult"

// maxPushAnswer caps how much of a receiver's answer is read and kept.
const maxPushAnswer = 64 << 10

// Errors a push can end with before anything is sent.
var (
	// ErrNoActiveSubscription: the serverId is unknown, cancelled or
	// expired; a real gateway does not push for it.
	ErrNoActiveSubscription = errors.New("no active subscription with this serverId")
	// ErrInsecureCallback: a plain http:// callback URI whose host is not
	// loopback. The platform pushes over TLS; plain HTTP is allowed only so
	// tests can receive on 127.0.0.1 without a certificate.
	ErrInsecureCallback = errors.New("plain http callback URIs are only pushed to on loopback hosts")
)

// Push is one recognition result to send. Zero values get realistic
// defaults: a new call ID, Speaker "2" (customer), a line of a scripted
// customer-service call, CauseCode "0" (normal, final) and confidence 0.9.
type Push struct {
	CallID     string  // curcallid
	Speaker    string  // talkertype: "1" agent, "2" customer
	Text       string  // result[0].content
	CauseCode  string  // asrusercase
	Confidence float64 // result[0].confidence
}

// PushResult is the outcome of one push, as Pushes logs it. Status and
// Body are the receiver's answer (Body capped at 64 KiB); Err is set when
// no complete answer arrived or nothing was sent (ErrNoActiveSubscription,
// ErrInsecureCallback), in which case Status is 0.
type PushResult struct {
	URL    string
	Status int
	Body   []byte
	Err    error

	ServerID string    // the subscription pushed for
	Time     time.Time // the Clock's time when the push started
	Sent     []byte    // the notification body sent (it never holds the token)
}

// PushTo sends one recognition result to the callback of the active
// subscription serverID, as the platform's OpenProxy does: POST
// <serviceCallBackUri>/v100/subscribe/asrevent/asrresult with the
// subscription's service token in a service_token header (none when it
// has no token). Redirects are not followed. The push ends with ctx, with
// Config.PushTimeout, or when the simulator closes. Every call is logged
// in Pushes.
func (s *Sim) PushTo(ctx context.Context, serverID string, p Push) PushResult {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.bg.ctx, cancel) // Close and Shutdown end pushes in flight
	defer stop()
	res := s.push(ctx, serverID, p)
	s.pushes.add(res)
	// Never the token (only a request header holds it) nor the bodies.
	s.logger.Info("gatewaysim: push", "serverId", serverID, "host", hostOf(res.URL),
		"status", res.Status, "err", res.Err)
	return res
}

func (s *Sim) push(ctx context.Context, serverID string, p Push) PushResult {
	res := PushResult{ServerID: serverID, Time: s.clock.Now()}
	sub, found := s.state.get(serverID)
	if !found || !sub.Active {
		res.Err = fmt.Errorf("gatewaysim.PushTo(%s): %w", serverID, ErrNoActiveSubscription)
		return res
	}
	target, err := pushURL(sub.CallBackURI)
	if err != nil {
		res.Err = fmt.Errorf("gatewaysim.PushTo(%s): %w", serverID, err)
		return res
	}
	res.URL = target
	res.Sent = s.notificationBody(sub, p)
	res.Status, res.Body, err = s.pusher.post(ctx, target, sub.ServiceToken, res.Sent)
	if err != nil {
		res.Err = fmt.Errorf("gatewaysim.PushTo(%s): %w", serverID, err)
	}
	return res
}

// pushURL appends PushPath to the callback URI (keeping any query) and
// refuses plain HTTP anywhere but loopback.
func pushURL(callback string) (string, error) {
	u, err := url.Parse(callback) // already valid: register and modify checked it
	if err != nil {
		return "", err
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
	case u.Scheme == "http":
		return "", ErrInsecureCallback
	default:
		return "", fmt.Errorf("scheme %q is not http(s)", u.Scheme)
	}
	return u.JoinPath(PushPath).String(), nil
}

// isLoopbackHost accepts loopback IP literals and the name "localhost"
// only: other names could resolve anywhere.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func hostOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Host
}

// pusher is the HTTP client of the simulated OpenProxy.
type pusher struct {
	transport *http.Transport
	client    *http.Client
}

func newPusher(roots *x509.CertPool, timeout time.Duration) *pusher {
	tr := &http.Transport{
		Proxy:               nil, // pushes go straight to the receiver, never through $HTTPS_PROXY
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: 5 * time.Second,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
	}
	return &pusher{transport: tr, client: &http.Client{
		Transport: tr,
		Timeout:   timeout,
		// The platform does not follow redirects: the receiver's 3xx is the answer.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// post sends body and returns the receiver's status and (capped) answer.
// Its errors are net/http's (they name the URL); PushTo wraps them.
func (p *pusher) post(ctx context.Context, target, token string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	if token != "" {
		// Set in the map directly: the name goes out as "service_token",
		// as the platform spells it, not canonicalised to "Service_token".
		req.Header["service_token"] = []string{token}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxPushAnswer))
	if err != nil {
		return resp.StatusCode, answer, fmt.Errorf("reading the answer: %w", err)
	}
	return resp.StatusCode, answer, nil
}

func (p *pusher) closeIdle() { p.transport.CloseIdleConnections() }

// notification is the body of a push (§6); field names are lower case,
// unlike the register fields.
type notification struct {
	ServerID       string      `json:"serverid"`
	SubscribeType  string      `json:"subscribetype"`
	InitialAgentID string      `json:"initialagentid"`
	CCID           string      `json:"ccid"`
	VDNID          string      `json:"vdnid"`
	CurCallID      string      `json:"curcallid"`
	CurUserDN      string      `json:"curuserdn"`
	TalkerType     string      `json:"talkertype"`
	TalkerID       string      `json:"talkerid"`
	NLPResult      *nlpResult  `json:"nlpResult,omitempty"`
	Result         []asrResult `json:"result"`
	ASRUserCase    string      `json:"asrusercase"`
}

type asrResult struct {
	Confidence   float64 `json:"confidence"`
	Content      string  `json:"content"`
	IsContentEnc string  `json:"iscontentenc"` // "0": content is plain text
}

// nlpResult stands in for the semantic-analysis result the vendor leaves
// unspecified; receivers must only store it.
type nlpResult struct {
	FlowAccessCode string `json:"flowaccesscode"`
	Intent         string `json:"intent"`
	Text           string `json:"text"`
}

// Who takes part in every simulated call.
const (
	simAgentID    = "30001"
	simCustomerDN = "13800138000"
	simCCID       = "1"
	simVDNID      = "101"
)

// notificationBody builds the JSON pushed for sub, defaults filled in.
func (s *Sim) notificationBody(sub Subscription, p Push) []byte {
	p = s.withDefaults(p)
	n := notification{
		ServerID: sub.ServerID, SubscribeType: "1", InitialAgentID: simAgentID, CCID: simCCID,
		VDNID: simVDNID, CurCallID: p.CallID, CurUserDN: simCustomerDN, TalkerType: p.Speaker,
		TalkerID: simCustomerDN, ASRUserCase: p.CauseCode,
		Result: []asrResult{{Confidence: p.Confidence, Content: p.Text, IsContentEnc: "0"}},
	}
	if p.Speaker == SpeakerAgent {
		n.TalkerID = simAgentID
	}
	if sub.NLPFlag {
		n.NLPResult = &nlpResult{FlowAccessCode: sub.FlowAccessCode, Intent: "simulated", Text: p.Text}
	}
	b, err := json.Marshal(n)
	if err != nil { // strings and a float only
		panic(fmt.Sprintf("gatewaysim.notificationBody: %v", err))
	}
	return b
}
