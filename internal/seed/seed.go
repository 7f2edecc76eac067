// Package seed fills a ccsub database with a realistic data set, for
// trying the console out and for benchmarks (`ccsub dev seed`): a year of
// gateway calls over several gateways in time order, hundreds of callback
// hosts, the retcode mix of a deployment, subscriptions in every state
// linked to their calls, pushes to ccsub's receiver, heartbeat strips and
// an audit trail whose hash chain verifies.
//
// Rows are generated as they are written, streamed with COPY in one
// transaction per load, so memory stays small however many calls are
// asked for: only the subscriptions (and what they need) are planned in
// memory. The load refuses a database that holds data it did not make,
// unless forced.
//
// It is a tool of the command line: it writes through the store's bulk
// interface (store.Bulk) and its audit hashing, and knows no action.
package seed

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"ccsub/internal/domain"
	"ccsub/internal/secret"
	"ccsub/internal/store"
)

// Options say how much to seed and how.
type Options struct {
	Calls         int // history rows (calls table), planned and traffic together
	Subscriptions int
	Notifications int  // pushes to ccsub's receiver
	Audit         int  // audit entries; 0: none at all
	Gateways      int  // seeded gateways ("seed-gw-01", …)
	Hosts         int  // distinct callback hosts
	Months        int  // how far back the history goes
	Heartbeats    bool // the 24-hour heartbeat strips of the subscriptions kept alive
	Vacuum        bool // VACUUM (ANALYZE) the loaded tables after the load commits
	Seed          int64
	Force         bool   // seed even a database that holds data the seeder did not make
	Indexes       string // auto, rebuild or keep: what to do with the big tables' secondary indexes
	PublicURL     string // the console's address, for receiver URLs
	// Keep is the console's retention (CCSUB_RETAIN_*): the load holds only
	// what a console keeping rows that long would hold, so that its first
	// retention run deletes next to nothing. Absent or zero kinds are kept
	// for ever. The history starts no earlier than its calls' window.
	Keep          domain.RetentionPolicy
	Now           time.Time
	Progress      io.Writer // progress lines; nil: none
	ProgressEvery time.Duration
}

// Defaults are the options of `ccsub dev seed` without flags: a year of a
// small deployment.
func Defaults() Options {
	return Options{Calls: 100_000, Subscriptions: 2_000, Notifications: 50_000, Audit: 20_000, Gateways: 3, Hosts: 300,
		Months: 12, Heartbeats: true, Indexes: "auto", PublicURL: "http://127.0.0.1:8080"}
}

// Index strategies.
const (
	IndexesAuto    = "auto"    // rebuild when the load at least doubles a table of 100,000 rows or more
	IndexesRebuild = "rebuild" // drop the secondary indexes of calls, notifications and audit_log, load, build them again
	IndexesKeep    = "keep"    // load into the indexed tables
)

// rebuildAtLeast is the smallest load for which IndexesAuto rebuilds.
const rebuildAtLeast = 100_000

// Limits keep a mistyped option from planning more than fits in memory.
const (
	maxRows          = 1_000_000_000
	maxSubscriptions = 1_000_000
)

func (o Options) validate() error {
	var errs []string
	check := func(ok bool, msg string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Sprintf(msg, args...))
		}
	}
	check(o.Calls >= 0 && o.Calls <= maxRows, "--calls %d: want 0 to %d", o.Calls, maxRows)
	check(o.Subscriptions >= 0 && o.Subscriptions <= maxSubscriptions, "--subscriptions %d: want 0 to %d", o.Subscriptions, maxSubscriptions)
	check(o.Notifications >= 0 && o.Notifications <= maxRows, "--notifications %d: want 0 to %d", o.Notifications, maxRows)
	check(o.Audit >= 0 && o.Audit <= maxRows, "--audit %d: want 0 to %d", o.Audit, maxRows)
	check(o.Gateways >= 1 && o.Gateways <= 240, "--gateways %d: want 1 to 240", o.Gateways)
	check(o.Hosts >= 2 && o.Hosts <= 100_000, "--hosts %d: want 2 to 100000", o.Hosts)
	check(o.Months >= 1 && o.Months <= 120, "--months %d: want 1 to 120", o.Months)
	check(o.Indexes == IndexesAuto || o.Indexes == IndexesRebuild || o.Indexes == IndexesKeep,
		"--indexes %q: want auto, rebuild or keep", o.Indexes)
	check(o.Notifications == 0 || o.Subscriptions > 0, "--notifications %d needs subscriptions to push to (--subscriptions > 0)", o.Notifications)
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n"))
	}
	return nil
}

// ErrRealData is what Run returns (wrapped in a *RealDataError) for a
// database that holds data the seeder did not make.
var ErrRealData = errors.New("the database holds data the seeder did not make")

