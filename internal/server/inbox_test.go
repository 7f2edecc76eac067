package server_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"

	"github.com/PuerkitoBio/goquery"
)

// mustPush sends a push that must be answered with status.
func (e *testEnv) mustPush(s apptest.ReceiverSub, body string, o apptest.PushOpts, status int) {
	e.T.Helper()
	if got := e.SendPush(s.PushPath(), body, o); got.Status != status {
		e.T.Fatalf("push answered %+v, want %d", got, status)
	}
}

// inboxRow finds the inbox row of a call ID.
func inboxRow(doc *goquery.Document, callID string) *goquery.Selection {
	return doc.Find("#inbox-rows tr").FilterFunction(func(_ int, tr *goquery.Selection) bool {
		return strings.TrimSpace(tr.Find("td").Eq(2).Text()) == callID
	})
}

func TestInboxListsAcceptedAndRejectedPushes(t *testing.T) {
	e := newEnv(t)
	s := e.NewReceiverSub(apptest.Uniq("tok"))
	other := e.NewReceiverSub(apptest.Uniq("tok"))
	// The global inbox shows every test's pushes (and earlier runs'): the
	// call IDs are this run's own.
	accepted, refused, elsewhere := apptest.Uniq("call-accepted"), apptest.Uniq("call-refused"), apptest.Uniq("call-other")
	e.mustPush(s, apptest.PushJSON(s.ServerID, accepted, "I would like to cancel"), apptest.RightToken(s), 200)
	e.mustPush(s, apptest.PushJSON(s.ServerID, refused, "forged"), apptest.PushOpts{Tokens: []string{"wrong"}}, 401)
	e.mustPush(other, apptest.PushJSON(other.ServerID, elsewhere, "elsewhere"), apptest.RightToken(other), 200)
	c, _ := e.User(domain.RoleAuditor)

	for _, page := range []string{"/inbox", fmt.Sprintf("/subscriptions/%d/inbox", s.ID)} {
		t.Run(page+" shows the accepted push with its details and the refused one with its reason", func(t *testing.T) {
			doc := e.Page(c, page, http.StatusOK)
			ok := inboxRow(doc, accepted)
			if ok.Length() != 1 {
				t.Fatalf("%d rows for %s, want 1:\n%s", ok.Length(), accepted, doc.Find("#inbox").Text())
			}
			cells := ok.Find("td")
			for i, want := range map[int]string{1: s.ServerID, 3: "customer", 4: "I would like to cancel",
				5: "normal, final result", 6: "accepted"} {
				if got := cells.Eq(i).Text(); !strings.Contains(got, want) {
					t.Errorf("cell %d is %q, want it to contain %q", i, got, want)
				}
			}
			if ok.Find("time[datetime]").Length() != 1 {
				t.Error("the row has no machine-readable time")
			}
			status := inboxRow(doc, refused).Find("td").Eq(6).Text()
			if !strings.Contains(status, "rejected") || !strings.Contains(status, "does not match") || !strings.Contains(status, "401") {
				t.Errorf("the refused push shows %q, want rejected, its reason and the 401", status)
			}
			if page != "/inbox" {
				if first := strings.TrimSpace(doc.Find("#inbox-rows tr").First().Find("td").Eq(2).Text()); first != refused {
					t.Errorf("the newest row is %q, want %s on top", first, refused)
				}
			}
		})
	}
	t.Run("a subscription's inbox shows only its own pushes", func(t *testing.T) {
		doc := e.Page(c, fmt.Sprintf("/subscriptions/%d/inbox", s.ID), http.StatusOK)
		if inboxRow(doc, elsewhere).Length() != 0 {
			t.Error("another subscription's push is listed")
		}
		if !strings.Contains(doc.Find("h1").Text(), s.ServerID) {
			t.Errorf("heading %q does not name the subscription", doc.Find("h1").Text())
		}
	})
	t.Run("the inbox of a subscription that does not exist is 404", func(t *testing.T) {
		e.Page(c, "/subscriptions/999999999/inbox", http.StatusNotFound)
	})
	t.Run("the inbox needs a session", func(t *testing.T) {
		res := e.Get(e.Anonymous(), "/inbox")
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Fatalf("status %d to %q, want 303 to /login", res.StatusCode, res.Header.Get("Location"))
		}
	})
}

func TestInboxShowsRecognisedTextAsText(t *testing.T) {
	e := newEnv(t)
	s := e.NewReceiverSub(apptest.Uniq("tok"))
	payload := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	e.mustPush(s, apptest.PushJSON(s.ServerID, "call-xss", payload), apptest.RightToken(s), 200)
	c, _ := e.User(domain.RoleAuditor)
	doc := e.Page(c, fmt.Sprintf("/subscriptions/%d/inbox", s.ID), http.StatusOK)
	cell := inboxRow(doc, "call-xss").Find("td").Eq(4)
	if cell.Find("script, img").Length() != 0 {
		t.Fatal("the recognised text became markup")
	}
	if !strings.Contains(cell.Text(), payload) {
		t.Fatalf("cell text %q, want the payload shown literally", cell.Text())
	}
}

