// Package receiver is the door the platform pushes recognition results
// through (docs/gateway-contract.md §6). It needs no session: the platform
// authenticates each push with the subscription's service_token.
package receiver

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"ccsub/internal/database"
	"ccsub/internal/domain"
	"ccsub/internal/httpkit"
	"ccsub/internal/metrics"
	"ccsub/internal/ratelimit"
	"ccsub/internal/secret"
	"ccsub/internal/store"
)

// Deps are what the receiver needs; all are built by the composition root.
type Deps struct {
	Store   *store.Store
	Keys    *secret.Keyring
	Log     *slog.Logger
	Metrics *metrics.Metrics // nil: nothing is measured
	// RefusedLimit bounds the refused pushes of each receiver key and
	// source address (the zero Limit bounds nothing).
	RefusedLimit ratelimit.Limit
}

// Receiver stores and answers the platform's pushes.
type Receiver struct {
	store   *store.Store
	keys    *secret.Keyring
	log     *slog.Logger
	metrics *metrics.Metrics
	refused *ratelimit.Limiter // nil: refusals are not limited
}

// New builds the receiver.
func New(d Deps) *Receiver {
	return &Receiver{store: d.Store, keys: d.Keys, log: d.Log, metrics: d.Metrics,
		refused: ratelimit.New(d.RefusedLimit, 0)}
}

// Limits of the notification receiver. A recognition push is a few hundred
// bytes; 64 KiB leaves room for long utterances and nlpResult while bounding
// what an unauthenticated sender can make ccsub read. Stored copies are
// capped smaller: the table holds tens of millions of rows.
const (
	maxPushBody    = 64 << 10
	maxStoredBody  = 8 << 10
	maxStoredText  = 8 << 10
	maxStoredKey   = 128
	maxStoredField = 256
	pushStoreLimit = 5 * time.Second
)

// Retcodes the receiver answers with. The contract (docs/gateway-contract.md §6) fixes "0" and
// "107-051"; for other refusals we use the family's generic codes.
const (
	pushOK           = "0"
	pushBadToken     = "107-051"
	pushBadRequest   = "000-002"
	pushInternalFail = "000-000"
)

// pushAnswer is the receiver's verdict: an HTTP status and the contract's
// JSON answer. reason is what the inbox shows for a refusal.
type pushAnswer struct {
	status  int
	retcode string
	message string
	reason  string
}

func accepted() pushAnswer {
	return pushAnswer{status: http.StatusOK, retcode: pushOK, message: "success"}
}

func refuse(status int, retcode, reason string) pushAnswer {
	return pushAnswer{status: status, retcode: retcode, message: reason, reason: reason}
}

// Receive is POST /receiver/{key}/v100/subscribe/asrevent/asrresult, where
// the platform pushes recognition results. It needs no session: the platform
// authenticates with the service_token header. It is deliberately not
// exempt from cross-origin protection: the platform's server-to-server POST
// carries neither Sec-Fetch-Site nor Origin and passes, while a browser
// tricked into posting here cross-site is refused before this runs.
//
// Every push is stored, accepted or not, with the reason of a refusal; an
// exact replay of an accepted push is answered as accepted and not stored
// again. Refusals (4xx) are rate-limited per receiver key and source
// address: over the limit the push is answered 429 and not stored (see
// overLimit). Accepted pushes are never limited.
func (s *Receiver) Receive(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	body, tooLarge := readPush(w, r)
	n := domain.Notification{ReceiverKey: clean(key, maxStoredKey), RemoteAddr: remoteHost(r)}
	n.Body, n.BodyTruncated = storedBody(body, tooLarge)
	// Store even when the platform hangs up: the push did arrive.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), pushStoreLimit)
	defer cancel()
	ans := s.judgePush(ctx, r, key, body, tooLarge, &n)
	n.Accepted, n.Reason, n.HTTPStatus = ans.status == http.StatusOK, ans.reason, ans.status
	if s.overLimit(w, r, n, ans) {
		return
	}
	// A 5xx before the subscription was found means the database did not
	// answer the lookup: trying to store would only fail again.
	replay := false
	if ans.status < 500 || n.SubscriptionID != nil {
		ans, replay = s.recordPush(ctx, r, n, ans)
	}
	s.metrics.ObserveNotification(pushResult(ans, replay))
	writePushAnswer(w, ans)
}

