package store_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"ccsub/internal/dbtest"
	"ccsub/internal/store"
)

// rows is a RowFiller of rows written by a function each.
type rows struct {
	fill []func(r *store.CopyRow)
	i    int
	err  error
}

func (s *rows) Fill(r *store.CopyRow) bool {
	if s.i >= len(s.fill) {
		return false
	}
	s.fill[s.i](r)
	s.i++
	return true
}

func (s *rows) Err() error { return s.err }

var bulkCallColumns = []string{"id", "started_at", "finished_at", "duration_us", "gateway_id", "gateway_name", "actor",
	"operation", "outcome", "http_status", "nlp_flag", "token_sealed", "subscription_id"}

func TestBulkCopyWritesEveryColumnType(t *testing.T) {
	s := store.New(dbtest.Pool(t))
	g := newGateway(t, s)
	at := time.Date(2026, 3, 4, 5, 6, 7, 891011000, time.UTC)
	var first int64
	err := s.BulkLoad(t.Context(), func(b *store.Bulk) error {
		if err := b.Lock(t.Context(), "calls"); err != nil {
			return err
		}
		var err error
		if first, err = b.ReserveIDs(t.Context(), "calls", 2); err != nil {
			return err
		}
		row := func(id int64, sealed []byte, sub bool) func(r *store.CopyRow) {
			return func(r *store.CopyRow) {
				r.Int64(id)
				r.Time(at)
				r.Time(at.Add(1500 * time.Microsecond))
				r.Int64(1500)
				r.Int64(g.ID)
				r.Text(g.Name + " ünïcode")
				r.Text("bulk")
				r.Text("login")
				r.Text("success")
				r.Int32(200)
				r.Bool(sub)
				r.Bytes(sealed)
				if sub {
					r.Int64(42)
				} else {
					r.Null()
				}
			}
		}
		n, err := b.Copy(t.Context(), "calls", bulkCallColumns, &rows{fill: []func(*store.CopyRow){
			row(first, []byte{0, 1, 255}, true), row(first+1, nil, false)}})
		if err == nil && n != 2 {
			t.Errorf("copied %d rows, want 2", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Call(t.Context(), first)
	if err != nil {
		t.Fatal(err)
	}
	if !c.StartedAt.Equal(at) || c.FinishedAt == nil || !c.FinishedAt.Equal(at.Add(1500*time.Microsecond)) ||
		c.Duration != 1500*time.Microsecond || c.GatewayName != g.Name+" ünïcode" || c.HTTPStatus != 200 || !c.NLPFlag ||
		!bytes.Equal(c.TokenSealed, []byte{0, 1, 255}) || c.SubscriptionID == nil || *c.SubscriptionID != 42 {
		t.Errorf("read back %+v", c)
	}
	c, err = s.Call(t.Context(), first+1)
	if err != nil || c.TokenSealed != nil || c.SubscriptionID != nil || c.NLPFlag {
		t.Errorf("NULLs and false read back as %+v (%v)", c, err)
	}
	// The identity goes on after the reserved ids.
	next := beginCall(t, s, newCall(g))
	if next.ID <= first+1 {
		t.Errorf("next call id %d, want after %d", next.ID, first+1)
	}
}

func TestBulkLoadWritesNothingWhenARowFails(t *testing.T) {
	s := store.New(dbtest.Pool(t))
	g := newGateway(t, s)
	stop := errors.New("the generator gave up")
	count := func() (n int64) {
		if err := s.Pool().QueryRow(t.Context(), "SELECT count(*) FROM calls WHERE actor = 'bulk-fail'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	good := func(r *store.CopyRow) {
		r.Time(time.Now())
		r.Int64(g.ID)
		r.Text(g.Name)
		r.Text("bulk-fail")
		r.Text("login")
	}
	columns := []string{"started_at", "gateway_id", "gateway_name", "actor", "operation"}
	for name, src := range map[string]*rows{
		"the filler's error": {fill: []func(*store.CopyRow){good, good}, err: stop},
		"a row short of a column": {fill: []func(*store.CopyRow){good, func(r *store.CopyRow) {
			r.Time(time.Now())
		}}},
	} {
		t.Run(name, func(t *testing.T) {
			err := s.BulkLoad(t.Context(), func(b *store.Bulk) error {
				_, err := b.Copy(t.Context(), "calls", columns, src)
				return err
			})
			if err == nil || src.err != nil && !strings.Contains(err.Error(), stop.Error()) {
				t.Errorf("err = %v", err)
			}
			if n := count(); n != 0 {
				t.Errorf("%d rows written", n)
			}
		})
	}
}

func TestBulkDropsAndBuildsTheSecondaryIndexes(t *testing.T) {
	pool, _ := dbtest.Isolated(t)
	s := store.New(pool)
	defs := func() string {
		var d string
		if err := pool.QueryRow(t.Context(), `SELECT string_agg(indexdef, E'\n' ORDER BY indexname) FROM pg_indexes
			WHERE tablename = 'calls'`).Scan(&d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	before := defs()
	var dropped []store.Index
	err := s.BulkLoad(t.Context(), func(b *store.Bulk) error {
		var err error
		if dropped, err = b.DropIndexes(t.Context(), "calls"); err != nil {
			return err
		}
		for _, x := range dropped {
			if strings.Contains(x.Definition, "PRIMARY") || strings.HasPrefix(x.Name, "calls_pkey") {
				t.Errorf("dropped the primary key %s", x.Name)
			}
		}
		built := 0
		err = b.CreateIndexes(t.Context(), dropped, func(store.Index, time.Duration) { built++ })
		if built != len(dropped) {
			t.Errorf("built %d of %d", built, len(dropped))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dropped) < 5 {
		t.Errorf("dropped %d indexes, want the secondary indexes of calls", len(dropped))
	}
	if after := defs(); after != before {
		t.Errorf("indexes after\n%s\nbefore\n%s", after, before)
	}
}
