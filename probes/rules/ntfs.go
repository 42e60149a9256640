package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// ntfsACL: an account WSUS runs as is denied access it needs (DESIGN §7.5):
// 401.3 on a vDir (its anonymous identity cannot read the vDir's folder),
// processes denied in Process Monitor (granted to the account that was
// denied), event 12072 refused with 401/403 or giving no reason, or the
// collected ACLs missing what NETWORK SERVICE needs.
func ntfsACL(e *eval) []probes.Finding {
	idx := e.checks(func(c probes.ObservedCheck) bool { return c.Status == 401 && sub(c.Substatus) == 3 })
	e.explain(idx)
	ev := e.checkEvidence(idx)
	logs := e.logTotals(func(t probes.IISLogTotal) bool { return t.Status == 401 && sub(t.Substatus) == 3 })
	ev = append(ev, e.logEvidence(logs)...)
	var denied []string // vDirs with a 401.3
	for _, i := range idx {
		denied = append(denied, e.check(i).VDir)
	}
	for _, t := range logs {
		denied = append(denied, t.VDir)
	}
	denied = e.vdirsOf(nil, denied...)
	contentEvents := e.wsusEvents(func(ev probes.Event, k knownEvent, known bool) bool {
		x := exceptionKind(ev.Message)
		return known && k.id == 12072 && (x == exDenied || x == exNone)
	})
	ev = append(ev, e.claim(contentEvents)...)
	ev = append(ev, e.claimVDirEvents(denied, exDenied)...)

	var steps []probes.Step
	add := func(s probes.Step) {
		if !slices.ContainsFunc(steps, func(o probes.Step) bool { return o.Text == s.Text && o.Command == s.Command }) {
			steps = append(steps, s)
		}
	}
	for _, v := range denied {
		for _, s := range e.readGrant(v) {
			add(s)
		}
	}
	allVDirs := false // a denial that breaks every web service, not only a vDir's folder
	var accounts []string
	if d := e.st.Denials; d != nil {
		for _, g := range d.Groups {
			fact := g.Process
			if g.User != "" {
				fact += " (as " + g.User
				if g.UserAssumed {
					fact += ", assumed: the capture has no User column"
				}
				fact += ")"
				if !slices.Contains(accounts, g.User) {
					accounts = append(accounts, g.User)
				}
			}
			fact += " was denied " + g.Operation
			if g.Access != "" {
				fact += " (" + g.Access + ")"
			}
			fact += fmt.Sprintf(" on %s %s", g.Path, probes.Plural(g.Count, "time", "times"))
			switch {
			case g.First != "" && g.Count > 1 && g.Last != g.First:
				fact += " (" + g.First + " to " + g.Last + ")"
			case g.First != "":
				fact += " (at " + g.First + ")"
			}
			ev = append(ev, probes.Evidence{Fact: fact, Source: "Process Monitor capture", At: e.st.Collected[probes.SectionDenials]})
			for _, s := range g.Remediation {
				if s.Command != "" && !strings.HasPrefix(s.Command, "iisreset") {
					add(s)
				}
			}
			if need, ok := probes.NTFSRequirement(g.Path); !ok || !strings.HasSuffix(strings.ToLower(need.Folder), `\wsuscontent`) {
				allVDirs = true
			}
		}
	}
	for _, m := range e.missingGrants() {
		ev = append(ev, probes.Evidence{Fact: m.fact, Source: "NTFS permissions", At: e.st.Collected[probes.SectionACLs]})
		add(probes.GrantCommand(m.path, m.right))
		if !strings.HasSuffix(strings.ToLower(m.path), `\wsuscontent`) {
			allVDirs = true
		}
	}
	if len(ev) == 0 {
		return nil
	}
	if len(contentEvents) > 0 && len(denied) == 0 && !slices.ContainsFunc(steps, func(s probes.Step) bool { return strings.Contains(strings.ToLower(s.Command), "wsuscontent") }) {
		for _, s := range e.contentGrant(probes.NetworkService, probes.RightFullControl) {
			add(s)
		}
		if slices.ContainsFunc(contentEvents, func(i int) bool { return exceptionKind(e.st.Events[i].Message) == exDenied }) {
			// The health check fetches a file over /Content as Content's anonymous identity.
			for _, s := range e.readGrant("Content") {
				add(s)
			}
		}
	}
	steps = append(steps, ps("Restart IIS and WSUS, then re-run the WSUS health check", "iisreset; Restart-Service WsusService; "+wsusutil+" checkhealth"))
	f := finding("", ev, steps...)
	switch {
	case len(denied) > 0:
		who, _, _ := e.anonymousIdentity(denied[0])
		f.Title = "NTFS permissions deny the anonymous identity of " + vdirList(denied) + " (401.3)"
		f.Summary = "401.3: IIS reads " + vdirList(denied) + "'s files as " + who.Name + ", and the folder's ACL refuses it."
	case e.st.Denials != nil && len(e.st.Denials.Groups) > 0:
		switch len(accounts) {
		case 0:
			f.Title = "The WSUS processes are denied access they need (Process Monitor)"
		case 1:
			f.Title = accounts[0] + " is denied access WSUS needs (Process Monitor)"
		default:
			f.Title = vdirList(accounts) + " are denied access WSUS needs (Process Monitor)"
		}
		f.Summary = "Process Monitor shows the WSUS processes denied access; each is granted to the account that was denied, with the right it asked for."
	case len(contentEvents) > 0 && len(e.missingGrants()) == 0:
		f.Title = "The WSUS content directory is not accessible (event 12072)"
		f.Summary = "WSUS's health check could not read the content directory; NETWORK SERVICE needs Full Control there."
		f.Severity = probes.SeverityWarning
	default:
		f.Title = "NETWORK SERVICE lacks permissions WSUS needs"
		f.Summary = "NETWORK SERVICE (the identity of WsusPool and WSUS) is missing rights the WSUS guide lists."
	}
	if f.Severity != probes.SeverityWarning {
		var vdirs []string
		if !allVDirs {
			vdirs = append(denied, "Content")
		}
		e.addCause(f, vdirs, timeZero, "")
	}
	return []probes.Finding{f}
}

