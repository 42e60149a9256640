package rules

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// unreachable: no vDir answered at all from one vantage: DNS, routing,
// firewall or IIS is down, before any WSUS setting matters.
func unreachable(e *eval) []probes.Finding {
	runs := map[[2]string][]int{}
	var order [][2]string
	for i, c := range e.st.VDirChecks {
		k := [2]string{c.Vantage, c.Origin}
		if runs[k] == nil {
			order = append(order, k)
		}
		runs[k] = append(runs[k], i)
	}
	var out []probes.Finding
	for _, k := range order {
		idx := runs[k]
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
		f := finding(c.Vantage+" "+c.Origin, []probes.Evidence{{Fact: fmt.Sprintf("%s of %s checks got no answer; e.g. %s", probes.FormatCount(int64(failed)), probes.FormatCount(int64(len(idx))), checkFact(c)), Source: source(c), At: c.CheckedAt}},
			ps("Check that the name resolves to the WSUS server", "Resolve-DnsName "+q(host)),
			ps("Check the port is open from the same place", fmt.Sprintf("Test-NetConnection %s -Port %s", q(host), port)),
			ps("On the server: IIS and WSUS running, and the firewall allowing the WSUS port",
				`Get-Service 'W3SVC', 'WsusService'; Get-NetFirewallRule -DisplayName '*Update Services*' | Format-Table 'DisplayName', 'Enabled', 'Action'`),
		)
		f.Title = "The server cannot be reached " + strings.TrimPrefix(source(c), "probe ")
		if c.Vantage != probes.VantageDashboard {
			e.addCause(f, nil, timeZero, "") // clients share a remote agent's or the server's own view, not the dashboard's
		}
		out = append(out, f)
	}
	return out
}

func hostPort(raw string) (host, port string) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", "8530"
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
			ps("Request the URL on the server itself to see IIS's detailed error (local requests show the substatus)",
				`try { (Invoke-WebRequest -UseBasicParsing -Uri `+q(c.URL)+`).StatusCode } catch { $_.Exception.Response.StatusCode.value__; $_.ErrorDetails.Message | Select-String -Pattern 'HTTP Error [0-9.]+' }`),
			ps("Read the IIS log of the WSUS site for the status and substatus",
				`Get-Content (Get-ChildItem "$env:SystemDrive\inetpub\logs\LogFiles\W3SVC*" -Filter *.log | Sort-Object LastWriteTime | Select-Object -Last 1).FullName -Tail 200 | Select-String `+q(v)),
			ps("Check the vDir exists and maps to its folder", `Import-Module WebAdministration; Get-WebApplication -Site `+q(e.site())+`; Get-WebVirtualDirectory -Site `+q(e.site())))
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
			ps("Check the server's load and WsusPool (CPU, memory) while clients scan", `Get-Counter '\Process(w3wp*)\% Processor Time','\Process(w3wp*)\Private Bytes'`))
		f.Title = v + ": " + c.Reason
		out = append(out, f)
	}
	return out
}
