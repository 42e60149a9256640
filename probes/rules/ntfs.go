package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// ntfsACL: NETWORK SERVICE lacks a right DESIGN §7.5 requires: 401.3 on a
// vDir, processes denied in ProcMon, event 12072, or the ACLs themselves.
func ntfsACL(e *eval) []probes.Finding {
	idx := e.checks(func(c probes.ObservedCheck) bool { return c.Status == 401 && sub(c.Substatus) == 3 })
	e.explain(idx)
	ev := e.checkEvidence(idx)
	ev = append(ev, e.logEvidence(e.logTotals(func(t probes.IISLogTotal) bool { return t.Status == 401 && sub(t.Substatus) == 3 }))...)
	for _, x := range e.events(12072) {
		ev = append(ev, e.eventEvidence(x))
	}
	var steps []probes.Step
	grant := func(path, right string) {
		s := probes.GrantCommand(path, right)
		if !slices.ContainsFunc(steps, func(o probes.Step) bool { return o.Command == s.Command && s.Command != "" }) {
			steps = append(steps, s)
		}
	}
	if d := e.st.Denials; d != nil {
		for _, g := range d.Groups {
			ev = append(ev, probes.Evidence{Fact: fmt.Sprintf("%s was denied %s on %s %d times (%s to %s)", g.Process, g.Operation, g.Path, g.Count, g.First, g.Last),
				Source: "Process Monitor capture", At: e.st.Collected[probes.SectionDenials]})
			for _, s := range g.Remediation {
				if !slices.ContainsFunc(steps, func(o probes.Step) bool { return o == s }) {
					steps = append(steps, s)
				}
			}
		}
	}
	for _, m := range e.missingGrants() {
		ev = append(ev, probes.Evidence{Fact: m.fact, Source: "NTFS permissions", At: e.st.Collected[probes.SectionACLs]})
		grant(m.path, m.right)
	}
	if len(ev) == 0 {
		return nil
	}
	if len(steps) == 0 { // a 401.3 or 12072 without ACLs collected: the §7.5 grants for the content folder
		content := `D:\WSUS\WsusContent`
		if e.st.Server != nil && e.st.Server.ContentDir != "" {
			content = e.st.Server.ContentDir
		}
		grant(content, probes.RightFullControl)
		grant(`%windir%\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files`, probes.RightFullControl)
		grant(`%windir%\Temp`, probes.RightFullControl)
	}
	steps = append(steps, step("Restart IIS and WSUS, then re-run the WSUS health check", "iisreset; Restart-Service WsusService; "+wsusutil+" checkhealth"))
	f := finding("", ev, steps...)
	f.Summary = "NETWORK SERVICE (the identity of WsusPool and WSUS) is denied access it needs: IIS answers 401.3 and WSUS cannot serve content."
	return []probes.Finding{f}
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
			out = append(out, missing{p, need.Right, fmt.Sprintf("NETWORK SERVICE has no %s on %s (%s)", need.Right, p, need.Why)})
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
	p := strings.ToUpper(a.Principal)
	networkService := strings.HasSuffix(p, `\NETWORK SERVICE`) || p == "NETWORK SERVICE" || p == probes.NetworkServiceSID
	computer := strings.HasSuffix(p, "$") // DOMAIN\SERVER$
	return (networkService || computer) && hasRight(a.Rights, right)
}

// hasRight: FullControl covers everything, Modify covers read, and so on.
func hasRight(rights []string, want string) bool {
	rank := map[string]int{probes.RightReadKey: 1, probes.RightReadAndExecute: 1, "Read": 1, "Write": 1, probes.RightModify: 2, probes.RightFullControl: 3}
	for _, r := range rights {
		if rank[r] >= rank[want] {
			return true
		}
	}
	return false
}
