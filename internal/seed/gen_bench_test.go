package seed

import (
	"testing"
	"time"

	"ccsub/internal/store"
)

// BenchmarkCallGen measures the seeder's side of a load of calls alone
// (no database): generating a history row and encoding it for COPY.
func BenchmarkCallGen(b *testing.B) {
	o := Defaults()
	o.Seed, o.Calls = 1, b.N+10_000
	w := newWorld(o, time.Now())
	w.seal = func(string) []byte { return []byte("sealed") }
	w.assignSubIDs(1, o.PublicURL)
	g := newCallGen(w, 1)
	var r store.CopyRow
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r.Reset()
		if !g.Fill(&r) {
			b.Fatal("the calls ended early")
		}
	}
}

// BenchmarkTrailGen measures generating, hashing and encoding audit entries.
func BenchmarkTrailGen(b *testing.B) {
	w := benchWorld(b)
	g, err := newTrailGen(w, make([]byte, 32), int64(b.N)+100_000, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	fill(b, g)
}

// BenchmarkPushGen measures generating and encoding pushes.
func BenchmarkPushGen(b *testing.B) {
	w := benchWorld(b)
	w.o.Notifications = b.N + 1
	fill(b, newPushGen(w))
}

func benchWorld(b *testing.B) *world {
	o := Defaults()
	o.Seed = 1
	w := newWorld(o, time.Now())
	w.seal = func(string) []byte { return []byte("sealed") }
	w.assignSubIDs(1, o.PublicURL)
	for i, g := range w.gws {
		g.id = int64(i + 1)
	}
	for i, u := range w.users {
		u.id = int64(i + 1)
	}
	return w
}

func fill(b *testing.B, g store.RowFiller) {
	var r store.CopyRow
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r.Reset()
		if !g.Fill(&r) {
			b.Fatal("the rows ended early", g.Err())
		}
	}
}
