package seed

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"ccsub/internal/domain"
	"ccsub/internal/store"
)

var pushColumns = []string{"received_at", "subscription_id", "receiver_key", "accepted", "reason", "http_status",
	"server_id", "call_id", "speaker", "talker_id", "text", "text_encrypted", "cause_code", "confidence", "body",
	"body_truncated", "remote_addr", "digest"}

var digestColumns = []string{"subscription_id", "digest", "received_at"}

// The receiver's pruning (app.Serve's sweeps): refused pushes are kept 30
// days and at most 100,000 of them, replay digests a day.
const (
	refusedKept    = 30 * 24 * time.Hour
	refusedMax     = 100_000
	digestsKept    = 24 * time.Hour
	maxStoredBody  = 8 << 10 // receiver.maxStoredBody
	refusedPerCent = 6       // of the pushes within the refused window
)

// conversation is the phone call a subscription is pushing results of.
type conversation struct {
	callID   string
	customer string
	agent    string
	left     int
	k        int
	phrase   int
}

// pushGen streams the pushes to ccsub's receiver in time order: accepted
// recognition results to the receiver subscriptions while they are alive,
// a few per phone call, and, in the last 30 days the receiver keeps them,
// refused ones (a wrong or missing token, bad bodies, unknown keys).
type pushGen struct {
	w       *world
	rng     *rand.Rand
	total   int64
	done    int64
	f0      float64
	recv    []*sub // receiver subscriptions by creation
	alive   walker
	convs   map[*sub]*conversation
	callSeq int64
	refused int64
	vals    []any
	digests []digest
	counts  map[bool]int64
	buf     []byte
}

type digest struct {
	sub int64
	sum []byte
	at  time.Time
}

func newPushGen(w *world) *pushGen {
	g := &pushGen{w: w, rng: rand.New(rand.NewPCG(uint64(w.o.Seed), 3)), total: int64(w.o.Notifications),
		convs: map[*sub]*conversation{}, vals: make([]any, len(pushColumns)), counts: map[bool]int64{},
		callSeq: 100000 + int64(w.o.Seed%100000)}
	for _, s := range w.subs {
		if s.pushKey != "" && s.state != domain.SubUnknown {
			g.recv = append(g.recv, s)
		}
	}
	g.alive = walker{subs: g.recv, rng: g.rng, keep: func(s *sub, t time.Time) bool { return t.Before(g.pushEnd(s)) }}
	if len(g.recv) > 0 {
		// From the first receiver on, and only as far back as retention
		// keeps accepted pushes.
		g.f0 = w.clock.fraction(later(g.recv[0].created.Add(time.Minute), w.pushFrom))
	}
	return g
}

// pushEnd is when the platform stops pushing to s.
func (g *pushGen) pushEnd(s *sub) time.Time {
	switch s.state {
	case domain.SubLapsed:
		return s.lapsed
	case domain.SubCancelled:
		return s.cancelled
	}
	return g.w.now
}

func (g *pushGen) receiverAt(t time.Time) *sub {
	if s := g.alive.at(t); s != nil {
		return s
	}
	return g.alive.last // the platform may push a little late
}

func (g *pushGen) Fill(r *store.CopyRow) bool {
	if !g.next() {
		return false
	}
	writeValues(r, g.vals)
	return true
}

// next makes the next push in g.vals.
func (g *pushGen) next() bool {
	if g.done >= g.total || len(g.recv) == 0 {
		return false
	}
	rng, w := g.rng, g.w
	t := w.clock.at(g.f0 + (1-g.f0)*(float64(g.done)+0.5)/float64(g.total))
	g.done++
	s := g.receiverAt(t)
	v := g.vals
	for i := range v {
		v[i] = nil
	}
	v[0], v[1], v[2] = t, s.id, s.pushKey
	v[11], v[15] = false, false
	v[16] = "10.20." + strconv.Itoa(int(s.gw.id%200)) + "." + strconv.Itoa(31+rng.IntN(4))
	for i := 6; i <= 14; i++ {
		v[i] = ""
	}
	v[11] = false
	if t.After(w.refusedFrom) && g.refused < refusedMax && rng.IntN(100) < refusedPerCent {
		g.refused++
		g.counts[false]++
		g.refuse(s)
		return true
	}
	g.counts[true]++
	body := g.recognition(s)
	v[3], v[4], v[5], v[14] = true, "", int32(200), body
	h := sha256.New()
	h.Write([]byte(s.pushKey))
	h.Write([]byte{0})
	h.Write(g.buf)
	sum := h.Sum(nil)
	v[17] = sum
	if t.After(w.now.Add(-digestsKept)) {
		g.digests = append(g.digests, digest{s.id, sum, t})
	}
	return true
}

