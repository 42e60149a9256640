package rules

import (
	"fmt"
	"net/url"

	"github.com/wsusfleet/wsusfleet/probes"
)

// unreachable: no vDir answered at all from one vantage: DNS, routing,
// firewall or IIS is down, before any WSUS setting matters.
func unreachable(e *eval) []probes.Finding {
	runs := map[[2]string][]int{}
	for i, c := range e.st.VDirChecks {
		runs[[2]string{c.Vantage, c.Origin}] = append(runs[[2]string{c.Vantage, c.Origin}], i)
	}
	var out []probes.Finding
	for _, idx := range runs {
		failed := 0
		for _, i := range idx {
			if k := e.check(i).ErrorKind; k == probes.ErrorDNS || k == probes.ErrorConnect || k == probes.ErrorTimeout {
				failed++
			}
		}
		// Every check failed, or all but the extra ones (SelfUpdate on port 80).
		if failed < len(idx)-1 || failed < 5 {
			continue
		}
		e.explain(idx)
		c := e.check(idx[0])
		host, port := hostPort(c.URL)
		f := finding(c.Vantage+" "+c.Origin, []probes.Evidence{{Fact: fmt.Sprintf("%d of %d checks got no answer; e.g. %s", failed, len(idx), checkFact(c)), Source: source(c), At: c.CheckedAt}},
			step("Check that the name resolves to the WSUS server", "Resolve-DnsName "+host),
			step("Check the port is open from the same place", fmt.Sprintf("Test-NetConnection %s -Port %s", host, port)),
			step("On the server: IIS and WSUS running, and the firewall allowing the WSUS port", `Get-Service W3SVC, WsusService; Get-NetFirewallRule -DisplayName "*Update Services*" | Format-Table DisplayName, Enabled, Action`),
		)
		f.Title = "The server cannot be reached from " + source(c)[len("probe "):]
		out = append(out, f)
	}
	return out
}

func hostPort(raw string) (host, port string) {
	u, err := url.Parse(raw)
	if err != nil {
		return raw, "8530"
	}
	port = u.Port()
	if port == "" {
		port = map[string]string{"https": "443"}[u.Scheme]
		if port == "" {
			port = "80"
		}
	}
	return u.Hostname(), port
}

// vdirFault: a faulty vDir no specific rule explained.
func vdirFault(e *eval) []probes.Finding {
	byVDir := map[string][]int{}
	for _, i := range e.checks(func(c probes.ObservedCheck) bool { return c.Verdict == probes.VerdictFault }) {
		byVDir[e.check(i).VDir] = append(byVDir[e.check(i).VDir], i)
	}
	var out []probes.Finding
	for _, v := range probes.VDirNames() {
		idx := byVDir[v]
		if len(idx) == 0 {
			continue
		}
		e.explain(idx)
		c := e.check(idx[0])
		f := finding(v, e.checkEvidence(idx),
			step("Browse the URL on the server itself to see IIS's detailed error (it shows the substatus)", "Invoke-WebRequest -UseBasicParsing "+c.URL),
			step("Read the IIS log of the WSUS site for the status and substatus", `Get-Content (Get-ChildItem "$env:SystemDrive\inetpub\logs\LogFiles\W3SVC*" -Filter *.log | Sort-Object LastWriteTime | Select-Object -Last 1).FullName -Tail 200 | Select-String "`+v+`"`),
			step("Check the vDir exists and maps to its folder", `Get-WebApplication -Site "WSUS Administration"; Get-WebVirtualDirectory -Site "WSUS Administration"`))
		f.Title = v + ": " + c.Reason
		out = append(out, f)
	}
	return out
}

// vdirDegraded: warnings no specific rule explained (slow answers,
// unexpected redirects).
func vdirDegraded(e *eval) []probes.Finding {
	var out []probes.Finding
	for _, v := range probes.VDirNames() {
		left := e.checks(func(c probes.ObservedCheck) bool { return c.VDir == v && c.Verdict == probes.VerdictWarning })
		if len(left) == 0 {
			continue
		}
		e.explain(left)
		c := e.check(left[0])
		f := finding(v, e.checkEvidence(left),
			step("Check the server's load and WsusPool (CPU, memory, queue) while clients scan", `Get-Counter '\Process(w3wp*)\% Processor Time','\Process(w3wp*)\Private Bytes'`))
		f.Title = v + ": " + c.Reason
		out = append(out, f)
	}
	return out
}
