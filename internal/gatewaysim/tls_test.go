package gatewaysim

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

func TestTheCertificate(t *testing.T) {
	h := start(t, Config{})
	if !regexp.MustCompile(`^https://127\.0\.0\.1:[0-9]+$`).MatchString(h.sim.URL()) {
		t.Fatalf("URL %q", h.sim.URL())
	}
	t.Run("a client with system roots only fails verification", func(t *testing.T) {
		c := &http.Client{Transport: &http.Transport{}}
		_, err := c.Get(h.sim.URL() + "/_sim/requests")
		var unknownCA x509.UnknownAuthorityError
		if !errors.As(err, &unknownCA) {
			t.Fatalf("error %v, want x509.UnknownAuthorityError", err)
		}
	})
	t.Run("TLS 1.1 is refused", func(t *testing.T) {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(h.sim.CAPEM())
		conn, err := tls.Dial("tcp", h.sim.URL()[len("https://"):], &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
		if err == nil {
			conn.Close()
			t.Fatal("a TLS 1.1 handshake succeeded")
		}
	})
	t.Run("the CA signs a server certificate for 127.0.0.1, ::1 and localhost", func(t *testing.T) {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(h.sim.CAPEM())
		conn, err := tls.Dial("tcp", h.sim.URL()[len("https://"):], &tls.Config{RootCAs: pool})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		leaf := conn.ConnectionState().PeerCertificates[0]
		for _, name := range []string{"127.0.0.1", "::1", "localhost"} {
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: name}); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		if conn.ConnectionState().NegotiatedProtocol == "h2" {
			t.Error("HTTP/2 negotiated; Drop and Hang need HTTP/1.1")
		}
	})
	t.Run("WriteCA writes the same PEM, readable by everyone", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ca.pem")
		if err := h.sim.WriteCA(path); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		info, _ := os.Stat(path)
		if !slices.Equal(got, h.sim.CAPEM()) || info.Mode().Perm() != 0o644 {
			t.Errorf("file mode %v, same PEM %v", info.Mode().Perm(), slices.Equal(got, h.sim.CAPEM()))
		}
	})
}

func TestEachSimulatorHasItsOwnCA(t *testing.T) {
	a, b := start(t, Config{}), start(t, Config{})
	if slices.Equal(a.sim.CAPEM(), b.sim.CAPEM()) {
		t.Fatal("two simulators share a CA")
	}
	_, err := b.client.Get(a.sim.URL() + "/_sim/requests")
	var unknownCA x509.UnknownAuthorityError
	if !errors.As(err, &unknownCA) {
		t.Fatalf("a client trusting another simulator's CA: %v, want x509.UnknownAuthorityError", err)
	}
}

func TestStartAndCloseLifecycle(t *testing.T) {
	s := New(Config{})
	if s.URL() != "" || s.CAPEM() != nil || s.WriteCA(filepath.Join(t.TempDir(), "x")) == nil {
		t.Error("an unstarted simulator reports a URL, a CA or writes one")
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close before Start: %v", err)
	}
	s = New(Config{})
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err == nil {
		t.Error("a second Start succeeded")
	}
	addr := s.URL()[len("https://"):]
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if conn, err := net.Dial("tcp", addr); err == nil {
		conn.Close()
		t.Error("still listening after Close")
	}
}
