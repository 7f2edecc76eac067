package dbtest

import (
	"context"
	"testing"
)

func TestMain(m *testing.M) { Main(m) }

func TestPoolIsMigrated(t *testing.T) {
	var n int
	err := Pool(t).QueryRow(context.Background(),
		"SELECT count(*) FROM information_schema.tables WHERE table_name IN ('users','gateways','calls','subscriptions')").Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Fatalf("want the 4 core tables, found %d", n)
	}
}
