package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"time"

	"ccsub/internal/config"
	"ccsub/internal/gateways"
	"ccsub/internal/gatewaysim"
)

const (
	// SimulatorName is the gateway the built-in simulator is registered as.
	SimulatorName  = "simulator"
	simulatorAgent = 100001
	// simulatorPushEvery paces the built-in simulator's recognition results.
	simulatorPushEvery = 20 * time.Second
	// simulatorExampleHost is the host of the register form's placeholder
	// callback (web/subscriptions/new.templ).
	simulatorExampleHost = "crm.example.com"
)

// startSimulator runs the built-in gateway simulator when configured, and
// registers it as the gateway named "simulator".
func (a *App) startSimulator(ctx context.Context) (func(), error) {
	want, err := a.wantSimulator(ctx)
	if err != nil || !want {
		return func() {}, err
	}
	var b [18]byte
	_, _ = rand.Read(b[:])
	pw := base64.RawURLEncoding.EncodeToString(b[:])
	// A strict gateway whose subscription servers are this console (its
	// receiver may be plain http on loopback in zero configuration) and the
	// host of the register form's example callback, so a newcomer's first
	// register with it succeeds; any other callback host answers 107-027.
	servers := []string{simulatorExampleHost}
	if public, err := url.Parse(a.Config.PublicURL); err == nil && public.Hostname() != "" {
		servers = append(servers, public.Hostname())
	}
	sim := gatewaysim.New(gatewaysim.Config{Accounts: map[int64]string{simulatorAgent: pw}, Logger: a.Log.With("component", "simulator"),
		PushLoopbackOnly: true, SubscriptionServers: servers, AllowHTTPLoopback: true})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start the gateway simulator: %w", err)
	}
	if _, err := a.Gateways.Ensure(ctx, gateways.Input{Name: SimulatorName, BaseURL: sim.URL(), AgentID: simulatorAgent,
		Password: pw, CAPEM: string(sim.CAPEM())}); err != nil {
		sim.Close()
		return nil, err
	}
	// A newcomer sees results arrive in the inbox: the simulator pushes to
	// subscriptions that use ccsub's own (loopback) receiver, never outside.
	pushCtx, stopPush := context.WithCancel(ctx)
	go sim.PushToActive(pushCtx, simulatorPushEvery)
	a.Log.Info("built-in gateway simulator running", "url", sim.URL(), "gateway", SimulatorName,
		"pushes_every", simulatorPushEvery)
	return func() { stopPush(); _ = sim.Close() }, nil
}

// wantSimulator: "auto" runs it only with the private database and when no
// real gateway is configured, so production never talks to a fake.
func (a *App) wantSimulator(ctx context.Context) (bool, error) {
	switch a.Config.Simulator {
	case config.SimOn:
		return true, nil
	case config.SimOff:
		return false, nil
	}
	if a.Config.DatabaseURL != "" {
		return false, nil
	}
	gws, err := a.Store.ListGateways(ctx)
	if err != nil {
		return false, err
	}
	for _, g := range gws {
		if g.Name != SimulatorName {
			return false, nil
		}
	}
	return true, nil
}
