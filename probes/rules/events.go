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
	rule    string // the rule that always uses it as evidence, if any
	vdir    string // the vDir whose failure it reports, if any
}

var knownEvents = []knownEvent{
	{12072, "The WSUS content directory is not accessible", "the content directory or its permissions", "ntfs_acl", ""},
	{12002, "The Reporting Web Service is not working", "ReportingWebService: clients cannot report status", "", "ReportingWebService"},
	{12012, "The API Remoting Web Service is not working", "ApiRemoting30: the console and API fail", "", "ApiRemoting30"},
	{12022, "The Client Web Service is not working", "ClientWebService: clients cannot scan", "", "ClientWebService"},
	{12032, "The Server Synchronization Web Service is not working", "ServerSyncWebService: downstream servers cannot synchronize", "", "ServerSyncWebService"},
	{12042, "The SimpleAuth Web Service is not working", "SimpleAuthWebService: clients cannot authenticate", "", "SimpleAuthWebService"},
	{12052, "The DSS Authentication Web Service is not working", "DssAuthWebService: downstream servers cannot authenticate", "", "DssAuthWebService"},
	{506, "The SelfUpdate Tree is not working", "SelfUpdate: clients cannot update their agent", "selfupdate_broken", ""},
	{507, "Update Services failed its initialization and stopped", "WsusService stopped", "wsus_service_stopped", ""},
	{7053, "The WSUS administration console has encountered an unexpected error", "console error, often with 500.24 (impersonation)", "aspnet_impersonation", ""},
	{364, "Content file download failed", "content download from the upstream or Microsoft Update failed", "", ""},
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

// healthEvents: WSUS errors and warnings not already evidence of a specific
// rule, one finding per kind of event.
func healthEvents(e *eval) []probes.Finding {
	type group struct {
		k      knownEvent
		known  bool
		events []probes.Event
	}
	var order []string
	groups := map[string]*group{}
	for i, ev := range e.st.Events {
		if !isWSUSEvent(ev) || (ev.Level != "Error" && ev.Level != "Warning" && ev.Level != "Critical") {
			continue
		}
		k, _, known := matchEvent(ev)
		if known && k.rule != "" {
			continue // evidence of its own rule
		}
		if e.claimedEvents[i] {
			continue // a symptom another rule explains
		}
		key := fmt.Sprint(ev.ID)
		if known {
			key = fmt.Sprint(k.id)
		}
		if groups[key] == nil {
			groups[key] = &group{k: k, known: known}
			order = append(order, key)
		}
		groups[key].events = append(groups[key].events, ev)
	}
	var out []probes.Finding
	for _, key := range order {
		g := groups[key]
		var ev []probes.Evidence
		for _, x := range g.events {
			ev = append(ev, e.eventEvidence(x))
		}
		first := g.events[0]
		f := finding("event "+key, ev, step("Re-run WSUS's health check; it re-tests every component and logs what still fails", wsusutil+" checkhealth"))
		switch {
		case g.known:
			f.Title = fmt.Sprintf("Event %d: %s", g.k.id, g.k.meaning)
			if _, byText, _ := matchEvent(first); !byText {
				f.Summary = fmt.Sprintf("Matched by event ID only; the message differs from the usual %q, so read it as logged.", g.k.text)
			}
			if first.Level == "Error" && strings.Contains(g.k.text, "Web Service is not working") {
				f.Severity = probes.SeverityCritical
			}
		default:
			msg, _, _ := strings.Cut(strings.TrimSpace(first.Message), "\n")
			f.Title = fmt.Sprintf("Event %d: %s", first.ID, msg)
			f.Summary = "Not an event wsusfleet knows; shown as logged."
		}
		if f.Severity == "" && first.Level == "Warning" {
			f.Severity = probes.SeverityInfo
		}
		out = append(out, f)
	}
	return out
}

// claimVDirEvents takes the "Web Service is not working" events of the given
// vDirs as evidence of the rule explaining their failure.
func (e *eval) claimVDirEvents(vdirs []string) []probes.Evidence {
	var out []probes.Evidence
	for i, ev := range e.st.Events {
		if k, _, ok := matchEvent(ev); ok && k.vdir != "" && slices.Contains(vdirs, k.vdir) && !e.claimedEvents[i] {
			e.claimedEvents[i] = true
			out = append(out, e.eventEvidence(ev))
		}
	}
	return out
}
