// Package subscribe is the action of every gateway operation: register,
// modify, cancel, replace, settle, the keep-alive's handshake and
// re-register, and the connection test. It records every call, written as
// pending before the request leaves and completed after, so a crash or
// timeout never loses a row, and it writes each operation's audit entry.
package subscribe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"ccsub/internal/audit"
	"ccsub/internal/domain"
	"ccsub/internal/gateway"
	"ccsub/internal/journal"
	"ccsub/internal/metrics"
	"ccsub/internal/secret"
	"ccsub/internal/store"
)

// Service is the one place gateway calls are made from.
type Service struct {
	store       *store.Store
	audit       *audit.Trail
	client      *gateway.Client
	keys        *secret.Keyring
	log         *slog.Logger
	interrupted time.Duration
	public      string
	metrics     *metrics.Metrics
	journal     *journal.Journal
	kept        chan struct{}
}

// Options tune the service.
type Options struct {
	// CallTimeout is the gateway client's overall deadline of one operation.
	CallTimeout time.Duration
	// InterruptedAfter is how long a call may stay pending before no
	// process can still be waiting for its answer; 0 means twice
	// CallTimeout plus 30 s.
	InterruptedAfter time.Duration
	// PublicURL is where the platform reaches ccsub's receiver.
	PublicURL string
	// Metrics counts every completed call; nil measures nothing.
	Metrics *metrics.Metrics
	// Journal keeps the answers the database could not take until it
	// takes them (see Replay); nil keeps them in the log only.
	Journal *journal.Journal
}

// New builds the service.
func New(st *store.Store, trail *audit.Trail, client *gateway.Client, keys *secret.Keyring, log *slog.Logger, o Options) *Service {
	if o.InterruptedAfter <= 0 {
		o.InterruptedAfter = 2*o.CallTimeout + 30*time.Second
	}
	return &Service{store: st, audit: trail, client: client, keys: keys, log: log, interrupted: o.InterruptedAfter, public: o.PublicURL,
		metrics: o.Metrics, journal: o.Journal, kept: make(chan struct{}, 1)}
}

// RegisterInput is a validated register form.
type RegisterInput struct {
	IdempotencyKey string
	GatewayID      int64
	SubscribeType  string
	ServiceToken   string
	CallbackURI    string
	NLPFlag        bool
	FlowAccessCode string
	AutoReregister bool   // keep-alive policy: re-register once per lapse
	ReceiverKey    string // set when the callback is ccsub's own receiver
	ReplacesID     *int64 // the subscription this one replaces (replace, re-register)
}

// Register records, sends and completes one register call, and audits it.
// It returns the call (whatever its outcome); an error with a call of id 0
// means nothing could be recorded. A repeated idempotency key returns the
// first call and domain.ErrDuplicateSubmission, and sends nothing.
func (s *Service) Register(ctx context.Context, who domain.Actor, in RegisterInput) (domain.Call, error) {
	call, err := s.register(ctx, who, in, answer{Audited: true, Register: &registerAnswer{}})
	return call, s.logged(call, err)
}

// register records, sends and answers a register; a (its Audited and
// Reregister) says what the operation it is part of writes with it.
func (s *Service) register(ctx context.Context, who domain.Actor, in RegisterInput, a answer) (domain.Call, error) {
	gw, target, err := s.target(ctx, in.GatewayID)
	if err != nil {
		return domain.Call{}, err
	}
	if !gw.Usable() { // checked again, under a lock, as the call is recorded
		return domain.Call{}, fmt.Errorf("subscribe.Register gateway %d: %w", gw.ID, domain.ErrGatewayNotUsable)
	}
	req := gateway.RegisterRequest{
		SubscribeType: in.SubscribeType, ServiceToken: in.ServiceToken,
		ServiceCallBackURI: in.CallbackURI, NLPFlag: in.NLPFlag, FlowAccessCode: in.FlowAccessCode,
	}
	_, redacted := gateway.RegisterBody(req)
	var sealed []byte
	if in.ServiceToken != "" {
		if sealed, err = s.keys.Seal([]byte(in.ServiceToken), secret.PurposeServiceToken); err != nil {
			return domain.Call{}, fmt.Errorf("subscribe.Register: seal token: %w", err)
		}
	}
	call, err := s.store.BeginCall(ctx, domain.NewCall{
		IdempotencyKey: in.IdempotencyKey, Fingerprint: fingerprint(in), GatewayID: gw.ID, GatewayName: gw.Name, Actor: who.Name,
		Operation: domain.OpRegister, CallbackURI: in.CallbackURI, SubscribeType: in.SubscribeType,
		NLPFlag: in.NLPFlag, FlowAccessCode: in.FlowAccessCode, TokenPresent: in.ServiceToken != "",
		TokenSealed: sealed, RequestBody: redacted,
	})
	if errors.Is(err, domain.ErrDuplicateSubmission) {
		return s.sameToken(call, in.ServiceToken, err)
	}
	if err != nil {
		return call, err
	}
	res := s.send(ctx, gw, redacted, func() gateway.Result { return s.client.Register(s.detached(ctx), target, req) })
	a.Who, a.Register.In, a.Register.Sealed = who, in, sealed
	return s.answered(ctx, call, res, a)
}