// recognition writes an accepted push's body into g.buf, canonical as the
// receiver's digest reads it (compact, keys sorted), fills the row's
// fields from it as the receiver does, and returns it.
func (g *pushGen) recognition(s *sub) string {
	rng, v := g.rng, g.vals
	c := g.convs[s]
	if c == nil || c.left == 0 {
		g.callSeq++
		c = &conversation{callID: strconv.FormatInt(g.w.clock.start.Unix()/100, 10) + "-" + strconv.FormatInt(g.callSeq, 10),
			customer: "+4930" + strconv.Itoa(1000000+rng.IntN(9000000)), agent: strconv.Itoa(30000 + rng.IntN(400)),
			left: 2 + rng.IntN(9), phrase: rng.IntN(len(phrases))}
		g.convs[s] = c
	}
	c.left--
	speaker, talker := "1", c.agent
	if c.k%2 == 1 {
		speaker, talker = "2", c.customer
	}
	text := phrases[(c.phrase+c.k)%len(phrases)]
	c.k++
	encrypted := rng.IntN(25) == 0
	if encrypted {
		b := make([]byte, 48)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		text = base64.StdEncoding.EncodeToString(b)
	}
	confidence := "0." + strconv.Itoa(70+rng.IntN(30))
	b := g.buf[:0]
	b = append(b, `{"asrusercase":"0","ccid":"1","curcallid":"`...)
	b = append(b, c.callID...)
	b = append(b, `","curuserdn":"`...)
	b = append(b, c.customer...)
	b = append(b, `","initialagentid":"`...)
	b = append(b, c.agent...)
	b = append(b, '"', ',')
	if s.nlp {
		b = append(b, `"nlpResult":{"intent":"`...)
		b = append(b, intents[rng.IntN(len(intents))]...)
		b = append(b, `","score":0.`...)
		b = strconv.AppendInt(b, int64(50+rng.IntN(50)), 10)
		b = append(b, '}', ',')
	}
	b = append(b, `"result":[{"confidence":`...)
	b = append(b, confidence...)
	b = append(b, `,"content":"`...)
	b = append(b, text...)
	b = append(b, `","iscontentenc":"`...)
	if encrypted {
		b = append(b, '1')
	} else {
		b = append(b, '0')
	}
	b = append(b, `"}],"serverid":"`...)
	b = append(b, s.serverID...)
	b = append(b, `","subscribetype":"1","talkerid":"`...)
	b = append(b, talker...)
	b = append(b, `","talkertype":"`...)
	b = append(b, speaker...)
	b = append(b, `","vdnid":"12"}`...)
	g.buf = b
	v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13] = s.serverID, c.callID, speaker, talker, text, encrypted, "0", confidence
	return string(b)
}

// refuse fills a refused push, with the receiver's reasons and statuses
// (internal/receiver: judgePush and checkToken).
func (g *pushGen) refuse(s *sub) {
	rng, v := g.rng, g.vals
	v[3], v[17] = false, nil
	switch p := rng.IntN(100); {
	case p < 55:
		body := g.recognition(s)
		v[5], v[14] = int32(401), body
		switch {
		case s.sealed == nil:
			v[4] = "service_token was sent, but this subscription was registered without one"
		case p < 20:
			v[4] = "service_token is missing"
		default:
			v[4] = "service_token does not match this subscription's token"
		}
	case p < 70:
		body := g.recognition(s)
		other := s.serverID[:len(s.serverID)-5] + strconv.Itoa(10000+rng.IntN(90000))
		v[5], v[6] = int32(400), other
		v[4] = `serverid "` + other + `" is not this receiver's subscription (` + s.serverID + `)`
		v[14] = strings.Replace(body, `"serverid":"`+s.serverID, `"serverid":"`+other, 1)
	case p < 76:
		v[5], v[4], v[14] = int32(400), "the JSON ends too early", `{"serverid":"`+s.serverID+`","result":[{"content":"`
	case p < 80:
		// Stored capped, and not read: its fields stay empty.
		v[5], v[4], v[15] = int32(413), "the body is larger than 64 KiB", true
		var b strings.Builder
		b.WriteString(`{"asrusercase":"0","result":[{"confidence":0.9,"content":"`)
		for b.Len() < maxStoredBody {
			b.WriteString(phrases[rng.IntN(len(phrases))])
			b.WriteString(". ")
		}
		v[14] = clipUTF8(b.String(), maxStoredBody)
	case p < 83:
		v[5], v[4], v[14] = int32(415), "Content-Type must be application/json; charset=UTF-8", g.recognition(s)
	default:
		// A push to a receiver address nobody has: a stale address, or a scan.
		v[1], v[2] = nil, seededKeyPrefix+randomText(rng, 14)
		v[5], v[4], v[14] = int32(404), "no subscription has this receiver address", `{"serverid":"","result":[]}`
		v[16] = "203.0.113." + strconv.Itoa(1+rng.IntN(250))
	}
}

func (g *pushGen) Err() error { return nil }

// digestGen streams the replay digests of the last day's accepted pushes.
type digestGen struct {
	d []digest
	i int
}

func (g *digestGen) Fill(r *store.CopyRow) bool {
	if g.i >= len(g.d) {
		return false
	}
	d := g.d[g.i]
	g.i++
	r.Int64(d.sub)
	r.Bytes(d.sum)
	r.Time(d.at)
	return true
}

func (g *digestGen) Err() error { return nil }

// clipUTF8 cuts s to at most n bytes without splitting a character.
func clipUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// writeValues writes a row held as values of the Go types that match the
// columns (int64 bigint, int32 integer, string text, bool boolean, []byte
// bytea, time.Time timestamptz; nil NULL).
func writeValues(r *store.CopyRow, vals []any) {
	for _, v := range vals {
		switch x := v.(type) {
		case nil:
			r.Null()
		case int64:
			r.Int64(x)
		case int32:
			r.Int32(x)
		case string:
			r.Text(x)
		case bool:
			r.Bool(x)
		case []byte:
			r.Bytes(x)
		case time.Time:
			r.Time(x)
		default:
			panic(fmt.Sprintf("seed: no column type for %T", v))
		}
	}
}
