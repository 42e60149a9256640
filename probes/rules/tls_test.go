package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// expiringIn gives every vDir a valid certificate expiring d after now, each
// check judged again as it would be when it arrived.
func expiringIn(st *probes.ServerState, d time.Duration) {
	all(st, func(c *probes.VDirCheck) {
		c.TLS = &probes.TLSInfo{Subject: "CN=wsus01.corp.example", NotAfter: probes.TimeOf(now.Add(d)), ChainValid: true, NameMatches: true}
	})
}

// The certificate rule's threshold is serve --cert-warning-days: a
// certificate beyond it raises nothing (not even the generic vDir warning
// the checks' fixed 30-day verdict would give), one within it is
// ssl_cert_expiring with the configured days in its title, critical within
// 7 days.
func TestCertExpiringThreshold(t *testing.T) {
	const day = 24 * time.Hour
	for _, tc := range []struct {
		name      string
		days      int // Facts.CertWarningDays
		expiresIn time.Duration
		severity  string // "" = no finding at all
		title     string
	}{
		{"default, beyond 30 days", 0, 45 * day, "", ""},
		{"default, within 30 days", 0, 20 * day, warning, "The server's TLS certificate expires within 30 days"},
		{"30 configured, beyond", 30, 31 * day, "", ""},
		{"14 configured, a certificate the default would flag", 14, 20 * day, "", ""},
		{"14 configured, within", 14, 10 * day, warning, "The server's TLS certificate expires within 14 days"},
		{"60 configured, beyond the default 30", 60, 45 * day, warning, "The server's TLS certificate expires within 60 days"},
		{"60 configured, beyond 60", 60, 61 * day, "", ""},
		{"60 configured, within 7 days", 60, 5 * day, critical, "The server's TLS certificate expires within 60 days"},
		{"3 configured, within", 3, 2 * day, critical, "The server's TLS certificate expires within 3 days"},
		{"1 configured, within", 1, 12 * time.Hour, critical, "The server's TLS certificate expires within 1 day"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := healthy()
			expiringIn(st, tc.expiresIn)
			got := Diagnose(probes.Facts{State: st, Now: now, CertWarningDays: tc.days})
			if tc.severity == "" {
				if len(got) != 0 {
					t.Fatalf("a certificate expiring in %v with %d warning days raised %+v", tc.expiresIn, tc.days, got)
				}
				return
			}
			if len(got) != 1 || got[0].Rule != "ssl_cert_expiring" || got[0].Severity != tc.severity || got[0].Title != tc.title {
				t.Fatalf("got %+v, want one ssl_cert_expiring (%s) titled %q", got, tc.severity, tc.title)
			}
			want := "expires in " + days(tc.expiresIn)
			if !strings.Contains(got[0].Summary, want) || !strings.Contains(describe(got[0]), "in "+days(tc.expiresIn)) {
				t.Errorf("summary %q does not say %q", got[0].Summary, want)
			}
		})
	}
}

// The certificate rule takes only the checks whose complaint is the
// certificate: another fault or warning on a vDir with an expiring
// certificate is still reported by the rule that names it.
func TestCertExpiringLeavesOtherComplaints(t *testing.T) {
	for _, warnDays := range []int{0, 14} {
		st := healthy()
		expiringIn(st, 20*24*time.Hour)
		set(st, "ClientWebService", func(c *probes.VDirCheck) { c.Status = 404 })
		set(st, "SimpleAuthWebService", func(c *probes.VDirCheck) {
			c.Status, c.Location = 302, "http://elsewhere.corp.example/SimpleAuthWebService/SimpleAuth.asmx"
		})
		rules := map[string]probes.Finding{}
		for _, f := range Diagnose(probes.Facts{State: st, Now: now, CertWarningDays: warnDays}) {
			rules[f.Rule+"/"+f.Subject] = f
		}
		if f, ok := rules["vdir_fault/ClientWebService"]; !ok || !strings.Contains(f.Title, "404") {
			t.Errorf("%d warning days: the 404 is not reported: %v", warnDays, rules)
		}
		if f, ok := rules["vdir_degraded/SimpleAuthWebService"]; !ok || !strings.Contains(f.Title, "redirects to another server") {
			t.Errorf("%d warning days: the redirect is not reported: %v", warnDays, rules)
		}
		if _, ok := rules["ssl_cert_expiring/"]; ok != (warnDays == 0) {
			t.Errorf("%d warning days: ssl_cert_expiring fired %v", warnDays, ok)
		}
		if len(rules) != 2+map[bool]int{true: 1}[warnDays == 0] {
			t.Errorf("%d warning days: %v", warnDays, rules)
		}
	}
}
