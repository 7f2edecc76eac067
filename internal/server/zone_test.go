package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"ccsub/internal/apptest"
	"ccsub/internal/domain"

	"github.com/PuerkitoBio/goquery"
)

// withZone gives c the cookie in which app.js reports the browser's zone.
func (e *testEnv) withZone(c *http.Client, zone string) *http.Client {
	u, _ := url.Parse(e.Srv.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "ccsub_tz", Value: zone, Path: "/"}})
	return c
}

// callAt writes a finished call that started at at, with serverId sid,
// straight into the store; it returns the call's id.
func (e *testEnv) callAt(t *testing.T, sid string, at time.Time) string {
	t.Helper()
	var id string
	err := e.St.Pool().QueryRow(context.Background(), `INSERT INTO calls (started_at, finished_at, gateway_id, gateway_name,
		actor, operation, outcome, retcode, server_id) VALUES ($1, $1, 1, 'gw', 'zone-test', 'handshake', 'success', '000-000', $2)
		RETURNING id::text`, at, sid).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// listedCalls are the ids of the calls the history page lists.
func listedCalls(d *goquery.Document) []string {
	var ids []string
	d.Find("#history tbody tr a[href^='/calls/']").Each(func(_ int, s *goquery.Selection) {
		id := strings.TrimPrefix(s.AttrOr("href", ""), "/calls/")
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	})
	slices.Sort(ids)
	return ids
}

// shanghaiDay are three calls around the viewer's today in Asia/Shanghai:
// the evening before (their yesterday), 07:30 today (23:30 UTC the
// previous UTC day) and 00:30 tomorrow (still today in UTC).
type shanghaiDay struct {
	sid                     string
	today                   string // yyyy-mm-dd in Shanghai
	before, inside, tomorow string // call ids
}

func newShanghaiDay(t *testing.T, e *testEnv) shanghaiDay {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(sh)
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, sh)
	d := shanghaiDay{sid: apptest.Uniq("zone"), today: midnight.Format("2006-01-02")}
	inside := midnight.Add(7*time.Hour + 30*time.Minute)
	if u := inside.UTC(); u.Hour() != 23 || u.Minute() != 30 || u.Day() == midnight.Day() {
		t.Fatalf("07:30 in Shanghai is %v in UTC, want 23:30 the UTC day before", u)
	}
	d.before = e.callAt(t, d.sid, midnight.Add(-30*time.Minute))
	d.inside = e.callAt(t, d.sid, inside)
	d.tomorow = e.callAt(t, d.sid, midnight.Add(24*time.Hour+30*time.Minute))
	return d
}

func (d shanghaiDay) todayURL() string {
	return "/history?" + url.Values{"serverId": {d.sid}, "from": {d.today}, "to": {d.today}}.Encode()
}

// TestAViewerInShanghaiSeesTheirTimesAndTheirToday: with the browser's
// zone reported, times are in +08:00 (in the text, on hover and in the
// datetime attribute), the page says so, and "today" is their day, not
// UTC's: a call at 23:30 UTC the previous UTC day is in it.
func TestAViewerInShanghaiSeesTheirTimesAndTheirToday(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAuditor)
	day := newShanghaiDay(t, e)

	utc := e.Page(c, day.todayURL(), http.StatusOK)
	if got, want := listedCalls(utc), []string{day.tomorow}; !slices.Equal(got, want) {
		t.Fatalf("without a zone, UTC's day: listed %v, want %v", got, want)
	}
	if got := utc.Find("#zone-line").Text(); !strings.Contains(got, "Times are in UTC") {
		t.Errorf("zone line without a zone %q", got)
	}

	sh := e.withZone(c, "Asia/Shanghai")
	d := e.Page(sh, day.todayURL(), http.StatusOK)
	if got, want := listedCalls(d), []string{day.inside}; !slices.Equal(got, want) {
		t.Fatalf("in Shanghai, their today: listed %v, want %v (the call at 23:30 UTC the day before)", got, want)
	}
	tm := d.Find("#history tbody time").First()
	if dt := tm.AttrOr("datetime", ""); !strings.HasSuffix(dt, "T07:30:00+08:00") {
		t.Errorf("datetime %q, want 07:30 at +08:00", dt)
	}
	if title := tm.AttrOr("title", ""); !strings.HasSuffix(title, "07:30:00 UTC+08:00") || !strings.HasPrefix(title, day.today) {
		t.Errorf("exact time on hover %q, want %s 07:30:00 UTC+08:00", title, day.today)
	}
	if got := strings.Join(strings.Fields(d.Find("#zone-line").Text()), " "); !strings.Contains(got,
		"Times are in Asia/Shanghai (UTC+08:00), your browser's time zone.") {
		t.Errorf("zone line %q", got)
	}
	if got := d.Find("#days-zone").Text(); !strings.Contains(got, "Asia/Shanghai (UTC+08:00)") {
		t.Errorf("the filter does not say its days' zone: %q", got)
	}
	// The page's export has the page's rows: the same days.
	export := readBody(t, e.Get(sh, strings.Replace(day.todayURL(), "/history?", "/history/export.csv?", 1)))
	if lines := strings.Split(strings.TrimSpace(export), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[1], day.inside+",") {
		t.Errorf("the export in Shanghai has %q, want the header and call %s", lines, day.inside)
	}
	today := d.Find("#day-presets a").First()
	if href := today.AttrOr("href", ""); !strings.Contains(href, "from="+day.today) || !strings.Contains(href, "to="+day.today) ||
		!strings.Contains(href, "serverId="+day.sid) {
		t.Errorf("the Today link %q does not keep the filters and set Shanghai's today", href)
	}
}

