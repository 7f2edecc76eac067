package seed

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"ccsub/internal/domain"
	client "ccsub/internal/gateway"
)

// canonicalJSON re-encodes body as the receiver's digest does: compact,
// keys sorted, numbers as written.
func canonicalJSON(t *testing.T, body string) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBodiesAreTheGatewayClients(t *testing.T) {
	for _, tt := range []struct {
		callback string
		nlp      bool
		flow     string
		token    bool
	}{
		{"https://crm-01.contoso-bank.example:8443/cc/asr", false, "", false},
		{"https://ccsub.example.com/receiver/abc_DEF-123", true, "FAC0042", true},
	} {
		token := ""
		if tt.token {
			token = "s3cret"
		}
		_, want := client.RegisterBody(client.RegisterRequest{SubscribeType: "1", ServiceToken: token,
			ServiceCallBackURI: tt.callback, NLPFlag: tt.nlp, FlowAccessCode: tt.flow})
		if got := registerBody(tt.callback, tt.nlp, tt.flow, tt.token); got != want {
			t.Errorf("register body\n%s\nwant\n%s", got, want)
		}
		_, want = client.ModifyBody(client.ModifyRequest{ServerID: "x", ServiceCallBackURI: tt.callback, NLPFlag: tt.nlp, FlowAccessCode: tt.flow})
		if got := modifyBody(tt.callback, tt.nlp, tt.flow); got != want {
			t.Errorf("modify body\n%s\nwant\n%s", got, want)
		}
	}
	if _, want := client.UnregisterBody("20250101120000-101-00042"); unregisterBody("20250101120000-101-00042") != want {
		t.Errorf("unregister body %s, want %s", unregisterBody("20250101120000-101-00042"), want)
	}
}

func TestPushBodiesAreCanonical(t *testing.T) {
	o := small()
	w := newWorld(o, time.Now())
	w.seal = func(string) []byte { return []byte("sealed") }
	w.assignSubIDs(1, o.PublicURL)
	g := newPushGen(w)
	for range 200 {
		if !g.next() {
			t.Fatal("no push")
		}
		body, _ := g.vals[14].(string)
		if g.vals[3] == true && string(canonicalJSON(t, body)) != body {
			t.Fatalf("accepted push body is not canonical JSON:\n%s", body)
		}
	}
}

func TestClockFollowsTheWorkingWeek(t *testing.T) {
	end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	c := newClock(end.AddDate(0, -12, 0), end)
	prev := c.start
	for i := range 1000 {
		f := float64(i) / 1000
		at := c.at(f)
		if at.Before(prev) || at.After(c.end) {
			t.Fatalf("at(%v) = %v: not in order or outside the span", f, at)
		}
		if back := c.fraction(at); back < f-1e-6 || back > f+1e-6 {
			t.Fatalf("fraction(at(%v)) = %v", f, back)
		}
		prev = at
	}
	// A weekday morning is busier than the night before it.
	day, night := 0, 0
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		switch h := c.at(rng.Float64()).In(c.zone).Hour(); {
		case h >= 10 && h < 12:
			day++
		case h >= 2 && h < 4:
			night++
		}
	}
	if day < 3*night {
		t.Errorf("%d events 10–12 h, %d events 2–4 h: want the day far busier", day, night)
	}
}

func TestEveryStateWithFiveOrMore(t *testing.T) {
	for n := 5; n < 300; n += 7 {
		counts, total := stateCounts(n), 0
		for _, s := range domain.SubStates {
			if counts[s] == 0 {
				t.Errorf("%d subscriptions: none %s", n, s)
			}
			total += counts[s]
		}
		if total != n {
			t.Errorf("%d subscriptions split into %d", n, total)
		}
	}
}
