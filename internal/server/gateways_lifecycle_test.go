package server_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"
	"ccsub/internal/form"
)

// A gateway is disabled, enabled and removed from its page, only once no
// live subscription depends on it; until then its page names and links
// them, and a refused change changes nothing.
func TestAGatewayIsDisabledOrRemovedOnlyWhenNoSubscriptionDependsOnIt(t *testing.T) {
	e := newEnv(t)
	admin, _ := e.User(domain.RoleAdmin)
	op, _ := e.User(domain.RoleOperator)
	g := e.AddGateway(apptest.Uniq("retiring"), e.Sim.URL(), string(e.Sim.CAPEM()), apptest.SimPassword)
	gwPath := "/gateways/" + strconv.FormatInt(g.ID, 10)
	sub := e.Registered(op, func(v url.Values) { v.Set("gateway", strconv.FormatInt(g.ID, 10)) })
	subPath := "/subscriptions/" + strconv.FormatInt(sub.ID, 10)

	t.Run("its page lists the live subscription and offers neither change", func(t *testing.T) {
		page := e.Page(admin, gwPath, http.StatusOK)
		link := page.Find("#gateway-dependents a")
		if href, _ := link.Attr("href"); href != subPath || strings.TrimSpace(link.Text()) != sub.ServerID {
			t.Errorf("dependents link %q %q, want %q %q", href, link.Text(), subPath, sub.ServerID)
		}
		if page.Find("#disable-gateway, #remove-gateway").Length() != 0 {
			t.Error("the page offers to disable or remove a gateway in use")
		}
	})
	for _, action := range []string{"disable", "remove"} {
		t.Run(action+" is refused with 409, naming the subscription, and changes nothing", func(t *testing.T) {
			page := e.Doc(e.Post(admin, gwPath+"/"+action, nil), http.StatusConflict)
			flash := page.Find(".flash.error").Text()
			if !strings.Contains(flash, "cannot be "+action+"d") || !strings.Contains(flash, sub.ServerID) {
				t.Errorf("flash %q", flash)
			}
			if href, _ := page.Find("#gateway-dependents a").Attr("href"); href != subPath {
				t.Errorf("the refusal does not link the subscription (%q)", href)
			}
			if now, err := e.St.Gateway(t.Context(), g.ID); err != nil || now.Disabled || now.RemovedAt != nil {
				t.Errorf("after a refused %s: %+v, %v", action, now, err)
			}
		})
	}
	if res := e.Post(op, subPath+"/cancel", url.Values{"confirmServerId": {sub.ServerID}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d", res.StatusCode)
	}
	registers := len(e.Sim.RequestsFor("register"))

	t.Run("once cancelled it is disabled, audited, marked and no longer offered for a register", func(t *testing.T) {
		if res := e.Post(admin, gwPath+"/disable", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("disable: %d", res.StatusCode)
		}
		if now, _ := e.St.Gateway(t.Context(), g.ID); !now.Disabled {
			t.Fatal("not disabled")
		}
		entries := e.AuditEntries(domain.AuditGatewayUpdate, g.Name)
		if len(entries) != 1 || entries[0].Diff["disabled"].After != true {
			t.Errorf("audit entries %+v, want one with disabled → true", entries)
		}
		if e.Page(admin, "/gateways", http.StatusOK).Find("#disabled-"+strconv.FormatInt(g.ID, 10)).Length() != 1 {
			t.Error("the list does not mark it disabled")
		}
		if e.Page(op, "/subscriptions/new", http.StatusOK).Find(`#gateway option[value="`+strconv.FormatInt(g.ID, 10)+`"]`).Length() != 0 {
			t.Error("the register form offers the disabled gateway")
		}
	})
	t.Run("a register on the disabled gateway is refused and nothing is sent", func(t *testing.T) {
		f := e.RegisterForm()
		f.Set("gateway", strconv.FormatInt(g.ID, 10))
		page := e.Doc(e.Post(op, "/subscriptions", f), http.StatusUnprocessableEntity)
		if msg := page.Find("#gateway-error").Text(); !strings.Contains(msg, form.GatewayDisabled) {
			t.Errorf("gateway error %q", msg)
		}
		if n := len(e.Sim.RequestsFor("register")); n != registers {
			t.Errorf("%d registers sent", n-registers)
		}
	})
	t.Run("enabled again, it is offered again", func(t *testing.T) {
		e.Post(admin, gwPath+"/enable", nil)
		if e.Page(op, "/subscriptions/new", http.StatusOK).Find(`#gateway option[value="`+strconv.FormatInt(g.ID, 10)+`"]`).Length() != 1 {
			t.Error("the register form does not offer the enabled gateway")
		}
	})
	t.Run("removed, it leaves the lists but the history still names it", func(t *testing.T) {
		if res := e.Post(admin, gwPath+"/remove", nil); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("remove: %d", res.StatusCode)
		}
		if strings.Contains(e.Page(admin, "/gateways", http.StatusOK).Find("table").Text(), g.Name) {
			t.Error("the gateway list still shows it")
		}
		e.Page(admin, gwPath, http.StatusNotFound)
		if got := e.Page(admin, subPath, http.StatusOK).Find(".facts dd").First().Text(); got != g.Name {
			t.Errorf("the cancelled subscription's gateway reads %q, want %q", got, g.Name)
		}
		call := e.Page(admin, "/calls/"+strconv.FormatInt(sub.RegisterCallID, 10), http.StatusOK)
		if !strings.Contains(call.Find(".facts").Text(), g.Name) {
			t.Error("the register call no longer names the gateway")
		}
		if n := len(e.AuditEntries(domain.AuditGatewayRemove, g.Name)); n != 1 {
			t.Errorf("%d gateway_remove entries, want 1", n)
		}
	})
	t.Run("a removed gateway takes no change and its name is free", func(t *testing.T) {
		for _, action := range []string{"disable", "enable", "remove", "test"} {
			if res := e.Post(admin, gwPath+"/"+action, nil); res.StatusCode != http.StatusNotFound {
				t.Errorf("%s a removed gateway: %d, want 404", action, res.StatusCode)
			}
		}
		res := e.Post(admin, "/gateways", url.Values{"name": {g.Name}, "baseUrl": {e.Sim.URL()}, "agentId": {"100001"},
			"password": {apptest.SimPassword}})
		if res.StatusCode != http.StatusSeeOther {
			t.Errorf("adding a gateway under the removed one's name: %d", res.StatusCode)
		}
	})
}
