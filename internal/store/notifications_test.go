package store_test

import (
	"crypto/sha256"
	"slices"
	"sync"
	"testing"
	"time"

	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/store"
)

// inboxFixture is a subscription with a receiver key of its own.
type inboxFixture struct {
	s   *store.Store
	sub domain.Subscription
}

func newInboxFixture(t *testing.T) inboxFixture {
	t.Helper()
	s := newStore(t)
	n := newSubscription(newGateway(t, s).ID)
	n.ReceiverKey = unique("rk")
	// Not due for keep-alive: the keep-alive tests claim due subscriptions
	// of the shared database, and these have nothing to do with them.
	n.State = domain.SubCancelled
	return inboxFixture{s: s, sub: createSubscription(t, s, n)}
}

func (f inboxFixture) push(callID string, accepted bool) domain.Notification {
	n := domain.Notification{SubscriptionID: &f.sub.ID, ReceiverKey: f.sub.ReceiverKey, Accepted: accepted,
		HTTPStatus: 200, ServerID: f.sub.ServerID, CallID: callID, Speaker: "2", Text: "hello", CauseCode: "0",
		Body: `{"curcallid":"` + callID + `"}`}
	if accepted {
		sum := sha256.Sum256([]byte(f.sub.ReceiverKey + n.Body))
		n.Digest = sum[:]
	} else {
		n.HTTPStatus, n.Reason = 401, "service_token is missing"
	}
	return n
}

