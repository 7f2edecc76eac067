package gatewaysim

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// controlRoutes serves the JSON control endpoints under /_sim/. They are
// for the standalone program and manual testing; they are not logged as
// gateway requests and never show passwords, tokens or Guids.
//
//	GET    /_sim/requests        the request log, secrets redacted
//	DELETE /_sim/requests        empty the log
//	GET    /_sim/config          the rules in force (rulesJSON)
//	POST   /_sim/config          change some rules: a rulesJSON with only those fields; answers the result
//	POST   /_sim/faults          inject a Fault (faultJSON; delay is a Go duration string, "1.5s")
//	DELETE /_sim/faults          clear faults
//	POST   /_sim/release         release hung requests
//	GET    /_sim/subscriptions   subscriptions, tokens shown only as tokenSet
//	POST   /_sim/clock/advance?by=5m   only with a ManualClock or ScaledClock, else 409
//	POST   /_sim/expire-guids    invalidate every Guid (their next use answers the expired code)
//	POST   /_sim/push            push results: {"serverId","count","every","text"} (pushJSON)
//	GET    /_sim/pushes          the outbound log (tokens are never in it)
//	DELETE /_sim/pushes          empty the outbound log
func (s *Sim) controlRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_sim/requests", s.getRequests)
	mux.HandleFunc("DELETE /_sim/requests", func(w http.ResponseWriter, _ *http.Request) { s.ResetLog(); done(w) })
	mux.HandleFunc("GET /_sim/config", s.getConfig)
	mux.HandleFunc("POST /_sim/config", s.postConfig)
	mux.HandleFunc("POST /_sim/faults", s.postFault)
	mux.HandleFunc("DELETE /_sim/faults", func(w http.ResponseWriter, _ *http.Request) { s.ClearFaults(); done(w) })
	mux.HandleFunc("POST /_sim/release", func(w http.ResponseWriter, _ *http.Request) { s.Release(); done(w) })
	mux.HandleFunc("GET /_sim/subscriptions", s.getSubscriptions)
	mux.HandleFunc("POST /_sim/clock/advance", s.advanceClock)
	mux.HandleFunc("POST /_sim/expire-guids", func(w http.ResponseWriter, _ *http.Request) { s.ExpireGuids(); done(w) })
	mux.HandleFunc("POST /_sim/push", s.postPush)
	mux.HandleFunc("GET /_sim/pushes", s.getPushes)
	mux.HandleFunc("DELETE /_sim/pushes", func(w http.ResponseWriter, _ *http.Request) { s.ResetPushes(); done(w) })
	return mux
}

func writeControl(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func done(w http.ResponseWriter) { writeControl(w, http.StatusOK, map[string]string{"status": "ok"}) }

func controlError(w http.ResponseWriter, status int, msg string) {
	writeControl(w, status, map[string]string{"error": msg})
}

// requestJSON is a logged request as the control endpoint shows it.
type requestJSON struct {
	Time     time.Time           `json:"time"`
	Op       string              `json:"op"`
	Method   string              `json:"method"`
	Path     string              `json:"path"`
	RawQuery string              `json:"rawQuery,omitempty"`
	Header   map[string][]string `json:"header"`
	Body     string              `json:"body"`
	Status   int                 `json:"status"`
	Retcode  string              `json:"retcode"`
}

func (s *Sim) getRequests(w http.ResponseWriter, _ *http.Request) {
	reqs := s.Requests()
	out := make([]requestJSON, len(reqs))
	for i, r := range reqs {
		out[i] = requestJSON{Time: r.Time, Op: r.Op, Method: r.Method, Path: r.Path, RawQuery: r.RawQuery,
			Header: redactHeader(r.Header), Body: redactBody(r.Body), Status: r.Status, Retcode: r.Retcode}
	}
	writeControl(w, http.StatusOK, out)
}

const redacted = "[redacted]"

// isSecretName matches the fields and headers that carry credentials:
// password, serviceToken / service_token, Guid, Authorization, Cookie.
func isSecretName(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "password") || strings.Contains(n, "token") || n == "guid" ||
		n == "authorization" || n == "cookie"
}

func redactHeader(h map[string][]string) map[string][]string {
	out := make(map[string][]string, len(h))
	for k, v := range h {
		if isSecretName(k) {
			v = []string{redacted}
		}
		out[k] = v
	}
	return out
}

