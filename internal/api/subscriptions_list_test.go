package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"
)

// subsPage is a page of GET /api/v1/subscriptions.
type subsPage struct {
	Subscriptions []struct {
		ID       int64  `json:"id"`
		ServerID string `json:"serverId"`
		State    string `json:"state"`
	} `json:"subscriptions"`
	Next *string `json:"next"`
	Prev *string `json:"prev"`
}

func (p subsPage) serverIDs() []string {
	out := []string{}
	for _, s := range p.Subscriptions {
		out = append(out, s.ServerID)
	}
	return out
}

func getSubs(t *testing.T, e *testEnv, token, path string) subsPage {
	t.Helper()
	r := e.Call(token, "GET", path, "").Want(t, http.StatusOK)
	var p subsPage
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("%s: %v", r.Body, err)
	}
	return p
}

// seedSubs creates n subscriptions on the console's gateway, newest last;
// every third is lapsed. It returns their serverIds and the mark in each.
func seedSubs(t *testing.T, e *testEnv, n int) ([]string, []domain.SubState, string) {
	t.Helper()
	mark := strings.ToLower(apptest.Uniq("mk"))
	var ids []string
	var states []domain.SubState
	for i := range n {
		sub, err := e.St.CreateSubscription(t.Context(), domain.NewSubscription{
			GatewayID: e.Gw.ID, ServerID: fmt.Sprintf("%s-%02d", mark, i), SubscribeType: "1",
			CallbackURI: fmt.Sprintf("https://ivr-%s.example.com/%d", mark, i), CreatedBy: "api", RegisterCallID: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		st := domain.SubActive
		if i%3 == 0 {
			st = domain.SubLapsed
			if err := e.St.SetSubscriptionState(t.Context(), sub.ID, st, "test"); err != nil {
				t.Fatal(err)
			}
		}
		ids, states = append(ids, sub.ServerID), append(states, st)
	}
	return ids, states, mark
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

func TestAPISubscriptionsListPagesAndFilters(t *testing.T) {
	e := newEnv(t)
	reader := e.Token(domain.RoleAuditor)
	ids, states, mark := seedSubs(t, e, 7)
	gw := fmt.Sprint(e.Gw.ID)

	t.Run("next and prev walk the pages with the filters kept", func(t *testing.T) {
		var walked []string
		var pages []subsPage
		path := "/api/v1/subscriptions?gateway=" + gw + "&limit=3"
		for path != "" {
			p := getSubs(t, e, reader, path)
			if (len(pages) == 0) != (p.Prev == nil) {
				t.Fatalf("page %d: prev %v", len(pages), p.Prev)
			}
			pages = append(pages, p)
			walked = append(walked, p.serverIDs()...)
			path = ""
			if p.Next != nil {
				path = *p.Next
				if !strings.Contains(path, "gateway="+gw) || !strings.Contains(path, "limit=3") {
					t.Fatalf("next %q does not keep the filters", path)
				}
			}
		}
		if !slices.Equal(walked, reversed(ids)) || len(pages) != 3 {
			t.Fatalf("walked %v in %d pages, want %v", walked, len(pages), reversed(ids))
		}
		back := getSubs(t, e, reader, *pages[2].Prev)
		if !slices.Equal(back.serverIDs(), pages[1].serverIDs()) {
			t.Fatalf("prev of the last page %v, want %v", back.serverIDs(), pages[1].serverIDs())
		}
	})
	t.Run("states, as a comma-separated list", func(t *testing.T) {
		p := getSubs(t, e, reader, "/api/v1/subscriptions?gateway="+gw+"&state=lapsed,cancelled")
		var want []string
		for i := len(ids) - 1; i >= 0; i-- {
			if states[i] == domain.SubLapsed {
				want = append(want, ids[i])
			}
		}
		if !slices.Equal(p.serverIDs(), want) || p.Next != nil || p.Prev != nil {
			t.Fatalf("got %v (next %v), want %v", p.serverIDs(), p.Next, want)
		}
	})
	t.Run("text in the serverId or the callback address", func(t *testing.T) {
		p := getSubs(t, e, reader, "/api/v1/subscriptions?q="+url.QueryEscape("IVR-"+mark+".example.com/5"))
		if !slices.Equal(p.serverIDs(), []string{ids[5]}) {
			t.Fatalf("got %v", p.serverIDs())
		}
		p = getSubs(t, e, reader, "/api/v1/subscriptions?state=active&q="+url.QueryEscape(mark+"-0"))
		if !slices.Equal(p.serverIDs(), []string{ids[5], ids[4], ids[2], ids[1]}) {
			t.Fatalf("got %v", p.serverIDs())
		}
	})
	t.Run("counts by state", func(t *testing.T) {
		r := e.Call(reader, "GET", "/api/v1/subscriptions/counts?gateway="+gw, "").Want(t, http.StatusOK)
		var got struct {
			Total   int64            `json:"total"`
			ByState map[string]int64 `json:"byState"`
		}
		if err := json.Unmarshal(r.Body, &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{"active": 4, "degraded": 0, "lapsed": 3, "cancelled": 0, "unknown": 0}
		if got.Total != 7 || fmt.Sprint(got.ByState) != fmt.Sprint(want) {
			t.Fatalf("counts %s", r.Body)
		}
		all := e.Call(reader, "GET", "/api/v1/subscriptions/counts", "").Want(t, http.StatusOK).JSON(t)
		if all["total"].(float64) < 7 {
			t.Fatalf("counts of every gateway %v", all)
		}
	})
}

func TestAPISubscriptionsListRefusesFiltersItCannotUse(t *testing.T) {
	e := newEnv(t)
	reader := e.Token(domain.RoleAuditor)
	tests := []struct{ name, path, field string }{
		{"an unknown state", "/api/v1/subscriptions?state=sleeping", "state"},
		{"an unknown state in a list", "/api/v1/subscriptions?state=active,sleeping", "state"},
		{"the state twice", "/api/v1/subscriptions?state=active&state=lapsed", "state"},
		{"a gateway that is not an id", "/api/v1/subscriptions?gateway=0", "gateway"},
		{"a gateway id of no gateway", "/api/v1/subscriptions?gateway=999999999", "gateway"},
		{"control characters in the text", "/api/v1/subscriptions?q=%00x", "q"},
		{"a limit out of range", "/api/v1/subscriptions?limit=201", "limit"},
		{"a damaged cursor", "/api/v1/subscriptions?before=abc", "before"},
		{"an unknown parameter", "/api/v1/subscriptions?text=x", "text"},
		{"counts of a gateway that is not an id", "/api/v1/subscriptions/counts?gateway=x", "gateway"},
		{"counts of no gateway", "/api/v1/subscriptions/counts?gateway=999999999", "gateway"},
		{"counts by another filter", "/api/v1/subscriptions/counts?state=active", "state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.Call(reader, "GET", tt.path, "").Want(t, http.StatusBadRequest)
			if msg := r.FieldError(t, tt.field); msg == "" {
				t.Fatalf("no message for %q: %s", tt.field, r.Body)
			}
		})
	}
}
