package gateway

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"
)

// request is one HTTP request to a gateway.
type request struct {
	op     string // login, register, modify, unregister, handshake
	method string
	url    string
	body   []byte // nil: no body
	guid   string // "" for login
	token  string // service_token header, extended handshake only
}

// exchange is everything one HTTP request produced; classify turns it into
// an outcome.
type exchange struct {
	op             string
	addr           string
	budget         time.Duration // the operation's overall deadline, for messages
	connectTimeout time.Duration
	customCA       bool  // verified against Target.CAPEM rather than system roots
	limit          int64 // MaxBodyBytes
	err            error // failure before an answer (or before sending)
	wrote          bool  // the request was fully written to the connection
	status         int
	header         http.Header
	body           []byte
	bodyErr        error // the answer was cut off while being read
	tooLarge       bool
}

// noReplayBody is an empty request body that net/http cannot rewind (it has
// no GetBody). The Transport silently re-sends an idempotent request, such as
// the GET handshake, when a reused connection breaks; it never does so for a
// request whose body it cannot replay (see the http.Transport doc). Because
// the body is empty and the method is GET, net/http sends no body at all.
type noReplayBody struct{}

func (noReplayBody) Read([]byte) (int, error) { return 0, io.EOF }
func (noReplayBody) Close() error             { return nil }

// roundTrip sends one request and reads its answer, never retrying.
func (c *Client) roundTrip(ctx context.Context, st *gatewayState, r request, budget time.Duration) exchange {
	x := c.newExchange(r.op, st, budget)
	var wrote atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			wrote.Store(true)
		}
	}}
	req, err := newHTTPRequest(httptrace.WithClientTrace(ctx, trace), r)
	if err != nil {
		x.err = err
		return x
	}
	resp, err := st.http.Do(req)
	x.wrote = wrote.Load()
	if err != nil {
		x.err = err
		return x
	}
	defer resp.Body.Close()
	x.status, x.header = resp.StatusCode, resp.Header
	x.body, x.tooLarge, x.bodyErr = readCapped(resp, c.cfg.MaxBodyBytes)
	return x
}

// newExchange starts the record of one request; also used for requests
// refused before they could be sent.
func (c *Client) newExchange(op string, st *gatewayState, budget time.Duration) exchange {
	x := exchange{op: op, budget: budget, connectTimeout: c.cfg.ConnectTimeout, limit: c.cfg.MaxBodyBytes}
	if st != nil {
		x.addr, x.customCA = st.addr, st.customCA
	}
	return x
}

// newHTTPRequest builds the request with the headers every call carries.
func newHTTPRequest(ctx context.Context, r request) (*http.Request, error) {
	var body io.Reader = http.NoBody
	switch {
	case r.body != nil:
		body = bytes.NewReader(r.body)
	case r.method == http.MethodGet:
		body = noReplayBody{}
	}
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, body)
	if err != nil {
		return nil, err
	}
	// Exactly the contract's headers: Content-Type and Guid (and the
	// extended handshake's service_token). An empty User-Agent is not sent.
	req.Header.Set("Content-Type", contentType)
	req.Header["User-Agent"] = []string{""}
	if r.guid != "" {
		req.Header.Set(headerGuid, r.guid)
	}
	if r.token != "" {
		// Set on the map directly: the vendor's name is lower case with an
		// underscore, which Header.Set would rewrite to Service_token.
		req.Header[headerServiceToken] = []string{r.token}
	}
	return req, nil
}

// readCapped reads at most limit bytes of the answer; a longer answer is
// reported as too large rather than silently truncated.
func readCapped(resp *http.Response, limit int64) (body []byte, tooLarge bool, err error) {
	if resp.ContentLength > limit {
		return nil, true, nil
	}
	body, err = io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if int64(len(body)) > limit {
		return body[:limit], true, nil
	}
	return body, false, err
}
