package probes

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client-reporting gap categories (DESIGN §6), most specific first: a client
// is in at most one, the first whose rule holds.
const (
	GapPolicyOff         = "policy_off"
	GapWrongServer       = "wrong_server"
	GapBadURL            = "bad_url"
	GapDuplicateID       = "duplicate_id"
	GapExpectedMissing   = "expected_missing"
	GapScanOKReportStale = "scan_ok_report_stale"
)

// GapCategories lists every category in DESIGN §6 order.
func GapCategories() []string {
	return []string{GapPolicyOff, GapWrongServer, GapBadURL, GapDuplicateID, GapExpectedMissing,
		GapNeverReported, GapScanOKReportStale, GapStaleReport, GapRemoved}
}

// Thresholds of DESIGN §6 (stale itself is configurable, default 7 days).
const (
	FreshScan        = 2 * 24 * time.Hour  // a sync this recent means scans work
	CriticalStale    = 30 * 24 * time.Hour // stale beyond this is critical
	RecentLogon      = 7 * 24 * time.Hour  // an inventory computer in use
	DefaultStaleDays = 7
)

// WUServerURL is the server a client's policy names, parsed from WUServer.
type WUServerURL struct {
	Scheme, Host string
	Port         int // 0 when the URL gives none
}

// ParseWUServer reads a WUServer/WUStatusServer value; ok is false when it
// is not an http(s) URL with a host (itself a policy problem).
func ParseWUServer(s string) (WUServerURL, bool) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return WUServerURL{}, false
	}
	w := WUServerURL{Scheme: strings.ToLower(u.Scheme), Host: NormalizeName(u.Hostname())}
	if p := u.Port(); p != "" {
		w.Port, _ = strconv.Atoi(p)
	}
	return w, true
}

// EffectivePort is the port a client really connects to.
func (w WUServerURL) EffectivePort() int {
	switch {
	case w.Port != 0:
		return w.Port
	case w.Scheme == "https":
		return 443
	}
	return 80
}

// Policy scopes: what a client's own report lets the dashboard judge.
const (
	// ScopeWSUS: a WSUS client; its policy is judged (the default).
	ScopeWSUS = ""
	// ScopeWindowsUpdate: the Windows 11 / Intune update-source policy sends
	// every update class it sets to Windows Update: not a WSUS client by
	// policy, so neither "policy off" nor expected on a WSUS server's list.
	ScopeWindowsUpdate = "windows_update"
	// ScopeUnread: the collector could not run (e.g. it needs Windows
	// PowerShell 5.1); what it could not read is not judged.
	ScopeUnread = "unread"
)

// PolicyVerdict is what a client's own report says about its policy: its
// gap category ("" when fine), why, and its scope.
type PolicyVerdict struct {
	Category, Detail, Scope string
}

// JudgePolicy judges a client report's policy. A report whose collector
// could not run is not judged on the values it could not read.
func JudgePolicy(cr *ClientReport, m ServerMatch) PolicyVerdict {
	if e := strings.TrimSpace(cr.Collector.Error); e != "" {
		return PolicyVerdict{Detail: "collector could not run: " + e, Scope: ScopeUnread}
	}
	return PolicyGap(cr.Client, m)
}

