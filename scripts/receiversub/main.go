// Command receiversub adds a subscription whose callback is ccsub's own
// receiver, for load runs of the receiver (scripts/bench-receiver.sh): it
// seals the service token with CCSUB_SECRET_KEY, as register would, and
// prints the subscription's serverId. It registers nothing with any
// gateway: never point it at a database you care about.
//
//	DATABASE_URL=postgres://... CCSUB_SECRET_KEY=... go run ./scripts/receiversub -key K -token T
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"ccsub/internal/database"
	"ccsub/internal/domain"
	"ccsub/internal/secret"
	"ccsub/internal/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "receiversub:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("receiversub", flag.ContinueOnError)
	key := fs.String("key", "", "the receiver key (the last part of the receiver URL)")
	token := fs.String("token", "", "the service token the pushes will carry")
	gwName := fs.String("gateway", "simulator", "name of the existing gateway the subscription belongs to")
	publicURL := fs.String("public-url", "http://127.0.0.1:18080", "ccsub's CCSUB_PUBLIC_URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *key == "" || *token == "" || getenv("DATABASE_URL") == "" || getenv("CCSUB_SECRET_KEY") == "" {
		return errors.New("want -key, -token, DATABASE_URL and CCSUB_SECRET_KEY")
	}
	keys, err := secret.ParseKeys(getenv("CCSUB_SECRET_KEY"))
	if err != nil {
		return err
	}
	sealed, err := keys.Seal([]byte(*token), secret.PurposeServiceToken)
	if err != nil {
		return err
	}
	pool, err := database.Open(ctx, getenv("DATABASE_URL"))
	if err != nil {
		return err
	}
	defer pool.Close()
	st := store.New(pool)
	g, err := st.GatewayByName(ctx, *gwName)
	if err != nil {
		return fmt.Errorf("gateway %q: %w", *gwName, err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	sub, err := st.CreateSubscription(ctx, domain.NewSubscription{GatewayID: g.ID,
		ServerID: "bench-" + hex.EncodeToString(b[:]), SubscribeType: "1",
		CallbackURI: *publicURL + "/receiver/" + *key, TokenSealed: sealed, CreatedBy: "bench",
		RegisterCallID: 0, ReceiverKey: *key, State: domain.SubCancelled, StateReason: "load-run fixture"})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, sub.ServerID)
	return err
}