// TestGateway performs a fresh C5 login, records it as a login call,
// remembers the outcome on the gateway and audits the test. A password the
// gateway refused before is not tried again (see send and RetryLogin).
func (s *Service) TestGateway(ctx context.Context, who domain.Actor, gatewayID int64) (domain.Call, error) {
	return s.testGateway(ctx, who, gatewayID, false)
}

// testGateway logs in once; retry (an administrator's RetryLogin, which
// holds the retry's claim) sends the login even though the gateway refused
// the password before, and settles the refusal by the answer; a retry is
// audited as a whole by RetryLogin.
func (s *Service) testGateway(ctx context.Context, who domain.Actor, gatewayID int64, retry bool) (domain.Call, error) {
	gw, target, err := s.target(ctx, gatewayID)
	if err != nil {
		return domain.Call{}, err
	}
	body := fmt.Sprintf(`{"agentId":%d,"password":"[redacted]"}`, gw.AgentID)
	call, err := s.store.BeginCall(ctx, domain.NewCall{
		GatewayID: gw.ID, GatewayName: gw.Name, Actor: who.Name, Operation: domain.OpLogin,
		RequestBody: body,
	})
	if err != nil {
		return call, err
	}
	login := func() gateway.Result { return s.client.Login(s.detached(ctx), target) }
	var res gateway.Result
	if retry {
		res = login()
		s.endRetry(ctx, gw, res)
	} else {
		res = s.send(ctx, gw, body, login)
	}
	return s.answered(ctx, call, res, answer{Who: who, Audited: !retry, Tested: gw.ID})
}

// RecoverInterrupted marks calls that no process can still complete as
// unknown, and lists their registers as unknown subscriptions to settle.
// Only calls older than any call can take are touched, so calls still in
// flight in another process are left alone. It runs at start-up and then
// periodically in every process (see app.Serve): a call whose answer came
// while the database was down must not stay pending until a restart.
func (s *Service) RecoverInterrupted(ctx context.Context) (int64, error) {
	n, err := s.store.ExpirePending(ctx, time.Now().Add(-s.InterruptedAfter()),
		"sent at %s, but no answer was recorded (ccsub stopped, or could not write the answer): the gateway may have acted on it")
	if err != nil {
		return 0, fmt.Errorf("subscribe.RecoverInterrupted: %w", err)
	}
	if n > 0 {
		s.log.Warn("calls left pending with no answer recorded marked unknown; their registers are listed as unknown subscriptions to settle", "count", n)
	}
	return n, nil
}

// InterruptedAfter is how long a call may stay pending before it is known
// that no process is still waiting for its answer.
func (s *Service) InterruptedAfter() time.Duration { return s.interrupted }

// AsShown shows calls left pending longer than any call can take as
// unknown: no process is waiting for their answer any more. Pages, the API
// and the exports all show calls through it.
func (s *Service) AsShown(calls []domain.Call) []domain.Call {
	cut := time.Now().Add(-s.interrupted)
	for i := range calls {
		if calls[i].Outcome == domain.OutcomePending && calls[i].StartedAt.Before(cut) {
			calls[i].Outcome = domain.OutcomeUnknown
		}
	}
	return calls
}

// Forget drops cached gateway state after a gateway is edited.
func (s *Service) Forget(gatewayID int64) { s.client.Forget(gatewayID) }

func (s *Service) target(ctx context.Context, gatewayID int64) (domain.Gateway, gateway.Target, error) {
	gw, err := s.store.CurrentGateway(ctx, gatewayID) // a removed gateway gets no call
	if err != nil {
		return gw, gateway.Target{}, err
	}
	pw, err := s.keys.Open(gw.PasswordSealed, secret.PurposeGatewayPassword)
	if err != nil {
		return gw, gateway.Target{}, fmt.Errorf("subscribe: open the password of gateway %d: %w", gw.ID, err)
	}
	t := gateway.Target{GatewayID: gw.ID, BaseURL: gw.BaseURL, AgentID: gw.AgentID, Password: string(pw), RefusalsEnded: gw.RefusalsEnded}
	if gw.CAPEM != "" {
		t.CAPEM = []byte(gw.CAPEM)
	}
	return gw, t, nil
}

// detached keeps the gateway call going when the browser goes away: an
// abandoned request must not turn a call the gateway may complete into an
// interrupted one. The client's own deadline still bounds it.
func (s *Service) detached(ctx context.Context) context.Context {
	return context.WithoutCancel(ctx)
}

// bg is for writes that must happen even when the request was cancelled;
// they still get a deadline of their own.
func (s *Service) bg(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(store.Reserved(context.WithoutCancel(ctx)), 10*time.Second)
}
