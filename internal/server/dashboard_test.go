package server_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"

	"github.com/PuerkitoBio/goquery"
)

// TestTheOverviewShowsWhatNeedsSomeoneAndLinksToIt: the home page sums up
// the gateways (signed in, refusing the password), the subscriptions by
// state with those needing attention, the last failures, the last day's
// retcodes and the last hour's notifications, each linking to its list.
func TestTheOverviewShowsWhatNeedsSomeoneAndLinksToIt(t *testing.T) {
	pool, _ := dbtest.Isolated(t) // exact counts: nobody else's rows
	e := newEnvOn(t, pool)
	op, _ := e.User(domain.RoleOperator)
	refused, _ := e.refusedGateway(op) // first: it counts the simulator's logins
	e.Registered(op, nil)              // signs in to the gateway: one active subscription
	unknown, _ := e.unknownRegister(op)
	e.Sim.Inject(gatewayFault("register", "107-002"))
	e.Post(op, "/subscriptions", e.RegisterForm()) // rejected

	doc := e.Page(op, "/", http.StatusOK)
	gw := func(name string) string {
		return strings.Join(strings.Fields(doc.Find(`[data-gateway="`+name+`"]`).Text()), " ")
	}
	if got := gw(e.Gw.Name); !strings.Contains(got, "signed in") || !strings.Contains(got, "1 kept alive") {
		t.Errorf("the working gateway reads %q, want signed in, 1 kept alive", got)
	}
	if got := gw(refused.Name); !strings.Contains(got, "refusing the password") {
		t.Errorf("the refused gateway reads %q", got)
	}
	attention := doc.Find(".dash-subs .dash-list a")
	if attention.Length() != 1 || attention.AttrOr("href", "") != "/subscriptions/"+strconv.FormatInt(unknown.ID, 10) {
		t.Errorf("needing attention links %d subscriptions (%q), want the unknown one", attention.Length(), attention.AttrOr("href", ""))
	}
	if n := doc.Find(`.dash-states a[href="/subscriptions?state=active"] .count`).Text(); n != "1" {
		t.Errorf("active count %q, want 1", n)
	}
	failures := doc.Find(".dash-failures .dash-list li").Text()
	if !strings.Contains(failures, "107-002") || !strings.Contains(failures, "login") {
		t.Errorf("the last failures do not show the rejected register: %q", failures)
	}
	var rejected bool
	doc.Find(".dash-retcodes td.mono a").Each(func(_ int, s *goquery.Selection) {
		if strings.TrimSpace(s.Text()) == "107-002" && strings.Contains(s.AttrOr("href", ""), "retcode=107-002") {
			rejected = true
		}
	})
	if !rejected {
		t.Error("the last 24 hours' retcodes do not link 107-002 to its calls")
	}

	t.Run("in Chinese", func(t *testing.T) {
		d := e.Page(speaking(op, "zh-CN"), "/", http.StatusOK)
		if h := d.Find("h1").Text(); h != "概览" {
			t.Errorf("the Chinese overview's heading is %q", h)
		}
		if got := d.Find(`[data-gateway="` + refused.Name + `"]`).Text(); !strings.Contains(got, "拒绝密码") {
			t.Errorf("the refused gateway reads %q in Chinese", got)
		}
	})
	t.Run("an auditor is not offered to add a gateway or to register", func(t *testing.T) {
		aud, _ := e.User(domain.RoleAuditor)
		d := e.Page(aud, "/", http.StatusOK)
		if d.Find(`main a[href="/subscriptions/new"], main a[href="/gateways/new"]`).Length() != 0 {
			t.Error("the auditor's overview offers actions they may not take")
		}
	})
}
