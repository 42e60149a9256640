package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/web"
)

// securityConfig is how serve is exposed: TLS, the proxies it sits behind,
// sessions, single sign-on and resource limits.
type securityConfig struct {
	tlsCert, tlsKey string
	trustProxy      string
	sessionMaxAge   time.Duration
	sessionIdle     time.Duration
	maxInflightMiB  int64
	evidenceParses  int64
	authFailures    int

	oidcIssuer, oidcClientID, oidcClientSecret, oidcRedirectURL string
	oidcClaim, oidcGroups, oidcScopes, oidcName                 string

	proxies []netip.Prefix  // parsed --trust-proxy
	oidc    *web.OIDCConfig // parsed --oidc-*
}

func (c *securityConfig) flags(fs *flag.FlagSet) {
	c.sessionMaxAge, c.sessionIdle = 12*time.Hour, time.Hour
	fs.StringVar(&c.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM, the chain after the leaf); needs --tls-key")
	fs.StringVar(&c.tlsKey, "tls-key", "", "the private key of --tls-cert (PEM)")
	fs.StringVar(&c.trustProxy, "trust-proxy", "", "reverse proxies (comma-separated addresses or CIDRs) whose X-Forwarded-For/-Proto are believed")
	fs.Var(ageFlag{&c.sessionMaxAge}, "session-max-age", "a dashboard sign-in ends this long after it began, however busy")
	fs.Var(ageFlag{&c.sessionIdle}, "session-idle", "a dashboard sign-in ends when unused this long")
	fs.Int64Var(&c.maxInflightMiB, "max-inflight-mib", 512, "MiB of request data held at once across requests (JSON weighed at what decoding costs); over it: 503")
	fs.Int64Var(&c.evidenceParses, "evidence-parses", 2, "evidence files parsed at once; more: 503")
	fs.IntVar(&c.authFailures, "auth-failures", 10, "failed sign-ins or tokens per client address before 429 (then one more every 30 s)")
	fs.StringVar(&c.oidcIssuer, "oidc-issuer", "", "single sign-on: the OpenID Connect provider's issuer URL (turns single sign-on on)")
	fs.StringVar(&c.oidcClientID, "oidc-client-id", "", "single sign-on: this dashboard's client (application) id at the provider")
	fs.StringVar(&c.oidcClientSecret, "oidc-client-secret", "", "single sign-on: the client secret (set it as WSUSFLEET_OIDC_CLIENT_SECRET, not on the command line)")
	fs.StringVar(&c.oidcRedirectURL, "oidc-redirect-url", "", "single sign-on: https://<this dashboard>/auth/oidc/callback, as registered at the provider")
	fs.StringVar(&c.oidcClaim, "oidc-claim", "groups", "single sign-on: the ID token claim with the person's groups or roles (dotted for nested: realm_access.roles)")
	fs.StringVar(&c.oidcGroups, "oidc-groups", "", "single sign-on: which groups or roles get which scope, e.g. wsus-admins=admin,helpdesk=read")
	fs.StringVar(&c.oidcScopes, "oidc-scopes", "", "single sign-on: OAuth scopes to ask for besides openid profile email (comma-separated, e.g. groups)")
	fs.StringVar(&c.oidcName, "oidc-name", "single sign-on", "single sign-on: the provider's name on the sign-in button")
}

// check parses and checks the flags; errors name the flag.
func (c *securityConfig) check() error {
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return usageError("--tls-cert and --tls-key go together")
	}
	for item := range strings.SplitSeq(c.trustProxy, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		p, err := netip.ParsePrefix(item)
		if err != nil {
			ip, err2 := netip.ParseAddr(item)
			if err2 != nil {
				return usageError(fmt.Sprintf("--trust-proxy: %q is neither an address nor a CIDR", item))
			}
			p = netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen())
		}
		c.proxies = append(c.proxies, p.Masked())
	}
	if c.sessionMaxAge < time.Minute || c.sessionIdle < time.Minute {
		return usageError("--session-max-age and --session-idle: at least 1m")
	}
	if c.maxInflightMiB < 16 {
		return usageError("--max-inflight-mib: at least 16")
	}
	if c.evidenceParses < 1 || c.authFailures < 1 {
		return usageError("--evidence-parses and --auth-failures: at least 1")
	}
	if c.oidcIssuer == "" {
		if c.oidcClientID != "" || c.oidcGroups != "" || c.oidcRedirectURL != "" {
			return usageError("--oidc-issuer is required with the other --oidc-* flags")
		}
		return nil
	}
	groups, err := web.ParseGroupScopes(c.oidcGroups)
	if err != nil {
		return usageError("--oidc-groups: " + err.Error())
	}
	o := &web.OIDCConfig{Issuer: c.oidcIssuer, ClientID: c.oidcClientID, ClientSecret: c.oidcClientSecret, RedirectURL: c.oidcRedirectURL,
		Claim: c.oidcClaim, GroupScopes: groups, Name: c.oidcName}
	for s := range strings.SplitSeq(c.oidcScopes, ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.Scopes = append(o.Scopes, s)
		}
	}
	if err := o.Check(); err != nil {
		return usageError(err.Error())
	}
	c.oidc = o
	return nil
}

// tlsConfig loads the certificate, or returns nil without --tls-cert.
func (c *securityConfig) tlsConfig() (*tls.Config, error) {
	if c.tlsCert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
	if err != nil {
		return nil, usageError(fmt.Sprintf("--tls-cert/--tls-key: %v", err))
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

// apply puts the settings into the web layer's configuration.
func (c *securityConfig) apply(cfg *web.Config) {
	cfg.TrustedProxies, cfg.OIDC = c.proxies, c.oidc
	cfg.SessionMaxAge, cfg.SessionIdle = c.sessionMaxAge, c.sessionIdle
	cfg.Limits.InflightBytes, cfg.Limits.EvidenceParses, cfg.Limits.AuthFailures = c.maxInflightMiB<<20, c.evidenceParses, c.authFailures
}
