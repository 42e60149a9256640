package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// knownEvent is a WSUS event of DESIGN §7.3. The IDs 12012…12052 are widely
// used but not confirmed by Microsoft's text, so events are matched by ID
// and by message, and unknown ones are shown verbatim.
type knownEvent struct {
	id      int
	text    string // how the message begins
	meaning string
	vdir    string // the vDir whose failure it reports, if any
}

var knownEvents = []knownEvent{
	{12072, "The WSUS content directory is not accessible", "the content directory (/Content) is not accessible", "Content"},
	{12002, "The Reporting Web Service is not working", "ReportingWebService: clients cannot report status", "ReportingWebService"},
	{12012, "The API Remoting Web Service is not working", "ApiRemoting30: the console and API fail", "ApiRemoting30"},
	{12022, "The Client Web Service is not working", "ClientWebService: clients cannot scan", "ClientWebService"},
	{12032, "The Server Synchronization Web Service is not working", "ServerSyncWebService: downstream servers cannot synchronize", "ServerSyncWebService"},
	{12042, "The SimpleAuth Web Service is not working", "SimpleAuthWebService: clients cannot authenticate", "SimpleAuthWebService"},
	{12052, "The DSS Authentication Web Service is not working", "DssAuthWebService: downstream servers cannot authenticate", "DssAuthWebService"},
	{506, "The SelfUpdate Tree is not working", "SelfUpdate: clients cannot update their agent", "SelfUpdate"},
	{507, "Update Services failed its initialization and stopped", "WsusService stopped", ""},
	{7053, "The WSUS administration console has encountered an unexpected error", "the console's generic error", ""},
	{364, "Content file download failed", "content download from the upstream or Microsoft Update failed", ""},
}

// matchEvent finds what an event means, by message first, then by ID.
func matchEvent(ev probes.Event) (k knownEvent, byText, ok bool) {
	msg := strings.TrimSpace(ev.Message)
	for _, k := range knownEvents {
		if strings.HasPrefix(strings.ToLower(msg), strings.ToLower(k.text)) {
			return k, true, true
		}
	}
	for _, k := range knownEvents {
		if k.id == ev.ID {
			return k, false, true
		}
	}
	return knownEvent{}, false, false
}

func isWSUSEvent(ev probes.Event) bool {
	return strings.Contains(strings.ToLower(ev.Source), "update services")
}

// isProblem: errors and warnings, and the known failure events whatever
// level they carry (a pasted event often lacks its Level line, and WSUS logs
// these as errors).
func isProblem(ev probes.Event) bool {
	if ev.Level == "Error" || ev.Level == "Warning" || ev.Level == "Critical" {
		return true
	}
	_, _, known := matchEvent(ev)
	return known
}

// isError: an error, or a known failure event logged without a level.
func isError(ev probes.Event) bool {
	if ev.Level == "Error" || ev.Level == "Critical" {
		return true
	}
	_, _, known := matchEvent(ev)
	return known && ev.Level != "Warning"
}

// What the exception inside an event's text says (DESIGN §7.3: read the
// exception, not only the ID).
const (
	exNone        = ""
	exUnavailable = "unavailable" // (503) Server Unavailable: WsusPool
	exDenied      = "denied"      // (401), (403), access denied: permissions
	exSQLTimeout  = "sql_timeout" // SqlException "Timeout expired": SUSDB is slow
	exTimeout     = "timeout"     // the operation has timed out: WsusPool or SUSDB overloaded
	exDatabase    = "database"    // SUSDB cannot be reached
	exHTML        = "html"        // text/html where text/xml was expected: an IIS error page (e.g. 500.24)
)

// exceptionKind classifies the error an event carries.
func exceptionKind(msg string) string {
	m := strings.ToLower(msg)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(m, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("(503)", "server unavailable", "service unavailable"):
		return exUnavailable
	case has("text/html") && has("text/xml"):
		return exHTML
	case has("(401)", "(403)", "unauthorized", "forbidden", "access is denied", "access denied", "unauthorizedaccessexception"):
		return exDenied
	case has("sqlexception", "sql server") && has("timeout expired", "execution timeout"):
		return exSQLTimeout
	case has("cannot open database", "network-related or instance-specific error", "login failed for user", "susdb") &&
		has("sqlexception", "sql", "database"):
		return exDatabase
	case has("timed out", "timeout expired", "the operation has timed out"):
		return exTimeout
	}
	return exNone
}

// exceptionLine is the line of an event's text that carries its error (an
// exception or an HTTP status), trimmed.
func exceptionLine(msg string) string {
	for line := range strings.SplitSeq(msg, "\n") {
		line = strings.TrimSpace(line)
		l := strings.ToLower(line)
		if strings.HasPrefix(l, "at ") {
			continue // a stack frame
		}
		if strings.Contains(l, "exception") || strings.Contains(l, "(503)") || strings.Contains(l, "(401)") || strings.Contains(l, "(403)") ||
			strings.Contains(l, "(500)") || strings.Contains(l, "timed out") || strings.Contains(l, "timeout expired") {
			return clip(line, 300)
		}
	}
	return ""
}

// wsusEvents returns the indexes of the WSUS error and warning events that
// no rule has claimed yet and that match.
func (e *eval) wsusEvents(match func(ev probes.Event, k knownEvent, known bool) bool) []int {
	var out []int
	for i, ev := range e.st.Events {
		if e.claimedEvents[i] || !isWSUSEvent(ev) || !isProblem(ev) {
			continue
		}
		k, _, known := matchEvent(ev)
		if match(ev, k, known) {
			out = append(out, i)
		}
	}
	return out
}

