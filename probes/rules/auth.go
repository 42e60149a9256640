package rules

import (
	"fmt"
	"slices"

	"github.com/wsusfleet/wsusfleet/probes"
)

// anonymousDisabled: 401.2 on an anonymous vDir — no usable authentication
// method because anonymous authentication is off (DESIGN §7.2).
func anonymousDisabled(e *eval) []probes.Finding {
	idx := e.checks(func(c probes.ObservedCheck) bool {
		return isAnonymousVDir(c.VDir) && c.Status == 401 && (sub(c.Substatus) == 2 || (c.Substatus == nil && c.OffersWindowsAuth()))
	})
	e.explain(idx)
	ev := e.checkEvidence(idx)
	var fromConfig []string
	for _, c := range e.st.VDirConfig {
		if isAnonymousVDir(c.VDir) && !c.Anonymous {
			fromConfig = append(fromConfig, c.VDir)
			ev = append(ev, e.configEvidence("anonymous authentication is off on "+c.VDir))
		}
	}
	logs := e.logTotals(func(t probes.IISLogTotal) bool {
		return isAnonymousVDir(t.VDir) && t.Status == 401 && sub(t.Substatus) == 2
	})
	ev = append(ev, e.logEvidence(logs)...)
	if len(ev) == 0 {
		return nil
	}
	var logged []string
	for _, t := range logs {
		logged = append(logged, t.VDir)
	}
	vdirs := e.vdirsOf(idx, append(fromConfig, logged...)...)
	ev = append(ev, e.claimVDirEvents(vdirs)...)
	var steps []probes.Step
	for _, v := range vdirs {
		steps = append(steps, authStep(v, "anonymousAuthentication", true, "Enable anonymous authentication on "+v))
		if c, ok := e.configOf(v); ok && c.WindowsAuth {
			steps = append(steps, authStep(v, "windowsAuthentication", false, "Turn Windows authentication off on "+v+" (DESIGN §7.1: anonymous only)"))
		}
	}
	steps = append(steps, iisreset())
	f := finding("", ev, steps...)
	f.Title = "Anonymous authentication is disabled on " + vdirList(vdirs) + " (401.2)"
	f.Summary = "Windows Update clients authenticate anonymously: with it off they get 401.2 and cannot scan or report."
	return []probes.Finding{f}
}

// iusrCredentials: 401.1 — the anonymous identity's credentials are rejected,
// or the vDirs use different anonymous identities.
func iusrCredentials(e *eval) []probes.Finding {
	idx := e.checks(func(c probes.ObservedCheck) bool {
		return isAnonymousVDir(c.VDir) && c.Status == 401 && sub(c.Substatus) == 1
	})
	e.explain(idx)
	ev := e.checkEvidence(idx)
	ev = append(ev, e.logEvidence(e.logTotals(func(t probes.IISLogTotal) bool { return t.Status == 401 && sub(t.Substatus) == 1 }))...)
	users := map[string][]string{}
	for _, c := range e.st.VDirConfig {
		if isAnonymousVDir(c.VDir) && c.Anonymous {
			users[c.AnonymousUser] = append(users[c.AnonymousUser], c.VDir)
		}
	}
	target := "IUSR"
	if len(users) > 1 {
		most := 0
		for u, vs := range users {
			ev = append(ev, e.configEvidence(fmt.Sprintf("anonymous identity %q on %s", displayUser(u), vdirList(vs))))
			if len(vs) > most || (len(vs) == most && u < target) {
				most, target = len(vs), u
			}
		}
	}
	if len(ev) == 0 {
		return nil
	}
	var steps []probes.Step
	for _, v := range probes.VDirNames() {
		if isAnonymousVDir(v) {
			steps = append(steps, step(fmt.Sprintf("Use the same anonymous identity (%s) on %s", displayUser(target), v),
				appcmd+" set config "+location(v)+` -section:system.webServer/security/authentication/anonymousAuthentication /userName:"`+target+`" /commit:apphost`))
		}
	}
	steps = append(steps,
		step("If that identity is a custom account, make sure it is enabled, unlocked and its password in IIS is current", "net user "+accountName(target)),
		iisreset())
	f := finding("", ev, steps...)
	f.Summary = "401.1: IIS rejects the anonymous identity's credentials, so clients are refused before WSUS sees them."
	return []probes.Finding{f}
}

