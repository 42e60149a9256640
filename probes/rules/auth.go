package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// poolIdentityUser is how the apphost parser (and collectors) write a vDir's
// anonymous identity when it is the application pool's (userName="").
const poolIdentityUser = "Application pool identity"

// poolIdentity is the account WsusPool runs as; known is false when the
// pool's configuration was not collected (WSUS installs it as NETWORK
// SERVICE).
func (e *eval) poolIdentity() (who probes.Principal, known bool) {
	p := e.st.AppPool
	if p == nil || p.Identity == "" {
		return probes.NetworkService, false
	}
	switch {
	case strings.EqualFold(p.Identity, "ApplicationPoolIdentity"):
		return probes.Principal{Name: `IIS APPPOOL\` + e.poolName()}, true
	case strings.EqualFold(p.Identity, "LocalSystem"):
		return probes.LocalSystem, true
	}
	if who, ok := probes.PrincipalOf(p.Identity); ok {
		return who, true
	}
	return probes.NetworkService, false
}

// anonymousIdentity is the account IIS uses for anonymous requests to a
// vDir, how the configuration names it, and whether it is known.
func (e *eval) anonymousIdentity(vdir string) (who probes.Principal, configured string, known bool) {
	c, ok := e.configOf(vdir)
	if !ok {
		return probes.AnonymousUser, "", false
	}
	u := strings.TrimSpace(c.AnonymousUser)
	if u == "" || strings.EqualFold(u, poolIdentityUser) {
		who, known = e.poolIdentity()
		return who, poolIdentityUser, known
	}
	if who, ok := probes.PrincipalOf(u); ok {
		return who, u, true
	}
	return probes.AnonymousUser, u, false
}

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
	ev = append(ev, e.claimVDirEvents(vdirs, exDenied)...)
	var steps []probes.Step
	for _, v := range vdirs {
		steps = append(steps, e.authStep(v, "anonymousAuthentication", true, "Enable anonymous authentication on "+v))
		if c, ok := e.configOf(v); ok && c.WindowsAuth {
			steps = append(steps, e.authStep(v, "windowsAuthentication", false, "Turn Windows authentication off on "+v+" (it takes anonymous only)"))
		}
	}
	steps = append(steps, iisreset())
	f := finding("", ev, steps...)
	f.Title = "Anonymous authentication is disabled on " + vdirList(vdirs) + " (401.2)"
	f.Summary = "Windows Update clients authenticate anonymously: with it off they get 401.2 and cannot scan or report."
	e.addCause(f, vdirs, timeZero, "")
	return []probes.Finding{f}
}

// iusrCredentials: 401.1 on an anonymous vDir — IIS could not log on the
// vDir's anonymous identity. Only a 401.1 that the client never got past is
// evidence: the console's Negotiate/NTLM handshake on ApiRemoting30 (Windows
// authentication) logs 401.2, 401.1 and 200 as a matter of course, and a
// vDir running as the application pool identity (Content's usual setup) is
// not a fault.
func iusrCredentials(e *eval) []probes.Finding {
	idx := e.checks(func(c probes.ObservedCheck) bool {
		return isAnonymousVDir(c.VDir) && c.Status == 401 && sub(c.Substatus) == 1
	})
	e.explain(idx)
	ev := e.checkEvidence(idx)
	var logged []string
	if l := e.st.IISLog; l != nil {
		for _, f := range l.TopClients {
			refused := f.Refused()
			if !isAnonymousVDir(f.VDir) || f.Status != 401 || sub(f.Substatus) != 1 || refused <= 0 {
				continue
			}
			fact := fmt.Sprintf("%s requests to %s answered 401.1 and the client did not get past them", probes.FormatCount(refused), f.VDir)
			if f.Followed > 0 {
				fact += fmt.Sprintf(" (%s more were followed by a success: a handshake)", probes.FormatCount(f.Followed))
			}
			if f.Unsettled > 0 {
				fact += fmt.Sprintf(" (%s more came too close to the end of the log to tell)", probes.FormatCount(f.Unsettled))
			}
			if c := clientsOf(f); c != "" {
				fact += "; clients: " + c
			}
			ev = append(ev, probes.Evidence{Fact: fact, Source: e.logSource(), At: l.Last.Time})
			logged = append(logged, f.VDir)
		}
	}
	if len(ev) == 0 {
		return nil
	}
	vdirs := e.vdirsOf(idx, logged...)
	ev = append(ev, e.claimVDirEvents(vdirs, exDenied)...)
	var steps []probes.Step
	for _, v := range vdirs {
		who, configured, known := e.anonymousIdentity(v)
		if known {
			ev = append(ev, e.configEvidence(fmt.Sprintf("the anonymous identity of %s is %s", v, configured)))
		}
		steps = append(steps, e.credentialSteps(v, who, configured, known)...)
	}
	steps = append(steps, iisreset())
	f := finding("", ev, steps...)
	f.Title = "IIS cannot log on the anonymous identity of " + vdirList(vdirs) + " (401.1)"
	f.Summary = "401.1: IIS rejects the anonymous identity's logon, so clients are refused before WSUS sees them."
	e.addCause(f, vdirs, timeZero, "")
	return []probes.Finding{f}
}

// credentialSteps fix one vDir's anonymous logon: a custom account's stale
// password or lost logon right, or IUSR denied a logon right by policy. The
// built-in IUSR has no password and is not a local user: it is reset by
// naming it again, never with net user.
func (e *eval) credentialSteps(vdir string, who probes.Principal, configured string, known bool) []probes.Step {
	loc := q(e.site() + "/" + vdir)
	set := func(user string) string {
		return `Import-Module WebAdministration; ` +
			`Set-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Location ` + loc + ` -Filter 'system.webServer/security/authentication/anonymousAuthentication' -Name userName -Value ` + q(user) + `; ` +
			`Set-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Location ` + loc + ` -Filter 'system.webServer/security/authentication/anonymousAuthentication' -Name password -Value ''`
	}
	show := ps("Show the anonymous identity "+vdir+" is configured with",
		`Import-Module WebAdministration; Get-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Location `+loc+
			` -Filter 'system.webServer/security/authentication/anonymousAuthentication' -Name userName`)
	rights := ps("List who holds, and who is denied, the logon rights IIS uses for it (IUSR is S-1-5-17); a GPO's User Rights Assignment usually removed it",
		`secedit /export /areas USER_RIGHTS /cfg "$env:TEMP\user-rights.inf"; Select-String -Path "$env:TEMP\user-rights.inf" -Pattern 'SeNetworkLogonRight|SeDenyNetworkLogonRight|SeBatchLogonRight|SeDenyBatchLogonRight|SeInteractiveLogonRight|SeDenyInteractiveLogonRight'`)
	switch {
	case !known:
		return []probes.Step{show, rights,
			ps("If it names an account, go back to the built-in IUSR (no password to expire), as the other vDirs use", set("IUSR"))}
	case configured == poolIdentityUser:
		return []probes.Step{
			note(vdir + " runs as the application pool identity (" + who.Name + "), which IIS logs on without a password; a 401.1 there means a policy denies that account a logon right"),
			rights}
	case who == probes.AnonymousUser:
		return []probes.Step{show,
			ps("Name the built-in IUSR again without a password: a stale explicit password for it makes every logon fail", set("IUSR")),
			rights}
	}
	return []probes.Step{
		note(vdir + " logs on anonymous requests as " + who.Name + ": its password stored in IIS is out of date, or the account is disabled, locked or denied a logon right"),
		ps("Use the built-in IUSR instead (no password to expire), as WSUS sets it up", set("IUSR")),
		rights,
	}
}

// clientsOf names the clients of a fault, from the IIS log's top list.
func clientsOf(f probes.IISLogFaultClients) string {
	var ips []string
	for _, c := range f.Top {
		ips = append(ips, c.IP)
	}
	if len(ips) == 0 {
		return ""
	}
	if len(ips) > 5 {
		ips = append(ips[:5], "…")
	}
	return fmt.Sprintf("%s distinct (%s)", probes.FormatCount(f.Clients), strings.Join(ips, ", "))
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
		e.authStep("ApiRemoting30", "windowsAuthentication", true, "Turn Windows authentication on for ApiRemoting30"),
		e.authStep("ApiRemoting30", "anonymousAuthentication", false, "Turn anonymous authentication off for ApiRemoting30"),
		iisreset())}
}

// impersonation: 500.24 — ASP.NET impersonation must be off on every vDir.
// The evidence is a 500.24 (probe or IIS log) or impersonate="true" in the
// configuration; a console error (event 7053) that received an HTML page
// where a web service answers XML is only a hint, and a 7053 without it is
// the console's generic error, not this.
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
	proven := len(ev) > 0
	hints := e.wsusEvents(func(ev probes.Event, k knownEvent, known bool) bool { return exceptionKind(ev.Message) == exHTML })
	if !proven && len(hints) == 0 {
		return nil
	}
	ev = append(ev, e.claim(hints)...)
	for _, t := range logs {
		fromConfig = append(fromConfig, t.VDir)
	}
	vdirs := e.vdirsOf(idx, fromConfig...)
	named := len(vdirs) > 0
	if !named {
		vdirs = probes.VDirNames()
	}
	ev = append(ev, e.claimVDirEvents(vdirs)...)
	var steps []probes.Step
	if !proven {
		steps = append(steps, ps("See which vDirs have impersonation on (look for impersonate=\"true\" under system.web/identity)",
			`Select-String -Path "$env:windir\system32\inetsrv\config\applicationHost.config", "$env:ProgramFiles\Update Services\WebServices\*\web.config" -Pattern 'impersonate="true"'`))
	}
	if len(vdirs) > 2 {
		quoted := make([]string, len(vdirs))
		for i, v := range vdirs {
			quoted[i] = q(v)
		}
		steps = append(steps, ps("Turn ASP.NET impersonation off on "+vdirList(vdirs),
			"foreach ($vdir in "+strings.Join(quoted, ", ")+") { "+appcmd+` set config "`+strings.ReplaceAll(e.site(), `"`, "")+`/$vdir" -section:system.web/identity /impersonate:false }`))
	} else {
		for _, v := range vdirs {
			steps = append(steps, ps("Turn ASP.NET impersonation off on "+v, appcmd+" set config "+e.location(v)+" -section:system.web/identity /impersonate:false"))
		}
	}
	steps = append(steps, iisreset())
	f := finding("", ev, steps...)
	switch {
	case len(idx) > 0 || len(logs) > 0:
		f.Title = "ASP.NET impersonation is enabled (500.24) on " + vdirList(vdirs)
	case proven:
		f.Title = "ASP.NET impersonation is enabled on " + vdirList(vdirs)
		f.Summary = "With impersonation on, IIS in integrated mode answers every request to these vDirs with 500.24."
	default:
		f.Title = "ASP.NET impersonation may be enabled: the console received an IIS error page (event 7053)"
		f.Summary = "The console expected a web-service answer and got an HTML page; ASP.NET impersonation (500.24) is the usual cause, but any IIS error page does this. The first step shows whether it is on."
		f.Severity = probes.SeverityWarning
	}
	if proven {
		e.addCause(f, vdirsIfNamed(vdirs, named), timeZero, "")
	}
	return []probes.Finding{f}
}

func vdirsIfNamed(vdirs []string, named bool) []string {
	if named {
		return vdirs
	}
	return nil
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
	var broken []string
	for _, c := range e.st.VDirConfig {
		v, ok := probes.LookupVDir(c.VDir)
		switch {
		case !ok:
		case c.RequireSSL && !v.SSLInSSL:
			ev = append(ev, e.configEvidence("Require SSL is on for "+c.VDir+", which must never require SSL (clients fetch it over HTTP)"))
			steps = append(steps, ps("Stop requiring SSL on "+c.VDir, appcmd+" set config "+e.location(c.VDir)+" -section:system.webServer/security/access /sslFlags:None /commit:apphost"))
			broken = append(broken, c.VDir)
		case ssl && v.SSLInSSL && !c.RequireSSL:
			ev = append(ev, e.configEvidence("the server runs in SSL mode but "+c.VDir+" does not require SSL"))
			steps = append(steps, ps("Require SSL on "+c.VDir, appcmd+" set config "+e.location(c.VDir)+" -section:system.webServer/security/access /sslFlags:Ssl /commit:apphost"))
		}
	}
	logs := e.logTotals(func(t probes.IISLogTotal) bool {
		v, _ := probes.LookupVDir(t.VDir)
		return !v.SSLInSSL && t.Status == 403 && sub(t.Substatus) == 4
	})
	ev = append(ev, e.logEvidence(logs)...)
	if len(ev) == 0 {
		return nil
	}
	if len(steps) == 0 {
		for _, v := range e.vdirsOf(idx) {
			steps = append(steps, ps("Stop requiring SSL on "+v, appcmd+" set config "+e.location(v)+" -section:system.webServer/security/access /sslFlags:None /commit:apphost"))
		}
	}
	steps = append(steps, ps("Never require SSL on the whole site; let WSUS set the SSL vDirs for the name clients use", wsusutil+" configuressl "+q(e.st.Name)), iisreset())
	f := finding("", ev, steps...)
	for _, t := range logs {
		broken = append(broken, t.VDir)
	}
	if vdirs := e.vdirsOf(idx, broken...); len(vdirs) > 0 {
		e.addCause(f, vdirs, timeZero, "")
	}
	return []probes.Finding{f}
}

// clientCertRequired: client certificates must be Ignore (Require gives
// 403.7 and client error 0x80072F0C).
func clientCertRequired(e *eval) []probes.Finding {
	idx := e.checks(func(c probes.ObservedCheck) bool { return c.Status == 403 && sub(c.Substatus) == 7 })
	e.explain(idx)
	ev := e.checkEvidence(idx)
	var vdirs, required []string
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
				required = append(required, c.VDir)
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
		steps = append(steps, ps("Set client certificates to Ignore on "+v, appcmd+" set config "+e.location(v)+" -section:system.webServer/security/access /sslFlags:"+flags+" /commit:apphost"))
	}
	if slices.ContainsFunc(e.st.VDirChecks, func(c probes.ObservedCheck) bool { return c.Status == 403 && sub(c.Substatus) == 7 }) {
		severity = probes.SeverityCritical
	}
	f := finding("", ev, append(steps, iisreset())...)
	f.Severity = severity
	if severity == probes.SeverityCritical {
		e.addCause(f, e.vdirsOf(idx, required...), timeZero, "")
	}
	return []probes.Finding{f}
}