// PolicyGap judges a client's own view of its policy (DESIGN §6, §7.6)
// against the fleet server its WUServer names (m; unknown when none does).
func PolicyGap(v ClientView, m ServerMatch) PolicyVerdict {
	if src := v.UpdateSource; src.allWindowsUpdate() {
		return PolicyVerdict{Scope: ScopeWindowsUpdate,
			Detail: "scans Windows Update by policy for " + src.windowsUpdateClasses() + " (\"Specify source service for specific classes of Windows Updates\"): not a WSUS client"}
	}
	bad := func(category, format string, args ...any) PolicyVerdict {
		return PolicyVerdict{Category: category, Detail: fmt.Sprintf(format, args...)}
	}
	switch {
	case v.UseWUServer == nil || !*v.UseWUServer:
		return bad(GapPolicyOff, "UseWUServer is not 1: the WSUS policy is not applied (GPO not linked or not enabled)")
	case v.NoAutoUpdate != nil && *v.NoAutoUpdate:
		return bad(GapPolicyOff, "NoAutoUpdate is 1: Automatic Updates is disabled")
	case v.AUOptions != nil && *v.AUOptions == 1:
		// 2–5 and 7 (Windows Server 2016 and later: notify to install, then
		// restart automatically) all scan; 1 is the legacy "never check".
		return bad(GapPolicyOff, "AUOptions is 1: Automatic Updates never checks for updates (Configure Automatic Updates takes 2–5, or 7 on Windows Server 2016 and later)")
	case v.Services != nil && (v.Services.WUAUServStart == "Disabled" || v.Services.BITSStart == "Disabled"):
		return bad(GapPolicyOff, "the Windows Update or BITS service is disabled")
	}
	wu, ok := ParseWUServer(v.WUServer)
	if !ok {
		if strings.TrimSpace(v.WUServer) == "" {
			return bad(GapBadURL, "WUServer is not set: UseWUServer is 1 but no intranet update server is named")
		}
		return bad(GapBadURL, "WUServer %q is not an http(s) URL", v.WUServer)
	}
	if !m.Known() {
		if len(m.Ambiguous) > 0 {
			return bad(GapBadURL, "WUServer %s names %s, which could be any of %s: write the server's full name", v.WUServer, wu.Host, strings.Join(m.Ambiguous, ", "))
		}
		return bad(GapWrongServer, "WUServer %s names %s, which is not a server of this fleet", v.WUServer, wu.Host)
	}
	if p := URLProblem("WUServer "+v.WUServer, wu, m); p != "" {
		return bad(GapBadURL, "%s", p)
	}
	switch st, ok := ParseWUServer(v.WUStatusServer); {
	case strings.TrimSpace(v.WUStatusServer) == "":
		return bad(GapBadURL, "WUStatusServer is not set: status reports go nowhere; set it to %s like WUServer", v.WUServer)
	case !ok:
		return bad(GapBadURL, "WUStatusServer %q is not an http(s) URL: status reports go nowhere; set it to %s like WUServer", v.WUStatusServer, v.WUServer)
	case st != wu:
		return bad(GapBadURL, "WUStatusServer %s differs from WUServer %s: status reports go elsewhere", v.WUStatusServer, v.WUServer)
	}
	return PolicyVerdict{}
}

// URLProblem says what JudgeURL finds wrong with a URL (a client's
// WUServer, a downstream's upstream) and the URL that works; "" when
// nothing is.
func URLProblem(what string, u WUServerURL, m ServerMatch) string {
	j := JudgeURL(u, m)
	listens := m.Server + " serves clients on " + portList(m.Ports)
	switch j.Fault {
	case URLFaultNoPort:
		return fmt.Sprintf("%s has no port, so it goes to port %d, but %s: use %s", what, j.Port, listens, j.Fix)
	case URLFaultPort:
		return fmt.Sprintf("%s uses port %d, but %s: use %s", what, j.Port, listens, j.Fix)
	case URLFaultHTTPSOnHTTP:
		return fmt.Sprintf("%s speaks HTTPS to port %d, which is the HTTP port of %s: use %s", what, j.Port, m.Server, j.Fix)
	case URLFaultHTTPOnHTTPS:
		return fmt.Sprintf("%s speaks plain HTTP to port %d, which is the HTTPS port of %s: use %s", what, j.Port, m.Server, j.Fix)
	case URLFaultHTTPToSSL:
		return fmt.Sprintf("%s uses plain HTTP, but %s is in SSL mode (its web services require SSL): use %s", what, m.Server, j.Fix)
	}
	return ""
}

