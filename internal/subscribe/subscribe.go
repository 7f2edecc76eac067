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
}

// New builds the service.
func New(st *store.Store, trail *audit.Trail, client *gateway.Client, keys *secret.Keyring, log *slog.Logger, o Options) *Service {
	if o.InterruptedAfter <= 0 {
		o.InterruptedAfter = 2*o.CallTimeout + 30*time.Second
	}
	return &Service{store: st, audit: trail, client: client, keys: keys, log: log, interrupted: o.InterruptedAfter, public: o.PublicURL,
		metrics: o.Metrics}
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
	call, err := s.register(ctx, who.Name, in)
	if call.ID == 0 || errors.Is(err, domain.ErrDuplicateSubmission) {
		return call, err
	}
	s.audit.Record(ctx, who, registered(in, call))
	return call, s.logged(call, err)
}

// register is Register without its audit entry, for the operations that
// audit as a whole (replace) or are ccsub's own (re-register).
func (s *Service) register(ctx context.Context, actor string, in RegisterInput) (domain.Call, error) {
	gw, target, err := s.target(ctx, in.GatewayID)
	if err != nil {
		return domain.Call{}, err
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
		IdempotencyKey: in.IdempotencyKey, Fingerprint: fingerprint(in), GatewayID: gw.ID, GatewayName: gw.Name, Actor: actor,
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
	call, err = s.complete(ctx, call, res)
	if err != nil {
		return call, err
	}
	state, reason := domain.SubActive, "registered"
	switch {
	case call.Outcome == domain.OutcomeSuccess && call.ServerID != "":
	case call.Outcome == domain.OutcomeUnknown:
		// It may exist on the gateway; list it so nobody registers blindly again.
		state, reason = domain.SubUnknown, "the register got no answer; the gateway may have created it"
	default:
		return call, nil
	}
	id, err := s.recordSubscription(ctx, call, sealed, in, state, reason)
	if id != 0 {
		call.SubscriptionID = &id
	}
	return call, err
}

// TestGateway performs a fresh C5 login, records it as a login call,
// remembers the outcome on the gateway and audits the test. A password the
// gateway refused before is not tried again (see send and RetryLogin).
func (s *Service) TestGateway(ctx context.Context, who domain.Actor, gatewayID int64) (domain.Call, error) {
	call, err := s.testGateway(ctx, who.Name, gatewayID, false)
	if call.ID != 0 {
		s.audit.Record(ctx, who, gatewayTested(gatewayID, call))
	}
	return call, err
}

// testGateway logs in once; retry (an administrator's RetryLogin, which
// holds the retry's claim) sends the login even though the gateway refused
// the password before, and settles the refusal by the answer.
func (s *Service) testGateway(ctx context.Context, actor string, gatewayID int64, retry bool) (domain.Call, error) {
	gw, target, err := s.target(ctx, gatewayID)
	if err != nil {
		return domain.Call{}, err
	}
	body := fmt.Sprintf(`{"agentId":%d,"password":"[redacted]"}`, gw.AgentID)
	call, err := s.store.BeginCall(ctx, domain.NewCall{
		GatewayID: gw.ID, GatewayName: gw.Name, Actor: actor, Operation: domain.OpLogin,
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
	if call, err = s.complete(ctx, call, res); err != nil {
		return call, err
	}
	msg := res.Message
	if res.Err != nil {
		msg = res.Err.Error()
	}
	if res.Outcome == domain.OutcomeSuccess {
		msg = "login succeeded"
	}
	bctx, cancel := s.bg(ctx)
	defer cancel()
	return call, s.store.RecordGatewayTest(bctx, gw.ID, res.Outcome, msg)
}

// RecoverInterrupted marks calls that no process can still complete as
// unknown, and lists their registers as unknown subscriptions to settle.
// Only calls older than any call can take are touched, so calls still in
// flight in another process are left alone. It runs at start-up and then
// periodically in every process (see app.Serve): a call whose answer came
// while the database was down must not stay pending until a restart.
func (s *Service) RecoverInterrupted(ctx context.Context) (int64, error) {
	n, err := s.store.ExpirePending(ctx, time.Now().Add(-s.InterruptedAfter()),
		"interrupted: the request was sent, but no answer was recorded (ccsub stopped, or could not write the answer); the gateway may have acted on it")
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
	gw, err := s.store.Gateway(ctx, gatewayID)
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

func (s *Service) complete(ctx context.Context, call domain.Call, res gateway.Result) (domain.Call, error) {
	r := domain.CallResult{
		Outcome: res.Outcome, HTTPStatus: res.HTTPStatus, Retcode: res.Retcode, Message: res.Message,
		ServerID: res.ServerID, RequestBody: res.RequestBody, ResponseBody: res.ResponseBody,
		Attempts: res.Attempts, Duration: time.Since(call.StartedAt), RefusedByCcsub: res.RefusedByCcsub(),
	}
	if res.Err != nil {
		r.Error = res.Err.Error()
	}
	// Counted whether or not the result can be recorded: the call was made.
	s.metrics.ObserveGatewayCall(call.Operation, r.Outcome, r.Duration)
	bctx, cancel := s.bg(ctx)
	defer cancel()
	done, err := s.store.CompleteCall(bctx, call.ID, r)
	if err != nil {
		// The call stays pending and is shown as unknown once it is old
		// enough: never worse than the truth. The answer itself would be
		// lost, so it goes to the log at error level: with the serverId an
		// operator can settle the unknown register by hand.
		s.log.Error("gateway answer not recorded: settle this call by hand once the database is back",
			"call_id", call.ID, "operation", call.Operation, "gateway", call.GatewayName,
			"outcome", r.Outcome, "retcode", r.Retcode, "server_id", r.ServerID, "err", err)
		return call, fmt.Errorf("subscribe: complete call %d: %w", call.ID, err)
	}
	return done, nil
}

func (s *Service) recordSubscription(ctx context.Context, call domain.Call, sealed []byte, in RegisterInput, state domain.SubState, reason string) (int64, error) {
	bctx, cancel := s.bg(ctx)
	defer cancel()
	sub, err := s.store.CreateSubscription(bctx, domain.NewSubscription{
		GatewayID: call.GatewayID, ServerID: call.ServerID, SubscribeType: call.SubscribeType,
		CallbackURI: call.CallbackURI, NLPFlag: call.NLPFlag, FlowAccessCode: call.FlowAccessCode,
		TokenSealed: sealed, CreatedBy: call.Actor, RegisterCallID: call.ID, ReplacesID: in.ReplacesID,
		AutoReregister: in.AutoReregister, ReceiverKey: in.ReceiverKey, State: state, StateReason: reason,
	})
	if errors.Is(err, domain.ErrConflict) {
		s.log.Warn("gateway returned a serverId already on record", "gateway_id", call.GatewayID, "server_id", call.ServerID)
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("subscribe: record subscription %s: %w", call.ServerID, err)
	}
	return sub.ID, s.store.LinkCallSubscription(bctx, call.ID, sub.ID)
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
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}
