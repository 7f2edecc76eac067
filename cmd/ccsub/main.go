// Command ccsub is the CC-Gateway subscription console: `ccsub serve` (the
// default) runs the web console; other commands manage users, gateways and
// the database from the shell. It only hands its arguments to the command
// line door.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"ccsub/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ccsub:", err)
		os.Exit(1)
	}
}
