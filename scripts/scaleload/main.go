// Command scaleload is the HTTP load generator of scripts/bench-scale.sh
// (docs/benchmarks.md, "Everything at 10 million rows"). It sends GET
// requests to a running console with a session cookie, over keep-alive
// connections, and times each one from the request to the last byte of the
// answer (the client's latency on loopback, as hey reports it), and reads
// the server's own time from its Server-Timing header.
//
//	scaleload each -base URL -cookie NAME=VALUE -urls FILE [-n 200] [-warm 20] [-out FILE]
//	scaleload mix  -base URL -cookie NAME=VALUE -urls FILE [-c 20] [-duration 60s | -requests N] [-out FILE]
//	scaleload compare [-max-ms 50] [-max-ratio 2] SMALL.tsv BIG.tsv
//
// The URL file has one request a line: "name<TAB>kind<TAB>path". Lines
// starting with # and empty lines are skipped.
//
//   - each: every line on its own, one request at a time: warm-up requests
//     first, then n timed ones; one result row per line (name).
//   - mix: c workers for a duration (or a number of requests, or until
//     SIGINT/SIGTERM): each picks a kind at random, then a line of that kind
//     at random; one result row per kind, and one for all.
//   - compare: the "each" results of a small and a big database side by
//     side: the median server times (the client's for reports without
//     them), their ratio and whether the big one is under the limits.
//
// Results are printed as a table and, with -out, written as tab-separated
// values: name, count, errors, p50, p90, p99, max (milliseconds), rows (the
// <tr> rows in the first answer's <tbody>, or -1), status of the first
// answer, the median server time in ms ("-" when the server sent none;
// each only). Any answer other than 2xx, or a transport error, counts as an
// error; each sends its first answer's status along so a bad filter shows.
package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: scaleload each|mix|compare [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "each":
		err = each(os.Args[2:])
	case "mix":
		err = mix(os.Args[2:])
	case "compare":
		err = compare(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q: want each, mix or compare", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scaleload:", err)
		os.Exit(1)
	}
}

type target struct{ name, kind, path string }

type common struct {
	base, cookie, urls, out string
	targets                 []target
	client                  *http.Client
}

func (c *common) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.base, "base", "http://127.0.0.1:18080", "the console's address")
	fs.StringVar(&c.cookie, "cookie", "", "the session cookie, NAME=VALUE")
	fs.StringVar(&c.urls, "urls", "", "file of name<TAB>kind<TAB>path lines")
	fs.StringVar(&c.out, "out", "", "also write the results here, tab-separated")
}

func (c *common) load(conns int) error {
	if c.urls == "" {
		return errors.New("-urls is required")
	}
	f, err := os.Open(c.urls)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "\t")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || !strings.HasPrefix(parts[2], "/") {
			return fmt.Errorf("%s:%d: want name<TAB>kind<TAB>/path, got %q", c.urls, n, line)
		}
		c.targets = append(c.targets, target{parts[0], parts[1], parts[2]})
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(c.targets) == 0 {
		return fmt.Errorf("%s: no requests", c.urls)
	}
	c.client = &http.Client{
		Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, DisableCompression: true,
			IdleConnTimeout: time.Minute},
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return nil
}

// get sends one request and reads the whole answer. body is kept only
// when keep is set.
func (c *common) get(ctx context.Context, path string, keep bool) (time.Duration, int, []byte, error) {
	d, _, status, body, err := c.getTimed(ctx, path, keep)
	return d, status, body, err
}

