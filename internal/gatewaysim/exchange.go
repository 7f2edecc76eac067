package gatewaysim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
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

// envelope is the shape of every gateway response. Retcode is a string,
// or a json.Number for Fault.NumericRetcode.
type envelope struct {
	Retcode any    `json:"retcode"`
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
	entry := Request{Time: s.clock.Now(), Op: x.route.op, Method: r.Method, Path: r.URL.Path,
		RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: body}
	if readErr != nil {
		x.entry = s.log.add(entry)
		s.logger.Info("gatewaysim: request body unreadable", "op", x.route.op, "err", readErr)
		abort(w)
		return
	}
	f, faulted := s.faults.take(x.route.op)
	var normal answer
	if faulted && f.Processed {
		// Acted on before the request is logged, so a test that waits for
		// it in the log finds its effect already there.
		normal = s.process(x)
	}
	x.entry = s.log.add(entry)
	if faulted {
		s.applyFault(x, f, normal)
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
	rules := s.rules.get()
	if x.route.op != OpLogin {
		if a, authorised := s.checkGuid(x.r.Header.Get("Guid"), rules); !authorised {
			return a
		}
	}
	return s.handle(x, rules)
}

// checkGuid lets a request through when its Guid was issued and has not
// expired (and records the use); a missing Guid is 000-003, an expired or
// never-issued one Rules.ExpiredCode.
func (s *Sim) checkGuid(guid string, rules Rules) (answer, bool) {
	if guid == "" {
		return reject("000-003", "no permission: missing Guid header"), false
	}
	if !s.state.useGuid(guid, rules.guidIdle()) {
		return reject(rules.ExpiredCode, expiredMessages[rules.ExpiredCode]), false
	}
	return answer{}, true
}

// reply records the answer in the log, then writes it, so a client that has
// read the response always finds it logged.
func (s *Sim) reply(x *exchange, a answer) {
	s.log.answered(x.entry, a.status, a.retcode)
	s.writeEnvelope(x, a, encodeAnswer(a, false, 0))
}

// writeEnvelope writes body as the JSON answer a, whose retcode the log has.
func (s *Sim) writeEnvelope(x *exchange, a answer, body []byte) {
	for k, v := range a.header {
		x.w.Header()[k] = v
	}
	x.w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	x.w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	x.w.WriteHeader(a.status)
	_, _ = x.w.Write(body)
	s.logAnswer(x, a.status, a.retcode)
}

// encodeAnswer marshals a as the gateway's envelope: the retcode as a JSON
// number when numeric (see Fault.NumericRetcode), and padded with a
// "padding" field to exactly padTo bytes when padTo is larger.
func encodeAnswer(a answer, numeric bool, padTo int) []byte {
	env := envelope{Retcode: a.retcode, Message: a.message, Result: a.result}
	if numeric {
		if n, isNumber := numericRetcode(a.retcode); isNumber {
			env.Retcode = n
		}
	}
	body, err := json.Marshal(env)
	if err != nil { // only strings, numbers and maps and slices of them are marshalled
		panic(fmt.Sprintf("gatewaysim.encodeAnswer: %v", err))
	}
	const pad = `,"padding":""}`
	if n := padTo - len(body) - len(pad) + 1; n > 0 {
		body = append(body[:len(body)-1], `,"padding":"`+strings.Repeat("x", n)+`"}`...)
	}
	return body
}

// numericRetcode is the retcode as a JSON number: its digits without the
// dash and leading zeros ("0" 0, "107-029" 107029, "000-003" 3); false
// when it holds anything but digits and dashes.
func numericRetcode(code string) (json.Number, bool) {
	digits := strings.ReplaceAll(code, "-", "")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return "", false
	}
	if digits = strings.TrimLeft(digits, "0"); digits == "" {
		digits = "0"
	}
	return json.Number(digits), true
}

func (s *Sim) logAnswer(x *exchange, status int, retcode string) {
	// Path and status only: bodies and headers carry passwords, tokens and Guids.
	s.logger.Info("gatewaysim: request", "op", x.route.op, "method", x.r.Method,
		"path", x.r.URL.Path, "status", status, "retcode", retcode)
}