// readGrant is the fix of a 401.3 on a vDir: its anonymous identity needs
// Read & execute on the vDir's folder. When the configuration was not
// collected, the steps say so and read what they need from IIS instead of
// presenting a guess as fact.
func (e *eval) readGrant(vdir string) []probes.Step {
	who, configured, known := e.anonymousIdentity(vdir)
	var steps []probes.Step
	if !known {
		steps = append(steps, note("The anonymous identity of "+vdir+" is not known (no IIS configuration collected); WSUS sets IUSR, and the grant below is for IUSR. "+
			"If the vDir names another account, grant that one instead"))
	} else if configured == poolIdentityUser {
		steps = append(steps, note(vdir+" runs anonymous requests as the application pool identity, "+who.Name))
	}
	if vdir == "Content" {
		return append(steps, e.contentGrant(who, probes.RightReadAndExecute)...)
	}
	if c, ok := e.configOf(vdir); ok && c.PhysicalPath != "" {
		return append(steps, probes.Grant(who, c.PhysicalPath, probes.RightReadAndExecute, true))
	}
	account, ok := icaclsAccount(who)
	if !ok {
		return append(steps, note("Grant "+who.Name+" Read & execute on the folder of "+vdir+" (Properties > Security)"))
	}
	return append(steps, ps("Grant "+who.Name+" Read & execute on "+vdir+"'s folder (its path is read from IIS: it was not collected)",
		`Import-Module WebAdministration; $dir = [Environment]::ExpandEnvironmentVariables((Get-WebApplication -Site `+q(e.site())+` -Name `+q(vdir)+`).PhysicalPath); `+
			`icacls $dir /grant `+q(account+":(OI)(CI)RX")))
}

// contentGrant grants who right on the WsusContent folder: the one the
// server reported, else the Content vDir's physical path read from IIS.
func (e *eval) contentGrant(who probes.Principal, right string) []probes.Step {
	dir := ""
	if c, ok := e.configOf("Content"); ok && c.PhysicalPath != "" {
		dir = c.PhysicalPath
	} else if e.st.Server != nil && e.st.Server.ContentDir != "" {
		dir = e.st.Server.ContentDir
	}
	if dir != "" {
		return []probes.Step{probes.Grant(who, dir, right, true)}
	}
	account, ok := icaclsAccount(who)
	if !ok {
		return []probes.Step{note("The content folder is not known (not collected); grant " + who.Name + " " + probes.RightName(right) +
			" on the folder the Content vDir maps to (IIS Manager > " + e.site() + " > Content > Basic Settings)")}
	}
	perm := map[string]string{probes.RightFullControl: "F", probes.RightModify: "M"}[right]
	if perm == "" {
		perm = "RX"
	}
	return []probes.Step{
		note("The content folder is not known here (the server report did not name it); the next command reads it from the Content vDir in IIS"),
		ps("Grant "+who.Name+" "+probes.RightName(right)+" on the content folder",
			`Import-Module WebAdministration; $content = [Environment]::ExpandEnvironmentVariables((Get-WebVirtualDirectory -Site `+q(e.site())+` -Name 'Content').PhysicalPath); `+
				`$content; icacls $content /grant `+q(account+":(OI)(CI)"+perm)),
	}
}

// icaclsAccount is how icacls names an account: *SID when well known.
func icaclsAccount(who probes.Principal) (string, bool) {
	if who.SID != "" {
		return "*" + who.SID, true
	}
	if who.Name == "" || strings.ContainsAny(who.Name, ":*?\"<>|") {
		return "", false
	}
	return who.Name, true
}

type missing struct{ path, right, fact string }

// missingGrants compares the collected ACLs of the §7.5 folders with what
// NETWORK SERVICE needs there.
func (e *eval) missingGrants() []missing {
	byPath := map[string][]probes.ACL{}
	var paths []string
	for _, a := range e.st.ACLs {
		if _, ok := byPath[a.Path]; !ok {
			paths = append(paths, a.Path)
		}
		byPath[a.Path] = append(byPath[a.Path], a)
	}
	var out []missing
	for _, p := range paths {
		need, ok := probes.NTFSRequirement(p)
		if !ok || !strings.EqualFold(need.Folder, p) {
			continue
		}
		if !slices.ContainsFunc(byPath[p], func(a probes.ACL) bool { return grants(a, need.Right) }) {
			out = append(out, missing{p, need.Right, fmt.Sprintf("NETWORK SERVICE has no %s on %s (%s)", probes.RightName(need.Right), p, need.Why)})
		}
	}
	return out
}

// grants reports whether an allow entry gives NETWORK SERVICE (or, for a
// content folder on a remote share, the server's computer account) at least
// right.
func grants(a probes.ACL, right string) bool {
	if a.Type == "Deny" {
		return false
	}
	who, _ := probes.PrincipalOf(a.Principal)
	computer := strings.HasSuffix(a.Principal, "$") // DOMAIN\SERVER$
	return (who.IsNetworkService() || computer) && hasRight(a.Rights, right)
}

// hasRight: FullControl covers everything, Modify covers read, and so on.
func hasRight(rights []string, want string) bool {
	for _, r := range rights {
		if probes.RightRank(r) >= probes.RightRank(want) {
			return true
		}
	}
	return false
}
