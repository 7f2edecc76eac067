package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"

	"github.com/PuerkitoBio/goquery"
)

// listFixture is a console whose gateway holds n subscriptions with
// callbacks on a host of the test's own; every fifth is degraded and every
// seventh lapsed. serverIds are newest last.
type listFixture struct {
	*testEnv
	c         *http.Client
	mark      string
	serverIDs []string
	states    []domain.SubState
}

func newListFixture(t *testing.T, n int) listFixture {
	t.Helper()
	e := newEnv(t)
	c, _ := e.User(domain.RoleAuditor)
	f := listFixture{testEnv: e, c: c, mark: strings.ToLower(apptest.Uniq("mk"))}
	for i := range n {
		st := domain.SubActive
		switch {
		case i%7 == 0:
			st = domain.SubLapsed
		case i%5 == 0:
			st = domain.SubDegraded
		}
		sub, err := e.St.CreateSubscription(t.Context(), domain.NewSubscription{
			GatewayID: e.Gw.ID, ServerID: fmt.Sprintf("%s-%03d", f.mark, i), SubscribeType: "1",
			CallbackURI: fmt.Sprintf("https://crm-%s.example.com/cc/%d", f.mark, i), CreatedBy: "alice", RegisterCallID: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		if st != domain.SubActive {
			if err := e.St.SetSubscriptionState(t.Context(), sub.ID, st, "test"); err != nil {
				t.Fatal(err)
			}
		}
		f.serverIDs, f.states = append(f.serverIDs, sub.ServerID), append(f.states, st)
	}
	return f
}

// rows are the serverIds of a list page, in its order.
func rows(doc *goquery.Document) []string {
	var out []string
	doc.Find("#subscriptions tbody tr td:first-child").Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.TrimSpace(s.Text()))
	})
	return out
}

// newestFirst are the fixture's serverIds whose index passes keep, newest
// first.
func (f listFixture) newestFirst(keep func(i int) bool) []string {
	var out []string
	for i := len(f.serverIDs) - 1; i >= 0; i-- {
		if keep(i) {
			out = append(out, f.serverIDs[i])
		}
	}
	return out
}

func (f listFixture) gw() string { return fmt.Sprint(f.Gw.ID) }

func TestSubscriptionsListPagesOlderAndBackWithTheFiltersKept(t *testing.T) {
	f := newListFixture(t, 62)
	all := f.newestFirst(func(int) bool { return true })
	path := "/subscriptions?gateway=" + f.gw()
	first := f.Page(f.c, path, http.StatusOK)
	if got := rows(first); !slices.Equal(got, all[:50]) {
		t.Fatalf("first page %v,\nwant %v", got, all[:50])
	}
	if first.Find(`.pager a[rel="prev"]`).Length() != 0 {
		t.Fatal("the first page links to newer subscriptions")
	}
	older, _ := first.Find(`.pager a[rel="next"]`).Attr("href")
	if !strings.Contains(older, "gateway="+f.gw()) || !strings.Contains(older, "before=") {
		t.Fatalf("older link %q does not keep the filter", older)
	}
	second := f.Page(f.c, older, http.StatusOK)
	if got := rows(second); !slices.Equal(got, all[50:]) {
		t.Fatalf("second page %v, want %v", got, all[50:])
	}
	if second.Find(`.pager a[rel="next"]`).Length() != 0 {
		t.Fatal("the last page links to older subscriptions")
	}
	newer, _ := second.Find(`.pager a[rel="prev"]`).Attr("href")
	if got := rows(f.Page(f.c, newer, http.StatusOK)); !slices.Equal(got, all[:50]) {
		t.Fatalf("back to the first page: %v", got)
	}
	newest, _ := second.Find(`.pager a:not([rel])`).Attr("href")
	if newest != "/subscriptions?gateway="+f.gw() {
		t.Fatalf("newest link %q", newest)
	}
}