// getTimed is get that also returns the server's own time, from its
// Server-Timing header ("app;dur=<ms>"; 0 when missing): the time until
// the answer's header, without the network and this client.
func (c *common) getTimed(ctx context.Context, path string, keep bool) (time.Duration, time.Duration, int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	if c.cookie != "" {
		req.Header.Set("Cookie", c.cookie)
	}
	start := time.Now()
	resp, err := c.client.Do(req)
	if err != nil {
		return time.Since(start), 0, 0, nil, err
	}
	var body []byte
	if keep {
		body, err = io.ReadAll(resp.Body)
	} else {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	resp.Body.Close()
	took := time.Since(start)
	var server time.Duration
	if v, ok := strings.CutPrefix(resp.Header.Get("Server-Timing"), "app;dur="); ok {
		if ms, perr := strconv.ParseFloat(v, 64); perr == nil {
			server = time.Duration(ms * float64(time.Millisecond))
		}
	}
	return took, server, resp.StatusCode, body, err
}

// result is the figures of one name (each) or kind (mix).
type result struct {
	name   string
	times  []time.Duration
	server []time.Duration // the server's own times (Server-Timing), where it sent them
	errors int
	rows   int
	status int
	firstE string // the first error, for the log
}

func (r *result) add(d time.Duration, status int, err error) {
	r.times = append(r.times, d)
	if err != nil || status < 200 || status > 299 {
		r.errors++
		if r.firstE == "" {
			if err != nil {
				r.firstE = err.Error()
			} else {
				r.firstE = "HTTP " + strconv.Itoa(status)
			}
		}
	}
}

func (r *result) pct(p float64) float64 { return pct(r.times, p) }

func pct(times []time.Duration, p float64) float64 {
	if len(times) == 0 {
		return 0
	}
	s := slices.Clone(times)
	slices.Sort(s)
	i := int(p*float64(len(s))+0.5) - 1
	i = max(0, min(i, len(s)-1))
	return float64(s[i].Microseconds()) / 1000
}

func printResults(out string, rs []*result, header string) error {
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, header+"\tcount\terrors\tp50 ms\tp90 ms\tp99 ms\tmax ms\trows\tstatus\tserver p50 ms\t")
	var tsv strings.Builder
	for _, r := range rs {
		rows := strconv.Itoa(r.rows)
		if r.rows < 0 {
			rows = "-"
		}
		status := strconv.Itoa(r.status)
		if r.status == 0 {
			status = "-"
		}
		srv := "-"
		if len(r.server) > 0 {
			srv = fmt.Sprintf("%.3f", pct(r.server, .5))
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%s\t%s\t\n", r.name, len(r.times), r.errors, r.pct(.5), r.pct(.9),
			r.pct(.99), r.pct(1), rows, status, srv)
		fmt.Fprintf(&tsv, "%s\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%d\t%d\t%s\n", r.name, len(r.times), r.errors, r.pct(.5), r.pct(.9),
			r.pct(.99), r.pct(1), r.rows, r.status, srv)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rs {
		if r.firstE != "" {
			fmt.Printf("%s: %d errors, the first: %s\n", r.name, r.errors, r.firstE)
		}
	}
	if out != "" {
		return os.WriteFile(out, []byte(tsv.String()), 0o644)
	}
	return nil
}

// tableRows counts the <tr> rows in the first <tbody> of a page; -1 when
// it has none.
func tableRows(body []byte) int {
	s := string(body)
	i := strings.Index(s, "<tbody")
	if i < 0 {
		return -1
	}
	s = s[i:]
	if j := strings.Index(s, "</tbody>"); j >= 0 {
		s = s[:j]
	}
	return strings.Count(s, "<tr")
}

func each(args []string) error {
	var c common
	fs := flag.NewFlagSet("each", flag.ExitOnError)
	c.flags(fs)
	n := fs.Int("n", 200, "timed requests per line")
	warm := fs.Int("warm", 20, "warm-up requests per line, not timed")
	_ = fs.Parse(args)
	if err := c.load(1); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var rs []*result
	for _, t := range c.targets {
		r := &result{name: t.name}
		_, status, body, err := c.get(ctx, t.path, true)
		if err != nil {
			return fmt.Errorf("%s %s: %w", t.name, t.path, err)
		}
		r.status, r.rows = status, tableRows(body)
		for range *warm {
			if _, _, _, err := c.get(ctx, t.path, false); err != nil {
				return fmt.Errorf("%s %s: %w", t.name, t.path, err)
			}
		}
		for range *n {
			d, srv, status, _, err := c.getTimed(ctx, t.path, false)
			r.add(d, status, err)
			if srv > 0 {
				r.server = append(r.server, srv)
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		rs = append(rs, r)
		fmt.Fprintf(os.Stderr, "  %-28s p50 %7.2f ms, server %7.3f ms  (%d rows, HTTP %d)\n", t.name, r.pct(.5), pct(r.server, .5), r.rows, r.status)
	}
	return printResults(c.out, rs, "name")
}

func mix(args []string) error {
	var c common
	fs := flag.NewFlagSet("mix", flag.ExitOnError)
	c.flags(fs)
	conc := fs.Int("c", 20, "concurrent users (workers, each one request at a time)")
	dur := fs.Duration("duration", time.Minute, "how long to run (0: until -requests or a signal)")
	total := fs.Int("requests", 0, "stop after this many requests (0: no limit)")
	seed := fs.Uint64("seed", 1, "random seed of the picks")
	_ = fs.Parse(args)
	if err := c.load(*conc); err != nil {
		return err
	}
	byKind := map[string][]target{}
	var kinds []string
	for _, t := range c.targets {
		if _, ok := byKind[t.kind]; !ok {
			kinds = append(kinds, t.kind)
		}
		byKind[t.kind] = append(byKind[t.kind], t)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *dur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *dur)
		defer cancel()
	}
	var (
		mu      sync.Mutex
		res     = map[string]*result{}
		all     = &result{name: "all", rows: -1}
		sent    int
		wg      sync.WaitGroup
		started = time.Now()
		// Which requests failed and which were slowest, by line name: a
		// kind's figures alone do not say which filter hit a timeout.
		failedBy = map[string]int{}
		slowest  []timed
	)
	for _, k := range kinds {
		res[k] = &result{name: k, rows: -1}
	}
	for w := range *conc {
		rng := rand.New(rand.NewPCG(*seed, uint64(w)))
		wg.Go(func() {
			for ctx.Err() == nil {
				mu.Lock()
				if *total > 0 && sent >= *total {
					mu.Unlock()
					return
				}
				sent++
				mu.Unlock()
				k := kinds[rng.IntN(len(kinds))]
				ts := byKind[k]
				t := ts[rng.IntN(len(ts))]
				d, status, _, err := c.get(ctx, t.path, false)
				if ctx.Err() != nil {
					return // cut short by the end of the run: not an answer
				}
				mu.Lock()
				res[k].add(d, status, err)
				all.add(d, status, err)
				if err != nil || status < 200 || status > 299 {
					failedBy[t.name]++
				}
				slowest = append(slowest, timed{t.name, d})
				if len(slowest) > 2*keepSlow {
					slowest = topSlow(slowest, keepSlow)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	took := time.Since(started)
	rs := make([]*result, 0, len(kinds)+1)
	for _, k := range kinds {
		rs = append(rs, res[k])
	}
	rs = append(rs, all)
	fmt.Printf("%d requests in %s by %d workers: %.0f req/s, %d errors\n", len(all.times), took.Round(time.Millisecond),
		*conc, float64(len(all.times))/took.Seconds(), all.errors)
	if err := printResults(c.out, rs, "kind"); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(failedBy)) {
		fmt.Printf("errors on %q: %d\n", name, failedBy[name])
	}
	for _, s := range topSlow(slowest, keepSlow) {
		fmt.Printf("slow: %8.2f ms  %s\n", float64(s.d.Microseconds())/1000, s.name)
	}
	return nil
}

// timed is one request of the mix: its line's name and its time.
type timed struct {
	name string
	d    time.Duration
}

const keepSlow = 10 // the slowest requests a mix lists

// topSlow is the n slowest of ts, slowest first.
func topSlow(ts []timed, n int) []timed {
	slices.SortFunc(ts, func(a, b timed) int { return cmp.Compare(b.d, a.d) })
	return ts[:min(n, len(ts))]
}

func readTSV(path string) (map[string][]string, []string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	m := map[string][]string{}
	var order []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 9 {
			return nil, nil, fmt.Errorf("%s: short line %q", path, line)
		}
		m[f[0]] = f
		order = append(order, f[0])
	}
	return m, order, nil
}

func compare(args []string) error {
	fs := flag.NewFlagSet("compare", flag.ExitOnError)
	maxMS := fs.Float64("max-ms", 50, "the big database's median must be under this")
	maxRatio := fs.Float64("max-ratio", 2, "the big median over the small one must be under this")
	_ = fs.Parse(args)
	if fs.NArg() != 2 {
		return errors.New("compare SMALL.tsv BIG.tsv")
	}
	small, _, err := readTSV(fs.Arg(0))
	if err != nil {
		return err
	}
	big, order, err := readTSV(fs.Arg(1))
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "filter\tsmall p50 ms\tbig p50 ms\tratio\tsmall rows\tbig rows\terrors\tverdict\t")
	failed := 0
	for _, name := range order {
		b := big[name]
		bp := median(b)
		s, ok := small[name]
		if !ok {
			ok = bp < *maxMS && b[2] == "0"
			if !ok {
				failed++
			}
			fmt.Fprintf(tw, "%s\t-\t%.2f\t-\t-\t%s\t%s\t%s\t\n", name, bp, b[7], b[2], verdict(ok, "only big"))
			continue
		}
		sp := median(s)
		ratio := bp / sp
		ok = bp < *maxMS && ratio < *maxRatio && b[2] == "0" && s[2] == "0"
		if !ok {
			failed++
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%s\t%s\t%s/%s\t%s\t\n", name, sp, bp, ratio, s[7], b[7], s[2], b[2], verdict(ok, ""))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Printf("%d of %d over a limit (big median >= %.0f ms, ratio >= %.1f, or errors)\n", failed, len(order), *maxMS, *maxRatio)
	return nil
}

// median is a line's median server time (Server-Timing), the figure the
// acceptance is about; the client's median for reports made before the
// server sent one.
func median(line []string) float64 {
	if len(line) > 9 && line[9] != "-" {
		v, _ := strconv.ParseFloat(line[9], 64)
		return v
	}
	v, _ := strconv.ParseFloat(line[3], 64)
	return v
}

func verdict(ok bool, note string) string {
	v := "pass"
	if !ok {
		v = "FAIL"
	}
	if note != "" {
		v += " (" + note + ")"
	}
	return v
}
