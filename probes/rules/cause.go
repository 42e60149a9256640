package rules

import (
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

var timeZero time.Time

// Timing of causes. A finding first seen more than watchedMargin after the
// dashboard first heard of the server was not there before (the server was
// being diagnosed); one seen at once may be older than the dashboard's
// knowledge, so nothing is concluded from its first sighting.
const (
	watchedMargin = time.Hour
	// silenceGrace: clients report about once a day (detection every 22
	// hours, and machines are off at night and at weekends), so a client
	// whose last report is up to this long before a cause began went silent
	// because of it.
	silenceGrace = 2 * 24 * time.Hour
)

// clientCause is a server-wide finding that stops clients from scanning or
// reporting: their silence is attributed to it rather than listed as
// thousands of separate problems (when it began before they went silent).
type clientCause struct {
	rule, subject string
	title         string    // for the sentences that name it
	vdirs         []string  // the vDirs it breaks; nil means all
	notBefore     time.Time // it did not hold before this; zero when unknown
	began         string    // how notBefore is known, for the summary
}

// addCause records f as a cause of client silence. notBefore is what the
// evidence proves about its start (a certificate's expiry); zero lets the
// finding's first sighting decide.
func (e *eval) addCause(f probes.Finding, vdirs []string, notBefore time.Time, began string) {
	if f.Rule == "" {
		f.Rule = e.rule
	}
	if notBefore.IsZero() {
		notBefore, began = e.firstSighting(f.Key())
	}
	title := f.Title
	if title == "" {
		title = e.ruleTitle
	}
	e.causes = append(e.causes, clientCause{rule: f.Rule, subject: f.Subject, title: title, vdirs: vdirs, notBefore: notBefore, began: began})
}

// firstSighting is when the dashboard first saw the finding, if it was
// watching the server well before; zero otherwise.
func (e *eval) firstSighting(k probes.FindingKey) (time.Time, string) {
	first, open := e.Opened[k]
	if !open {
		first = e.now // it opens with this diagnosis
	}
	if e.WatchedSince.IsZero() || first.Sub(e.WatchedSince) < watchedMargin {
		return time.Time{}, ""
	}
	return first, "first seen " + first.UTC().Format("2006-01-02 15:04 UTC") + ", while the dashboard had watched the server since " +
		e.WatchedSince.UTC().Format("2006-01-02")
}

// breaks reports whether the cause stops what a category of clients fails
// at: any client traffic, or (for clients that scan but do not report) the
// reporting web service.
func (c clientCause) breaks(category string) bool {
	need := []string{"ClientWebService", "SimpleAuthWebService", "ReportingWebService"}
	if category == probes.GapScanOKReportStale {
		need = []string{"ReportingWebService"}
	}
	if c.vdirs == nil {
		return category != probes.GapScanOKReportStale
	}
	for _, v := range c.vdirs {
		for _, n := range need {
			if v == n {
				return true
			}
		}
	}
	return false
}

// attribution says how many of a category's clients went silent after the
// cause began (those it explains) and the newest last report among the
// others. Without timing every client counts as explained.
func (e *eval) attribution(c clientCause, category string, total int64) (explained int64, newestBefore time.Time) {
	days, ok := e.Silence[category]
	if c.notBefore.IsZero() || !ok || len(days) == 0 {
		return total, time.Time{}
	}
	cut := c.notBefore.Add(-silenceGrace)
	var timed int64
	for _, d := range days {
		timed += d.Count
		// A client belongs to the day of its last report; it went silent
		// after cut if that day ends after cut.
		if d.Day.Add(24 * time.Hour).After(cut) {
			explained += d.Count
		} else if d.Day.After(newestBefore) {
			newestBefore = d.Day
		}
	}
	if timed < total { // clients without timing (e.g. counted since): give them the benefit
		explained += total - timed
	}
	return min(explained, total), newestBefore
}

// link makes the causal references consistent: a reference to a finding that
// did not fire is dropped, a chain inside the server is shortened to its
// root, and every same-server cause lists what it explains.
func link(out []probes.Finding) []probes.Finding {
	index := map[probes.FindingKey]int{}
	for i, f := range out {
		index[f.Key()] = i
	}
	for i := range out {
		f := &out[i]
		if f.Cause == "" || f.CauseServer != "" {
			continue
		}
		seen := map[probes.FindingKey]bool{f.Key(): true}
		for {
			j, ok := index[probes.FindingKey{Rule: f.Cause, Subject: f.CauseSubject}]
			if !ok || seen[out[j].Key()] {
				f.Cause, f.CauseSubject = "", ""
				break
			}
			c := out[j]
			if c.Cause == "" || c.CauseServer != "" {
				break
			}
			seen[c.Key()] = true
			f.Cause, f.CauseSubject = c.Cause, c.CauseSubject
		}
	}
	for _, f := range out {
		if f.Cause == "" || f.CauseServer != "" {
			continue
		}
		j := index[probes.FindingKey{Rule: f.Cause, Subject: f.CauseSubject}]
		out[j].Explains = append(out[j].Explains, probes.FindingRef{Rule: f.Rule, Subject: f.Subject})
	}
	return out
}

// explainedBy sets f's cause to the finding c of this server.
func explainedBy(f *probes.Finding, c probes.Finding) {
	f.Cause, f.CauseSubject, f.CauseServer = c.Rule, c.Subject, ""
}

func formatDay(t time.Time) string { return t.UTC().Format("2006-01-02") }