// RealDataError says what the seeder found that it did not make.
type RealDataError struct{ Found []string }

func (e *RealDataError) Error() string {
	return "this database holds data the seeder did not make: " + strings.Join(e.Found, "; ") + ".\n" +
		"Seeding adds a year of made-up calls, subscriptions, pushes and audit entries beside it, which the pages show " +
		"like real ones, and which cannot be taken out again (the audit trail is append-only). Seed a scratch database " +
		"instead, or pass --force if you really mean this one."
}

func (e *RealDataError) Unwrap() error { return ErrRealData }

// found lists what a census says the seeder did not make; nil: nothing.
func found(c store.Census) []string {
	var out []string
	if c.Users > 1 {
		out = append(out, fmt.Sprintf("%d users (a new console has one, its first admin)", c.Users))
	}
	if len(c.Gateways) > 0 {
		out = append(out, fmt.Sprintf("gateways %q", c.Gateways))
	}
	if c.Calls {
		out = append(out, "gateway calls on gateways of its own")
	}
	if c.Subscriptions {
		out = append(out, "subscriptions on gateways of its own")
	}
	if c.Notifications {
		out = append(out, "pushes received for subscriptions of its own")
	}
	return out
}

// Stage is one table's load.
type Stage struct {
	Table string
	Rows  int64
	Took  time.Duration
}

// Rate is the stage's rows per second.
func (s Stage) Rate() float64 {
	if s.Took <= 0 {
		return 0
	}
	return float64(s.Rows) / s.Took.Seconds()
}

// Report is what a load wrote, and how long each part took.
type Report struct {
	Seed                     int64
	From, To                 time.Time
	Shortened                bool // the history starts later than --months asked: its window is shorter
	UsersCreated, GwsCreated int
	Stages                   []Stage
	Indexes                  []Stage // one per index rebuilt, Table holding its name
	Analyze                  time.Duration
	Vacuum                   time.Duration // 0: not vacuumed
	Took                     time.Duration
	Outcomes                 map[domain.Outcome]int64
	Operations               map[domain.Operation]int64
	States                   map[domain.SubState]int
	Actions                  map[domain.AuditAction]int64
	Accepted, Refused        int64 // pushes
	Rebuilt                  []string
}

// Rows returns how many rows the stage of table wrote.
func (r Report) Rows(table string) int64 {
	for _, s := range r.Stages {
		if s.Table == table {
			return s.Rows
		}
	}
	return 0
}

// Run seeds the database of st: see the package comment. keys seal the
// gateways' passwords and the subscriptions' service tokens, as the
// console's would.
func Run(ctx context.Context, st *store.Store, keys *secret.Keyring, o Options) (Report, error) {
	if err := o.validate(); err != nil {
		return Report{}, err
	}
	if o.Seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		o.Seed = int64(binary.LittleEndian.Uint64(b[:]) >> 1)
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 2 * time.Second
	}
	began := time.Now()
	w := newWorld(o, o.Now)
	if int64(o.Calls) < w.minCalls {
		return Report{}, fmt.Errorf("--calls %d is too few for --subscriptions %d: their registers, cancels and outages "+
			"alone are %d calls; raise --calls or lower --subscriptions", o.Calls, o.Subscriptions, w.minCalls)
	}
	w.seal = func(token string) []byte {
		b, err := keys.Seal([]byte(token), secret.PurposeServiceToken)
		if err != nil && w.sealErr == nil {
			w.sealErr = err
		}
		return b
	}
	rep := Report{Seed: o.Seed, From: w.start, To: w.now, States: map[domain.SubState]int{}, Shortened: w.shortened}
	p := &progress{out: o.Progress, every: o.ProgressEvery}
	err := st.BulkLoad(ctx, func(b *store.Bulk) error {
		return load(ctx, b, w, keys, p, &rep)
	})
	if err != nil {
		return rep, err
	}
	if o.Vacuum {
		p.printf("committed; vacuuming\n")
		start := time.Now()
		if err := st.Vacuum(ctx, loadedTables...); err != nil {
			return rep, fmt.Errorf("seed: the load is committed, but: %w", err)
		}
		rep.Vacuum = time.Since(start)
		p.printf("vacuumed the tables in %s\n", round(rep.Vacuum))
	}
	rep.Took = time.Since(began)
	return rep, nil
}

