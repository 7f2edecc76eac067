package server

import (
	"context"
	"net/http"
	"time"
)

// Healthz says the process is alive; it touches nothing.
func (s *Server) Healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// Readyz says the database answers, so a load balancer can route here.
// The route runs on the reserved connections (see app.reserved): a console
// whose interactive connections are all busy is slow, not gone, and its
// receiver must stay routed.
func (s *Server) Readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.store.Ping(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("database unavailable\n"))
		return nil
	}
	_, _ = w.Write([]byte("ready\n"))
	return nil
}
