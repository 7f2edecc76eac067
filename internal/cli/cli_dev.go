package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"ccsub/internal/app"
	"ccsub/internal/domain"
	"ccsub/internal/seed"
)

func devCmd(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "seed" {
		return errors.New("dev: want a subcommand: seed")
	}
	return devSeed(ctx, e, args[1:])
}

// devSeed is `ccsub dev seed`: a realistic data set (internal/seed),
// refused on a database that holds data the seeder did not make unless
// --force. Progress goes to standard error, the summary to standard output.
func devSeed(ctx context.Context, e env, args []string) error {
	o := seed.Defaults()
	fs := flag.NewFlagSet("dev seed", flag.ContinueOnError)
	fs.IntVar(&o.Calls, "calls", o.Calls, "history rows (gateway calls and state changes)")
	fs.IntVar(&o.Subscriptions, "subscriptions", o.Subscriptions, "subscriptions, in every state")
	fs.IntVar(&o.Notifications, "notifications", o.Notifications, "pushes to ccsub's receiver")
	fs.IntVar(&o.Audit, "audit", o.Audit, "audit entries (0: none)")
	fs.IntVar(&o.Gateways, "gateways", o.Gateways, "seeded gateways")
	fs.IntVar(&o.Hosts, "hosts", o.Hosts, "distinct callback hosts")
	fs.IntVar(&o.Months, "months", o.Months, "how many months back the history goes")
	fs.BoolVar(&o.Heartbeats, "heartbeats", o.Heartbeats, "write the 24-hour heartbeat strips")
	fs.BoolVar(&o.Vacuum, "vacuum", false, "VACUUM (ANALYZE) the loaded tables afterwards, as autovacuum would in time (for index-only scans)")
	fs.Int64Var(&o.Seed, "seed", 0, "random seed, for the same data set again on a fresh database (0: a new one, printed)")
	fs.BoolVar(&o.Force, "force", false, "seed even a database that holds data the seeder did not make")
	fs.StringVar(&o.Indexes, "indexes", o.Indexes, "auto, rebuild or keep: drop the secondary indexes of the big tables while loading and build them again afterwards")
	fs.Func("now", "when the seeded history ends, RFC 3339 (default: now); with the same --seed, the same data set again", func(v string) error {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fmt.Errorf("want a time like 2026-12-01T00:00:00Z: %w", err)
		}
		o.Now = t
		return nil
	})
	if err := parseFlags(fs, args, e); err != nil {
		return err
	}
	return withApp(ctx, e, app.OpenOptions{}, func(a *app.App) error {
		o.PublicURL, o.Progress = a.Config.PublicURL, e.stderr
		r := a.Config.Retention
		o.Keep = domain.RetentionPolicy{domain.RetainCalls: r.Calls, domain.RetainFailedHandshakes: r.FailedHandshakes,
			domain.RetainNotifications: r.Notifications, domain.RetainRefusedPushes: r.RefusedPushes}
		rep, err := seed.Run(ctx, a.Store, a.Keys, o)
		if errors.Is(err, seed.ErrRealData) {
			return fmt.Errorf("dev seed: %w", err)
		}
		if err != nil {
			if ctx.Err() != nil {
				return errors.New("dev seed: interrupted; nothing was written")
			}
			return fmt.Errorf("dev seed: %w; nothing was written", err)
		}
		printSeedReport(e, rep)
		return nil
	})
}

func printSeedReport(e env, r seed.Report) {
	w := e.stdout
	fmt.Fprintf(w, "seeded %s to %s (seed %d) in %s\n", r.From.UTC().Format(time.DateOnly), r.To.UTC().Format(time.DateOnly),
		r.Seed, r.Took.Round(time.Millisecond))
	if r.Shortened {
		fmt.Fprintf(w, "  the history starts %s: CCSUB_RETAIN_CALLS keeps no more, and the console would delete the rest\n",
			r.From.UTC().Format(time.DateOnly))
	}
	fmt.Fprintf(w, "  users created: %d, gateways created: %d\n", r.UsersCreated, r.GwsCreated)
	for _, s := range r.Stages {
		fmt.Fprintf(w, "  %-21s %12s rows  %9s  %10s rows/s\n", s.Table, seed.Thousands(s.Rows), s.Took.Round(time.Millisecond),
			seed.Thousands(int64(s.Rate())))
	}
	if len(r.Rebuilt) > 0 {
		var took time.Duration
		for _, x := range r.Indexes {
			took += x.Took
		}
		fmt.Fprintf(w, "  indexes rebuilt on %s: %d in %s\n", strings.Join(r.Rebuilt, ", "), len(r.Indexes), took.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "  analyzed in %s", r.Analyze.Round(time.Millisecond))
	if r.Vacuum > 0 {
		fmt.Fprintf(w, ", vacuumed in %s", r.Vacuum.Round(time.Millisecond))
	}
	fmt.Fprintln(w)
	if len(r.States) > 0 {
		fmt.Fprintf(w, "  subscriptions by state: %s\n", counts(r.States))
	}
	if len(r.Outcomes) > 0 {
		fmt.Fprintf(w, "  calls by outcome: %s\n", counts(r.Outcomes))
		fmt.Fprintf(w, "  calls by operation: %s\n", counts(r.Operations))
	}
	if r.Accepted+r.Refused > 0 {
		fmt.Fprintf(w, "  pushes: %s accepted, %s refused\n", seed.Thousands(r.Accepted), seed.Thousands(r.Refused))
	}
}

// counts writes a tally as "a 12, b 3", largest first.
func counts[K ~string, N int | int64](m map[K]N) string {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %s", k, seed.Thousands(int64(m[k])))
	}
	return strings.Join(parts, ", ")
}
