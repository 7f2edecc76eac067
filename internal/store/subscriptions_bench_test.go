package store_test

import (
	"cmp"
	"errors"
	"testing"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"
	"ccsub/internal/store/storetest"
)

// benchSubGateways hold the benchmark's 100,000 subscriptions: a big
// gateway, a middle one, a small one and a tiny one.
var benchSubGateways = []struct {
	name string
	n    int
}{{"bench-subs-a", 60000}, {"bench-subs-b", 30000}, {"bench-subs-c", 9900}, {"bench-subs-tiny", 100}}

// seedBenchSubscriptions seeds the benchmark's subscriptions once per
// package database (a later -count finds them) and returns the gateways.
func seedBenchSubscriptions(b *testing.B, s *store.Store) []domain.Gateway {
	b.Helper()
	var gws []domain.Gateway
	for _, bg := range benchSubGateways {
		g, err := s.GatewayByName(b.Context(), bg.name)
		if errors.Is(err, domain.ErrNotFound) {
			g, err = s.CreateGateway(b.Context(), domain.GatewayInput{Name: bg.name, BaseURL: "https://127.0.0.1:9",
				AgentID: 1001, PasswordSealed: []byte("sealed")})
			if err == nil {
				err = storetest.SeedSubscriptions(b.Context(), s.Pool(), bg.n, g.ID)
			}
		}
		if err != nil {
			b.Fatal(err)
		}
		gws = append(gws, g)
	}
	return gws
}

// BenchmarkListSubscriptions pages 100,000 subscriptions (plus whatever
// the package's tests left) with each filter, first and deep pages, and
// reads the counts by state. The deep cursor is the 90,000th newest
// subscription of the table.
func BenchmarkListSubscriptions(b *testing.B) {
	pool := dbtest.Pool(b)
	s := store.New(pool)
	gws := seedBenchSubscriptions(b, s)
	var deep domain.Cursor
	if err := pool.QueryRow(b.Context(), `SELECT created_at, id FROM subscriptions
		ORDER BY created_at DESC, id DESC OFFSET 89999 LIMIT 1`).Scan(&deep.At, &deep.ID); err != nil {
		b.Fatal(err)
	}
	var serverID string // a serverId 60 % down, to look for by its end
	if err := pool.QueryRow(b.Context(), `SELECT server_id FROM subscriptions WHERE gateway_id = $1 AND server_id <> ''
		ORDER BY created_at DESC, id DESC OFFSET 36000 LIMIT 1`, gws[0].ID).Scan(&serverID); err != nil {
		b.Fatal(err)
	}
	st := func(ss ...domain.SubState) []domain.SubState { return ss }
	first, deepPage, newer := domain.PageRequest{}, domain.PageRequest{Before: &deep}, domain.PageRequest{After: &deep}
	cases := []struct {
		name string
		f    domain.SubscriptionFilter
		p    domain.PageRequest
		min  int // rows the page must hold: 0 a full page of 50, -1 none
	}{
		{"first page", domain.SubscriptionFilter{}, first, 0},
		{"deep page", domain.SubscriptionFilter{}, deepPage, 0},
		{"deep page newer", domain.SubscriptionFilter{}, newer, 0},
		{"state lapsed deep", domain.SubscriptionFilter{States: st(domain.SubLapsed)}, deepPage, 0},
		{"state unknown first", domain.SubscriptionFilter{States: st(domain.SubUnknown)}, first, 0},
		{"states degraded+lapsed+unknown deep", domain.SubscriptionFilter{
			States: st(domain.SubDegraded, domain.SubLapsed, domain.SubUnknown)}, deepPage, 0},
		{"states active+cancelled deep", domain.SubscriptionFilter{States: st(domain.SubActive, domain.SubCancelled)}, deepPage, 0},
		{"big gateway deep", domain.SubscriptionFilter{GatewayID: gws[0].ID}, deepPage, 0},
		{"small gateway deep", domain.SubscriptionFilter{GatewayID: gws[2].ID}, deepPage, 0},
		{"tiny gateway first", domain.SubscriptionFilter{GatewayID: gws[3].ID}, first, 0},
		{"small gateway lapsed first", domain.SubscriptionFilter{GatewayID: gws[2].ID, States: st(domain.SubLapsed)}, first, 0},
		{"text common (asr-test) deep", domain.SubscriptionFilter{Text: "asr-test"}, deepPage, 0},
		{"text rare (events/123) first", domain.SubscriptionFilter{Text: "events/123"}, first, 0},
		{"text end of a serverId", domain.SubscriptionFilter{Text: serverID[len(serverID)-9:]}, first, 1},
		{"text short (qa), at the start", domain.SubscriptionFilter{Text: "qa"}, deepPage, 0},
		{"text nowhere", domain.SubscriptionFilter{Text: "nowhere-to-be-found"}, first, -1},
		{"text + state + gateway deep", domain.SubscriptionFilter{GatewayID: gws[1].ID, States: st(domain.SubActive),
			Text: "crm.example"}, deepPage, 0},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			page, err := s.ListSubscriptions(b.Context(), c.f, c.p)
			if err != nil {
				b.Fatal(err)
			}
			if want := cmp.Or(c.min, 50); len(page.Subscriptions) < want || want < 0 && len(page.Subscriptions) > 0 {
				b.Fatalf("%d rows, want %d", len(page.Subscriptions), want)
			}
			for b.Loop() {
				if _, err := s.ListSubscriptions(b.Context(), c.f, c.p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, gw := range []int64{0, gws[1].ID} {
		b.Run("counts", func(b *testing.B) {
			for b.Loop() {
				if _, err := s.CountSubscriptions(b.Context(), gw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