func portList(p ServerPorts) string {
	var parts []string
	if p.HTTP != 0 {
		parts = append(parts, strconv.Itoa(p.HTTP)+" (HTTP)")
	}
	if p.HTTPS != 0 {
		parts = append(parts, strconv.Itoa(p.HTTPS)+" (HTTPS)")
	}
	return strings.Join(parts, " and ")
}

// allWindowsUpdate reports whether the update-source policy is in effect and
// sends every class it sets to Windows Update (none to WSUS).
func (s *UpdateSourcePolicy) allWindowsUpdate() bool {
	if s == nil || s.UseUpdateClassPolicySource == nil || !*s.UseUpdateClassPolicySource {
		return false
	}
	set := 0
	for _, c := range s.classes() {
		if c.v != nil {
			if *c.v != 0 {
				return false
			}
			set++
		}
	}
	return set > 0
}

func (s *UpdateSourcePolicy) windowsUpdateClasses() string {
	var names []string
	for _, c := range s.classes() {
		if c.v != nil && *c.v == 0 {
			names = append(names, c.name)
		}
	}
	if len(names) == 4 {
		return "every update class"
	}
	return strings.Join(names, ", ") + " updates (the classes it sets)"
}

func (s *UpdateSourcePolicy) classes() []struct {
	name string
	v    *int
} {
	return []struct {
		name string
		v    *int
	}{{"feature", s.FeatureUpdates}, {"quality", s.QualityUpdates}, {"driver", s.DriverUpdates}, {"other", s.OtherUpdates}}
}

// EntryFacts is what is known about one client on one server's list.
type EntryFacts struct {
	LastReport, LastSync *time.Time
	Removed              bool
	Renames              int // how often the target's name changed (cloned images flip it)
	PrevName             string
	// From the client's own report, if it sent one:
	Reported     bool
	Policy       string // its PolicyVerdict's category
	PolicyDetail string
	PolicyScope  string   // its PolicyVerdict's scope
	PolicyServer string   // the fleet server its WUServer matched ("" when none)
	Duplicates   []string // other names sharing its SusClientId
	// From the other servers' lists:
	ListedElsewhere  string // another server listing it now ("" when none)
	FresherElsewhere bool   // and that one saw it sync more recently
}

// ClassifyEntry puts a listed client in its gap category (DESIGN §6), or
// "" when it has none. server is the list's server.
func ClassifyEntry(server string, f EntryFacts, now time.Time, staleAfter time.Duration) (category, detail string) {
	switch {
	case f.Policy == GapPolicyOff:
		return f.Policy, f.PolicyDetail
	case f.Policy == GapWrongServer:
		return f.Policy, f.PolicyDetail
	case f.PolicyScope == ScopeWindowsUpdate:
		return GapWrongServer, "it " + f.PolicyDetail + ": this server's entry for it is obsolete"
	case f.Reported && f.PolicyServer != server && f.PolicyServer != "":
		return GapWrongServer, "its policy points at " + f.PolicyServer + ", not at this server"
	case f.FresherElsewhere:
		return GapWrongServer, "also listed on " + f.ListedElsewhere + ", which saw it sync more recently: this entry is obsolete"
	case f.Policy == GapBadURL:
		return f.Policy, f.PolicyDetail
	case len(f.Duplicates) > 0:
		return GapDuplicateID, "its SusClientId is also used by " + strings.Join(f.Duplicates, ", ") + " (a cloned image)"
	case f.Renames >= 2:
		return GapDuplicateID, fmt.Sprintf("its name keeps changing (now and before: %s): several computers share one SusClientId", f.PrevName)
	case f.Removed:
		if f.ListedElsewhere != "" {
			return "", "" // it moved: not a gap
		}
		return GapRemoved, "no longer on the server's list"
	case f.LastReport == nil:
		return GapNeverReported, "listed, but never sent a status report" + f.unread()
	}
	age := now.Sub(*f.LastReport)
	switch {
	case age <= staleAfter:
		return "", ""
	case f.LastSync != nil && now.Sub(*f.LastSync) < FreshScan:
		return GapScanOKReportStale, fmt.Sprintf("scans work (last sync %s ago) but the last status report is %s old: the status server or ReportingWebService fails", ageText(now.Sub(*f.LastSync)), ageText(age)) + f.unread()
	}
	return GapStaleReport, "last status report " + ageText(age) + " ago" + f.unread()
}