func TestInboxMarksEncryptedContent(t *testing.T) {
	e := newEnv(t)
	s := e.NewReceiverSub(apptest.Uniq("tok"))
	body := fmt.Sprintf(`{"serverid":%q,"curcallid":"call-enc","result":[{"confidence":"1","content":"QUJDREVG","iscontentenc":"1"}]}`, s.ServerID)
	e.mustPush(s, body, apptest.RightToken(s), 200)
	c, _ := e.User(domain.RoleAuditor)
	cell := inboxRow(e.Page(c, fmt.Sprintf("/subscriptions/%d/inbox", s.ID), http.StatusOK), "call-enc").Find("td").Eq(4)
	if cell.Find(".badge.encrypted").Length() != 1 || cell.Find(".cipher").Text() != "QUJDREVG" {
		t.Fatalf("the encrypted content is not marked: %q", cell.Text())
	}
}

// TestInboxWorksWithoutJavaScript: the newest page offers a Refresh link
// and reloads itself from <noscript>; an older page stays still.
func TestInboxWorksWithoutJavaScript(t *testing.T) {
	e := newEnv(t)
	s := e.NewReceiverSub(apptest.Uniq("tok"))
	for i := range 3 {
		e.mustPush(s, apptest.PushJSON(s.ServerID, fmt.Sprintf("call-%d", i), "hi"), apptest.RightToken(s), 200)
	}
	c, _ := e.User(domain.RoleAuditor)
	path := fmt.Sprintf("/subscriptions/%d/inbox", s.ID)
	doc := e.Page(c, path, http.StatusOK)
	if href, _ := doc.Find("#inbox-refresh").Attr("href"); href != path {
		t.Errorf("Refresh goes to %q, want %q", href, path)
	}
	if !strings.Contains(doc.Find("noscript").Text()+mustHTML(t, doc.Find("noscript")), `http-equiv="refresh"`) {
		t.Error("no <noscript> refresh on the newest page")
	}
	if poll, _ := doc.Find("#inbox-rows").Attr("data-poll"); poll != fmt.Sprintf("/inbox/rows?subscription=%d", s.ID) {
		t.Errorf("data-poll is %q", poll)
	}
	cursor, _ := doc.Find("#inbox-rows tr").First().Attr("data-cursor")
	older := e.Page(c, path+"?before="+cursor, http.StatusOK)
	if older.Find("noscript").Length() != 0 || older.Find("#inbox-rows[data-poll]").Length() != 0 {
		t.Error("an older page refreshes itself")
	}
	if n := older.Find("#inbox-rows tr").Length(); n != 2 {
		t.Errorf("the page before the newest row has %d rows, want 2", n)
	}
	e.Page(c, path+"?before=garbage", http.StatusBadRequest)
}

func mustHTML(t *testing.T, s *goquery.Selection) string {
	t.Helper()
	h, err := s.Html()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestInboxRowsReturnsOnlyNewerRows is the fragment app.js polls.
func TestInboxRowsReturnsOnlyNewerRows(t *testing.T) {
	e := newEnv(t)
	s := e.NewReceiverSub(apptest.Uniq("tok"))
	e.mustPush(s, apptest.PushJSON(s.ServerID, "call-before", "old"), apptest.RightToken(s), 200)
	c, _ := e.User(domain.RoleAuditor)
	doc := e.Page(c, fmt.Sprintf("/subscriptions/%d/inbox", s.ID), http.StatusOK)
	cursor, _ := doc.Find("#inbox-rows tr").First().Attr("data-cursor")
	e.mustPush(s, apptest.PushJSON(s.ServerID, "call-new-1", "new <b>one</b>"), apptest.RightToken(s), 200)
	e.mustPush(s, apptest.PushJSON(s.ServerID, "call-new-2", "new two"), apptest.RightToken(s), 200)

	fragment := func(t *testing.T, query string) (string, *goquery.Document) {
		t.Helper()
		res := e.Get(c, "/inbox/rows?"+query)
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d\n%s", res.StatusCode, body)
		}
		// A <tr> outside a table is dropped by an HTML parser: wrap it.
		d, err := goquery.NewDocumentFromReader(strings.NewReader("<table><tbody>" + string(body) + "</tbody></table>"))
		if err != nil {
			t.Fatal(err)
		}
		return string(body), d
	}
	t.Run("rows after the cursor are the two new ones, newest first, and nothing else", func(t *testing.T) {
		body, d := fragment(t, fmt.Sprintf("subscription=%d&after=%s", s.ID, cursor))
		var calls []string
		d.Find("tr").Each(func(_ int, tr *goquery.Selection) {
			calls = append(calls, strings.TrimSpace(tr.Find("td").Eq(2).Text()))
		})
		if strings.Join(calls, ",") != "call-new-2,call-new-1" {
			t.Errorf("rows %v, want call-new-2, call-new-1", calls)
		}
		if strings.Contains(body, "<html") || strings.Contains(body, "<b>one</b>") {
			t.Errorf("the fragment is a page or carries unescaped text:\n%s", body)
		}
	})
	t.Run("rows after the newest row are none", func(t *testing.T) {
		_, d := fragment(t, fmt.Sprintf("subscription=%d&after=%s", s.ID, cursor))
		top, _ := d.Find("tr").First().Attr("data-cursor")
		if _, d2 := fragment(t, fmt.Sprintf("subscription=%d&after=%s", s.ID, top)); d2.Find("tr").Length() != 0 {
			t.Errorf("%d rows after the newest", d2.Find("tr").Length())
		}
	})
	t.Run("a damaged cursor or subscription is a 400", func(t *testing.T) {
		for _, q := range []string{"after=1.x", "subscription=abc"} {
			if res := e.Get(c, "/inbox/rows?"+q); res.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", q, res.StatusCode)
			}
		}
	})
}
