package evidence

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/eventtext"
	"github.com/wsusfleet/wsusfleet/probes/httperr"
	"github.com/wsusfleet/wsusfleet/probes/sdlog"
)

// collectedAt orders evidence by its own time (a late upload of an old log
// must not replace a newer one), never beyond now.
func collectedAt(t, now time.Time) probes.Time {
	if t.IsZero() || t.After(now) {
		return probes.TimeOf(now)
	}
	return probes.TimeOf(t)
}

// HTTPErrSummary is the answer to an HTTPERR upload.
type HTTPErrSummary struct {
	File         string                `json:"file,omitempty"`
	Lines        int64                 `json:"lines"`
	Skipped      int64                 `json:"skipped"`
	SkippedLines []int64               `json:"skipped_lines,omitempty"`
	JoinedLines  []int64               `json:"joined_lines,omitempty"`
	First        time.Time             `json:"first"`
	Last         time.Time             `json:"last"`
	Groups       []probes.HTTPErrGroup `json:"groups"`
	Notes        []string              `json:"notes,omitempty"`
}

func parseHTTPErr(r io.Reader, o Options, now time.Time) (*Parsed, error) {
	res, err := httperr.Parse(r)
	if err != nil {
		return nil, err
	}
	d := res.Digest
	d.File = o.File
	sum := HTTPErrSummary{File: o.File, Lines: d.Lines, Skipped: d.Skipped, SkippedLines: res.SkippedLines, JoinedLines: res.Joined,
		First: d.First.Time, Last: d.Last.Time, Groups: d.Groups, Notes: res.Notes}
	if len(sum.Groups) > 20 {
		sum.Groups = sum.Groups[:20]
	}
	for _, g := range d.Groups {
		if g.Reason == "AppOffline" || g.Reason == "QueueFull" || g.Reason == "AppPoolTimer" {
			sum.Notes = append(sum.Notes, fmt.Sprintf("HTTP.sys answered %d requests with %d %s for pool %q itself: the pool was not serving them", g.Count, g.Status, g.Reason, g.Queue))
		}
	}
	rep := &probes.Report{HTTPErr: &d, CollectedAt: collectedAt(d.Last.Time, now)}
	return &Parsed{Report: rep, Summary: sum}, nil
}

// EventsSummary is the answer to an events upload.
type EventsSummary struct {
	Events   int            `json:"events"`
	Formats  []string       `json:"formats"`
	TimeZone string         `json:"time_zone"`
	Sources  map[string]int `json:"sources"`
	List     []EventLine    `json:"list"`
	Notes    []string       `json:"notes,omitempty"`
}

// EventLine is one event as the uploader is shown it.
type EventLine struct {
	ID     int       `json:"id"`
	Source string    `json:"source"`
	Level  string    `json:"level"`
	Time   time.Time `json:"time"`
	Text   string    `json:"text"` // the message's first line
}

func parseEvents(r io.Reader, o Options, now time.Time) (*Parsed, error) {
	res, err := eventtext.Parse(r, eventtext.Options{Location: o.Location, Now: now})
	if err != nil {
		return nil, err
	}
	sum := EventsSummary{Events: len(res.Events), Formats: res.Formats, TimeZone: res.TimeZone, Sources: map[string]int{}, Notes: res.Notes}
	var newest time.Time
	for _, e := range res.Events {
		sum.Sources[e.Source]++
		first, _, _ := strings.Cut(e.Message, "\n")
		if len(sum.List) < 50 {
			sum.List = append(sum.List, EventLine{ID: e.ID, Source: e.Source, Level: e.Level, Time: e.Time.Time, Text: first})
		}
		if e.Time.After(newest) {
			newest = e.Time.Time
		}
	}
	rep := &probes.Report{Events: res.Events, CollectedAt: collectedAt(newest, now)}
	return &Parsed{Report: rep, Summary: sum}, nil
}

// SDLogSummary is the answer to a SoftwareDistribution.log upload.
type SDLogSummary struct {
	File    string              `json:"file,omitempty"`
	Lines   int64               `json:"lines"`
	Skipped int64               `json:"skipped"`
	First   time.Time           `json:"first"`
	Last    time.Time           `json:"last"`
	Levels  map[string]int64    `json:"levels"`
	Issues  []probes.SDLogIssue `json:"issues"`
}

func parseSDLog(r io.Reader, o Options, now time.Time) (*Parsed, error) {
	res, err := sdlog.Parse(r)
	if err != nil {
		return nil, err
	}
	d := res.Digest
	d.File = o.File
	sum := SDLogSummary{File: o.File, Lines: d.Lines, Skipped: d.Skipped, First: d.First.Time, Last: d.Last.Time, Levels: res.Levels}
	for _, is := range d.Issues {
		if len(sum.Issues) == 20 {
			break
		}
		is.Example = firstLine(is.Example)
		sum.Issues = append(sum.Issues, is)
	}
	if sum.Issues == nil {
		sum.Issues = []probes.SDLogIssue{}
	}
	rep := &probes.Report{SDLog: &d, CollectedAt: collectedAt(d.Last.Time, now)}
	return &Parsed{Report: rep, Summary: sum}, nil
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