func displayUser(u string) string {
	if u == "" {
		return "the application pool identity"
	}
	return u
}

func accountName(u string) string {
	if u == "" {
		return "IUSR"
	}
	return u
}

// apiRemotingAuth: ApiRemoting30 must be Windows authentication only (the
// console and API); a 401 there is healthy, anonymous access is not.
func apiRemotingAuth(e *eval) []probes.Finding {
	idx := e.checks(func(c probes.ObservedCheck) bool {
		return c.VDir == "ApiRemoting30" && ((c.Status >= 200 && c.Status < 300) || (c.Status == 401 && !c.OffersWindowsAuth()))
	})
	e.explain(idx)
	ev := e.checkEvidence(idx)
	if c, ok := e.configOf("ApiRemoting30"); ok && (c.Anonymous || !c.WindowsAuth) {
		ev = append(ev, e.configEvidence(fmt.Sprintf("ApiRemoting30: anonymous %v, Windows authentication %v; the reference is anonymous off, Windows on", c.Anonymous, c.WindowsAuth)))
	}
	if len(ev) == 0 {
		return nil
	}
	return []probes.Finding{finding("ApiRemoting30", ev,
		authStep("ApiRemoting30", "windowsAuthentication", true, "Turn Windows authentication on for ApiRemoting30"),
		authStep("ApiRemoting30", "anonymousAuthentication", false, "Turn anonymous authentication off for ApiRemoting30"),
		iisreset())}
}

// impersonation: 500.24 — ASP.NET impersonation must be off on every vDir.
func impersonation(e *eval) []probes.Finding {
	idx := e.checks(func(c probes.ObservedCheck) bool { return c.Status == 500 && sub(c.Substatus) == 24 })
	e.explain(idx)
	ev := e.checkEvidence(idx)
	var fromConfig []string
	for _, c := range e.st.VDirConfig {
		if c.ASPNETImpersonation {
			fromConfig = append(fromConfig, c.VDir)
			ev = append(ev, e.configEvidence("ASP.NET impersonation is on for "+c.VDir))
		}
	}
	logs := e.logTotals(func(t probes.IISLogTotal) bool { return t.Status == 500 && sub(t.Substatus) == 24 })
	ev = append(ev, e.logEvidence(logs)...)
	for _, ev7053 := range e.events(7053) {
		ev = append(ev, e.eventEvidence(ev7053))
	}
	if len(ev) == 0 {
		return nil
	}
	for _, t := range logs {
		fromConfig = append(fromConfig, t.VDir)
	}
	vdirs := e.vdirsOf(idx, fromConfig...)
	if len(vdirs) == 0 {
		vdirs = probes.VDirNames()
	}
	ev = append(ev, e.claimVDirEvents(vdirs)...)
	var steps []probes.Step
	for _, v := range vdirs {
		steps = append(steps, step("Turn ASP.NET impersonation off on "+v, appcmd+" set config "+location(v)+" -section:system.web/identity /impersonate:false"))
	}
	steps = append(steps, iisreset())
	f := finding("", ev, steps...)
	f.Title = "ASP.NET impersonation is enabled (500.24) on " + vdirList(vdirs)
	return []probes.Finding{f}
}

