package evidence

import (
	"io"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/apphost"
	"github.com/wsusfleet/wsusfleet/probes/iislog"
	"github.com/wsusfleet/wsusfleet/probes/procmon"
	"github.com/wsusfleet/wsusfleet/probes/wsuscsv"
)

// IISLogSummary is the answer to an IIS log upload: the contract fields
// (lines, skipped, first, last, vdirs, other) and which clients get each
// fault; the hourly buckets are stored, not echoed.
type IISLogSummary struct {
	File         string                      `json:"file,omitempty"`
	Lines        int64                       `json:"lines"`
	Skipped      int64                       `json:"skipped"`
	SkippedLines []int64                     `json:"skipped_lines,omitempty"`
	First        time.Time                   `json:"first"`
	Last         time.Time                   `json:"last"`
	VDirs        map[string]map[string]int64 `json:"vdirs"`
	Other        int64                       `json:"other"`
	Hours        int                         `json:"hours"` // hourly aggregates stored
	TopClients   []iislog.FaultClients       `json:"top_clients"`
	Note         string                      `json:"note,omitempty"`
}

func parseIISLog(r io.Reader, o Options, now time.Time) (*Parsed, error) {
	s, err := iislog.Parse(r)
	if err != nil {
		return nil, err
	}
	d := s.Digest()
	d.File = o.File
	sum := IISLogSummary{File: o.File, Lines: s.Lines, Skipped: s.Skipped, SkippedLines: s.SkippedLines, First: s.First, Last: s.Last,
		VDirs: s.VDirs, Other: s.Other, Hours: len(s.Buckets), TopClients: s.TopClients}
	if len(s.VDirs) == 0 {
		sum.Note = "no request to a WSUS vDir in this log: it is probably the log of another IIS site; the WSUS site (WSUS Administration) logs to its own W3SVC<id> folder"
	}
	rep := &probes.Report{IISLog: &d}
	// The log's own time orders it against other evidence (a late upload of
	// an old log must not replace a newer one), but never beyond now.
	rep.CollectedAt = probes.TimeOf(s.Last)
	if s.Last.After(now) {
		rep.CollectedAt = probes.TimeOf(now)
	}
	return &Parsed{Report: rep, Summary: sum}, nil
}

func parseProcMon(r io.Reader, _ Options, _ time.Time) (*Parsed, error) {
	d, err := procmon.Parse(r)
	if err != nil {
		return nil, err
	}
	return &Parsed{Report: &probes.Report{Denials: d}, Summary: d}, nil
}

// AppHostSummary is the answer to an applicationHost.config upload.
type AppHostSummary struct {
	Site       string              `json:"site"`
	VDirConfig []probes.VDirConfig `json:"vdir_config"`
	AppPool    *probes.AppPool     `json:"app_pool"`
	Missing    []string            `json:"missing,omitempty"`
	Notes      []string            `json:"notes,omitempty"`
}

func parseAppHost(r io.Reader, o Options, _ time.Time) (*Parsed, error) {
	c, err := apphost.Parse(r, apphost.Options{Site: o.Site})
	if err != nil {
		return nil, err
	}
	rep := &probes.Report{VDirConfig: c.VDirs, AppPool: c.AppPool}
	if rep.VDirConfig == nil {
		rep.VDirConfig = []probes.VDirConfig{}
	}
	return &Parsed{Report: rep, Summary: AppHostSummary{Site: c.Site, VDirConfig: c.VDirs, AppPool: c.AppPool, Missing: c.Missing, Notes: c.Notes}}, nil
}

// ComputersSummary is the answer to a Get-WsusComputer CSV upload.
type ComputersSummary struct {
	Clients       int      `json:"clients"`
	NeverReported int      `json:"never_reported"`
	Complete      bool     `json:"complete"`
	DateOrder     string   `json:"date_order,omitempty"`
	TypeName      string   `json:"type_name,omitempty"`
	Ignored       []string `json:"ignored_columns,omitempty"`
	Merged        int      `json:"merged_rows,omitempty"`
	Notes         []string `json:"notes,omitempty"`
}

func parseComputers(r io.Reader, o Options, now time.Time) (*Parsed, error) {
	res, err := wsuscsv.Parse(r, wsuscsv.Options{DateOrder: o.DateOrder, Partial: o.Partial, Now: now})
	if err != nil {
		return nil, err
	}
	sum := ComputersSummary{Clients: len(res.Clients.Items), Complete: res.Clients.Complete, DateOrder: res.DateOrder,
		TypeName: res.TypeName, Ignored: res.Ignored, Merged: res.Merged, Notes: res.Notes}
	for _, c := range res.Clients.Items {
		if c.LastReport.IsZero() {
			sum.NeverReported++
		}
	}
	clients := res.Clients
	return &Parsed{Report: &probes.Report{Clients: &clients}, Summary: sum}, nil
}