// redactBody shows a JSON object with its secret fields replaced; any
// other body is hidden, since where its secrets are cannot be known.
func redactBody(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	f, isObject := decodeObject(body)
	if !isObject {
		return fmt.Sprintf("[%d bytes, not a JSON object: hidden]", len(body))
	}
	for k := range f {
		if isSecretName(k) {
			f[k] = json.RawMessage(`"` + redacted + `"`)
		}
	}
	b, _ := json.Marshal(f) // re-marshalling values that just parsed
	return string(b)
}

// subscriptionJSON shows whether a service token is set, never the token.
type subscriptionJSON struct {
	ServerID       string     `json:"serverId"`
	SubscribeType  string     `json:"subscribeType"`
	TokenSet       bool       `json:"tokenSet"`
	CallBackURI    string     `json:"serviceCallBackUri"`
	NLPFlag        bool       `json:"nlpFlag"`
	FlowAccessCode string     `json:"flowAccessCode"`
	Registered     time.Time  `json:"registered"`
	LastHandshake  *time.Time `json:"lastHandshake,omitempty"`
	Active         bool       `json:"active"`
	State          string     `json:"state"`
}

func (s *Sim) getSubscriptions(w http.ResponseWriter, _ *http.Request) {
	subs := s.Subscriptions()
	out := make([]subscriptionJSON, len(subs))
	for i, sub := range subs {
		out[i] = subscriptionJSON{ServerID: sub.ServerID, SubscribeType: sub.SubscribeType,
			TokenSet: sub.ServiceToken != "", CallBackURI: sub.CallBackURI, NLPFlag: sub.NLPFlag,
			FlowAccessCode: sub.FlowAccessCode, Registered: sub.Registered, Active: sub.Active, State: sub.State}
		if !sub.LastHandshake.IsZero() {
			out[i].LastHandshake = &sub.LastHandshake
		}
	}
	writeControl(w, http.StatusOK, out)
}

// faultJSON is a Fault on the wire. Delay is a Go duration string ("250ms").
type faultJSON struct {
	Op             string `json:"op"`
	Retcode        string `json:"retcode"`
	HTTPStatus     int    `json:"httpStatus"`
	Delay          string `json:"delay"`
	Hang           bool   `json:"hang"`
	Malformed      bool   `json:"malformed"`
	Drop           bool   `json:"drop"`
	Times          int    `json:"times"`
	Processed      bool   `json:"processed"`
	Truncate       bool   `json:"truncate"`
	HTML           bool   `json:"html"`
	Redirect       bool   `json:"redirect"`
	NumericRetcode bool   `json:"numericRetcode"`
	NoResult       bool   `json:"noResult"`
	ResultAs       string `json:"resultAs"`
	Oversize       bool   `json:"oversize"`
}

func (s *Sim) postFault(w http.ResponseWriter, r *http.Request) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	var in faultJSON
	if err := dec.Decode(&in); err != nil {
		controlError(w, http.StatusBadRequest, "body must be a fault object: "+err.Error())
		return
	}
	f, err := in.fault()
	if err != nil {
		controlError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.Inject(f)
	done(w)
}

func (in faultJSON) fault() (Fault, error) {
	f := Fault{Op: in.Op, Retcode: in.Retcode, HTTPStatus: in.HTTPStatus, Hang: in.Hang,
		Malformed: in.Malformed, Drop: in.Drop, Times: in.Times, Processed: in.Processed,
		Truncate: in.Truncate, HTML: in.HTML, Redirect: in.Redirect, NumericRetcode: in.NumericRetcode,
		NoResult: in.NoResult, ResultAs: in.ResultAs, Oversize: in.Oversize}
	if in.Delay != "" {
		d, err := time.ParseDuration(in.Delay)
		if err != nil || d < 0 {
			return f, errors.New(`delay must be a non-negative Go duration such as "1.5s"`)
		}
		f.Delay = d
	}
	return f, f.Validate()
}

func (s *Sim) advanceClock(w http.ResponseWriter, r *http.Request) {
	mc, movable := s.clock.(advancer)
	if !movable {
		controlError(w, http.StatusConflict, "the simulator runs on real time; start it with a manual or scaled clock")
		return
	}
	by, err := time.ParseDuration(r.URL.Query().Get("by"))
	if err != nil || by < 0 {
		controlError(w, http.StatusBadRequest, `by must be a non-negative Go duration such as "5m"`)
		return
	}
	mc.Advance(by)
	writeControl(w, http.StatusOK, map[string]time.Time{"now": mc.Now()})
}

// slogErrorLog routes net/http's own error log (TLS handshake failures,
// mostly) to the simulator's logger.
func slogErrorLog(l *slog.Logger) *log.Logger {
	return slog.NewLogLogger(l.Handler(), slog.LevelWarn)
}
