package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// source says where a check was made from, in an administrator's words.
func source(c probes.ObservedCheck) string {
	switch c.Vantage {
	case probes.VantageDashboard:
		return "probe from the dashboard"
	case probes.VantageServer:
		if c.Origin != "" {
			return "probe on " + c.Origin + " (the WSUS server itself)"
		}
		return "probe on the WSUS server itself"
	case probes.VantageClient:
		return "probe from client " + c.Origin
	}
	if c.Origin != "" {
		return "probe from " + c.Origin
	}
	return "probe from a remote agent"
}

// checkFact describes what a check saw.
func checkFact(c probes.ObservedCheck) string {
	if c.Status == 0 {
		return fmt.Sprintf("GET %s: %s", c.URL, c.Reason)
	}
	s := fmt.Sprintf("GET %s answered %s", c.URL, c.StatusText())
	if len(c.WWWAuthenticate) > 0 {
		s += " with WWW-Authenticate: " + strings.Join(c.WWWAuthenticate, ", ")
	}
	if c.Reason != "" {
		s += " (" + c.Reason + ")"
	}
	return s
}

func (e *eval) checkEvidence(idx []int) []probes.Evidence {
	out := make([]probes.Evidence, 0, len(idx))
	for _, i := range idx {
		c := e.check(i)
		out = append(out, probes.Evidence{Fact: checkFact(c), Source: source(c), At: c.CheckedAt})
	}
	return out
}

func (e *eval) logEvidence(ts []probes.IISLogTotal) []probes.Evidence {
	out := make([]probes.Evidence, 0, len(ts))
	for _, t := range ts {
		fact := fmt.Sprintf("%s requests to %s answered %s", probes.FormatCount(t.Requests), t.VDir, t.StatusText())
		if t.WUA > 0 {
			fact += fmt.Sprintf(" (%s from Windows Update Agent)", probes.FormatCount(t.WUA))
		}
		if c := e.faultClients(t); c != "" {
			fact += "; clients: " + c
		}
		out = append(out, probes.Evidence{Fact: fact, Source: e.logSource(), At: t.LastHour.Time})
	}
	return out
}

// logSource names the IIS logs the section covers (the recent window may
// span two days' files).
func (e *eval) logSource() string {
	if l := e.st.IISLog; l != nil && len(l.Files) > 1 {
		return "IIS logs " + l.File
	}
	return "IIS log " + e.st.IISLog.File
}

// faultClients names the clients that got one fault most, from the log.
func (e *eval) faultClients(t probes.IISLogTotal) string {
	for _, f := range e.st.IISLog.TopClients {
		if f.VDir == t.VDir && f.Status == t.Status && sub(f.Substatus) == sub(t.Substatus) {
			return clientsOf(f)
		}
	}
	return ""
}

func (e *eval) configEvidence(fact string) probes.Evidence {
	return probes.Evidence{Fact: fact, Source: "IIS configuration", At: e.st.Collected[probes.SectionVDirConfig]}
}

func (e *eval) poolEvidence(fact string) probes.Evidence {
	return probes.Evidence{Fact: fact, Source: "IIS configuration of WsusPool", At: e.st.Collected[probes.SectionAppPool]}
}

// eventEvidence quotes an event's first line and, when it carries one, the
// exception that says why (the line that names the HTTP status or error).
func (e *eval) eventEvidence(ev probes.Event) probes.Evidence {
	msg := strings.TrimSpace(ev.Message)
	first, _, _ := strings.Cut(msg, "\n")
	fact := fmt.Sprintf("event %d (%s): %s", ev.ID, ev.Level, clip(strings.TrimSpace(first), 300))
	if x := exceptionLine(msg); x != "" && x != strings.TrimSpace(first) {
		fact += " — " + x
	}
	log := "Application"
	if isWASEvent(ev) {
		log = "System"
	}
	return probes.Evidence{Fact: fact, Source: log + " event log, " + ev.Source, At: ev.Time.Time}
}

func (e *eval) httperrEvidence(g probes.HTTPErrGroup) probes.Evidence {
	fact := fmt.Sprintf("HTTP.sys answered %s requests itself with %s", probes.FormatCount(g.Count), g.Reason)
	if g.Status != 0 {
		fact = fmt.Sprintf("HTTP.sys answered %s requests itself with %d %s", probes.FormatCount(g.Count), g.Status, g.Reason)
	}
	if g.Queue != "" {
		fact += " for the application pool " + g.Queue
	}
	fact += fmt.Sprintf(" between %s and %s", g.First.UTC().Format("2006-01-02 15:04"), g.Last.UTC().Format("2006-01-02 15:04 UTC"))
	if g.Clients > 0 {
		fact += fmt.Sprintf(" (%s)", probes.Plural(g.Clients, "client", "clients"))
	}
	if g.Example != "" {
		fact += "; e.g. " + g.Example
	}
	file := e.st.HTTPErr.File
	if file == "" {
		file = "httperr.log"
	}
	return probes.Evidence{Fact: fact, Source: "HTTP.sys error log " + file, At: g.Last.Time}
}

func (e *eval) sdlogEvidence(i probes.SDLogIssue) probes.Evidence {
	fact := fmt.Sprintf("%s %s between %s and %s", probes.Plural(i.Count, "entry", "entries"), sdlogKindText[i.Kind],
		i.First.UTC().Format("2006-01-02 15:04"), i.Last.UTC().Format("2006-01-02 15:04 UTC"))
	if i.Component != "" {
		fact += " in " + i.Component
	}
	if i.Detail != "" {
		fact += ": " + firstLine(i.Detail)
	} else if i.Example != "" {
		fact += ": " + firstLine(i.Example)
	}
	file := e.st.SDLog.File
	if file == "" {
		file = "SoftwareDistribution.log"
	}
	return probes.Evidence{Fact: fact, Source: "WSUS log " + file, At: i.Last.Time}
}

var sdlogKindText = map[string]string{
	probes.SDLogSQLTimeout:        "of SQL timeouts from SUSDB",
	probes.SDLogSQLDeadlock:       "of SQL deadlocks in SUSDB",
	probes.SDLogSQLUnavailable:    "saying SUSDB could not be reached",
	probes.SDLogSOAPException:     "of SOAP exceptions answered to clients or downstream servers",
	probes.SDLogSyncError:         "of failed synchronizations",
	probes.SDLogInvalidParameters: "of client requests refused with InvalidParameters",
	probes.SDLogContentDownload:   "of failed content downloads",
	probes.SDLogOtherError:        "of other errors",
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return clip(strings.TrimSpace(line), 300)
}

// events returns the WSUS events whose ID is one of ids.
func (e *eval) events(ids ...int) []probes.Event {
	var out []probes.Event
	for _, ev := range e.st.Events {
		for _, id := range ids {
			if ev.ID == id {
				out = append(out, ev)
			}
		}
	}
	return out
}

func days(d time.Duration) string {
	n := int(d.Hours() / 24)
	if n == 1 {
		return "1 day"
	}
	return probes.FormatCount(int64(n)) + " days"
}