// TestLast24HoursIsASinceInstant: the "Last 24 hours" link sets since to
// now less 24 hours in the viewer's zone; the list then starts there, and
// the form keeps it and says it.
func TestLast24HoursIsASinceInstant(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleAuditor)
	sh := e.withZone(c, "Asia/Shanghai")
	sid := apptest.Uniq("since")
	now := time.Now()
	recent := e.callAt(t, sid, now.Add(-23*time.Hour))
	e.callAt(t, sid, now.Add(-25*time.Hour))

	d := e.Page(sh, "/history?serverId="+sid, http.StatusOK)
	link := d.Find("#day-presets a").Eq(1).AttrOr("href", "")
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("since") == "" || u.Query().Get("serverId") != sid {
		t.Fatalf("the Last 24 hours link %q", link)
	}
	at, err := time.ParseInLocation("2006-01-02T15:04", u.Query().Get("since"), time.FixedZone("", 8*3600))
	if err != nil || at.Sub(now.Add(-24*time.Hour)).Abs() > 2*time.Minute {
		t.Fatalf("since=%q (%v), want now less 24 hours in +08:00", u.Query().Get("since"), err)
	}
	d = e.Page(sh, link, http.StatusOK)
	if got := listedCalls(d); !slices.Equal(got, []string{recent}) {
		t.Errorf("listed %v, want only the call of 23 hours ago (%s)", got, recent)
	}
	if v := d.Find("input[type=hidden][name=since]").AttrOr("value", ""); v != u.Query().Get("since") {
		t.Errorf("the form keeps since=%q, want %q", v, u.Query().Get("since"))
	}
	if got := d.Find("#since-filter").Text(); !strings.Contains(got, "UTC+08:00") {
		t.Errorf("the since line %q does not say its zone", got)
	}
	if res := e.Get(sh, "/history?since=yesterday"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("since=yesterday: status %d, want 400", res.StatusCode)
	}
}

