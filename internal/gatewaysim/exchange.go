package gatewaysim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

const (
	// maxBody is the largest request body the gateway accepts (107-002 above).
	maxBody = 64 << 10
	// maxLoggedBody caps what is read and kept in the log, so an oversized
	// request is still logged (and answered) without unbounded memory.
	maxLoggedBody = 1 << 20
)

// exchange is one request on its way through the simulator.
type exchange struct {
	w       http.ResponseWriter
	r       *http.Request
	body    []byte
	route   route
	entry   *Request
	release <-chan struct{} // closed by the first Release after arrival
}

// answer is what the gateway would reply; computing it applies the
// request's effect, writing it is separate so faults can hide it.
type answer struct {
	status  int
	retcode string
	message string
	result  any
	header  http.Header
}

// envelope is the shape of every gateway response.
type envelope struct {
	Retcode string `json:"retcode"`
	Message string `json:"message"`
	Result  any    `json:"result,omitempty"`
}

func ok(result any) answer {
	return answer{status: http.StatusOK, retcode: "0", message: "success", result: result}
}

// reject is a business failure: HTTP 200 with a non-zero retcode.
func reject(retcode, message string) answer {
	return answer{status: http.StatusOK, retcode: retcode, message: message}
}

func (s *Sim) serveGateway(w http.ResponseWriter, r *http.Request) {
	// Taken before the request is logged: a Release issued after a test saw
	// this request in the log must reach it.
	release := s.faults.releaseChan()
	body, readErr := io.ReadAll(io.LimitReader(r.Body, maxLoggedBody))
	x := &exchange{w: w, r: r, body: body, route: lookupRoute(r.URL.Path), release: release}
	x.entry = s.log.add(Request{
		Time: s.clock.Now(), Op: x.route.op, Method: r.Method, Path: r.URL.Path,
		RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body,
	})
	if readErr != nil {
		s.logger.Info("gatewaysim: request body unreadable", "op", x.route.op, "err", readErr)
		abort(w)
		return
	}
	if f, found := s.faults.take(x.route.op); found {
		s.applyFault(x, f)
		return
	}
	s.reply(x, s.process(x))
}

// process validates the request the way the gateway does and applies it.
func (s *Sim) process(x *exchange) answer {
	switch {
	case x.route.op == "":
		return answer{status: http.StatusNotFound, retcode: "000-002", message: "no such interface"}
	case !x.route.allows(x.r.Method):
		return answer{status: http.StatusMethodNotAllowed, retcode: "000-002", message: "method not allowed",
			header: http.Header{"Allow": {x.route.allowHeader()}}}
	case !isJSONContentType(x.r.Header.Get("Content-Type")):
		return reject("000-002", "Content-Type must be application/json")
	case len(x.body) > maxBody:
		return reject("107-002", fmt.Sprintf("request body larger than %d bytes", maxBody))
	}
	if x.route.op != OpLogin {
		if a, authorised := s.checkGuid(x.r.Header.Get("Guid")); !authorised {
			return a
		}
	}
	return s.handle(x)
}

func (s *Sim) checkGuid(guid string) (answer, bool) {
	if guid == "" {
		return reject("000-003", "no permission: missing Guid header"), false
	}
	if !s.state.guidValid(guid) {
		return reject("107-000", "login cache expired, log in again"), false
	}
	return answer{}, true
}

// reply records the answer in the log, then writes it, so a client that has
// read the response always finds it logged.
func (s *Sim) reply(x *exchange, a answer) {
	s.log.answered(x.entry, a.status, a.retcode)
	for k, v := range a.header {
		x.w.Header()[k] = v
	}
	body, err := json.Marshal(envelope{Retcode: a.retcode, Message: a.message, Result: a.result})
	if err != nil { // only plain strings and maps of strings are marshalled
		panic(fmt.Sprintf("gatewaysim.reply: %v", err))
	}
	x.w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	x.w.WriteHeader(a.status)
	_, _ = x.w.Write(body)
	s.logAnswer(x, a.status, a.retcode)
}

func (s *Sim) logAnswer(x *exchange, status int, retcode string) {
	// Path and status only: bodies and headers carry passwords, tokens and Guids.
	s.logger.Info("gatewaysim: request", "op", x.route.op, "method", x.r.Method,
		"path", x.r.URL.Path, "status", status, "retcode", retcode)
}

// applyFault plays f on x; see Fault for the order.
func (s *Sim) applyFault(x *exchange, f Fault) {
	var normal answer
	if f.Processed {
		normal = s.process(x)
	}
	if f.Delay > 0 && !s.wait(x, f.Delay) {
		s.logAnswer(x, 0, "")
		abort(x.w)
		return
	}
	switch {
	case f.Hang:
		s.hang(x)
	case f.Drop:
		s.logAnswer(x, 0, "")
		abort(x.w)
	case f.Malformed:
		s.writeRaw(x, http.StatusOK, "application/json;charset=UTF-8", `{"retcode":"0","message":"succ`)
	case f.HTTPStatus != 0:
		s.writeRaw(x, f.HTTPStatus, "text/plain; charset=utf-8",
			fmt.Sprintf("simulated HTTP %d %s\n", f.HTTPStatus, http.StatusText(f.HTTPStatus)))
	case f.Retcode != "":
		s.reply(x, reject(f.Retcode, faultMessage(f.Retcode)))
	default:
		if !f.Processed {
			normal = s.process(x)
		}
		s.reply(x, normal)
	}
}

// vendorMessages are the gateway's own terse texts for the codes a fault
// usually injects; the simulator stands in for a foreign system, so it
// keeps its own words rather than ccsub's explanations.
var vendorMessages = map[string]string{
	"107-000": "login cache expired",
	"107-001": "configuration interface exception",
	"107-002": "parameter invalid",
	"107-003": "wrong password",
	"107-004": "invalid account",
	"107-005": "configuration interface communication failure",
	"107-007": "authentication failed before configuration",
	"107-026": "subscription failed",
	"107-027": "subscription registration failed",
	"107-028": "subscription request failed",
	"107-029": "subscription request timed out",
	"107-030": "subscription exception",
	"107-031": "cancelling the subscription failed",
	"107-032": "handshake failed",
	"000-003": "no permission",
}

func faultMessage(retcode string) string {
	if m := vendorMessages[retcode]; m != "" {
		return m
	}
	return "simulated failure"
}

// wait sleeps for d unless the client goes away or the simulator closes
// first; it reports whether the full delay passed.
func (s *Sim) wait(x *exchange, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-x.r.Context().Done():
	case <-s.closed:
	}
	return false
}

// hang blocks until the client disconnects, Release or Close, then closes
// the connection without an answer.
func (s *Sim) hang(x *exchange) {
	select {
	case <-x.r.Context().Done():
	case <-x.release:
	case <-s.closed:
	}
	s.logAnswer(x, 0, "")
	abort(x.w)
}

// writeRaw answers with a body that is not a gateway envelope.
func (s *Sim) writeRaw(x *exchange, status int, contentType, body string) {
	s.log.answered(x.entry, status, "")
	x.w.Header().Set("Content-Type", contentType)
	x.w.WriteHeader(status)
	_, _ = io.WriteString(x.w, body)
	s.logAnswer(x, status, "")
}

// abort closes the connection without writing anything. Hijacking works on
// HTTP/1 (what Start serves); elsewhere ErrAbortHandler makes net/http
// reset the stream or close the connection, and is not logged by it.
func abort(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
		return
	}
	panic(http.ErrAbortHandler)
}
