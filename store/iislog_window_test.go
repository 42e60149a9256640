package store

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

func TestSplitLogPart(t *testing.T) {
	for _, tc := range []struct {
		in     string
		base   string
		offset int64
	}{
		{"u_ex261202.log", "u_ex261202.log", 0},
		{"u_ex261202.log@0", "u_ex261202.log", 0},
		{"u_ex261202.log@1048576", "u_ex261202.log", 1048576},
		{"u_ex261202.log@", "u_ex261202.log@", 0},
		{"u_ex261202.log@-5", "u_ex261202.log@-5", 0},
		{"u_ex261202.log@+5", "u_ex261202.log@+5", 0},
		{"mail@example.log", "mail@example.log", 0},
		{"u_ex261202.log@99999999999999999999", "u_ex261202.log@99999999999999999999", 0},
		{"", "", 0},
	} {
		if base, offset := splitLogPart(tc.in); base != tc.base || offset != tc.offset {
			t.Errorf("splitLogPart(%q) = %q, %d; want %q, %d", tc.in, base, offset, tc.base, tc.offset)
		}
	}
	for _, tc := range []struct {
		upload, stored string
		want           bool
	}{
		{"u_ex261202.log", "u_ex261202.log@4096", true},          // the whole file again
		{"u_ex261202.log@0", "u_ex261202.log@4096", true},        // shipped again from its start
		{"u_ex261202.log@4096", "u_ex261202.log@4096", true},     // a retry that found more lines
		{"u_ex261202.log@4096", "u_ex261202.log@0", false},       // the next chunk
		{"U_EX261202.LOG@4096", "u_ex261202.log@8192", true},     // Windows names
		{"u_ex261203.log@0", "u_ex261202.log@8192", false},       // another day's log
		{"u_ex261202.log@4096", "u_ex261202.log.gz@8192", false}, // another file
	} {
		if got := supersedes(tc.upload, tc.stored); got != tc.want {
			t.Errorf("supersedes(%q, %q) = %v", tc.upload, tc.stored, got)
		}
	}
}

// A server whose iislog section was written before the window existed (the
// latest upload only) keeps that upload's fault clients as a part.
func TestIISLogWindowFromOldSection(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	s, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "w.db"), Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sub := func(n int) *int { return &n }
	report := func(id string, d *probes.IISLogDigest) *probes.Report {
		return &probes.Report{Schema: probes.SchemaReport, ID: id, CollectedAt: d.Last,
			Collector: probes.Collector{Name: "upload iislog", Vantage: probes.VantageServer}, Server: probes.ServerInfo{Name: "wsus01"}, IISLog: d}
	}
	first := &probes.IISLogDigest{File: "u_ex261202.log@0", Lines: 5, First: probes.TimeOf(now.Add(-3 * time.Hour)), Last: probes.TimeOf(now.Add(-2 * time.Hour)),
		Buckets: []probes.IISLogBucket{{VDir: "SimpleAuthWebService", Hour: probes.TimeOf(now.Add(-3 * time.Hour)), Status: 401, Substatus: sub(2), Requests: 5, Clients: 1, WUA: 5}},
		TopClients: []probes.IISLogFaultClients{{VDir: "SimpleAuthWebService", Status: 401, Substatus: sub(2), Requests: 5, Clients: 1,
			Top: []probes.IISLogClientCount{{IP: "10.1.2.3", Requests: 5}}}}}
	if _, _, err := s.SaveReport(ctx, report("a", first), ""); err != nil {
		t.Fatal(err)
	}
	// What the store wrote before: the summary alone, no parts.
	old := first.Summary()
	body, _ := json.Marshal(old)
	err = s.write(ctx, func(ctx context.Context, t *wtx) error {
		if _, err := t.ExecContext(ctx, `UPDATE sections SET body = $1 WHERE name = 'iislog'`, string(body)); err != nil {
			return err
		}
		_, err := t.ExecContext(ctx, `DELETE FROM sections WHERE name = $1`, sectionIISLogParts)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	next := &probes.IISLogDigest{File: "u_ex261202.log@900", Lines: 2, First: probes.TimeOf(now.Add(-90 * time.Minute)), Last: probes.TimeOf(now.Add(-80 * time.Minute)),
		Buckets: []probes.IISLogBucket{{VDir: "SimpleAuthWebService", Hour: probes.TimeOf(now.Add(-2 * time.Hour)), Status: 401, Substatus: sub(2), Requests: 2, Clients: 1, WUA: 2}},
		TopClients: []probes.IISLogFaultClients{{VDir: "SimpleAuthWebService", Status: 401, Substatus: sub(2), Requests: 2, Clients: 1,
			Top: []probes.IISLogClientCount{{IP: "10.1.2.4", Requests: 2}}}}}
	if _, _, err := s.SaveReport(ctx, report("b", next), ""); err != nil {
		t.Fatal(err)
	}
	st, err := s.ServerState(ctx, "wsus01")
	if err != nil {
		t.Fatal(err)
	}
	l := st.IISLog
	if l == nil || l.Lines != 7 || len(l.TopClients) != 1 || l.TopClients[0].Requests != 7 || l.TopClients[0].Clients != 2 || len(l.TopClients[0].Top) != 2 {
		t.Fatalf("window %+v", l)
	}
	if !l.First.Equal(first.First.Time) || !l.Last.Equal(next.Last.Time) || l.File != "u_ex261202.log" {
		t.Errorf("window %v..%v of %q", l.First, l.Last, l.File)
	}
}