// claim takes events as evidence of the rule calling it.
func (e *eval) claim(idx []int) []probes.Evidence {
	var out []probes.Evidence
	for _, i := range idx {
		if !e.claimedEvents[i] {
			e.claimedEvents[i] = true
			out = append(out, e.eventEvidence(e.st.Events[i]))
		}
	}
	return out
}

// claimVDirEvents takes the "Web Service is not working" events of the given
// vDirs as evidence of the rule explaining their failure, when their
// exception (if any) is of one of the kinds (none given: any kind).
func (e *eval) claimVDirEvents(vdirs []string, kinds ...string) []probes.Evidence {
	return e.claim(e.wsusEvents(func(ev probes.Event, k knownEvent, known bool) bool {
		x := exceptionKind(ev.Message)
		return known && k.vdir != "" && slices.Contains(vdirs, k.vdir) && (len(kinds) == 0 || x == exNone || slices.Contains(kinds, x))
	}))
}

// claimEvents takes the unclaimed WSUS events whose exception is of kind.
func (e *eval) claimEvents(kind string) []probes.Evidence {
	return e.claim(e.wsusEvents(func(ev probes.Event, _ knownEvent, _ bool) bool { return exceptionKind(ev.Message) == kind }))
}

// healthEvents: WSUS errors and warnings no specific rule explained, one
// finding per kind of event, with what their exception says.
func healthEvents(e *eval) []probes.Finding {
	type group struct {
		k      knownEvent
		known  bool
		events []probes.Event
	}
	var order []string
	groups := map[string]*group{}
	for _, i := range e.wsusEvents(func(probes.Event, knownEvent, bool) bool { return true }) {
		ev := e.st.Events[i]
		k, _, known := matchEvent(ev)
		key := fmt.Sprint(ev.ID)
		if known {
			key = fmt.Sprint(k.id)
		}
		if x := exceptionKind(ev.Message); x != exNone {
			key += " " + x
		}
		if groups[key] == nil {
			groups[key] = &group{k: k, known: known}
			order = append(order, key)
		}
		groups[key].events = append(groups[key].events, ev)
		e.claimedEvents[i] = true
	}
	var out []probes.Finding
	for _, key := range order {
		g := groups[key]
		var ev []probes.Evidence
		for _, x := range g.events {
			ev = append(ev, e.eventEvidence(x))
		}
		first := g.events[0]
		f := finding("event "+key, ev)
		switch {
		case g.known:
			f.Title = fmt.Sprintf("Event %d: %s", g.k.id, g.k.meaning)
			if _, byText, _ := matchEvent(first); !byText {
				f.Summary = fmt.Sprintf("Matched by event ID only; the message differs from the usual %q, so read it as logged.", g.k.text)
			}
			if isError(first) && g.k.vdir != "" && g.k.vdir != "SelfUpdate" {
				f.Severity = probes.SeverityCritical
			}
		default:
			f.Title = fmt.Sprintf("Event %d: %s", first.ID, clip(firstLine(first.Message), 160))
			f.Summary = "Not an event wsusfleet knows; shown as logged."
		}
		if f.Severity == "" && first.Level == "Warning" {
			f.Severity = probes.SeverityInfo
		}
		f.Remediation = e.eventSteps(g.k, exceptionKind(first.Message))
		if why := exceptionAdvice(g.k, exceptionKind(first.Message)); why != "" {
			f.Summary = strings.TrimSpace(why + " " + f.Summary)
		}
		out = append(out, f)
	}
	return out
}

// exceptionAdvice says what the exception of an unexplained event points at.
func exceptionAdvice(k knownEvent, kind string) string {
	where := "the web service"
	if k.vdir != "" {
		where = k.vdir
	}
	switch kind {
	case exUnavailable:
		return "The health check got 503 Server Unavailable from " + where + ": WsusPool was stopped or recycling when it ran."
	case exDenied:
		return "The health check was refused (401/403) by " + where + ": its anonymous authentication, anonymous identity or NTFS permissions."
	case exTimeout:
		return "The health check timed out: WsusPool or SUSDB was too busy to answer."
	case exSQLTimeout:
		return "SUSDB did not answer in time: the database needs maintenance (reindex, cleanup)."
	case exDatabase:
		return "WSUS could not reach SUSDB."
	case exHTML:
		return "The console got an IIS error page instead of a web-service answer."
	}
	return ""
}

// eventSteps are the steps for an unexplained event: see the vDir's answer
// for itself when the event names one, then re-run the health check.
func (e *eval) eventSteps(k knownEvent, kind string) []probes.Step {
	var steps []probes.Step
	if v, ok := probes.LookupVDir(k.vdir); ok && k.vdir != "" {
		url := strings.TrimRight(e.serverURL(), "/") + v.Path
		steps = append(steps, ps("On the WSUS server, request "+k.vdir+" to see its status and IIS's detailed error (local requests get the substatus)",
			`try { (Invoke-WebRequest -UseBasicParsing -Uri `+q(url)+`).StatusCode } catch { $_.Exception.Response.StatusCode.value__; $_.ErrorDetails.Message | Select-String -Pattern 'HTTP Error [0-9.]+' }`))
	}
	if kind == exUnavailable || kind == exTimeout {
		steps = append(steps, ps("See whether WAS recycled, or stopped, WsusPool around that time", wasEventsCmd))
	}
	return append(steps, checkhealth())
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
