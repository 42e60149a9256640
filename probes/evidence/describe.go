package evidence

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Understood says, in a few lines an admin reads, what a server evidence
// file was understood to hold (the dashboard's paste form shows them).
func Understood(kind string, summary any) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	span := func(first, last time.Time) string {
		if first.IsZero() {
			return ""
		}
		return fmt.Sprintf(" from %s to %s", first.UTC().Format("2006-01-02 15:04"), last.UTC().Format("2006-01-02 15:04 UTC"))
	}
	switch s := summary.(type) {
	case IISLogSummary:
		add("IIS log: %d lines (%d skipped)%s", s.Lines, s.Skipped, span(s.First, s.Last))
		var vdirs []string
		for v, codes := range s.VDirs {
			var cs []string
			for c, n := range codes {
				cs = append(cs, fmt.Sprintf("%s×%d", c, n))
			}
			sort.Strings(cs)
			vdirs = append(vdirs, v+" "+strings.Join(cs, " "))
		}
		sort.Strings(vdirs)
		out = append(out, vdirs...)
		if s.Note != "" {
			out = append(out, s.Note)
		}
	case *probes.DenialDigest:
		add("Process Monitor capture: %d rows, %d denied, %d of them w3wp.exe, WsusService.exe or sqlservr.exe", s.Rows, s.Denied, s.Kept)
	case AppHostSummary:
		pool := "no WsusPool"
		if s.AppPool != nil {
			pool = "app pool " + s.AppPool.Name
		}
		add("applicationHost.config: site %s, %d vDirs, %s", s.Site, len(s.VDirConfig), pool)
		out = append(out, s.Notes...)
	case ComputersSummary:
		add("%d computers (%d never reported)", s.Clients, s.NeverReported)
		out = append(out, s.Notes...)
	case HTTPErrSummary:
		add("HTTPERR log: %d lines (%d skipped)%s", s.Lines, s.Skipped, span(s.First, s.Last))
		for i, g := range s.Groups {
			if i == 5 {
				break
			}
			add("%d × %s %d on port %d, queue %q, %d clients", g.Count, g.Reason, g.Status, g.Port, g.Queue, g.Clients)
		}
		out = append(out, s.Notes...)
	case EventsSummary:
		add("%d events (%s), times read as %s", s.Events, strings.Join(s.Formats, ", "), s.TimeZone)
		for i, e := range s.List {
			if i == 10 {
				break
			}
			add("%s %s %d %s: %s", e.Time.UTC().Format("2006-01-02 15:04"), e.Level, e.ID, e.Source, e.Text)
		}
		out = append(out, s.Notes...)
	case SDLogSummary:
		add("SoftwareDistribution.log: %d entries%s", s.Lines, span(s.First, s.Last))
		for _, is := range s.Issues {
			line := fmt.Sprintf("%s in %s × %d", is.Kind, is.Component, is.Count)
			if is.Detail != "" {
				line += ": " + is.Detail
			}
			out = append(out, line)
		}
	default:
		add("%s", kind)
	}
	return out
}

// UnderstoodClient says what client evidence was understood to hold.
func UnderstoodClient(ev probes.ClientEvidence) []string {
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	if ev.Policy != nil {
		add("%s: %d values of the Windows Update policy", ev.Format, len(ev.Policy.Facts))
		for _, f := range ev.Policy.Facts {
			v := f.Data
			if !f.Set {
				v = "not set"
			}
			add("%s = %s", f.Name, v)
		}
		for _, k := range probes.PolicyKeys() {
			if st := ev.Policy.Keys[k]; st == probes.KeyAbsent {
				add("%s does not exist", k)
			}
		}
		if !ev.Judged && len(ev.Missing) > 0 {
			add("not judged: the output lacks %s (paste reg query HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate /s)", strings.Join(ev.Missing, ", "))
		}
	}
	if l := ev.Log; l != nil {
		add("%s: %d lines from %s to %s (%s)", l.Format, l.Lines, l.First.UTC().Format("2006-01-02 15:04"), l.Last.UTC().Format("2006-01-02 15:04"), l.TimeZone)
		if l.Server != nil {
			add("the agent used WSUS server %s", l.Server.Value)
		}
		for _, op := range []string{probes.UpdateOpScan, probes.UpdateOpReport, probes.UpdateOpSelfUpdate} {
			last, ok := l.LastAttempt(op)
			switch {
			case last == nil:
			case last.OK:
				add("last %s succeeded at %s", op, last.At.UTC().Format("2006-01-02 15:04"))
			case last.Code == "":
				add("last %s started at %s; its result is not in the log", op, last.At.UTC().Format("2006-01-02 15:04"))
			case ok != nil:
				add("last %s failed with %s at %s; last success %s", op, last.Code, last.At.UTC().Format("2006-01-02 15:04"), ok.At.UTC().Format("2006-01-02 15:04"))
			default:
				add("last %s failed with %s at %s; no success in the log", op, last.Code, last.At.UTC().Format("2006-01-02 15:04"))
			}
		}
	}
	return append(out, ev.Notes...)
}
