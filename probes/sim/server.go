package sim

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Server is a running simulated WSUS server.
type Server struct {
	h     *Handler
	srv   *http.Server
	ln    net.Listener
	url   string
	certs *certSet // nil without TLS
	done  chan struct{}
}

// Start listens on addr ("" means 127.0.0.1:0, a free loopback port) and
// serves the simulator until Close.
func Start(addr string, opts Options) (*Server, error) {
	h, err := NewHandler(opts)
	if err != nil {
		return nil, err
	}
	if h.current().TLS {
		opts.TLS = true
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	s := &Server{h: h, ln: ln, done: make(chan struct{})}
	errLog := log.New(io.Discard, "", 0) // handshake noise from probes of broken peers
	if opts.Logger != nil {
		errLog = slog.NewLogLogger(opts.Logger.Handler(), slog.LevelDebug)
	}
	// IIS drops idle keep-alive connections after 120 s (connectionTimeout).
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: errLog}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	scheme, serveOn := "http", ln
	if opts.TLS {
		reqHost, _, _ := net.SplitHostPort(addr)
		if s.certs, err = newCertSet(reqHost, time.Now()); err != nil {
			ln.Close()
			return nil, err
		}
		scheme = "https"
		serveOn = tls.NewListener(ln, &tls.Config{
			MinVersion:     tls.VersionTLS12,
			GetCertificate: s.certificate,
		})
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	s.url = scheme + "://" + net.JoinHostPort(host, port)
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(serveOn) // returns ErrServerClosed after Close
	}()
	return s, nil
}

// certificate picks the leaf for the current profile, so SetProfile can
// expire the certificate of a running server.
func (s *Server) certificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if s.h.current().expiredCert {
		return s.certs.expired, nil
	}
	return s.certs.valid, nil
}

// URL is the server's base URL, like http://127.0.0.1:49152.
func (s *Server) URL() string { return s.url }

// Addr is the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// CertPool trusts the server's generated CA; nil when the server is plain http.
func (s *Server) CertPool() *x509.CertPool {
	if s.certs == nil {
		return nil
	}
	return s.certs.pool
}

// SetProfile switches the fault profile of the running server. A TLS-only
// profile on a plain http server changes nothing visible.
func (s *Server) SetProfile(name string) error { return s.h.SetProfile(name) }

// Profile returns the name of the current profile.
func (s *Server) Profile() string { return s.h.Profile() }

// Close stops listening and drops open connections, including requests still
// waiting in a slow profile.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}
