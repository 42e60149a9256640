package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, made for this
// test, and returns their paths and a pool that trusts it.
func selfSigned(t *testing.T) (certPath, keyPath string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "wsusfleet test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certPath, keyPath, pool
}

// TestServeTLS: with --tls-cert and --tls-key serve speaks HTTPS only, sends
// HSTS, and its session cookies are Secure.
func TestServeTLS(t *testing.T) {
	certPath, keyPath, pool := selfSigned(t)
	db := "sqlite:" + filepath.Join(t.TempDir(), "w.db")
	srv := startRun(t, "listening on ", "serve", "--db", db, "--addr", "127.0.0.1:0", "--tls-cert", certPath, "--tls-key", keyPath, "--log-level", "warn")
	if !strings.HasPrefix(srv.url, "https://127.0.0.1:") {
		t.Fatalf("serve with a certificate says it listens on %q", srv.url)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "create", "--db", db, "--name", "me", "--scope", "read"}, func(string) string { return "" }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	secret := lines[len(lines)-1]

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(srv.url + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.TLS == nil || res.Header.Get("Strict-Transport-Security") != "max-age=31536000" {
		t.Errorf("over HTTPS: TLS %v, Strict-Transport-Security %q", res.TLS != nil, res.Header.Get("Strict-Transport-Security"))
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field on the sign-in page")
	}
	res, err = client.PostForm(srv.url+"/signin", url.Values{"csrf": {string(m[1])}, "token": {secret}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var session *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "wsf_session" {
			session = c
		}
	}
	if res.StatusCode != http.StatusSeeOther || session == nil || !session.Secure || !session.HttpOnly {
		t.Errorf("sign-in over HTTPS: %d, cookie %+v; want a Secure, HttpOnly session cookie", res.StatusCode, session)
	}

	// Plain HTTP to the TLS port is refused, not served.
	plain, err := http.Get(strings.Replace(srv.url, "https://", "http://", 1) + "/healthz")
	if err == nil {
		body, _ := io.ReadAll(plain.Body)
		plain.Body.Close()
		if plain.StatusCode == 200 {
			t.Errorf("plain HTTP was served: %s", body)
		}
	}
}

func TestServeSecurityFlagErrors(t *testing.T) {
	certPath, keyPath, _ := selfSigned(t)
	db := "sqlite:" + filepath.Join(t.TempDir(), "w.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", certPath}, "--tls-cert and --tls-key"},
		{[]string{"--tls-cert", keyPath, "--tls-key", keyPath}, "--tls-cert/--tls-key"},
		{[]string{"--trust-proxy", "10.0.0.0/8,proxy.corp"}, "--trust-proxy"},
		{[]string{"--oidc-issuer", "https://login.example/tenant/v2.0", "--oidc-client-id", "x", "--oidc-client-secret", "s",
			"--oidc-redirect-url", "https://wsusfleet.corp.example/callback", "--oidc-groups", "a=admin"}, "--oidc-redirect-url"},
		{[]string{"--oidc-issuer", "https://login.example/tenant/v2.0", "--oidc-client-id", "x", "--oidc-client-secret", "s",
			"--oidc-redirect-url", "https://wsusfleet.corp.example/auth/oidc/callback", "--oidc-groups", "a=root"}, "--oidc-groups"},
		{[]string{"--oidc-client-id", "x"}, "--oidc-issuer"},
		{[]string{"--session-idle", "10s"}, "--session-idle"},
	} {
		args := append([]string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, tc.args...)
		err := run(context.Background(), args, func(string) string { return "" }, io.Discard, io.Discard)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(ee.msg, tc.want) {
			t.Errorf("serve %v: %v, want a usage error naming %s", tc.args, err, tc.want)
		}
	}
}
