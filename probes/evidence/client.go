package evidence

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/regquery"
	"github.com/wsusfleet/wsusfleet/probes/wulog"
)

func parseRegQuery(r io.Reader, o Options, now time.Time) (*Parsed, error) {
	res, err := regquery.Parse(r)
	if err != nil {
		return nil, err
	}
	ev := &probes.ClientEvidence{Kind: probes.EvidenceRegQuery, File: o.File, Format: strings.Join(res.Formats, " + "), CollectedAt: now,
		Machine: res.Machine, Policy: &res.Policy, Notes: res.Notes}
	if ev.Format == "" {
		ev.Format = regquery.FormatRegQuery
	}
	if len(res.Ignored) > 0 {
		ev.Notes = append(ev.Notes, "keys not read (no Windows Update policy in them): "+strings.Join(res.Ignored, "; "))
	}
	if len(res.Joined) > 0 {
		ev.Notes = append(ev.Notes, fmt.Sprintf("%d wrapped lines joined to the line before them (lines %s)", len(res.Joined), joinLines(res.Joined)))
	}
	bound(ev)
	return &Parsed{Client: ev, Summary: res}, nil
}

func parseWULog(r io.Reader, o Options, now time.Time) (*Parsed, error) {
	d, err := wulog.Parse(r, wulog.Options{Location: o.Location, File: o.File})
	if err != nil {
		return nil, err
	}
	ev := &probes.ClientEvidence{Kind: probes.EvidenceWindowsUpdateLog, File: o.File, Format: d.Format, CollectedAt: collectedAt(d.Last, now).Time, Log: d}
	if d.Last.After(now.Add(24 * time.Hour)) {
		ev.Notes = append(ev.Notes, "the log's last line is dated after now: its times are probably local time of another zone (pass utc_offset)")
	}
	if d.Undecoded > 0 {
		ev.Notes = append(ev.Notes, fmt.Sprintf("%d lines could not be decoded (No Format Information found)", d.Undecoded))
	}
	bound(ev)
	return &Parsed{Client: ev, Summary: d}, nil
}

// bound keeps what the text names within what is stored: notes are cut,
// a computer name that is no host name is dropped.
func bound(ev *probes.ClientEvidence) {
	if len(ev.Machine) > 253 {
		ev.Machine = ""
	}
	if len(ev.Notes) > 100 {
		ev.Notes = ev.Notes[:100]
	}
	for i, n := range ev.Notes {
		if len(n) > 2000 {
			ev.Notes[i] = strings.ToValidUTF8(n[:2000], "") + " …"
		}
	}
}

func joinLines(ns []int64) string {
	var s []string
	for i, n := range ns {
		if i == 10 {
			s = append(s, "…")
			break
		}
		s = append(s, fmt.Sprint(n))
	}
	return strings.Join(s, ", ")
}