// load is Run inside the load's transaction.
func load(ctx context.Context, b *store.Bulk, w *world, keys *secret.Keyring, p *progress, rep *Report) error {
	o := w.o
	if err := b.Lock(ctx, "users", "gateways", "calls", "subscriptions", "notifications", "notification_digests",
		"heartbeats", "audit_log"); err != nil {
		return err
	}
	census, err := b.Census(ctx, store.SeedMarks{UserPrefix: seededUserPrefix, GatewayPrefix: seededGatewayPrefix,
		GatewayURLPrefix: seededGatewayURL, KeyPrefix: seededKeyPrefix, SimulatorName: simulatorName})
	if err != nil {
		return err
	}
	if f := found(census); len(f) > 0 && !o.Force {
		return &RealDataError{Found: f}
	}
	newUsers, newGws, err := ensureAccounts(ctx, b, w, keys)
	if err != nil {
		return err
	}
	rep.UsersCreated, rep.GwsCreated = len(newUsers), len(newGws)
	if o.Subscriptions > 0 {
		first, err := b.ReserveIDs(ctx, "subscriptions", int64(o.Subscriptions))
		if err != nil {
			return err
		}
		w.assignSubIDs(first, o.PublicURL)
		for _, s := range w.subs {
			if tok := w.tokenOf(s); tok != "" {
				s.sealed = w.seal(tok)
			}
			rep.States[s.state]++
		}
		if w.sealErr != nil {
			return fmt.Errorf("seed: seal a service token: %w", w.sealErr)
		}
	}
	var trail *trailGen
	if o.Audit > 0 {
		// Checked before anything is written: the users and gateways are
		// known now, the subscriptions' entries were planned.
		if _, err := newTrailGen(w, nil, int64(o.Audit), newUsers, newGws); err != nil {
			return err
		}
	}
	rebuild, err := dropIndexes(ctx, b, o, rep)
	if err != nil {
		return err
	}
	if o.Calls > 0 {
		first, err := b.ReserveIDs(ctx, "calls", int64(o.Calls))
		if err != nil {
			return err
		}
		g := newCallGen(w, first)
		if err := p.copy(ctx, b, rep, "calls", callColumns, g, int64(o.Calls)); err != nil {
			return err
		}
		if g.emitted != int64(o.Calls) || w.sealErr != nil {
			return errors.Join(fmt.Errorf("seed: wrote %d calls of %d (a bug)", g.emitted, o.Calls), w.sealErr)
		}
		rep.Outcomes, rep.Operations = g.outcomes, g.ops
	}
	if o.Subscriptions > 0 {
		if err := p.copy(ctx, b, rep, "subscriptions", subColumns, newSubGen(w), int64(o.Subscriptions)); err != nil {
			return err
		}
	}
	if o.Notifications > 0 {
		g := newPushGen(w)
		if err := p.copy(ctx, b, rep, "notifications", pushColumns, g, int64(o.Notifications)); err != nil {
			return err
		}
		rep.Accepted, rep.Refused = g.counts[true], g.counts[false]
		if len(g.digests) > 0 {
			d := &digestGen{d: g.digests}
			if err := p.copy(ctx, b, rep, "notification_digests", digestColumns, d, int64(len(g.digests))); err != nil {
				return err
			}
		}
	}
	if o.Heartbeats && o.Subscriptions > 0 {
		if err := p.copy(ctx, b, rep, "heartbeats", heartbeatColumns, newBeatGen(w), -1); err != nil {
			return err
		}
	}
	if o.Audit > 0 {
		head, err := b.AuditHead(ctx)
		if err != nil {
			return err
		}
		if trail, err = newTrailGen(w, head, int64(o.Audit), newUsers, newGws); err != nil {
			return err
		}
		if err := p.copy(ctx, b, rep, "audit_log", auditColumns, trail, int64(o.Audit)); err != nil {
			return err
		}
		rep.Actions = trail.actions
	}
	for _, r := range rebuild {
		err := b.CreateIndexes(ctx, r.idx, func(x store.Index, took time.Duration) {
			rep.Indexes = append(rep.Indexes, Stage{Table: x.Name, Took: took})
			p.printf("%s: index %s built in %s\n", r.table, x.Name, round(took))
		})
		if err != nil {
			return err
		}
	}
	start := time.Now()
	if err := b.Analyze(ctx, loadedTables...); err != nil {
		return err
	}
	rep.Analyze = time.Since(start)
	p.printf("analyzed the tables in %s; committing\n", round(rep.Analyze))
	return nil
}

// loadedTables are the tables a load writes many rows to. call_texts is
// filled by a trigger on calls: left out, its statistics stayed those of
// the empty table (207 rows estimated for 29,335 at 10 million calls), and
// the text search's lookup took 70 ms instead of 1 ms until autovacuum
// came by.
var loadedTables = []string{"calls", "call_texts", "subscriptions", "notifications", "notification_digests", "heartbeats", "audit_log"}

// simulatorName is app.SimulatorName: ccsub creates that gateway itself
// when it runs the built-in simulator, so it is no sign of real data.
const simulatorName = "simulator"

