package rules

import (
	"fmt"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// certSteps renew the certificate clients see: find a valid one for the
// server's name, bind it to the WSUS site, and let WSUS use it.
func (e *eval) certSteps() []probes.Step {
	name := q(e.st.Name)
	find := `$cert = Get-ChildItem Cert:\LocalMachine\My | Where-Object { $_.NotAfter -gt (Get-Date) -and $_.HasPrivateKey -and $_.DnsNameList.Unicode -contains ` + name +
		` } | Sort-Object NotAfter -Descending | Select-Object -First 1`
	return []probes.Step{
		ps("Find a valid certificate for the name clients use, issued by a CA the clients trust (none listed: request one first)", find+`; $cert | Format-List 'Subject', 'DnsNameList', 'NotAfter', 'Thumbprint'`),
		ps("Bind it to the WSUS site's HTTPS binding", find+`; Import-Module WebAdministration; (Get-WebBinding -Name `+q(e.site())+` -Protocol https).AddSslCertificate($cert.Thumbprint, 'My')`),
		ps("Let WSUS use it", wsusutil+" configuressl "+name),
		iisreset(),
	}
}

// certInvalid: an expired, untrusted or misnamed certificate fails every
// client's TLS handshake in SSL mode.
func certInvalid(e *eval) []probes.Finding {
	idx := e.checks(func(c probes.ObservedCheck) bool {
		t := c.TLS
		return t != nil && ((!t.NotAfter.IsZero() && c.CheckedAt.After(t.NotAfter.Time)) || !t.ChainValid || !t.NameMatches)
	})
	if len(idx) == 0 {
		return nil
	}
	e.explain(idx)
	t := e.check(idx[0]).TLS
	ev := []probes.Evidence{}
	for _, i := range idx[:1] {
		c := e.check(i)
		fact := fmt.Sprintf("the certificate of %s (subject %q, issuer %q, valid until %s)", c.URL, t.Subject, t.Issuer, t.NotAfter.UTC().Format("2006-01-02"))
		switch {
		case !t.NotAfter.IsZero() && c.CheckedAt.After(t.NotAfter.Time):
			fact += " has expired"
		case !t.ChainValid:
			fact += " is not trusted: " + t.Error
		default:
			fact += fmt.Sprintf(" does not match the host name (names: %v)", t.SANs)
		}
		ev = append(ev, probes.Evidence{Fact: fact, Source: source(c), At: c.CheckedAt})
	}
	f := finding("", ev, e.certSteps()...)
	f.Summary = fmt.Sprintf("%s checks over HTTPS failed certificate validation; clients in SSL mode cannot connect (0x800B0101 or 0x80072F8F).", probes.FormatCount(int64(len(idx))))
	if c := e.check(idx[0]); !t.NotAfter.IsZero() && c.CheckedAt.After(t.NotAfter.Time) {
		// It expired at a known moment: it explains only clients silent since.
		e.addCause(f, nil, t.NotAfter.Time, "the certificate expired on "+formatDay(t.NotAfter.Time))
	} else {
		e.addCause(f, nil, timeZero, "")
	}
	return []probes.Finding{f}
}

// certExpiring: renew before the certificate lapses. The threshold is
// serve --cert-warning-days (30 by default); within 7 days it is critical.
func certExpiring(e *eval) []probes.Finding {
	n := e.certWarningDays()
	idx := e.checks(func(c probes.ObservedCheck) bool {
		t := c.TLS
		return t != nil && t.ChainValid && t.NameMatches && !t.NotAfter.IsZero() && c.CheckedAt.Before(t.NotAfter.Time) &&
			t.NotAfter.Sub(c.CheckedAt) < time.Duration(n)*24*time.Hour
	})
	// The rule owns a check whose only complaint is its certificate: its
	// verdict warns of expiry at a fixed 30 days (judged when it arrived),
	// so when the configured threshold is shorter that warning is this
	// rule's to raise or not, never the generic vdir_degraded's. A check
	// with another complaint (a 404, a redirect) stays for the rule that
	// names it; one without any stays for the rules that read answers.
	e.explain(e.checks(func(c probes.ObservedCheck) bool {
		return c.Verdict == probes.VerdictWarning && probes.CertExpiryWarned(c.VDirCheck, c.CheckedAt)
	}))
	if len(idx) == 0 {
		return nil
	}
	c := e.check(idx[0])
	left := c.TLS.NotAfter.Sub(e.now)
	ev := []probes.Evidence{{Fact: fmt.Sprintf("the certificate of %s (subject %q) expires on %s, in %s", c.URL, c.TLS.Subject,
		c.TLS.NotAfter.UTC().Format("2006-01-02"), days(left)), Source: source(c), At: c.CheckedAt}}
	f := finding("", ev, e.certSteps()...)
	within := probes.Plural(int64(n), "day", "days")
	f.Title = "The server's TLS certificate expires within " + within
	f.Summary = fmt.Sprintf("It expires in %s (the warning starts %s ahead). Renew it before it lapses: clients in SSL mode then fail their TLS handshake (0x800B0101).", days(left), within)
	if left < 7*24*time.Hour {
		f.Severity = probes.SeverityCritical
	}
	return []probes.Finding{f}
}

// certWarningDays is the configured certificate threshold in days.
func (e *eval) certWarningDays() int {
	if e.CertWarningDays > 0 {
		return e.CertWarningDays
	}
	return probes.CertWarnDays
}
