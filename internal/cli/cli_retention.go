package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"ccsub/internal/app"
	"ccsub/internal/domain"
)

func retentionCmd(ctx context.Context, e env, args []string) error {
	if len(args) == 0 {
		return errors.New("retention: want a subcommand: run or show")
	}
	fs := flag.NewFlagSet("retention "+args[0], flag.ContinueOnError)
	if err := parseFlags(fs, args[1:], e); err != nil {
		return err
	}
	switch args[0] {
	case "run":
		return retentionRun(ctx, e)
	case "show":
		return retentionShow(ctx, e)
	}
	return fmt.Errorf("retention: unknown subcommand %q (want run or show)", args[0])
}

// retentionRun applies the configured policy once, now, and prints what
// it deleted. The run is recorded and audited like the hourly ones, with
// the command line as its actor. It refuses to start while another run
// is in progress.
func retentionRun(ctx context.Context, e env) error {
	return withApp(ctx, e, app.OpenOptions{NoKeys: true}, func(a *app.App) error {
		run, err := a.Retention.Run(ctx, actor(e), domain.RunCLI)
		if errors.Is(err, domain.ErrConflict) {
			return fmt.Errorf("retention run: run #%d (by %s, started %s) is still in progress; nothing was started",
				run.ID, run.Actor, run.StartedAt.UTC().Format(time.RFC3339))
		}
		if run.ID != 0 {
			fmt.Fprintf(e.stdout, "run #%d %s in %s\n", run.ID, run.Status, run.Duration().Round(time.Millisecond))
			printDeleted(e.stdout, run)
		}
		return err
	})
}

// retentionShow prints the policy, the tables' sizes and the latest runs:
// what the retention page shows.
func retentionShow(ctx context.Context, e env) error {
	return withApp(ctx, e, app.OpenOptions{NoKeys: true}, func(a *app.App) error {
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "rows\tkept\tsetting")
		policy := a.Retention.Policy()
		for _, k := range domain.RetentionKinds {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", k, domain.FormatKeep(policy[k]), "CCSUB_RETAIN_"+strings.ToUpper(string(k)))
		}
		fmt.Fprintln(tw)
		sizes, err := a.Store.TableSizes(ctx, []string{"calls", "notifications", "heartbeats", "audit_log", "retention_runs"})
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "table\tsize\trows (estimate)")
		for _, t := range sizes {
			rows := "not estimated yet"
			if t.Rows >= 0 {
				rows = strconv.FormatInt(t.Rows, 10)
			}
			fmt.Fprintf(tw, "%s\t%d MiB\t%s\n", t.Table, t.Bytes>>20, rows)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		runs, err := a.Store.RetentionRuns(ctx, 5)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout)
		if len(runs) == 0 {
			fmt.Fprintln(e.stdout, "no run yet")
		}
		for _, r := range runs {
			fmt.Fprintf(e.stdout, "run #%d %s: %s by %s (%s), %s\n", r.ID, r.StartedAt.UTC().Format(time.RFC3339),
				r.Status, r.Actor, r.Trigger, r.Duration().Round(time.Millisecond))
			printDeleted(e.stdout, r)
		}
		return nil
	})
}

func printDeleted(w io.Writer, r domain.RetentionRun) {
	for _, k := range domain.RetentionKinds {
		if n, ok := r.Deleted[k]; ok {
			fmt.Fprintf(w, "  %-18s %d deleted\n", k, n)
		}
	}
	if r.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", r.Error)
	}
}
