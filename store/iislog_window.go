package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// The iislog section the rules read is the recent window of a server's IIS
// logs, rebuilt from the history at every upload: the server collector ships
// each log in chunks of new lines ("u_ex261202.log@1048576": the lines from
// byte 1,048,576 on), so the latest upload alone may be ten minutes of
// traffic.
//
// A log is known by its base name (Windows names, so case-insensitively);
// an upload named "<file>@<offset>" holds its lines from that byte on, one
// named "<file>" the whole file (offset 0). An upload supersedes every
// stored part of the same log that starts at or after its own offset: a
// collector only moves forward through a file, so one that starts again
// lower (its state was lost, the file was replaced) is sending those lines
// again, and what it sent before from there on goes. Chunks that follow
// each other add up; a whole file sent again, or a log shipped again from
// its start, counts once.

// iislogWindow is how far back from its newest line the section reaches:
// every upload that reaches into it counts whole.
const iislogWindow = 24 * time.Hour

// sectionIISLogParts holds, per upload in the window, what the history's
// hours do not: its lines, its span and which clients got each fault. It is
// the store's own; ServerState does not show it.
const sectionIISLogParts = "iislog_parts"

// iislogPart is one upload in the window.
type iislogPart struct {
	File       string                      `json:"file"`
	First      probes.Time                 `json:"first"`
	Last       probes.Time                 `json:"last"`
	Lines      int64                       `json:"lines"`
	Skipped    int64                       `json:"skipped"`
	Other      int64                       `json:"other"`
	TopClients []probes.IISLogFaultClients `json:"top_clients"`
}

// splitLogPart reads "<file>@<offset>"; any other name is a whole file.
func splitLogPart(file string) (base string, offset int64) {
	i := strings.LastIndexByte(file, '@')
	if i < 0 || i == len(file)-1 || strings.Trim(file[i+1:], "0123456789") != "" {
		return file, 0
	}
	n, err := strconv.ParseInt(file[i+1:], 10, 64)
	if err != nil {
		return file, 0
	}
	return file[:i], n
}

// supersedes reports whether an upload of file replaces the stored part
// named stored: the same log, from the same byte or a later one.
func supersedes(file, stored string) bool {
	b, o := splitLogPart(file)
	sb, so := splitLogPart(stored)
	return strings.EqualFold(b, sb) && so >= o
}

// saveIISLogWindow adds an upload to the window's parts, drops those it
// supersedes or that fell out of the window, and rewrites the iislog section
// from the history's hours since the window's start.
func saveIISLogWindow(ctx context.Context, t *wtx, serverID int64, up *iislogUpload) error {
	parts, err := loadIISLogParts(ctx, t, serverID)
	if err != nil {
		return err
	}
	parts = slices.DeleteFunc(parts, func(p iislogPart) bool { return supersedes(up.part.File, p.File) })
	parts, start := recentParts(append(parts, up.part))
	hours, err := readIISLogHours(ctx, t, serverID, start)
	if err != nil {
		return err
	}
	for _, s := range []struct {
		name string
		v    any
	}{{sectionIISLogParts, parts}, {probes.SectionIISLog, windowSummary(parts, hours)}} {
		body, err := json.Marshal(s.v)
		if err != nil {
			return fmt.Errorf("encode %s: %w", s.name, err)
		}
		// A late upload of an old log changes the window too (it may supersede
		// a part), so the section is written whatever its time; it keeps the
		// newest collection time.
		if _, err := t.ExecContext(ctx, `INSERT INTO sections (server_id, name, collected_at, report_id, body) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (server_id, name) DO UPDATE SET report_id = excluded.report_id, body = excluded.body,
				collected_at = CASE WHEN excluded.collected_at > sections.collected_at THEN excluded.collected_at ELSE sections.collected_at END`,
			serverID, s.name, up.collected, up.reportID, packRun(body)); err != nil {
			return fmt.Errorf("save section %s: %w", s.name, err)
		}
	}
	return nil
}

// loadIISLogParts reads the window's parts. A server whose section predates
// them (it held the latest upload only) starts with that upload as a part.
func loadIISLogParts(ctx context.Context, q querier, serverID int64) ([]iislogPart, error) {
	var body string
	err := q.QueryRowContext(ctx, `SELECT body FROM sections WHERE server_id = $1 AND name = $2`, serverID, sectionIISLogParts).Scan(&body)
	if err == nil {
		var parts []iislogPart
		if err := decodeRun(body, &parts); err != nil {
			return nil, fmt.Errorf("decode %s: %w", sectionIISLogParts, err)
		}
		return parts, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read %s: %w", sectionIISLogParts, err)
	}
	err = q.QueryRowContext(ctx, `SELECT body FROM sections WHERE server_id = $1 AND name = $2`, serverID, probes.SectionIISLog).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", probes.SectionIISLog, err)
	}
	var old probes.IISLogSummary
	if err := decodeRun(body, &old); err != nil {
		return nil, fmt.Errorf("decode %s: %w", probes.SectionIISLog, err)
	}
	return []iislogPart{{File: old.File, First: old.First, Last: old.Last, Lines: old.Lines, Skipped: old.Skipped, Other: old.Other,
		TopClients: old.TopClients}}, nil
}

