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

// PolicyServer is the fleet server a client's WUServer matched, if any.
type PolicyServer struct {
	Name      string
	HTTPPort  int // from the server's report or URL; 0 when unknown
	HTTPSPort int
}

// PolicyGap judges a client's own view of its policy (DESIGN §6, §7.6)
// against the server its WUServer names (ok false: no fleet server).
// It returns "" when the policy is fine.
func PolicyGap(v ClientView, srv PolicyServer, known bool) (category, detail string) {
	switch {
	case v.UseWUServer == nil || !*v.UseWUServer:
		return GapPolicyOff, "UseWUServer is not 1: the WSUS policy is not applied (GPO not linked or not enabled)"
	case v.NoAutoUpdate != nil && *v.NoAutoUpdate:
		return GapPolicyOff, "NoAutoUpdate is 1: Automatic Updates is disabled"
	case v.AUOptions != nil && (*v.AUOptions < 2 || *v.AUOptions > 5):
		return GapPolicyOff, fmt.Sprintf("AUOptions is %d: Configure Automatic Updates must be 2 to 5", *v.AUOptions)
	case v.Services != nil && (v.Services.WUAUServStart == "Disabled" || v.Services.BITSStart == "Disabled"):
		return GapPolicyOff, "the Windows Update or BITS service is disabled"
	}
	wu, ok := ParseWUServer(v.WUServer)
	if !ok {
		return GapBadURL, fmt.Sprintf("WUServer %q is not an http(s) URL", v.WUServer)
	}
	if !known {
		return GapWrongServer, fmt.Sprintf("WUServer %s names %s, which is not a server of this fleet", v.WUServer, wu.Host)
	}
	if wu.Port == 0 {
		for _, p := range []int{srv.HTTPPort, srv.HTTPSPort} {
			if p != 0 && p != 80 && p != 443 {
				return GapBadURL, fmt.Sprintf("WUServer %s has no port, but %s listens on %d: clients knock on port %d", v.WUServer, srv.Name, p, wu.EffectivePort())
			}
		}
	}
	if st, ok := ParseWUServer(v.WUStatusServer); !ok || st != wu {
		return GapBadURL, fmt.Sprintf("WUStatusServer %q differs from WUServer %q: status reports go elsewhere", v.WUStatusServer, v.WUServer)
	}
	return "", ""
}

// EntryFacts is what is known about one client on one server's list.
type EntryFacts struct {
	LastReport, LastSync *time.Time
	Removed              bool
	Renames              int // how often the target's name changed (cloned images flip it)
	PrevName             string
	// From the client's own report, if it sent one:
	Reported     bool
	Policy       string // PolicyGap's category
	PolicyDetail string
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
		return GapNeverReported, "listed, but never sent a status report"
	}
	age := now.Sub(*f.LastReport)
	switch {
	case age <= staleAfter:
		return "", ""
	case f.LastSync != nil && now.Sub(*f.LastSync) < FreshScan:
		return GapScanOKReportStale, fmt.Sprintf("scans work (last sync %s ago) but the last status report is %s old: the status server or ReportingWebService fails", ageText(now.Sub(*f.LastSync)), ageText(age))
	}
	return GapStaleReport, "last status report " + ageText(age) + " ago"
}

// UnlistedFacts is what is known about a computer on no server's list.
type UnlistedFacts struct {
	Reported     bool
	Policy       string
	PolicyDetail string
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
	switch {
	case f.Policy != "":
		return f.Policy, f.PolicyDetail
	case len(f.Duplicates) > 0:
		return GapDuplicateID, "its SusClientId is also used by " + strings.Join(f.Duplicates, ", ") + " (a cloned image)"
	case f.Reported && f.PolicyServer != "":
		return GapExpectedMissing, "its policy points at " + f.PolicyServer + ", which does not list it"
	case f.InInventory && f.Enabled && f.LastLogon != nil && now.Sub(*f.LastLogon) <= RecentLogon:
		return GapExpectedMissing, "in the directory, enabled, last logon " + ageText(now.Sub(*f.LastLogon)) + " ago, on no server's list"
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
