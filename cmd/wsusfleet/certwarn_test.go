package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// certReport is a server in SSL mode whose vDirs all present a valid
// certificate expiring expiresIn after now.
func certReport(id, server string, now time.Time, expiresIn time.Duration) *probes.Report {
	r := storetest.Report(id, server, now)
	base := "https://" + server + ":8531"
	r.Server.URL, r.VDirChecks = base, storetest.HealthyChecks(base)
	for i := range r.VDirChecks {
		r.VDirChecks[i].TLS = &probes.TLSInfo{Subject: "CN=" + server, Issuer: "CN=Corp CA", NotAfter: probes.TimeOf(now.Add(expiresIn)),
			ChainValid: true, NameMatches: true}
	}
	return r
}

// TestServeCertWarningDays: serve --cert-warning-days 60 reaches the rule
// through the store, on SQLite and PostgreSQL: a certificate expiring in 45
// days (beyond the default 30) is ssl_cert_expiring, titled with the
// configured 60 days, and notifies; one expiring in 75 days raises nothing.
func TestServeCertWarningDays(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			db := "sqlite:" + filepath.Join(t.TempDir(), "cert.db")
			if dialect == "postgres" {
				db = storetestPostgres(t)
			}
			admin := lastLine(runCmd(t, "token", "create", "--name", "ops", "--scope", "admin", "--db", db))
			srv := startRun(t, "listening on ", "serve", "--db", db, "--addr", "127.0.0.1:0", "--log-level", "warn", "--cert-warning-days", "60")
			hook := newHookReceiver(t, "cert")
			createHook(t, srv.url, admin, hook.URL, "cert")

			const soon, later = "wsus-soon.corp.example", "wsus-later.corp.example"
			now := time.Now()
			for _, id := range []string{"1", "2"} { // the default failure threshold is two judgements
				judged(t, srv.url, admin, certReport("soon-"+id, soon, now, 45*24*time.Hour))
				judged(t, srv.url, admin, certReport("later-"+id, later, now, 75*24*time.Hour))
			}

			findings := func(name string) []probes.Finding {
				var st probes.ServerState
				status, body := doJSON(t, http.MethodGet, srv.url+"/api/v1/servers/"+name, admin, nil)
				if status != http.StatusOK || json.Unmarshal(body, &st) != nil {
					t.Fatalf("GET %s: %d %s", name, status, body)
				}
				return st.Findings
			}
			got := findings(soon)
			if len(got) != 1 || got[0].Rule != "ssl_cert_expiring" || got[0].Severity != probes.SeverityWarning ||
				got[0].Title != "The server's TLS certificate expires within 60 days" {
				t.Fatalf("%s (certificate in 45 days, --cert-warning-days 60): %+v", soon, got)
			}
			if got := findings(later); len(got) != 0 {
				t.Errorf("%s (certificate in 75 days): %+v", later, got)
			}

			storetest.WaitFor(t, "the certificate notification", 30*time.Second, func() bool { return len(hook.delivered()) >= 1 })
			n := hook.delivered()[0]
			if n.Event != probes.EventFiring || n.Server != soon || n.Rule != "ssl_cert_expiring" || !strings.Contains(n.Title, "within 60 days") {
				t.Errorf("notification: %+v", n)
			}
			for _, d := range deliveryHistory(t, srv.url, admin) {
				if d.Server == later {
					t.Errorf("%s notified: %+v", later, d)
				}
			}
		})
	}
}

// A threshold that is not a whole number of days from 1 to 3650 is refused,
// naming the flag (or the variable that set it).
func TestServeCertWarningDaysErrors(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "w.db")
	for _, tc := range []struct {
		arg, env string
	}{{"-1", ""}, {"0", ""}, {"3651", ""}, {"thirty", ""}, {"7.5", ""}, {"", "-5"}, {"", "soon"}} {
		args := []string{"serve", "--db", db, "--addr", "127.0.0.1:0"}
		if tc.arg != "" {
			args = append(args, "--cert-warning-days", tc.arg)
		}
		var stderr strings.Builder
		getenv := func(k string) string {
			if k == "WSUSFLEET_CERT_WARNING_DAYS" {
				return tc.env
			}
			return ""
		}
		err := run(context.Background(), args, getenv, io.Discard, &stderr)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(ee.msg+stderr.String(), "cert-warning-days") {
			t.Errorf("--cert-warning-days %q, WSUSFLEET_CERT_WARNING_DAYS %q: %v (%s), want a usage error naming the flag", tc.arg, tc.env, err, stderr.String())
		}
	}
}