// pushResult names a push's fate for the metrics, from the final answer:
// an accepted push that could not be stored was answered 500 and counts
// as rejected, like every other answer the platform has to retry or drop.
func pushResult(ans pushAnswer, replay bool) metrics.NotificationResult {
	switch {
	case replay:
		return metrics.NotificationReplay
	case ans.status == http.StatusOK:
		return metrics.NotificationAccepted
	}
	return metrics.NotificationRejected
}

// judgePush decides a push's fate and fills n with what the body says. The
// order matters: nothing about the body is judged before the sender proved
// it knows the token, so an unauthenticated sender learns only "401".
func (s *Receiver) judgePush(ctx context.Context, r *http.Request, key string, body []byte, tooLarge bool, n *domain.Notification) pushAnswer {
	sub, err := s.store.SubscriptionByReceiverKey(ctx, key)
	if errors.Is(err, domain.ErrNotFound) {
		return refuse(http.StatusNotFound, pushBadRequest, domain.PushNoSubscription.Say())
	}
	if err != nil {
		s.log.Error("receiver: find subscription", "id", httpkit.RequestID(r), "err", err)
		return refuse(storeFailStatus(err), pushInternalFail, domain.PushLookupFailed.Say())
	}
	n.SubscriptionID = &sub.ID
	push, decodeErr := decodePush(body)
	if !tooLarge {
		push.fill(n)
	}
	if ans, ok := s.checkToken(r, sub); !ok {
		return ans
	}
	switch {
	case tooLarge:
		return refuse(http.StatusRequestEntityTooLarge, pushBadRequest, domain.PushTooLarge.Say())
	case !jsonContentType(r.Header.Get("Content-Type")):
		return refuse(http.StatusUnsupportedMediaType, pushBadRequest, domain.PushContentType.Say())
	case decodeErr != nil:
		return refuse(http.StatusBadRequest, pushBadRequest, decodeErr.Error())
	case push.ServerID != flexString(sub.ServerID):
		return refuse(http.StatusBadRequest, pushBadRequest, domain.PushOtherServerID.Say(quoteClip(string(push.ServerID)), sub.ServerID))
	}
	n.Digest = pushDigest(key, body)
	return accepted()
}

// checkToken compares service_token with the subscription's token in
// constant time. A subscription registered without a token accepts only
// pushes without one (the platform has nothing to echo); the unguessable
// receiver key is then its only protection, which the register form warns
// about by recommending a token.
func (s *Receiver) checkToken(r *http.Request, sub domain.Subscription) (pushAnswer, bool) {
	sent := r.Header.Values("service_token")
	if len(sent) > 1 {
		return refuse(http.StatusUnauthorized, pushBadToken, domain.PushTokenTwice.Say()), false
	}
	got := ""
	if len(sent) == 1 {
		got = sent[0]
	}
	if sub.TokenSealed == nil {
		if got != "" {
			return refuse(http.StatusUnauthorized, pushBadToken, domain.PushTokenUnexpected.Say()), false
		}
		return pushAnswer{}, true
	}
	if got == "" {
		return refuse(http.StatusUnauthorized, pushBadToken, domain.PushTokenMissing.Say()), false
	}
	want, err := s.keys.Open(sub.TokenSealed, secret.PurposeServiceToken)
	if err != nil {
		s.log.Error("receiver: open the subscription's service token", "id", httpkit.RequestID(r), "subscription", sub.ID, "err", err)
		return refuse(http.StatusInternalServerError, pushInternalFail, domain.PushTokenUnreadable.Say()), false
	}
	if !sameSecret(got, want) {
		return refuse(http.StatusUnauthorized, pushBadToken, domain.PushTokenWrong.Say()), false
	}
	return pushAnswer{}, true
}

