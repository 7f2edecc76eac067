package gatewaysim

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"time"
)

// Start listens on addr (e.g. "127.0.0.1:0") and serves Handler over HTTPS
// (TLS 1.2+, HTTP/1.1 only) with a certificate for 127.0.0.1, ::1 and
// localhost signed by a CA generated for this simulator alone.
func (s *Sim) Start(addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("gatewaysim.Start: already started")
	}
	caPEM, leaf, err := newCertificates(time.Now())
	if err != nil {
		return fmt.Errorf("gatewaysim.Start: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("gatewaysim.Start: %w", err)
	}
	s.srv, s.ln = s.newServer(leaf), ln
	s.url = "https://" + urlHost(ln.Addr())
	s.caPEM = caPEM
	go s.serve(s.srv, ln)
	return nil
}

func (s *Sim) newServer(leaf tls.Certificate) *http.Server {
	// HTTP/1.1 only: Drop and Hang hijack the connection, which HTTP/2
	// cannot do, and the vendor gateway speaks HTTP/1.1 anyway.
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	return &http.Server{
		Handler:           s.Handler(),
		Protocols:         protocols,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{leaf}},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// No WriteTimeout: Delay and Hang faults must be able to outlast
		// any server-side deadline; the client's deadline is under test.
		IdleTimeout: 2 * time.Minute,
		ErrorLog:    slogErrorLog(s.logger),
	}
}

func (s *Sim) serve(srv *http.Server, ln net.Listener) {
	if err := srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.logger.Error("gatewaysim: serve", "err", err)
	}
}

// urlHost names the listening address; an unspecified address (":8043",
// "0.0.0.0:8043") is reached through 127.0.0.1, which the certificate covers.
func urlHost(a net.Addr) string {
	tcp, isTCP := a.(*net.TCPAddr)
	if !isTCP {
		return a.String()
	}
	ip := tcp.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(tcp.Port))
}

// URL is "https://127.0.0.1:PORT" after Start, "" before.
func (s *Sim) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// CAPEM is the PEM of the CA that signed the server certificate (nil
// before Start).
func (s *Sim) CAPEM() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.caPEM...)
}

// WriteCA writes CAPEM to path (mode 0644: it is public) for clients.
func (s *Sim) WriteCA(path string) error {
	pemBytes := s.CAPEM()
	if len(pemBytes) == 0 {
		return errors.New("gatewaysim.WriteCA: not started")
	}
	if err := os.WriteFile(path, pemBytes, 0o644); err != nil {
		return fmt.Errorf("gatewaysim.WriteCA: %w", err)
	}
	return nil
}

// Close stops the server at once, closing every connection, releases
// delayed and hung requests and stops pushing. It is safe to call more
// than once.
func (s *Sim) Close() error {
	s.stopWork()
	srv, ln := s.server()
	if srv == nil {
		return nil
	}
	err := srv.Close()
	closeListener(ln)
	if err != nil {
		return fmt.Errorf("gatewaysim.Close: %w", err)
	}
	return nil
}

// closeListener closes ln itself: http.Server only closes listeners its
// Serve goroutine has registered, which may not have happened yet when
// Close follows Start at once.
func closeListener(ln net.Listener) {
	_ = ln.Close() // "use of closed network connection" when Serve got there first
}

// Shutdown stops pushing and accepting requests, releases delayed and hung
// ones, and waits (until ctx ends) for the others to be answered.
func (s *Sim) Shutdown(ctx context.Context) error {
	s.stopWork()
	srv, ln := s.server()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	closeListener(ln)
	if err != nil {
		return fmt.Errorf("gatewaysim.Shutdown: %w", err)
	}
	return nil
}

// stopWork releases delayed and hung requests, stops pushing (streams and
// pushes in flight end with a cancelled context) and waits for background
// streams, so nothing of the simulator outlives Close or Shutdown.
func (s *Sim) stopWork() {
	s.closeOnce.Do(func() { close(s.closed) })
	s.bg.stop()
	s.pusher.closeIdle()
}

func (s *Sim) server() (*http.Server, net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv, s.ln
}

// newCertificates makes a fresh CA (ECDSA P-256) and a server certificate
// it signs, valid from an hour ago (clock skew) for one year.
func newCertificates(now time.Time) (caPEM []byte, leaf tls.Certificate, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, leaf, fmt.Errorf("newCertificates: CA key: %w", err)
	}
	caTmpl := certTemplate(now, pkix.Name{CommonName: "ccgw-sim CA", Organization: []string{"ccsub gateway simulator"}})
	caTmpl.IsCA, caTmpl.BasicConstraintsValid, caTmpl.MaxPathLenZero = true, true, true
	caTmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, leaf, fmt.Errorf("newCertificates: CA: %w", err)
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, leaf, fmt.Errorf("newCertificates: server key: %w", err)
	}
	leafTmpl := certTemplate(now, pkix.Name{CommonName: "localhost"})
	leafTmpl.DNSNames = []string{"localhost"}
	leafTmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	leafTmpl.KeyUsage = x509.KeyUsageDigitalSignature
	leafTmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caTmpl, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, leaf, fmt.Errorf("newCertificates: server: %w", err)
	}
	leaf = tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), leaf, nil
}

func certTemplate(now time.Time, subject pkix.Name) *x509.Certificate {
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127)) // crypto/rand does not fail
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      subject,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
	}
}