// unread adds why the client's own report could not tell more.
func (f EntryFacts) unread() string {
	if f.PolicyScope == ScopeUnread {
		return "; its own report: " + f.PolicyDetail
	}
	return ""
}

// Histogram buckets of the last-report age (ReportAges) of the listed
// clients in a gap category, set with the category: the stale ones by age,
// the never reported, and those a more specific category explains.
const (
	AgeMonth     = "month"
	AgeQuarter   = "quarter"
	AgeOlder     = "older"
	AgeNever     = "never"
	AgeExplained = "explained"
)

// AgeBucket puts a listed client in a histogram bucket given its category:
// the clients a more specific category explains (policy, server, URL,
// clone, statistics server) count apart, so the stale buckets hold exactly
// the stale_report clients and "never" exactly the never_reported ones.
// Clients in no category ("": reporting, or removed) are in no bucket: the
// reporting ones are the rest of the list, split into day and week by age.
func AgeBucket(category string, f EntryFacts, now time.Time, staleAfter time.Duration) string {
	switch category {
	case GapRemoved, "":
		return ""
	case GapNeverReported:
		return AgeNever
	case GapStaleReport:
		switch age := now.Sub(*f.LastReport); {
		case age <= max(staleAfter, 30*24*time.Hour):
			return AgeMonth
		case age <= max(staleAfter, 90*24*time.Hour):
			return AgeQuarter
		}
		return AgeOlder
	}
	return AgeExplained
}

// AgeEdges are the histogram's edges: a day, the stale threshold, 30 and 90
// days (never below the threshold). From the threshold on, a client's
// bucket changes with time alone: the store re-classifies at those edges.
func AgeEdges(staleAfter time.Duration) []time.Duration {
	return []time.Duration{24 * time.Hour, staleAfter, max(staleAfter, 30*24*time.Hour), max(staleAfter, 90*24*time.Hour)}
}

// UnlistedFacts is what is known about a computer on no server's list.
type UnlistedFacts struct {
	Reported     bool
	Policy       string
	PolicyDetail string
	PolicyScope  string
	PolicyServer string
	Duplicates   []string
	// From the directory inventory:
	InInventory bool
	Enabled     bool
	LastLogon   *time.Time
}

// ClassifyUnlisted puts a computer that no server lists in its gap category,
// or "" when none is expected of it.
func ClassifyUnlisted(f UnlistedFacts, now time.Time) (category, detail string) {
	note := ""
	if f.PolicyScope == ScopeUnread {
		note = "; its own report: " + f.PolicyDetail
	}
	switch {
	case f.PolicyScope == ScopeWindowsUpdate:
		return "", "" // Windows Update by policy: no WSUS server should list it
	case f.Policy != "":
		return f.Policy, f.PolicyDetail
	case len(f.Duplicates) > 0:
		return GapDuplicateID, "its SusClientId is also used by " + strings.Join(f.Duplicates, ", ") + " (a cloned image)"
	case f.Reported && f.PolicyServer != "":
		return GapExpectedMissing, "its policy points at " + f.PolicyServer + ", which does not list it" + note
	case f.InInventory && f.Enabled && f.LastLogon != nil && now.Sub(*f.LastLogon) <= RecentLogon:
		return GapExpectedMissing, "in the directory, enabled, last logon " + ageText(now.Sub(*f.LastLogon)) + " ago, on no server's list" + note
	}
	return "", ""
}

func ageText(d time.Duration) string {
	switch {
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + " min"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + " h"
	}
	return strconv.Itoa(int(d.Hours()/24)) + " d"
}
