package prober

import (
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/sim"
)

// want is the judged outcome of one vDir: verdict, a piece of the reason and
// the status as IIS would log it ("401.2", "200", "-").
type want struct{ verdict, reason, status string }

// healthyWant is §7.1 for every vDir of a healthy server.
var healthyWant = map[string]want{
	"ClientWebService":     {probes.VerdictOK, "200 as expected", "200"},
	"SimpleAuthWebService": {probes.VerdictOK, "200 as expected", "200"},
	"DssAuthWebService":    {probes.VerdictOK, "200 as expected", "200"},
	"ServerSyncWebService": {probes.VerdictOK, "200 as expected", "200"},
	"ApiRemoting30":        {probes.VerdictOK, "401 with Negotiate/NTLM as expected", "401.2"},
	"ReportingWebService":  {probes.VerdictOK, "200 as expected", "200"},
	"Inventory":            {probes.VerdictOK, "200 as expected", "200"},
	"SelfUpdate":           {probes.VerdictOK, "200 as expected", "200"},
	"Content":              {probes.VerdictOK, "403.14: directory listing off", "403.14"},
}

// every applies w to all vDirs; anonymous to all but ApiRemoting30.
func every(w want) map[string]want {
	m := map[string]want{}
	for _, n := range probes.VDirNames() {
		m[n] = w
	}
	return m
}

func anonymous(w want) map[string]want {
	m := every(w)
	delete(m, "ApiRemoting30")
	return m
}

