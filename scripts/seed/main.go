// Command seed fills a ccsub database with history rows for load runs
// (scripts/bench-history.sh) and prints the page cursor of a deep page.
// It writes bulk fake calls: never point it at a database you care about.
//
//	DATABASE_URL=postgres://... go run ./scripts/seed -gateway simulator -calls 100000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"time"

	"ccsub/internal/database"
	"ccsub/internal/store"
	"ccsub/internal/store/storetest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

// run seeds the calls, then prints the cursor ("<unix micro>.<id>", as the
// history's Older links carry it) of the call at depth percent down the
// newest-first history.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	calls := fs.Int("calls", 100_000, "number of history rows to insert")
	gwName := fs.String("gateway", "simulator", "name of the existing gateway the rows belong to")
	depth := fs.Int("depth", 90, "print the cursor of the call this many percent down the history")
	if err := fs.Parse(args); err != nil {
		return err
	}
	url := getenv("DATABASE_URL")
	if url == "" || *calls <= 0 || *depth < 0 || *depth >= 100 {
		return errors.New("want DATABASE_URL, -calls > 0 and 0 <= -depth < 100")
	}
	pool, err := database.Open(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)
	g, err := st.GatewayByName(ctx, *gwName)
	if err != nil {
		return fmt.Errorf("gateway %q: %w", *gwName, err)
	}
	if err := storetest.SeedCalls(ctx, pool, *calls, g.ID); err != nil {
		return err
	}
	offset := *calls * *depth / 100
	cursor, err := cursorAt(ctx, st, offset)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, cursor)
	return err
}

// cursorAt returns the cursor of the call with offset newer calls above it.
func cursorAt(ctx context.Context, st *store.Store, offset int) (string, error) {
	var at time.Time
	var id int64
	err := st.Pool().QueryRow(ctx, `SELECT started_at, id FROM calls
		ORDER BY started_at DESC, id DESC OFFSET $1 LIMIT 1`, offset).Scan(&at, &id)
	if err != nil {
		return "", fmt.Errorf("cursor at offset %d: %w", offset, err)
	}
	return strconv.FormatInt(at.UnixMicro(), 10) + "." + strconv.FormatInt(id, 10), nil
}
