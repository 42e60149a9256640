package sim

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"time"
)

func start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := Start("127.0.0.1:0", opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// client never reuses connections, so every request sees the current profile
// and certificate.
func client(pool *x509.CertPool) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DisableKeepAlives: true,
			TLSClientConfig:   &tls.Config{RootCAs: pool},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func get(tb testing.TB, c *http.Client, url string) (*http.Response, error) {
	tb.Helper()
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

func TestServerHTTP(t *testing.T) {
	s := start(t, Options{})
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || s.CertPool() != nil {
		t.Fatalf("URL %q, CertPool %v", s.URL(), s.CertPool())
	}
	resp, err := get(t, client(nil), s.URL()+"/ClientWebService/client.asmx")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Server") != "Microsoft-IIS/10.0" {
		t.Errorf("status %d, Server %q", resp.StatusCode, resp.Header.Get("Server"))
	}
	if err := s.SetProfile(PoolStopped); err != nil {
		t.Fatal(err)
	}
	resp, err = get(t, client(nil), s.URL()+"/ClientWebService/client.asmx")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 503 || resp.Header.Get("Server") != "Microsoft-HTTPAPI/2.0" {
		t.Errorf("after SetProfile: status %d, Server %q", resp.StatusCode, resp.Header.Get("Server"))
	}
}

func TestServerTLS(t *testing.T) {
	s := start(t, Options{TLS: true})
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") || s.CertPool() == nil {
		t.Fatalf("URL %q, CertPool %v", s.URL(), s.CertPool())
	}
	c := client(s.CertPool())
	resp, err := get(t, c, s.URL()+"/SimpleAuthWebService/SimpleAuth.asmx")
	if err != nil {
		t.Fatal(err)
	}
	leaf := resp.TLS.PeerCertificates[0]
	if leaf.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("leaf key %v; want ECDSA", leaf.PublicKeyAlgorithm)
	}
	if err := leaf.VerifyHostname("localhost"); err != nil {
		t.Error(err)
	}

	// Expire the certificate of the running server: the next handshake shows it.
	if err := s.SetProfile(SSLCertExpired); err != nil {
		t.Fatal(err)
	}
	_, err = get(t, c, s.URL()+"/SimpleAuthWebService/SimpleAuth.asmx")
	var invalid x509.CertificateInvalidError
	if !errors.As(err, &invalid) || invalid.Reason != x509.Expired {
		t.Fatalf("with ssl-cert-expired: err = %v; want an expired certificate", err)
	}
	if !invalid.Cert.NotAfter.Before(time.Now()) {
		t.Errorf("NotAfter %v is not in the past", invalid.Cert.NotAfter)
	}
}

func TestTLSOnlyProfileStartsTLS(t *testing.T) {
	s := start(t, Options{Profile: SSLCertExpired})
	if !strings.HasPrefix(s.URL(), "https://") {
		t.Errorf("URL %q; ssl-cert-expired must be served over TLS", s.URL())
	}
}

// SetProfile races with requests; run with -race.
func TestSetProfileConcurrent(t *testing.T) {
	s := start(t, Options{Latency: time.Millisecond})
	c := client(nil)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 20 {
				if err := s.SetProfile(Profiles()[(i+j)%len(Profiles())].Name); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			for range 20 {
				if _, err := get(t, c, s.URL()+"/ClientWebService/client.asmx"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// Close does not wait for requests stuck in a slow profile.
func TestCloseDropsSlowRequests(t *testing.T) {
	s, err := Start("", Options{Profile: Slow, Latency: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	sent := make(chan struct{})
	go func() {
		trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { close(sent) }}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", s.URL()+"/Inventory/", nil)
		resp, err := client(nil).Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	select { // close while the request is with the server, not before it was sent
	case <-sent:
	case <-time.After(20 * time.Second):
		t.Fatal("the request was never sent")
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Close hung on a slow request")
	}
	if err := <-errc; err == nil {
		t.Error("the slow request got an answer from a closed server")
	}
}

func TestStartErrors(t *testing.T) {
	if _, err := Start("127.0.0.1:0", Options{Profile: "bogus"}); err == nil {
		t.Error("unknown profile accepted")
	}
	if _, err := Start("256.0.0.1:0", Options{}); err == nil {
		t.Error("bad address accepted")
	}
}