// Every simulator profile, probed, gives the verdicts §7.1–7.2 require.
func TestProfilesJudged(t *testing.T) {
	cases := []struct {
		name    string
		sim     sim.Options
		opts    func(*Options, *sim.Server)
		want    map[string]want // vDirs not listed must be healthy
		server  string          // expected Server header on ClientWebService
		tlsWant func(testing.TB, *probes.TLSInfo)
	}{
		{name: "healthy", sim: sim.Options{Profile: sim.Healthy}, server: "Microsoft-IIS/10.0"},
		{name: "pool-stopped", sim: sim.Options{Profile: sim.PoolStopped}, server: "Microsoft-HTTPAPI/2.0",
			want: every(want{probes.VerdictFault, "503 Service Unavailable: WsusPool stopped", "503.0"})},
		{name: "anon-disabled", sim: sim.Options{Profile: sim.AnonDisabled},
			want: anonymous(want{probes.VerdictFault, "401.2: anonymous authentication is disabled", "401.2"})},
		{name: "anon-disabled-cws", sim: sim.Options{Profile: sim.AnonDisabledCWS},
			want: map[string]want{"ClientWebService": {probes.VerdictFault, "401.2: anonymous authentication is disabled", "401.2"}}},
		// Remote custom error pages hide the substatus; the challenges still give 401.2 away.
		{name: "anon-disabled-cws custom errors", sim: sim.Options{Profile: sim.AnonDisabledCWS, CustomErrors: true},
			want: map[string]want{
				"ClientWebService": {probes.VerdictFault, "401.2: anonymous authentication is disabled", "401"},
				"ApiRemoting30":    {probes.VerdictOK, "401 with Negotiate/NTLM as expected", "401"},
				"Content":          {probes.VerdictOK, "403: directory listing off", "403"},
			}},
		{name: "iusr-credentials", sim: sim.Options{Profile: sim.IUSRCredentials},
			want: anonymous(want{probes.VerdictFault, "401.1: IIS cannot log on the anonymous identity", "401.1"})},
		{name: "content-acl", sim: sim.Options{Profile: sim.ContentACL},
			want: map[string]want{"Content": {probes.VerdictFault, "401.3: NTFS permissions deny the anonymous identity", "401.3"}}},
		{name: "impersonation", sim: sim.Options{Profile: sim.Impersonation},
			want: every(want{probes.VerdictFault, "500.24: ASP.NET impersonation is enabled", "500.24"})},
		{name: "client-cert-required", sim: sim.Options{Profile: sim.ClientCertRequired},
			want: every(want{probes.VerdictFault, "403.7: a client certificate is required", "403.7"})},
		{name: "site-ssl-required", sim: sim.Options{Profile: sim.SiteSSLRequired}, want: map[string]want{
			"ClientWebService":     {probes.VerdictOK, "403.4: requires SSL (expected in SSL mode)", "403.4"},
			"SimpleAuthWebService": {probes.VerdictOK, "403.4: requires SSL", "403.4"},
			"DssAuthWebService":    {probes.VerdictOK, "403.4: requires SSL", "403.4"},
			"ServerSyncWebService": {probes.VerdictOK, "403.4: requires SSL", "403.4"},
			"ApiRemoting30":        {probes.VerdictOK, "403.4: requires SSL", "403.4"},
			"ReportingWebService":  {probes.VerdictFault, "403.4: SSL is required on a vDir that must not require it", "403.4"},
			"Inventory":            {probes.VerdictFault, "403.4: SSL is required on a vDir that must not", "403.4"},
			"SelfUpdate":           {probes.VerdictFault, "403.4: SSL is required on a vDir that must not", "403.4"},
			"Content":              {probes.VerdictFault, "403.4: SSL is required on a vDir that must not", "403.4"},
		}},
		{name: "selfupdate-missing", sim: sim.Options{Profile: sim.SelfUpdateMissing},
			want: map[string]want{"SelfUpdate": {probes.VerdictFault, "404 Not Found", "404.0"}}},
		{name: "catalog-bloat", sim: sim.Options{Profile: sim.CatalogBloat, Latency: 50 * time.Millisecond},
			want: map[string]want{"ClientWebService": {probes.VerdictFault, "500: server error", "500"}}},
		{name: "slow within the timeout is a warning", sim: sim.Options{Profile: sim.Slow, Latency: 3200 * time.Millisecond},
			want: map[string]want{
				"ClientWebService":     {probes.VerdictWarning, "200 as expected, but slow", "200"},
				"SimpleAuthWebService": {probes.VerdictWarning, "but slow", "200"},
				"DssAuthWebService":    {probes.VerdictWarning, "but slow", "200"},
				"ServerSyncWebService": {probes.VerdictWarning, "but slow", "200"},
				"ApiRemoting30":        {probes.VerdictWarning, "401 with Negotiate/NTLM as expected, but slow", "401.2"},
				"ReportingWebService":  {probes.VerdictWarning, "but slow", "200"},
				"Inventory":            {probes.VerdictWarning, "but slow", "200"},
				"SelfUpdate":           {probes.VerdictWarning, "but slow", "200"},
				"Content":              {probes.VerdictWarning, "but slow", "403.14"},
			}},
		{name: "slow beyond the timeout is a timeout", sim: sim.Options{Profile: sim.Slow, Latency: time.Hour},
			opts: func(o *Options, _ *sim.Server) { o.RequestTimeout = 300 * time.Millisecond },
			want: every(want{probes.VerdictFault, "no answer in time: read response: no answer within 300ms", "-"})},
		{name: "healthy over TLS, trusted", sim: sim.Options{Profile: sim.Healthy, TLS: true},
			opts: func(o *Options, s *sim.Server) { o.RootCAs = s.CertPool() },
			tlsWant: func(tb testing.TB, info *probes.TLSInfo) {
				if info == nil || !info.ChainValid || !info.NameMatches || info.Error != "" || info.Version != "TLS 1.3" {
					tb.Errorf("TLS = %+v; want a valid TLS 1.3 session", info)
				}
			}},
		{name: "healthy over TLS, untrusted CA", sim: sim.Options{Profile: sim.Healthy, TLS: true},
			want: every(want{probes.VerdictFault, "certificate not trusted: x509: certificate signed by unknown authority", "-"}),
			tlsWant: func(tb testing.TB, info *probes.TLSInfo) {
				if info == nil || info.ChainValid || !info.NameMatches {
					tb.Errorf("TLS = %+v; want recorded, untrusted, name matching", info)
				}
			}},
		{name: "ssl-cert-expired", sim: sim.Options{Profile: sim.SSLCertExpired},
			opts: func(o *Options, s *sim.Server) { o.RootCAs = s.CertPool() },
			want: every(want{probes.VerdictFault, "certificate expired on " + time.Now().Add(-24*time.Hour).UTC().Format("2006-01-02"), "-"}),
			tlsWant: func(tb testing.TB, info *probes.TLSInfo) {
				if info == nil || info.ChainValid || !info.NameMatches || !info.NotAfter.Before(time.Now()) ||
					!strings.Contains(info.Error, "expired") || info.Subject == "" || info.Issuer == "" || len(info.SANs) == 0 {
					tb.Errorf("TLS = %+v; want the expired certificate recorded", info)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startSim(t, tc.sim)
			o := testOptions()
			if tc.opts != nil {
				tc.opts(&o, s)
			}
			checks := probe(t, New(o), s.URL())
			if len(checks) != len(probes.VDirNames()) {
				t.Fatalf("%d checks; want one per vDir", len(checks))
			}
			got := byVDir(checks)
			for _, name := range probes.VDirNames() {
				w, ok := tc.want[name]
				if !ok {
					w = healthyWant[name]
				}
				c := got[name]
				status := c.StatusText()
				if w.status == "-" {
					status = "-" // the status behind a TLS fault is still seen, but not asserted
				}
				if c.Verdict != w.verdict || !strings.Contains(c.Reason, w.reason) || status != w.status {
					t.Errorf("%s: %s %q status %s; want %s %q status %s (error %q)",
						name, c.Verdict, c.Reason, c.StatusText(), w.verdict, w.reason, w.status, c.Error)
				}
				if tc.tlsWant != nil {
					tc.tlsWant(t, c.TLS)
				}
			}
			if tc.server != "" {
				if srv := got["ClientWebService"].Server; srv != tc.server {
					t.Errorf("Server = %q; want %q", srv, tc.server)
				}
			}
		})
	}
}

// A bad certificate does not hide what the vDir answered.
func TestTLSFaultKeepsStatus(t *testing.T) {
	s := startSim(t, sim.Options{Profile: sim.SSLCertExpired})
	for _, c := range probe(t, New(testOptions()), s.URL()) {
		if c.Status == 0 || c.ErrorKind != "" || c.TLS == nil || c.ConnectMS == nil {
			t.Errorf("%s: status %d, kind %q, TLS %v, connect %v", c.VDir, c.Status, c.ErrorKind, c.TLS, c.ConnectMS)
		}
	}
}

// Everything the answer shows is recorded.
func TestFieldsRecorded(t *testing.T) {
	s := startSim(t, sim.Options{})
	got := byVDir(probe(t, New(testOptions()), s.URL()))
	api := got["ApiRemoting30"]
	if len(api.WWWAuthenticate) != 2 || api.WWWAuthenticate[0] != "Negotiate" || api.WWWAuthenticate[1] != "NTLM" {
		t.Errorf("WWW-Authenticate = %q; want both challenges in order", api.WWWAuthenticate)
	}
	cws := got["ClientWebService"]
	if cws.Substatus != nil {
		t.Errorf("a 200 page reveals no substatus; got %d", *cws.Substatus)
	}
	if cws.ConnectMS == nil || cws.LatencyMS <= 0 || cws.DNS != nil || cws.TLS != nil {
		t.Errorf("connect %v latency %v dns %v tls %v", cws.ConnectMS, cws.LatencyMS, cws.DNS, cws.TLS)
	}
	if !strings.HasPrefix(cws.URL, s.URL()+"/ClientWebService/client.asmx") {
		t.Errorf("URL = %q", cws.URL)
	}
}

// A name is resolved, recorded, and checked against the certificate.
func TestLocalhostName(t *testing.T) {
	s := startSim(t, sim.Options{TLS: true})
	o := testOptions()
	o.RootCAs = s.CertPool()
	url := strings.Replace(s.URL(), "127.0.0.1", "localhost", 1)
	for _, c := range probe(t, New(o), url) {
		if len(c.DNS) == 0 || c.Verdict != healthyWant[c.VDir].verdict {
			t.Errorf("%s: dns %v, %s %q (error %q)", c.VDir, c.DNS, c.Verdict, c.Reason, c.Error)
		}
		if c.TLS == nil || !c.TLS.NameMatches {
			t.Errorf("%s: TLS %+v; localhost is in the certificate", c.VDir, c.TLS)
		}
	}
}

// Switching a running server's profile shows on the next probe.
func TestProfileSwitch(t *testing.T) {
	s := startSim(t, sim.Options{})
	p := New(testOptions())
	if c := byVDir(probe(t, p, s.URL()))["Content"]; c.Verdict != probes.VerdictOK {
		t.Fatalf("Content %s %q", c.Verdict, c.Reason)
	}
	if err := s.SetProfile(sim.ContentACL); err != nil {
		t.Fatal(err)
	}
	if c := byVDir(probe(t, p, s.URL()))["Content"]; c.StatusText() != "401.3" || c.Verdict != probes.VerdictFault {
		t.Errorf("after content-acl: Content %s %s %q", c.StatusText(), c.Verdict, c.Reason)
	}
}
