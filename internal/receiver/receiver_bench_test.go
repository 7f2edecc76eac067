package receiver_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ccsub/internal/apptest"
	"ccsub/internal/dbtest"
	"ccsub/internal/domain"
	"ccsub/internal/gatewaysim"
	"ccsub/internal/secret"
)

// BenchmarkReceiver pushes recognition results through the real HTTP stack
// (middleware, token check, strict decode, replay claim and insert) as
// the platform would, from 8 × GOMAXPROCS concurrent senders, each push a
// new call so every one is stored. It reports pushes/s and
// the latency percentiles of single pushes (target ≥ 2,000/s at p99 <
// 50 ms on loopback; docs/benchmarks.md).
func BenchmarkReceiver(b *testing.B) {
	a, srv := apptest.Serve(b, dbtest.Pool(b), slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})))
	sim := gatewaysim.New(gatewaysim.Config{Accounts: map[int64]string{apptest.SimAgent: apptest.SimPassword}})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = sim.Close() })
	gw := apptest.AddGateway(b, a, apptest.Uniq("bench-gw"), sim.URL(), string(sim.CAPEM()), apptest.SimPassword)
	token := "bench-" + apptest.Uniq("token")
	sealed, err := a.Keys.Seal([]byte(token), secret.PurposeServiceToken)
	if err != nil {
		b.Fatal(err)
	}
	key := apptest.Uniq("bench-rk") + apptest.Uniq("")
	sub, err := a.Store.CreateSubscription(b.Context(), domain.NewSubscription{GatewayID: gw.ID,
		ServerID: apptest.Uniq("bench-srv"), SubscribeType: "1", CallbackURI: srv.URL + "/receiver/" + key,
		TokenSealed: sealed, CreatedBy: "bench", RegisterCallID: 1, ReceiverKey: key})
	if err != nil {
		b.Fatal(err)
	}
	url := srv.URL + "/receiver/" + key + "/v100/subscribe/asrevent/asrresult"
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	var seq atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			body := apptest.PushJSON(sub.ServerID, fmt.Sprintf("bench-%d", seq.Add(1)), "I would like to check my bill")
			start := time.Now()
			if status := benchPush(b.Context(), client, url, token, body); status != http.StatusOK {
				b.Errorf("push answered %d, want 200", status)
				return
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	b.ReportMetric(float64(len(lat))/b.Elapsed().Seconds(), "pushes/s")
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*50/100])/1e6, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100])/1e6, "p99-ms")
	}
	var stored int64
	if err := a.Store.Pool().QueryRow(b.Context(), `SELECT count(*) FROM notifications WHERE subscription_id = $1 AND accepted`,
		sub.ID).Scan(&stored); err != nil {
		b.Fatal(err)
	}
	if stored != seq.Load() {
		b.Fatalf("%d pushes stored, want %d", stored, seq.Load())
	}
}

func benchPush(ctx context.Context, c *http.Client, url, token, body string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	req.Header["service_token"] = []string{token}
	res, err := c.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}
