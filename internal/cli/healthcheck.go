package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode"

	"ccsub/internal/config"
)

// healthcheckTimeout bounds the whole probe by default: /readyz gives the
// database 2 s, and Docker's HEALTHCHECK in the Dockerfile allows 5 s.
const healthcheckTimeout = 3 * time.Second

// healthcheck is `ccsub healthcheck`: a probe for a container's HEALTHCHECK
// in an image without a shell or curl. It GETs the console's /readyz and
// succeeds only on a 2xx answer; anything else (another status, a redirect,
// no answer within the timeout, a certificate that is not ours) is an error
// of one line, which makes the process exit non-zero. It reads the same
// configuration as `serve` to find the console, and nothing more: it opens
// no database and loads no keys.
func healthcheck(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	rawURL := fs.String("url", "", "the address to GET (default: /readyz on the loopback address of LISTEN_ADDR, https when CCSUB_TLS_CERT is set)")
	timeout := fs.Duration("timeout", healthcheckTimeout, "give up after this long")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("healthcheck: unexpected argument %q", fs.Arg(0))
	}
	if *timeout <= 0 {
		return errors.New("healthcheck: --timeout must be positive")
	}
	// The probe loads no keys, so it does not need one even where the
	// image requires it (CCSUB_REQUIRE_SECRET_KEY): a probe run from a
	// sidecar or by hand need not be given the secret key.
	noKeyNeeded := e
	noKeyNeeded.getenv = func(k string) string {
		if k == "CCSUB_REQUIRE_SECRET_KEY" {
			return ""
		}
		return e.getenv(k)
	}
	cfg, err := loadConfig(noKeyNeeded)
	if err != nil {
		return fmt.Errorf("healthcheck: configuration: %s", oneLine(err.Error(), 300))
	}
	target, tlsConf, err := probeTarget(cfg, *rawURL)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	return probe(ctx, e, target, tlsConf, *timeout)
}

// probeTarget is the URL to GET and how to trust its certificate.
//
// Without --url the probe dials the console's own listener: LISTEN_ADDR's
// port on loopback when the console listens on every address (0.0.0.0 or
// ::, as in the container), else on the address it listens on, which is
// this machine's. Over https the console must then present exactly the
// certificate in CCSUB_TLS_CERT: the probe pins it rather than checking a
// host name the certificate was never issued for, and never skips
// verification.
//
// With --url the address is used as given (an empty path means /readyz),
// and https is verified as usual against the system's roots and the
// certificates in CCSUB_TLS_CERT, if set.
func probeTarget(cfg config.Config, raw string) (*url.URL, *tls.Config, error) {
	if raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, fmt.Errorf("--url %q: want an absolute http(s) address such as http://127.0.0.1:8080/readyz", raw)
		}
		if u.Path == "" || u.Path == "/" {
			u.Path = "/readyz"
		}
		if u.Scheme == "http" {
			return u, nil, nil
		}
		roots, err := x509.SystemCertPool()
		if err != nil {
			roots = x509.NewCertPool()
		}
		if cfg.TLS() {
			certs, err := readCerts(cfg.TLSCertFile)
			if err != nil {
				return nil, nil, err
			}
			for _, c := range certs {
				roots.AddCert(c)
			}
		}
		return u, &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, nil
	}
	host, port, err := net.SplitHostPort(cfg.ListenAddr)
	if err != nil || port == "0" {
		return nil, nil, fmt.Errorf("LISTEN_ADDR=%q names no fixed port to probe; pass --url", cfg.ListenAddr)
	}
	if ip, err := netip.ParseAddr(host); host == "" || err == nil && ip.Is4() && ip.IsUnspecified() {
		host = "127.0.0.1"
	} else if err == nil && ip.IsUnspecified() {
		host = "::1"
	}
	u := &url.URL{Scheme: "http", Host: net.JoinHostPort(host, port), Path: "/readyz"}
	if !cfg.TLS() {
		return u, nil, nil
	}
	u.Scheme = "https"
	certs, err := readCerts(cfg.TLSCertFile)
	if err != nil {
		return nil, nil, err
	}
	leaf := certs[0]
	return u, &tls.Config{
		MinVersion: tls.VersionTLS12,
		// The chain and host name are not checked because the pin below
		// is stricter: only the holder of the key of the configured
		// certificate can complete the handshake with it.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, leaf.Raw) {
				return errors.New("the server's certificate is not the one in CCSUB_TLS_CERT")
			}
			return nil
		},
	}, nil
}

// readCerts reads the certificates of a PEM file, the first being the
// console's own.
func readCerts(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read CCSUB_TLS_CERT: %w", err)
	}
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		if block, data = pem.Decode(data); block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("CCSUB_TLS_CERT=%s: %w", path, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("CCSUB_TLS_CERT=%s holds no PEM certificate", path)
	}
	return certs, nil
}

// probe GETs target once, without following redirects or using a proxy.
func probe(ctx context.Context, e env, target *url.URL, tlsConf *tls.Config, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{
		// No proxy (HTTP_PROXY and the like are ignored): the probe asks
		// this console, not whatever a proxy would answer for it.
		Transport: &http.Transport{TLSClientConfig: tlsConf, DisableKeepAlives: true, Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	req.Header.Set("User-Agent", "ccsub-healthcheck")
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		switch {
		case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
			return fmt.Errorf("healthcheck: not ready: no answer from %s within %s", target, timeout)
		case errors.As(err, &ue):
			err = ue.Err
		}
		return fmt.Errorf("healthcheck: not ready: %s: %s", target, oneLine(err.Error(), 200))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		msg := fmt.Sprintf("healthcheck: not ready: %s answered %s", target, oneLine(resp.Status, 60))
		if b := oneLine(string(body), 120); b != "" {
			msg += ": " + b
		}
		return errors.New(msg)
	}
	fmt.Fprintf(e.stdout, "ready: %s answered %s\n", target, oneLine(resp.Status, 60))
	return nil
}

// oneLine is s as one printable line of at most max runes: what a probe
// prints ends up in `docker inspect` and in logs.
func oneLine(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }), "; ")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	return s
}