func TestSubscriptionsListFiltersAndCounts(t *testing.T) {
	f := newListFixture(t, 12)
	isLapsed := func(i int) bool { return f.states[i] == domain.SubLapsed }
	isDegraded := func(i int) bool { return f.states[i] == domain.SubDegraded }
	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"a gateway", "gateway=" + f.gw(), f.newestFirst(func(int) bool { return true })},
		{"one state", "gateway=" + f.gw() + "&state=lapsed", f.newestFirst(isLapsed)},
		{"states as the checkboxes send them", "gateway=" + f.gw() + "&state=lapsed&state=degraded",
			f.newestFirst(func(i int) bool { return isLapsed(i) || isDegraded(i) })},
		{"states as one list", "gateway=" + f.gw() + "&state=degraded,lapsed",
			f.newestFirst(func(i int) bool { return isLapsed(i) || isDegraded(i) })},
		{"text in the callback address, every gateway", "q=" + url.QueryEscape(f.mark+".EXAMPLE.com/cc/1"),
			[]string{f.serverIDs[11], f.serverIDs[10], f.serverIDs[1]}},
		{"text in the serverId with a state", "state=active&q=" + url.QueryEscape(f.mark+"-00"),
			f.newestFirst(func(i int) bool { return i < 10 && f.states[i] == domain.SubActive })},
		{"text that nothing holds", "q=" + f.mark + "-nowhere", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := f.Page(f.c, "/subscriptions?"+tt.query, http.StatusOK)
			if got := rows(doc); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v,\nwant %v", got, tt.want)
			}
			if tt.want == nil && !strings.Contains(doc.Find(".empty").Text(), "No subscription matches these filters") {
				t.Fatalf("empty list says %q", doc.Find(".empty").Text())
			}
		})
	}
	t.Run("the form shows the filters given", func(t *testing.T) {
		doc := f.Page(f.c, "/subscriptions?gateway="+f.gw()+"&state=lapsed,degraded&q=crm", http.StatusOK)
		var checked []string
		doc.Find(`input[name="state"][checked]`).Each(func(_ int, s *goquery.Selection) {
			checked = append(checked, s.AttrOr("value", ""))
		})
		if !slices.Equal(checked, []string{"degraded", "lapsed"}) {
			t.Errorf("checked states %v", checked)
		}
		if v := doc.Find(`#f-gateway option[selected]`).AttrOr("value", ""); v != f.gw() {
			t.Errorf("selected gateway %q", v)
		}
		if v := doc.Find(`#f-q`).AttrOr("value", ""); v != "crm" {
			t.Errorf("search text %q", v)
		}
	})
	t.Run("counts by state link to the list of that state, keeping the gateway", func(t *testing.T) {
		doc := f.Page(f.c, "/subscriptions?gateway="+f.gw(), http.StatusOK)
		counts := map[string]string{}
		links := map[string]string{}
		doc.Find("#state-counts a").Each(func(_ int, s *goquery.Selection) {
			st := s.AttrOr("data-state", "?")
			counts[st] = s.Find(".count").Text()
			links[st] = s.AttrOr("href", "")
		})
		want := map[string]string{"": "12", "active": "8", "degraded": "2", "lapsed": "2", "cancelled": "0", "unknown": "0"}
		if fmt.Sprint(counts) != fmt.Sprint(want) {
			t.Fatalf("counts %v, want %v", counts, want)
		}
		if !strings.Contains(doc.Find("#state-counts").Text(), "gateway "+f.Gw.Name) {
			t.Errorf("the counts do not say whose they are: %q", doc.Find("#state-counts").Text())
		}
		lapsed := f.Page(f.c, links["lapsed"], http.StatusOK)
		if got := rows(lapsed); !slices.Equal(got, f.newestFirst(isLapsed)) {
			t.Fatalf("the lapsed link %q lists %v", links["lapsed"], got)
		}
		if lapsed.Find(`#state-counts a[aria-current="page"]`).AttrOr("data-state", "") != "lapsed" {
			t.Error("the lapsed count is not marked as the list shown")
		}
	})
	t.Run("a gateway without subscriptions", func(t *testing.T) {
		g := f.AddGateway(apptest.Uniq("empty"), f.Sim.URL(), string(f.Sim.CAPEM()), apptest.SimPassword)
		doc := f.Page(f.c, fmt.Sprintf("/subscriptions?gateway=%d", g.ID), http.StatusOK)
		if rows(doc) != nil || !strings.Contains(doc.Find(".empty").Text(), "No subscription matches") ||
			doc.Find(`#state-counts a[data-state=""] .count`).Text() != "0" {
			t.Fatalf("page: %q", doc.Find("main").Text())
		}
	})
}

func TestSubscriptionsListRefusesFiltersItCannotUse(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAuditor)
	tests := []struct{ name, query, field, msg string }{
		{"an unknown state", "state=sleeping", "state", "Choose states from the list"},
		{"an unknown state among known ones", "state=active,sleeping", "state", "Choose states from the list"},
		{"a gateway that is not a number", "gateway=abc", "gateway", "Choose a gateway from the list"},
		{"a gateway id of no gateway", "gateway=999999999", "gateway", "No gateway has this id"},
		{"the gateway twice", "gateway=1&gateway=2", "gateway", "given more than once"},
		{"control characters in the text", "q=" + url.QueryEscape("a\x01b"), "q", "without control"},
		{"text too long", "q=" + strings.Repeat("x", 201), "q", "At most 200 characters"},
		{"a damaged page link", "before=yesterday", "", "That page link is damaged"},
		{"a page link both ways", "before=1.1&after=2.2", "", "cannot go both ways"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := e.Page(c, "/subscriptions?"+tt.query, http.StatusBadRequest)
			where := doc.Find("main")
			if tt.field != "" {
				where = doc.Find("#" + tt.field + "-error")
			}
			if !strings.Contains(where.Text(), tt.msg) {
				t.Fatalf("%q does not say %q", where.Text(), tt.msg)
			}
			if doc.Find("#subscriptions").Length() != 0 {
				t.Fatal("a list was shown for refused filters")
			}
		})
	}
}

func TestSubscriptionsListEscapesWhatItShows(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAuditor)
	evil := `"><script>alert(1)</script>`
	if _, err := e.St.CreateSubscription(t.Context(), domain.NewSubscription{
		GatewayID: e.Gw.ID, ServerID: apptest.Uniq("srv") + evil, SubscribeType: "1",
		CallbackURI: "https://x.example.com/" + evil, CreatedBy: evil, RegisterCallID: 1,
	}); err != nil {
		t.Fatal(err)
	}
	res := e.Get(c, "/subscriptions?gateway="+fmt.Sprint(e.Gw.ID)+"&q="+url.QueryEscape(evil))
	doc := e.Doc(res, http.StatusOK)
	html, _ := doc.Html()
	if strings.Contains(html, "<script>alert(1)") {
		t.Fatal("markup from the data or the query reached the page unescaped")
	}
	if len(rows(doc)) != 1 || doc.Find("#f-q").AttrOr("value", "") != evil {
		t.Fatalf("rows %v, search box %q", rows(doc), doc.Find("#f-q").AttrOr("value", ""))
	}
}