// TestTheUsersOwnZoneBeatsTheBrowsers: a zone chosen on the preferences
// page wins over the browser's, in every browser the user signs in from;
// a list page whose filters were read before the user's row came back
// reads them again in the user's zone.
func TestTheUsersOwnZoneBeatsTheBrowsers(t *testing.T) {
	e := newEnv(t)
	c, name := e.User(domain.RoleAuditor)
	e.withZone(c, "America/New_York")
	day := newShanghaiDay(t, e)

	if res := e.Post(c, "/preferences", url.Values{"time_zone": {"Mars/Olympus"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("an unknown zone: status %d, want 422", res.StatusCode)
	}
	if res := e.Post(c, "/preferences", url.Values{"time_zone": {"Asia/Shanghai"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving Asia/Shanghai: status %d, want 303", res.StatusCode)
	}
	d := e.Page(c, day.todayURL(), http.StatusOK)
	if got := strings.Join(strings.Fields(d.Find("#zone-line").Text()), " "); !strings.Contains(got,
		"Times are in Asia/Shanghai (UTC+08:00), your setting.") {
		t.Errorf("zone line %q", got)
	}
	if got := listedCalls(d); !slices.Equal(got, []string{day.inside}) {
		t.Errorf("the user's today: listed %v, want %v", got, []string{day.inside})
	}
	if v := e.Page(c, "/preferences", http.StatusOK).Find("#time_zone").AttrOr("value", ""); v != "Asia/Shanghai" {
		t.Errorf("the preferences page shows %q", v)
	}

	// Another browser, in New York, that has never seen the user's choice.
	other := e.withZone(e.Anonymous(), "America/New_York")
	e.SignIn(other, name, apptest.TestPassword)
	d = e.Page(other, day.todayURL(), http.StatusOK)
	if got := listedCalls(d); !slices.Equal(got, []string{day.inside}) {
		t.Errorf("another browser: listed %v, want the user's today %v", got, []string{day.inside})
	}
	if dt := d.Find("#history tbody time").AttrOr("datetime", ""); !strings.HasSuffix(dt, "+08:00") {
		t.Errorf("another browser: datetime %q, want +08:00", dt)
	}

	// Back to the browser's zone.
	if res := e.Post(c, "/preferences", url.Values{"time_zone": {""}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("clearing the zone: status %d, want 303", res.StatusCode)
	}
	if got := e.Page(c, "/history", http.StatusOK).Find("#zone-line").Text(); !strings.Contains(got, "America/New_York") {
		t.Errorf("after clearing: zone line %q, want the browser's", got)
	}
}

// TestAnInvalidZoneCookieIsUTC: whatever the cookie says, a zone ccsub
// does not know is UTC, without an error.
func TestAnInvalidZoneCookieIsUTC(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	e.Registered(c, nil)
	for _, bad := range []string{"Mars/Olympus", "Local", "../../etc/passwd", "Asia/Shanghai%00", strings.Repeat("A", 100)} {
		d := e.Page(e.withZone(c, bad), "/history", http.StatusOK)
		if got := d.Find("#zone-line").Text(); !strings.Contains(got, "Times are in UTC") {
			t.Errorf("cookie %q: zone line %q, want UTC", bad, got)
		}
		if dt := d.Find("#history tbody time").AttrOr("datetime", ""); !strings.HasSuffix(dt, "Z") {
			t.Errorf("cookie %q: datetime %q, want UTC", bad, dt)
		}
	}
}

// TestTheZoneLineInChinese: the foot of a Chinese page names the zone in
// Chinese, and list times say how long ago in Chinese.
func TestTheZoneLineInChinese(t *testing.T) {
	e := newEnv(t)
	c, _ := e.User(domain.RoleOperator)
	sub := e.Registered(c, nil)
	zh := speaking(e.withZone(c, "Asia/Shanghai"), "zh-CN")
	d := e.Page(zh, "/history?serverId="+url.QueryEscape(sub.ServerID), http.StatusOK)
	if got := strings.TrimSpace(d.Find("#zone-line").Text()); !strings.HasPrefix(got, "时间按 Asia/Shanghai (UTC+08:00) 显示（浏览器的时区）。") ||
		!strings.Contains(got, "更改") {
		t.Errorf("zone line %q", got)
	}
	if got := d.Find("#history tbody time").First().Text(); got != "刚刚" && !strings.HasSuffix(got, "分钟前") {
		t.Errorf("relative time %q, want 刚刚 or N 分钟前", got)
	}
	if got := d.Find("#day-presets").Text(); !strings.Contains(got, "今天") || !strings.Contains(got, "最近 7 天") {
		t.Errorf("presets %q", got)
	}
}

// TestTheInboxFiltersByTheViewersDays: the inbox's days are the viewer's
// too, with the same quick dates; a filtered inbox does not take new rows
// (they may be outside its dates).
func TestTheInboxFiltersByTheViewersDays(t *testing.T) {
	e := newEnv(t)
	s := e.NewReceiverSub(apptest.Uniq("tok"))
	early, yesterday := apptest.Uniq("call-early"), apptest.Uniq("call-yesterday")
	e.mustPush(s, apptest.PushJSON(s.ServerID, early, "good morning"), apptest.RightToken(s), 200)
	e.mustPush(s, apptest.PushJSON(s.ServerID, yesterday, "good evening"), apptest.RightToken(s), 200)
	day := newShanghaiDay(t, e)
	midnight, err := time.ParseInLocation("2006-01-02", day.today, time.FixedZone("", 8*3600))
	if err != nil {
		t.Fatal(err)
	}
	e.Exec(t, `UPDATE notifications SET received_at = $1 WHERE call_id = $2`, midnight.Add(7*time.Hour+30*time.Minute), early)
	e.Exec(t, `UPDATE notifications SET received_at = $1 WHERE call_id = $2`, midnight.Add(-30*time.Minute), yesterday)
	c, _ := e.User(domain.RoleAuditor)
	path := fmt.Sprintf("/subscriptions/%d/inbox", s.ID)

	d := e.Page(e.withZone(c, "Asia/Shanghai"), path+"?from="+day.today+"&to="+day.today, http.StatusOK)
	if inboxRow(d, early).Length() != 1 || inboxRow(d, yesterday).Length() != 0 {
		t.Errorf("Shanghai's today shows %q, want only the push at 07:30 there", d.Find("#inbox-rows").Text())
	}
	if d.Find("tbody[data-poll]").Length() != 0 {
		t.Error("a filtered inbox takes new rows")
	}
	if got := d.Find("#day-presets a").First().AttrOr("href", ""); got != path+"?from="+day.today+"&to="+day.today {
		t.Errorf("the Today link is %q", got)
	}
	if d := e.Page(c, path, http.StatusOK); d.Find("tbody[data-poll]").Length() != 1 || inboxRow(d, yesterday).Length() != 1 {
		t.Error("the whole inbox does not list everything or does not take new rows")
	}
	if res := e.Get(c, path+"?from=tomorrow"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("from=tomorrow: status %d, want 400", res.StatusCode)
	}
}