// recentParts keeps the parts that reach into the last iislogWindow before
// the newest line, oldest first, and says from which hour the window's
// history counts: the first hour of the oldest part kept.
func recentParts(parts []iislogPart) ([]iislogPart, time.Time) {
	var newest time.Time
	for _, p := range parts {
		if p.Last.After(newest) {
			newest = p.Last.Time
		}
	}
	parts = slices.DeleteFunc(parts, func(p iislogPart) bool { return p.Last.Before(newest.Add(-iislogWindow)) })
	slices.SortStableFunc(parts, func(a, b iislogPart) int {
		return cmp.Or(a.First.Compare(b.First.Time), cmp.Compare(a.File, b.File))
	})
	start := newest.Add(-iislogWindow)
	if len(parts) > 0 && parts[0].First.Before(start) {
		start = parts[0].First.Time
	}
	return parts, start.Truncate(time.Hour)
}

// windowSummary is the iislog section: the totals of the history's hours
// in the window, and the parts' counts and fault clients merged.
func windowSummary(parts []iislogPart, hours []probes.IISLogHour) probes.IISLogSummary {
	d := probes.IISLogDigest{Buckets: make([]probes.IISLogBucket, len(hours))}
	for i, h := range hours {
		d.Buckets[i] = h.IISLogBucket
		d.Lines += h.Requests
	}
	s := d.Summary()
	s.Files = []string{}
	for i, p := range parts {
		if i == 0 || p.First.Before(s.First.Time) {
			s.First = p.First
		}
		if p.Last.After(s.Last.Time) {
			s.Last = p.Last
		}
		s.Skipped += p.Skipped
		s.Other += p.Other
		if base, _ := splitLogPart(p.File); !slices.ContainsFunc(s.Files, func(f string) bool { return strings.EqualFold(f, base) }) {
			s.Files = append(s.Files, base)
		}
	}
	s.Lines += s.Other
	s.File = probes.IISLogFilesLabel(s.Files)
	s.TopClients = mergeFaultClients(parts)
	return s
}

// mergeFaultClients adds up the parts' fault clients: requests, untracked,
// followed and unsettled requests add (a 401.1 at the end of one chunk whose
// success opens the next stays unsettled: never counted as a refusal); a client's requests add across the parts' top
// lists. Distinct clients cannot add (the same client polls in every part):
// the merge counts at least the most any part saw, or the distinct clients
// of the merged top list when those are more.
func mergeFaultClients(parts []iislogPart) []probes.IISLogFaultClients {
	type key struct {
		vdir        string
		status, sub int
	}
	type acc struct {
		f   probes.IISLogFaultClients
		ips map[string]int64
	}
	byKey := map[key]*acc{}
	for _, p := range parts {
		for _, f := range p.TopClients {
			k := key{f.VDir, f.Status, -1}
			if f.Substatus != nil {
				k.sub = *f.Substatus
			}
			a := byKey[k]
			if a == nil {
				a = &acc{f: probes.IISLogFaultClients{VDir: f.VDir, Status: f.Status, Substatus: f.Substatus}, ips: map[string]int64{}}
				byKey[k] = a
			}
			a.f.Requests += f.Requests
			a.f.Untracked += f.Untracked
			a.f.Followed += f.Followed
			a.f.Unsettled += f.Unsettled
			a.f.Clients = max(a.f.Clients, f.Clients)
			for _, c := range f.Top {
				a.ips[c.IP] += c.Requests
			}
		}
	}
	keys := make([]key, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.vdir, b.vdir), cmp.Compare(a.status, b.status), cmp.Compare(a.sub, b.sub))
	})
	out := make([]probes.IISLogFaultClients, 0, len(keys))
	for _, k := range keys {
		a := byKey[k]
		a.f.Clients = max(a.f.Clients, int64(len(a.ips)))
		top := make([]probes.IISLogClientCount, 0, len(a.ips))
		for ip, n := range a.ips {
			top = append(top, probes.IISLogClientCount{IP: ip, Requests: n})
		}
		slices.SortFunc(top, func(a, b probes.IISLogClientCount) int {
			return cmp.Or(cmp.Compare(b.Requests, a.Requests), strings.Compare(a.IP, b.IP))
		})
		a.f.Top = top[:min(len(top), 10)]
		out = append(out, a.f)
	}
	return out
}
