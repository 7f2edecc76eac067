package server_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"
	"ccsub/internal/store/storetest"

	"github.com/PuerkitoBio/goquery"
)

// subscriptionBenchGateways hold the 100,000 subscriptions of the issue's
// target: a big gateway, a middle one, a small one and a tiny one.
var subscriptionBenchGateways = []struct {
	name string
	n    int
}{{"bench-subs-a", 60000}, {"bench-subs-b", 30000}, {"bench-subs-c", 9900}, {"bench-subs-tiny", 100}}

// BenchmarkSubscriptionsPage is GET /subscriptions through the whole stack
// (session, the gateway choices, the counts by state, the list, templ) at
// 100,000 subscriptions, first and deep pages, with each filter. The deep
// cursor is the 90,000th newest subscription, as the Older link writes it.
func BenchmarkSubscriptionsPage(b *testing.B) {
	e := newBenchEnv(b)
	gws := e.seedSubscriptions(b)
	c := e.signIn(b, domain.RoleAuditor)
	var at time.Time
	var id int64
	if err := e.st.Pool().QueryRow(b.Context(), `SELECT created_at, id FROM subscriptions
		ORDER BY created_at DESC, id DESC OFFSET 89999 LIMIT 1`).Scan(&at, &id); err != nil {
		b.Fatal(err)
	}
	deep := fmt.Sprintf("before=%d.%d", at.UnixMicro(), id)
	var serverID string // a serverId 60 % down the big gateway, looked for by its end
	if err := e.st.Pool().QueryRow(b.Context(), `SELECT server_id FROM subscriptions WHERE gateway_id = $1
		AND server_id <> '' ORDER BY created_at DESC, id DESC OFFSET 36000 LIMIT 1`, gws[0]).Scan(&serverID); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name, query string
		rows        int // the rows the page must show: 50 and an Older link, none, or at least these
	}{
		{"first", "", 50},
		{"deep", deep, 50},
		{"state-lapsed-deep", "state=lapsed&" + deep, 50},
		{"states-attention-deep", "state=degraded,lapsed,unknown&" + deep, 50},
		{"gateway-big-deep", fmt.Sprintf("gateway=%d&%s", gws[0], deep), 50},
		{"gateway-small-deep", fmt.Sprintf("gateway=%d&%s", gws[2], deep), 50},
		{"gateway-tiny", fmt.Sprintf("gateway=%d", gws[3]), 50},
		{"text-common-deep", "q=asr-test&" + deep, 50},
		{"text-rare", "q=events%2F123", 50},
		{"text-serverid-end", "q=" + url.QueryEscape(serverID[len(serverID)-9:]), 1},
		{"text-nowhere", "q=nowhere-to-be-found", 0},
		{"text-short-deep", "q=qa&" + deep, 50},
		{"text-state-gateway-deep", fmt.Sprintf("q=crm.example&state=active&gateway=%d&%s", gws[1], deep), 50},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			path := "/subscriptions?" + tc.query
			e.wantSubscriptionRows(b, c, path, tc.rows)
			e.warmEveryConnection(b, c, path, 6)
			for b.Loop() {
				e.getOK(b, c, path)
			}
		})
	}
}

// seedSubscriptions seeds the benchmark's subscriptions once per package
// database (a later -count finds them) and returns their gateways' ids.
func (e *benchEnv) seedSubscriptions(b *testing.B) []int64 {
	b.Helper()
	var ids []int64
	for _, bg := range subscriptionBenchGateways {
		g, err := e.st.GatewayByName(b.Context(), bg.name)
		if errors.Is(err, domain.ErrNotFound) {
			g = apptest.AddGateway(b, e.app, bg.name, "https://127.0.0.1:9", "", apptest.SimPassword)
			err = storetest.SeedSubscriptions(b.Context(), e.st.Pool(), bg.n, g.ID)
		}
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, g.ID)
	}
	return ids
}

// wantSubscriptionRows checks, outside the timing, that path lists rows
// subscriptions (50: a full page with a link to older ones; 0: none; else
// at least that many), so that no case measures an error page.
func (e *benchEnv) wantSubscriptionRows(b *testing.B, c *http.Client, path string, rows int) {
	b.Helper()
	res, err := c.Get(e.srv.URL + path)
	if err != nil {
		b.Fatal(err)
	}
	defer drain(res)
	if res.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: status %d", path, res.StatusCode)
	}
	doc, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		b.Fatal(err)
	}
	got := doc.Find("#subscriptions tbody tr").Length()
	full := got == 50 && doc.Find(`a[rel="next"]`).Length() == 1
	if rows == 50 && !full || rows == 0 && got != 0 || got < rows {
		b.Fatalf("GET %s: %d rows, want %d", path, got, rows)
	}
}