// unusablePassword is the password hash of the seeded users: not a hash at
// all, so no password signs them in (password.Verify refuses it). An
// administrator can give one a password with `ccsub user reset-password`.
const unusablePassword = "!seeded: no password"

// ensureAccounts finds or creates the seeded users and gateways and
// returns those it created.
func ensureAccounts(ctx context.Context, b *store.Bulk, w *world, keys *secret.Keyring) ([]*user, []*gateway, error) {
	var users []*user
	for _, u := range w.users {
		id, created, err := b.EnsureUser(ctx, u.name, u.role, unusablePassword, u.created)
		if err != nil {
			return nil, nil, err
		}
		u.id, u.isNew = id, created
		if created {
			users = append(users, u)
		}
	}
	var gws []*gateway
	for i, g := range w.gws {
		sealed, err := keys.Seal([]byte(randomText(w.rng, 12)), secret.PurposeGatewayPassword)
		if err != nil {
			return nil, nil, fmt.Errorf("seed: seal a gateway password: %w", err)
		}
		id, created, err := b.EnsureGateway(ctx, store.SeedGateway{Name: g.name, BaseURL: g.baseURL, AgentID: g.agentID,
			PasswordSealed: sealed, CreatedAt: g.created, LastTestAt: w.now.Add(-time.Duration(3+i) * time.Hour), LastTestOK: true})
		if err != nil {
			return nil, nil, err
		}
		g.id, g.isNew = id, created
		if created {
			gws = append(gws, g)
		}
	}
	return users, gws, nil
}

type rebuildPlan struct {
	table string
	idx   []store.Index
}

// dropIndexes drops the secondary indexes of the big tables the options
// say to rebuild, and returns what to build again after the load.
func dropIndexes(ctx context.Context, b *store.Bulk, o Options, rep *Report) ([]rebuildPlan, error) {
	var plans []rebuildPlan
	for _, t := range []struct {
		table string
		rows  int
	}{{"calls", o.Calls}, {"notifications", o.Notifications}, {"audit_log", o.Audit}} {
		if t.rows == 0 || o.Indexes == IndexesKeep {
			continue
		}
		if o.Indexes == IndexesAuto {
			have, err := b.EstimatedRows(ctx, t.table)
			if err != nil {
				return nil, err
			}
			if t.rows < rebuildAtLeast || int64(t.rows) < have {
				continue
			}
		}
		idx, err := b.DropIndexes(ctx, t.table)
		if err != nil {
			return nil, err
		}
		plans = append(plans, rebuildPlan{t.table, idx})
		rep.Rebuilt = append(rep.Rebuilt, t.table)
	}
	return plans, nil
}

// progress prints how a load goes: a line every few seconds while a table
// is copied, and one when it is done.
type progress struct {
	out   io.Writer
	every time.Duration
}

func (p *progress) printf(format string, args ...any) {
	if p.out != nil {
		fmt.Fprintf(p.out, format, args...)
	}
}

// counted counts the rows a source gave.
type counted struct {
	store.RowFiller
	n atomic.Int64
}

func (c *counted) Fill(r *store.CopyRow) bool {
	if !c.RowFiller.Fill(r) {
		return false
	}
	c.n.Add(1)
	return true
}

// copy streams src into table and records the stage; total < 0: unknown.
func (p *progress) copy(ctx context.Context, b *store.Bulk, rep *Report, table string, columns []string, src store.RowFiller, total int64) error {
	c := &counted{RowFiller: src}
	start := time.Now()
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				n, took := c.n.Load(), time.Since(start)
				rate := float64(n) / took.Seconds()
				if total > 0 {
					left := time.Duration(float64(total-n) / math.Max(rate, 1) * float64(time.Second))
					p.printf("%s: %s of %s (%.0f%%), %s rows/s, %s left\n", table, thousands(n), thousands(total),
						100*float64(n)/float64(total), thousands(int64(rate)), round(left))
				} else {
					p.printf("%s: %s, %s rows/s\n", table, thousands(n), thousands(int64(rate)))
				}
			}
		}
	}()
	n, err := b.Copy(ctx, table, columns, c)
	close(stop)
	<-finished
	if err != nil {
		return err
	}
	s := Stage{Table: table, Rows: n, Took: time.Since(start)}
	rep.Stages = append(rep.Stages, s)
	p.printf("%s: %s rows in %s (%s rows/s)\n", table, thousands(n), round(s.Took), thousands(int64(s.Rate())))
	return nil
}

func round(d time.Duration) time.Duration {
	if d > 10*time.Second {
		return d.Round(time.Second)
	}
	return d.Round(10 * time.Millisecond)
}

// thousands writes n with thin separators: 1,234,567.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Thousands is thousands for the command line's summary.
func Thousands(n int64) string { return thousands(n) }