// sslRequiredWrong: Require SSL where §7.1 says no (403.4), or missing where
// SSL mode needs it.
func sslRequiredWrong(e *eval) []probes.Finding {
	idx := e.checks(func(c probes.ObservedCheck) bool {
		v, ok := probes.LookupVDir(c.VDir)
		return ok && !v.SSLInSSL && c.Status == 403 && sub(c.Substatus) == 4
	})
	e.explain(idx)
	ev := e.checkEvidence(idx)
	ssl := e.st.Server != nil && e.st.Server.SSL
	var steps []probes.Step
	for _, c := range e.st.VDirConfig {
		v, ok := probes.LookupVDir(c.VDir)
		switch {
		case !ok:
		case c.RequireSSL && !v.SSLInSSL:
			ev = append(ev, e.configEvidence("Require SSL is on for "+c.VDir+", which must never require SSL (clients fetch it over HTTP)"))
			steps = append(steps, step("Stop requiring SSL on "+c.VDir, appcmd+" set config "+location(c.VDir)+" -section:system.webServer/security/access /sslFlags:None /commit:apphost"))
		case ssl && v.SSLInSSL && !c.RequireSSL:
			ev = append(ev, e.configEvidence("the server runs in SSL mode but "+c.VDir+" does not require SSL"))
			steps = append(steps, step("Require SSL on "+c.VDir, appcmd+" set config "+location(c.VDir)+" -section:system.webServer/security/access /sslFlags:Ssl /commit:apphost"))
		}
	}
	ev = append(ev, e.logEvidence(e.logTotals(func(t probes.IISLogTotal) bool {
		v, _ := probes.LookupVDir(t.VDir)
		return !v.SSLInSSL && t.Status == 403 && sub(t.Substatus) == 4
	}))...)
	if len(ev) == 0 {
		return nil
	}
	if len(steps) == 0 {
		for _, v := range e.vdirsOf(idx) {
			steps = append(steps, step("Stop requiring SSL on "+v, appcmd+" set config "+location(v)+" -section:system.webServer/security/access /sslFlags:None /commit:apphost"))
		}
	}
	steps = append(steps, step("Never require SSL on the whole site; let wsusutil set the SSL vDirs", wsusutil+" configuressl <the FQDN clients use>"), iisreset())
	return []probes.Finding{finding("", ev, steps...)}
}

// clientCertRequired: client certificates must be Ignore (Require gives
// 403.7 and client error 0x80072F0C).
func clientCertRequired(e *eval) []probes.Finding {
	idx := e.checks(func(c probes.ObservedCheck) bool { return c.Status == 403 && sub(c.Substatus) == 7 })
	e.explain(idx)
	ev := e.checkEvidence(idx)
	var vdirs []string
	severity := ""
	for _, c := range e.st.VDirConfig {
		if c.ClientCerts == "require" || c.ClientCerts == "accept" {
			vdirs = append(vdirs, c.VDir)
			ev = append(ev, e.configEvidence("client certificates are "+c.ClientCerts+"d on "+c.VDir+"; the reference is Ignore"))
			if c.ClientCerts == "accept" && severity == "" {
				severity = probes.SeverityWarning
			}
			if c.ClientCerts == "require" {
				severity = probes.SeverityCritical
			}
		}
	}
	ev = append(ev, e.logEvidence(e.logTotals(func(t probes.IISLogTotal) bool { return t.Status == 403 && sub(t.Substatus) == 7 }))...)
	if len(ev) == 0 {
		return nil
	}
	vdirs = e.vdirsOf(idx, vdirs...)
	var steps []probes.Step
	for _, v := range vdirs {
		flags := "None"
		if ref, _ := probes.LookupVDir(v); ref.SSLInSSL && e.st.Server != nil && e.st.Server.SSL {
			flags = "Ssl"
		}
		steps = append(steps, step("Set client certificates to Ignore on "+v, appcmd+" set config "+location(v)+" -section:system.webServer/security/access /sslFlags:"+flags+" /commit:apphost"))
	}
	if slices.ContainsFunc(e.st.VDirChecks, func(c probes.ObservedCheck) bool { return c.Status == 403 && sub(c.Substatus) == 7 }) {
		severity = probes.SeverityCritical
	}
	f := finding("", ev, append(steps, iisreset())...)
	f.Severity = severity
	return []probes.Finding{f}
}
