package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"

	"ccsub/internal/domain"
)

// callError is a failure in words an administrator understands. The cause
// stays reachable through errors.Is/As but never shows in the text, because
// library texts name URLs and internals rather than what went wrong.
type callError struct {
	msg   string
	cause error
}

func (e *callError) Error() string { return e.msg }
func (e *callError) Unwrap() error { return e.cause }

func plainErrorf(cause error, format string, args ...any) error {
	return &callError{msg: fmt.Sprintf(format, args...), cause: cause}
}

// refusedError is a call ccsub itself refused before sending anything: one
// of its own checks (the gateway networks at dial time, the gateway's
// address and CA bundle, the serverId) said no. It reads like the check's
// callError; Result.RefusedByCcsub finds it anywhere in Err's chain, also
// when a refused login is the reason an operation was not sent.
type refusedError struct {
	msg   string
	cause error
}

func (e *refusedError) Error() string { return e.msg }
func (e *refusedError) Unwrap() error { return e.cause }

// RefusedByCcsub reports whether ccsub itself refused the call before
// sending anything, as opposed to a gateway that answered, or could not be
// reached: the outcome is then failed, Err says which check refused it,
// and the gateway never saw a byte of it (docs/decisions.md, "Calls and
// outcomes").
func (r Result) RefusedByCcsub() bool {
	var re *refusedError
	return errors.As(r.Err, &re)
}

// classify is the one place that decides a call's outcome (docs/gateway-
// contract.md §7). An answer is failed or rejected only when the platform
// cannot have acted on the request; whatever leaves that open is unknown:
//   - nothing sent, or not fully written                  → failed
//   - written, then no answer (timeout, reset, EOF)       → unknown
//   - HTTP 3xx or 4xx (refused before the platform acted) → failed
//   - HTTP 5xx (an error somewhere after it arrived)      → unknown
//   - a 2xx answer too large, cut off, not JSON, or
//     without retcode: we cannot read what happened       → unknown
//   - retcode "0"                                         → success
//     (register without serverId → unknown; login without Guid → failed)
//   - retcode 107-029, the gateway's own timeout          → unknown
//   - any other retcode                                   → rejected
func classify(x exchange) (domain.Outcome, answer, error) {
	switch {
	case x.err != nil && !x.wrote:
		return domain.OutcomeFailed, answer{}, describeUnsent(x)
	case x.err != nil:
		return domain.OutcomeUnknown, answer{}, describeNoAnswer(x)
	case x.status >= 500:
		return domain.OutcomeUnknown, answer{}, plainErrorf(nil, "the gateway answered HTTP %d after the request arrived; it may have acted on it", x.status)
	case x.status < 200 || x.status > 299:
		return domain.OutcomeFailed, answer{}, plainErrorf(nil, "the gateway answered HTTP %d", x.status)
	case x.tooLarge:
		return domain.OutcomeUnknown, answer{}, plainErrorf(nil, "the gateway's answer exceeds %d bytes, so ccsub could not read it; the gateway may have acted on the request", x.limit)
	case x.bodyErr != nil:
		return domain.OutcomeUnknown, answer{}, plainErrorf(x.bodyErr, "the gateway's answer was cut off; the gateway may have acted on the request")
	}
	a, err := parseAnswer(x.body, x.header)
	switch {
	case err != nil:
		return domain.OutcomeUnknown, a, plainErrorf(err, "%s; the gateway may have acted on the request", err.Error())
	case a.Retcode == retcodeTimedOut:
		return domain.OutcomeUnknown, a, plainErrorf(nil, "the gateway answered %s (its own request timeout): the platform may have acted on the request", a.Retcode)
	case a.Retcode != retcodeSuccess:
		return domain.OutcomeRejected, a, nil
	case x.op == string(domain.OpRegister) && a.ServerID == "":
		return domain.OutcomeUnknown, a, plainErrorf(nil, "the gateway answered success but sent no serverId: the subscription may exist, but ccsub cannot know which")
	case x.op == string(domain.OpLogin) && a.Guid == "":
		return domain.OutcomeFailed, a, plainErrorf(nil, "the gateway accepted the login but sent no Guid")
	}
	return domain.OutcomeSuccess, a, nil
}

// describeUnsent words a failure that happened before the request was
// fully written: nothing reached the gateway.
func describeUnsent(x exchange) error {
	var ce *callError
	if errors.As(x.err, &ce) {
		// Our own validation, already in plain words: before sending, only
		// ccsub's checks (the network guard, unsent) make a callError.
		return &refusedError{msg: ce.msg, cause: x.err}
	}
	if msg := describeTLS(x.err, x.customCA); msg != "" {
		return plainErrorf(x.err, "%s", msg)
	}
	switch {
	case errors.Is(x.err, context.DeadlineExceeded):
		return plainErrorf(x.err, "could not reach %s within the %s deadline; nothing was sent", x.addr, x.budget)
	case errors.Is(x.err, context.Canceled):
		return plainErrorf(x.err, "the call was cancelled before the request was sent")
	}
	var dnsErr *net.DNSError
	if errors.As(x.err, &dnsErr) {
		return plainErrorf(x.err, "could not resolve %s: %s", dnsErr.Name, dnsErr.Err)
	}
	var opErr *net.OpError
	switch {
	case isTimeout(x.err): // dial or TLS handshake: nothing was written yet
		return plainErrorf(x.err, "could not connect to %s within %s (no TCP or TLS handshake)", x.addr, x.connectTimeout)
	case errors.As(x.err, &opErr) && opErr.Op == "dial":
		return plainErrorf(x.err, "could not connect to %s: %s", x.addr, innermost(opErr))
	}
	return plainErrorf(x.err, "could not send the request to %s: %s", x.addr, innermost(x.err))
}

// describeTLS words a certificate or handshake failure, or returns "".
func describeTLS(err error, customCA bool) string {
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var record tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case errors.As(err, &unknownCA) && customCA:
		return "the gateway's certificate is not signed by the configured CA bundle"
	case errors.As(err, &unknownCA):
		return "the gateway's certificate is not signed by an authority this system trusts (no CA bundle is configured for this gateway)"
	case errors.As(err, &hostErr):
		return fmt.Sprintf("the gateway's certificate is not valid for %s", hostErr.Host)
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "the gateway's certificate has expired or is not valid yet"
	case errors.As(err, &invalid):
		return "the gateway's certificate is not acceptable: " + invalid.Error()
	case errors.As(err, &record):
		return "the gateway did not answer with TLS: is this an https port?"
	case errors.As(err, &alert):
		return "the gateway refused the TLS handshake (" + alert.Error() + "); it must support TLS 1.2 or newer"
	}
	return ""
}

// describeNoAnswer words a failure after the request was written: the
// gateway may have acted on it.
func describeNoAnswer(x exchange) error {
	switch {
	case errors.Is(x.err, context.DeadlineExceeded) || isTimeout(x.err):
		return plainErrorf(x.err, "no answer within %s after the request was sent; the gateway may have acted on it", x.budget)
	case errors.Is(x.err, context.Canceled):
		return plainErrorf(x.err, "the call was cancelled after the request was sent; the gateway may have acted on it")
	}
	// EOF, reset, "server closed idle connection": the connection ended.
	return plainErrorf(x.err, "the connection to %s ended without an answer after the request was sent (%s); the gateway may have acted on it", x.addr, innermost(x.err))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// innermost returns the text of the deepest wrapped error ("connection
// refused"), which is the part that means something to a person; outer
// layers only add URLs and operation names.
func innermost(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}