// applyFault plays f on x, whose normal answer is already known when f is
// Processed; see Fault for the order.
func (s *Sim) applyFault(x *exchange, f Fault, normal answer) {
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
	case f.Truncate:
		s.truncate(x, encodeAnswer(faultEnvelope(f, normal), f.NumericRetcode, 0))
	case f.Malformed:
		s.writeRaw(x, http.StatusOK, "application/json;charset=UTF-8", nil, `{"retcode":"0","message":"succ`)
	case f.HTML:
		status := f.HTTPStatus
		if status < 400 {
			status = http.StatusBadGateway
		}
		s.writeRaw(x, status, "text/html", nil, htmlErrorPage(status))
	case f.Redirect:
		status := f.HTTPStatus
		if status < 300 || status > 399 {
			status = http.StatusFound
		}
		to := RedirectPrefix + x.r.URL.RequestURI()
		s.writeRaw(x, status, "text/html", http.Header{"Location": {to}},
			fmt.Sprintf("<a href=\"%s\">%s</a>.\n", to, http.StatusText(status)))
	case f.HTTPStatus != 0:
		s.writeRaw(x, f.HTTPStatus, "text/plain; charset=utf-8", nil,
			fmt.Sprintf("simulated HTTP %d %s\n", f.HTTPStatus, http.StatusText(f.HTTPStatus)))
	default:
		if !f.Processed && !f.replacesAnswer() {
			normal = s.process(x) // answered normally, only dressed differently
		}
		a := faultEnvelope(f, normal)
		s.log.answered(x.entry, a.status, a.retcode)
		padTo := 0
		if f.Oversize {
			padTo = OversizeBytes
		}
		s.writeEnvelope(x, a, encodeAnswer(a, f.NumericRetcode, padTo))
	}
}

// replacesAnswer reports whether f makes up its own answer, so the request
// must not take effect unless Processed: every answering fault does except
// NumericRetcode alone, which answers the real answer in another dress.
func (f Fault) replacesAnswer() bool {
	return f.Retcode != "" || f.NoResult || f.ResultAs != "" || f.Oversize || f.Truncate
}

// faultEnvelope is the JSON answer of an answering fault: success without
// a result (NoResult), success with a result of the wrong type (ResultAs,
// made of the real result when Processed), the injected Retcode, the real
// answer (Processed, or NumericRetcode alone), or else a bare success that
// did nothing (Truncate, Oversize).
func faultEnvelope(f Fault, normal answer) answer {
	switch {
	case f.NoResult:
		return ok(nil)
	case f.ResultAs != "":
		return ok(wrongResult(f.ResultAs, normal.result))
	case f.Retcode != "":
		return reject(f.Retcode, faultMessage(f.Retcode))
	case f.Processed || !f.replacesAnswer():
		return normal
	}
	return ok(nil)
}

// wrongResult is a result of JSON type kind instead of an object: the real
// result's single value as a string, the real result inside an array, or a
// number.
func wrongResult(kind string, real any) any {
	m, _ := real.(map[string]string)
	switch kind {
	case ResultAsArray:
		if m == nil {
			return []any{}
		}
		return []any{m}
	case ResultAsNumber:
		return 1
	}
	for _, v := range m { // a guid or a serverId: at most one value
		return v
	}
	return "success"
}

// htmlErrorPage is what an nginx in front of a gateway answers when the
// gateway behind it fails.
func htmlErrorPage(status int) string {
	title := fmt.Sprintf("%d %s", status, http.StatusText(status))
	return "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
}

// truncate announces body in full (Content-Length) but sends only its first
// half, then closes the connection: the answer stops half way.
func (s *Sim) truncate(x *exchange, body []byte) {
	s.log.answered(x.entry, http.StatusOK, "")
	s.logAnswer(x, http.StatusOK, "")
	head := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: %d\r\n\r\n", len(body))
	conn, buf, err := http.NewResponseController(x.w).Hijack()
	if err != nil { // not HTTP/1: write what fits, then break the stream
		x.w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		x.w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		x.w.WriteHeader(http.StatusOK)
		_, _ = x.w.Write(body[:len(body)/2])
		_ = http.NewResponseController(x.w).Flush()
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	_, _ = buf.WriteString(head)
	_, _ = buf.Write(body[:len(body)/2])
	_ = buf.Flush()
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

// wait sleeps for d, or until Release, unless the client goes away or the
// simulator closes first; it reports whether the delay was served.
func (s *Sim) wait(x *exchange, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-x.release: // a test's "answer now"
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
func (s *Sim) writeRaw(x *exchange, status int, contentType string, header http.Header, body string) {
	s.log.answered(x.entry, status, "")
	for k, v := range header {
		x.w.Header()[k] = v
	}
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
