// Package rules is the diagnosis: the catalogue of causes of "clients are not
// reporting in", each a small function over a server's evidence (probes,
// IIS configuration and logs, HTTP.sys errors, ProcMon, services, events,
// SoftwareDistribution.log, sync) that says what it saw, where and when, and
// the numbered steps with exact commands that fix it. The store runs it for
// each server a write marked due (in the background and before reads of
// findings), so findings are stored, not computed per page.
package rules

import (
	"slices"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Rule is one cause in the catalogue.
type Rule struct {
	ID       string
	Severity string // the usual severity; a rule may raise or lower it per finding
	Title    string
	About    string // what it means, for the documentation and the UI
	check    func(e *eval) []probes.Finding
}

// Catalogue lists every server rule in evaluation order: specific causes
// first, so the generic ones only report what nothing else explains.
func Catalogue() []Rule { return slices.Clone(catalogue) }

// Diagnose evaluates every rule against one server.
func Diagnose(f probes.Facts) []probes.Finding {
	if f.State == nil {
		return nil
	}
	e := &eval{Facts: f, st: f.State, now: f.Now, explained: map[int]bool{}, claimedEvents: map[int]bool{}}
	var out []probes.Finding
	for _, r := range catalogue {
		e.rule, e.ruleTitle = r.ID, r.Title
		for _, found := range r.check(e) {
			if found.Rule == "" {
				found.Rule = r.ID
			}
			if found.Severity == "" {
				found.Severity = r.Severity
			}
			if found.Title == "" {
				found.Title = r.Title
			}
			if !slices.Contains(probes.GapCategories(), found.Rule) { // gap steps run on the clients
				steps := slices.Clone(found.Remediation)
				for i, st := range steps {
					steps[i] = e.startable(st)
				}
				found.Remediation = steps
			}
			e.fired = append(e.fired, found)
			out = append(out, found)
		}
	}
	return link(out)
}

// eval is one evaluation: the facts, and which evidence a rule has already
// explained.
type eval struct {
	probes.Facts
	st            *probes.ServerState
	now           time.Time
	explained     map[int]bool     // index into st.VDirChecks
	claimedEvents map[int]bool     // index into st.Events
	fired         []probes.Finding // what the rules found so far, in catalogue order
	causes        []clientCause    // server-wide causes of client silence found so far
	rule          string           // the rule being evaluated
	ruleTitle     string           // and its title
	gapsCount     bool             // the client gaps count against the server's status (probes.GapsCount)
}

// firing returns the finding of rule found so far.
func (e *eval) firing(rule string) (probes.Finding, bool) {
	for _, f := range e.fired {
		if f.Rule == rule {
			return f, true
		}
	}
	return probes.Finding{}, false
}

func (e *eval) hasFired(rule string) bool {
	_, ok := e.firing(rule)
	return ok
}

// checks returns the indexes of the latest checks that match and that no
// earlier rule has explained: a check's fault has one cause, named by the
// first rule (in catalogue order) that claims it.
func (e *eval) checks(match func(c probes.ObservedCheck) bool) []int {
	var out []int
	for i, c := range e.st.VDirChecks {
		if !e.explained[i] && match(c) {
			out = append(out, i)
		}
	}
	return out
}

func (e *eval) explain(idx []int) {
	for _, i := range idx {
		e.explained[i] = true
	}
}

func (e *eval) check(i int) probes.ObservedCheck { return e.st.VDirChecks[i] }

// configOf returns the IIS configuration of a vDir, if collected.
func (e *eval) configOf(vdir string) (probes.VDirConfig, bool) {
	for _, c := range e.st.VDirConfig {
		if strings.EqualFold(c.VDir, vdir) {
			return c, true
		}
	}
	return probes.VDirConfig{}, false
}

// logTotals returns the IIS log totals that match.
func (e *eval) logTotals(match func(t probes.IISLogTotal) bool) []probes.IISLogTotal {
	if e.st.IISLog == nil {
		return nil
	}
	var out []probes.IISLogTotal
	for _, t := range e.st.IISLog.Totals {
		if match(t) {
			out = append(out, t)
		}
	}
	return out
}

// logRequests counts the IIS log's requests that match.
func (e *eval) logRequests(match func(t probes.IISLogTotal) bool) int64 {
	var n int64
	for _, t := range e.logTotals(match) {
		n += t.Requests
	}
	return n
}

// serverURL is the URL clients use for the server, as best known.
func (e *eval) serverURL() string {
	switch {
	case e.st.Server != nil && e.st.Server.URL != "":
		return e.st.Server.URL
	case e.st.URL != "":
		return e.st.URL
	}
	for _, c := range e.st.VDirChecks {
		if host, port := hostPort(c.URL); host != "" {
			scheme := "http"
			if strings.HasPrefix(c.URL, "https:") {
				scheme = "https"
			}
			return scheme + "://" + host + ":" + port
		}
	}
	return "http://" + e.st.Name + ":8530"
}

// poolName is the application pool the WSUS vDirs run in.
func (e *eval) poolName() string {
	if p := e.st.AppPool; p != nil && p.Name != "" {
		return p.Name
	}
	if c, ok := e.configOf("ClientWebService"); ok && c.AppPool != "" {
		return c.AppPool
	}
	return "WsusPool"
}

// poolStopped reports whether the rules found WsusPool stopped: steps that
// need a running pool (recycling it) are not offered then.
func (e *eval) poolIsStopped() bool { return e.hasFired("wsuspool_stopped") }

func sub(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

func isAnonymousVDir(name string) bool {
	v, ok := probes.LookupVDir(name)
	return ok && v.Anonymous
}

// finding starts a finding with its evidence and steps.
func finding(subject string, evidence []probes.Evidence, steps ...probes.Step) probes.Finding {
	return probes.Finding{Subject: subject, Evidence: evidence, Remediation: steps}
}