func (f inboxFixture) record(t *testing.T, n domain.Notification) bool {
	t.Helper()
	stored, err := f.s.RecordNotification(t.Context(), n)
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

func (f inboxFixture) count(t *testing.T, callID string) int {
	t.Helper()
	var n int
	err := dbtest.Pool(t).QueryRow(t.Context(),
		`SELECT count(*) FROM notifications WHERE subscription_id = $1 AND call_id = $2`, f.sub.ID, callID).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRecordNotificationStoresAnAcceptedPushOnce(t *testing.T) {
	f := newInboxFixture(t)
	if !f.record(t, f.push("call-1", true)) {
		t.Fatal("the first copy was reported as a replay")
	}
	if f.record(t, f.push("call-1", true)) {
		t.Fatal("the second copy was reported as stored")
	}
	if n := f.count(t, "call-1"); n != 1 {
		t.Fatalf("%d rows, want 1", n)
	}
	page, err := f.s.ListNotifications(t.Context(), domain.NotificationFilter{SubscriptionID: f.sub.ID}, domain.PageRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got := page.Notifications[0]
	if got.CallID != "call-1" || !got.Accepted || got.Text != "hello" || got.Speaker != "2" || len(got.Digest) != 32 {
		t.Fatalf("stored %+v", got)
	}
}

func TestRecordNotificationRaceOfCopiesStoresOne(t *testing.T) {
	f := newInboxFixture(t)
	const copies = 8
	var wg sync.WaitGroup
	results := make(chan bool, copies)
	for range copies {
		wg.Go(func() {
			stored, err := f.s.RecordNotification(t.Context(), f.push("race", true))
			if err != nil {
				t.Error(err)
			}
			results <- stored
		})
	}
	wg.Wait()
	close(results)
	var stored int
	for ok := range results {
		if ok {
			stored++
		}
	}
	if stored != 1 || f.count(t, "race") != 1 {
		t.Fatalf("%d copies reported stored, %d rows; want 1 and 1", stored, f.count(t, "race"))
	}
}

func TestRecordNotificationKeepsEveryRejectedPush(t *testing.T) {
	f := newInboxFixture(t)
	for range 3 {
		if !f.record(t, f.push("refused", false)) {
			t.Fatal("a rejected push was not stored")
		}
	}
	if n := f.count(t, "refused"); n != 3 {
		t.Fatalf("%d rows, want 3", n)
	}
}

func TestRecordNotificationForAnUnknownReceiverKeyHasNoSubscription(t *testing.T) {
	s := newStore(t)
	key := unique("nobody")
	stored, err := s.RecordNotification(t.Context(), domain.Notification{ReceiverKey: key, HTTPStatus: 404,
		Reason: "no subscription has this receiver address"})
	if err != nil || !stored {
		t.Fatalf("stored %v, err %v", stored, err)
	}
	var sub *int64
	if err := dbtest.Pool(t).QueryRow(t.Context(), `SELECT subscription_id FROM notifications WHERE receiver_key = $1`,
		key).Scan(&sub); err != nil || sub != nil {
		t.Fatalf("subscription %v, err %v; want NULL", sub, err)
	}
}

func TestRecordNotificationRefusesADigestWithoutASubscription(t *testing.T) {
	s := newStore(t)
	_, err := s.RecordNotification(t.Context(), domain.Notification{ReceiverKey: "k", Accepted: true, Digest: []byte{1}})
	if err == nil {
		t.Fatal("a digest without a subscription was accepted")
	}
}

func TestPruneNotificationDigestsLetsAnOldPushBeStoredAgain(t *testing.T) {
	f := newInboxFixture(t)
	f.record(t, f.push("old", true))
	_, err := dbtest.Pool(t).Exec(t.Context(), `UPDATE notification_digests SET received_at = now() - interval '30 days'
		WHERE subscription_id = $1`, f.sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for {
		n, err := f.s.PruneNotificationDigests(t.Context(), time.Now().Add(-24*time.Hour), 1)
		if err != nil {
			t.Fatal(err)
		}
		total += n
		if n < 1 {
			break
		}
	}
	if total < 1 {
		t.Fatal("nothing was pruned")
	}
	if !f.record(t, f.push("old", true)) {
		t.Fatal("after pruning, the push is still seen as a replay")
	}
}

func TestSubscriptionByReceiverKey(t *testing.T) {
	f := newInboxFixture(t)
	got, err := f.s.SubscriptionByReceiverKey(t.Context(), f.sub.ReceiverKey)
	if err != nil || got.ID != f.sub.ID {
		t.Fatalf("got subscription %d, err %v; want %d", got.ID, err, f.sub.ID)
	}
	_, err = f.s.SubscriptionByReceiverKey(t.Context(), unique("missing"))
	wantErr(t, err, domain.ErrNotFound)
}

// TestListNotificationsPagesNewestFirst walks five notifications of one
// subscription, two of them at the same instant (id decides), in pages of
// two, older and back newer; another subscription's push never shows.
func TestListNotificationsPagesNewestFirst(t *testing.T) {
	f := newInboxFixture(t)
	other := newInboxFixture(t)
	other.record(t, other.push("other", true))
	base := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	var ids []int64
	for i, minute := range []int{0, 1, 2, 2, 3} {
		f.record(t, f.push(unique("c"), i%2 == 0))
		var id int64
		err := dbtest.Pool(t).QueryRow(t.Context(), `UPDATE notifications SET received_at = $2
			WHERE id = (SELECT max(id) FROM notifications WHERE subscription_id = $1) RETURNING id`,
			f.sub.ID, base.Add(time.Duration(minute)*time.Minute)).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	filter := domain.NotificationFilter{SubscriptionID: f.sub.ID}
	list := func(p domain.PageRequest) (domain.NotificationPage, []int) {
		t.Helper()
		page, err := f.s.ListNotifications(t.Context(), filter, p)
		if err != nil {
			t.Fatal(err)
		}
		var idx []int
		for _, n := range page.Notifications {
			idx = append(idx, slices.Index(ids, n.ID))
		}
		return page, idx
	}
	p1, got := list(domain.PageRequest{Limit: 2})
	wantPage(t, "first", got, []int{4, 3}, p1.Older != nil, p1.Newer != nil, true, false)
	p2, got := list(domain.PageRequest{Limit: 2, Before: p1.Older})
	wantPage(t, "second", got, []int{2, 1}, p2.Older != nil, p2.Newer != nil, true, true)
	p3, got := list(domain.PageRequest{Limit: 2, Before: p2.Older})
	wantPage(t, "last", got, []int{0}, p3.Older != nil, p3.Newer != nil, false, true)
	back, got := list(domain.PageRequest{Limit: 2, After: p3.Newer})
	wantPage(t, "back newer", got, []int{2, 1}, back.Older != nil, back.Newer != nil, true, true)
	_, got = list(domain.PageRequest{Limit: 2, After: &domain.Cursor{At: base.Add(time.Minute), ID: ids[1]}})
	wantPage(t, "newer than 1", got, []int{3, 2}, true, true, true, true)
}

func wantPage(t *testing.T, name string, got, want []int, older, newer, wantOlder, wantNewer bool) {
	t.Helper()
	if !slices.Equal(got, want) || older != wantOlder || newer != wantNewer {
		t.Fatalf("%s page: %v older %v newer %v; want %v older %v newer %v", name, got, older, newer, want, wantOlder, wantNewer)
	}
}