// sameSecret compares in constant time. Hashing first gives both sides the
// same length, so not even the token's length leaks through timing.
func sameSecret(got string, want []byte) bool {
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256(want)
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// recordPush stores the push. An accepted push that cannot be stored is
// answered 500 so the platform sends it again: replay detection makes that
// safe. A refusal is answered as judged even if storing it failed. replay
// reports an accepted push that was already on record.
func (s *Receiver) recordPush(ctx context.Context, r *http.Request, n domain.Notification, ans pushAnswer) (_ pushAnswer, replay bool) {
	stored, err := s.store.RecordNotification(ctx, n)
	if err != nil {
		s.log.Error("receiver: store notification", "id", httpkit.RequestID(r), "accepted", n.Accepted, "err", err)
		if n.Accepted {
			return refuse(storeFailStatus(err), pushInternalFail, domain.PushStoreFailed.Say()), false
		}
		return ans, false
	}
	if !n.Accepted {
		s.log.Info("receiver: push refused", "id", httpkit.RequestID(r), "subscription", subscriptionLog(n),
			"status", ans.status, "reason", ans.reason, "remote", n.RemoteAddr)
	} else if !stored {
		s.log.Debug("receiver: replay ignored", "id", httpkit.RequestID(r), "subscription", *n.SubscriptionID)
		return ans, true
	}
	return ans, false
}

// overLimit answers a refused push 429, and stores nothing, when its
// receiver key and source address are over the refused-push limit. Only
// the sender's own refusals count: a 4xx, judged before this runs, so an
// accepted push is never limited, whoever else is refused. A 5xx (ccsub
// could not look up or store) is ccsub's fault and is not limited either.
// Over the limit a line is logged once a minute per key and address, with
// the number of pushes limited since the previous line.
func (s *Receiver) overLimit(w http.ResponseWriter, r *http.Request, n domain.Notification, ans pushAnswer) bool {
	if s.refused == nil || n.Accepted || ans.status < 400 || ans.status >= 500 {
		return false
	}
	v := s.refused.Allow(limitKey(n), time.Now())
	if v.Allowed {
		return false
	}
	secs := v.RetryAfterSeconds()
	s.metrics.ObserveNotification(metrics.NotificationLimited)
	if v.Note {
		s.log.Warn("receiver: too many refused pushes; answering 429 and storing none", "id", httpkit.RequestID(r),
			"subscription", subscriptionLog(n), "remote", n.RemoteAddr, "status", ans.status, "reason", ans.reason,
			"limited_since_last_line", v.Held, "shared_bucket", v.Shared, "retry_after_s", secs)
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writePushAnswer(w, pushAnswer{status: http.StatusTooManyRequests, retcode: pushBadRequest,
		message: "too many refused pushes from this address to this receiver address; this one was not stored; retry after " +
			strconv.Itoa(secs) + " s"})
	return true
}

// limitKey is the refused-push bucket of n: its subscription (for a known
// receiver key) or "unknown" (every unknown key of one sender shares a
// bucket, or a sender could pick a fresh key per push), and its source.
// IPv6 sources are grouped by /64, the block one host usually holds.
func limitKey(n domain.Notification) string {
	sub := "unknown"
	if n.SubscriptionID != nil {
		sub = strconv.FormatInt(*n.SubscriptionID, 10)
	}
	src := n.RemoteAddr
	if a, err := netip.ParseAddr(src); err == nil {
		a = a.Unmap()
		if a.Is6() {
			p, _ := a.WithZone("").Prefix(64)
			src = p.String()
		} else {
			src = a.String()
		}
	}
	return sub + " " + src
}

// subscriptionLog is n's subscription id for a log line ("none" for an
// unknown receiver key).
func subscriptionLog(n domain.Notification) slog.Value {
	if n.SubscriptionID == nil {
		return slog.StringValue("none")
	}
	return slog.Int64Value(*n.SubscriptionID)
}

// storeFailStatus is 503 while the database is unreachable, so the
// platform retries the push (replays are detected), and 500 otherwise.
func storeFailStatus(err error) int {
	if database.Unavailable(err) {
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

func writePushAnswer(w http.ResponseWriter, a pushAnswer) {
	b, _ := json.Marshal(struct {
		Retcode string `json:"retcode"`
		Message string `json:"message"`
	}{a.retcode, a.message})
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(a.status)
	_, _ = w.Write(b)
}

// readPush reads at most maxPushBody bytes; tooLarge reports that the body
// was longer (what was read is kept for the record).
func readPush(w http.ResponseWriter, r *http.Request) (body []byte, tooLarge bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPushBody))
	var mbe *http.MaxBytesError
	return body, errors.As(err, &mbe)
}

// jsonContentType accepts application/json with no charset or UTF-8, as
// the contract's "application/json; charset=UTF-8" and common variants.
func jsonContentType(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

func remoteHost(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return clean(r.RemoteAddr, maxStoredField)
}

func storedBody(body []byte, tooLarge bool) (string, bool) {
	s := clean(string(body), maxStoredBody)
	return s, tooLarge || len(s) < len(body)
}

// clean makes s storable in a text column, which refuses NUL and invalid
// UTF-8 (both can arrive in a push: "\u0000" decodes to NUL), and caps it
// at max bytes on a rune boundary.
func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

func quoteClip(s string) string {
	return `"` + clean(s, 80) + `"`
}
