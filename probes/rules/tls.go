package rules

import (
	"fmt"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

func certSteps() []probes.Step {
	return []probes.Step{
		step("Find a valid certificate for the name clients use (in WUServer), issued by a CA the clients trust",
			`Get-ChildItem Cert:\LocalMachine\My | Where-Object NotAfter -gt (Get-Date) | Format-List Subject, DnsNameList, NotAfter, Thumbprint`),
		step("Bind it to the WSUS site's HTTPS binding",
			`(Get-WebBinding -Name "WSUS Administration" -Protocol https).AddSslCertificate("<thumbprint>", "My")`),
		step("Let WSUS use it", wsusutil+" configuressl <the FQDN in the certificate>"),
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
	f := finding("", ev, certSteps()...)
	f.Summary = fmt.Sprintf("%d checks over HTTPS failed certificate validation; clients in SSL mode cannot connect (0x800B0101 or 0x80072F8F).", len(idx))
	return []probes.Finding{f}
}

// certExpiring: renew before the certificate lapses (DESIGN: < 30 days).
func certExpiring(e *eval) []probes.Finding {
	idx := e.checks(func(c probes.ObservedCheck) bool {
		t := c.TLS
		return t != nil && t.ChainValid && t.NameMatches && !t.NotAfter.IsZero() && c.CheckedAt.Before(t.NotAfter.Time) &&
			t.NotAfter.Sub(c.CheckedAt) < probes.CertWarnDays*24*time.Hour
	})
	if len(idx) == 0 {
		return nil
	}
	e.explain(idx)
	c := e.check(idx[0])
	left := c.TLS.NotAfter.Sub(e.now)
	ev := []probes.Evidence{{Fact: fmt.Sprintf("the certificate of %s (subject %q) expires on %s, in %s", c.URL, c.TLS.Subject,
		c.TLS.NotAfter.UTC().Format("2006-01-02"), days(left)), Source: source(c), At: c.CheckedAt}}
	f := finding("", ev, certSteps()...)
	if left < 7*24*time.Hour {
		f.Severity = probes.SeverityCritical
	}
	return []probes.Finding{f}
}
