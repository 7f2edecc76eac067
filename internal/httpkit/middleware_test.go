package httpkit_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"ccsub/internal/httpkit"
)

// TestEveryAnswerSaysHowLongTheServerTook: the Server-Timing header holds
// the time until the answer's header, whether the handler sets a status or
// just writes, and it is at least the time the handler spent.
func TestEveryAnswerSaysHowLongTheServerTook(t *testing.T) {
	const spent = 20 * time.Millisecond
	handlers := map[string]http.HandlerFunc{
		"a status": func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(spent) // the work being timed, not a wait for a condition
			w.WriteHeader(http.StatusTeapot)
		},
		"a body": func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(spent)
			_, _ = io.WriteString(w, "hello")
		},
	}
	for name, h := range handlers {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(httpkit.RequestLog(slog.New(slog.DiscardHandler), nil, h))
			defer srv.Close()
			res, err := http.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			v, ok := strings.CutPrefix(res.Header.Get("Server-Timing"), "app;dur=")
			ms, err := strconv.ParseFloat(v, 64)
			if !ok || err != nil {
				t.Fatalf("Server-Timing %q, want app;dur=<ms>", res.Header.Get("Server-Timing"))
			}
			if ms < float64(spent.Milliseconds()) {
				t.Errorf("Server-Timing says %.3f ms, but the handler alone took %v", ms, spent)
			}
		})
	}
}
