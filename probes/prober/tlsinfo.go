package prober

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// handshake runs a TLS handshake that accepts any certificate, so that a bad
// one is recorded (and the HTTP status behind it still seen) instead of
// aborting; the chain and name are verified afterwards against RootCAs.
// The certificate is recorded even when the handshake fails after it arrived.
func (p *Prober) handshake(ctx context.Context, conn net.Conn, host string) (*tls.Conn, *probes.TLSInfo, error) {
	var seen *tls.ConnectionState
	cfg := &tls.Config{
		ServerName:         host,
		InsecureSkipVerify: true, // verified below, after the handshake
		MinVersion:         tls.VersionTLS10,
		NextProtos:         []string{"http/1.1"},
		VerifyConnection: func(cs tls.ConnectionState) error {
			seen = &cs
			return nil
		},
	}
	tc := tls.Client(conn, cfg)
	err := tc.HandshakeContext(ctx)
	if err == nil {
		cs := tc.ConnectionState()
		seen = &cs
	}
	if seen == nil || len(seen.PeerCertificates) == 0 {
		return tc, nil, err
	}
	return tc, p.describe(seen, host), err
}

// describe records the server certificate and whether it is trusted and
// valid for host at Options.Now.
func (p *Prober) describe(cs *tls.ConnectionState, host string) *probes.TLSInfo {
	leaf := cs.PeerCertificates[0]
	info := &probes.TLSInfo{
		Version:  tls.VersionName(cs.Version),
		Subject:  clean(leaf.Subject.String(), 1024),
		Issuer:   clean(leaf.Issuer.String(), 1024),
		SANs:     clip(sans(leaf), 100, 253),
		NotAfter: probes.TimeOf(leaf.NotAfter),
	}
	intermediates := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		intermediates.AddCert(c)
	}
	_, chainErr := leaf.Verify(x509.VerifyOptions{
		Roots:         p.o.RootCAs,
		Intermediates: intermediates,
		CurrentTime:   p.o.Now(),
	})
	nameErr := leaf.VerifyHostname(host)
	info.ChainValid, info.NameMatches = chainErr == nil, nameErr == nil
	if err := errors.Join(chainErr, nameErr); err != nil {
		info.Error = clean(strings.ReplaceAll(err.Error(), "\n", "; "), 1024)
	}
	return info
}

func sans(c *x509.Certificate) []string {
	out := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}
