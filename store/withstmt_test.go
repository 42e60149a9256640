package store

import (
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// smallReport is a server report with a healthy check of each vDir (as
// storetest.Report, which this package's own tests cannot import).
func smallReport(id, server string, at time.Time) *probes.Report {
	base := "http://" + server + ":8530"
	r := &probes.Report{Schema: probes.SchemaReport, ID: id, CollectedAt: probes.TimeOf(at),
		Collector: probes.Collector{Name: "test", Version: "1", Host: "agent01", Vantage: probes.VantageRemote},
		Server:    probes.ServerInfo{Name: server, URL: base}}
	for _, v := range probes.VDirs() {
		r.VDirChecks = append(r.VDirChecks, probes.VDirCheck{VDir: v.Name, URL: base + v.Path, Method: "GET", Status: v.Healthy[0], LatencyMS: 12})
	}
	return r
}

// reportWith is the one statement a small report is on PostgreSQL.
func reportWith(tb testing.TB, r *probes.Report) stmt {
	tb.Helper()
	p, err := prepareReport(r)
	if err != nil {
		tb.Fatal(err)
	}
	doc := document{id: r.ID, kind: "report", digest: "d", collectedAt: ms(r.CollectedAt.Time)}
	const byUpsert = `(SELECT id FROM up)`
	claim := claimStmt(doc, byUpsert, nil, 1, "{}")
	return withStmt(upsertStmt(r.Server.Name, r.Server.URL, 1, doc.collectedAt, p.inputs), append([]stmt{claim}, reportStmts(p, byUpsert, nil)...), `SELECT 1`)
}

// The joined statement, built from the cache, is the one built afresh, with
// each report's own arguments.
func TestWithStmtCachedShape(t *testing.T) {
	at := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	a, b := smallReport("r1", "wsus01.corp.example", at), smallReport("r2", "wsus02.corp.example", at.Add(time.Minute))
	first, second := reportWith(t, a), reportWith(t, b)
	p, _ := prepareReport(b)
	const byUpsert = `(SELECT id FROM up)`
	doc := document{id: b.ID, kind: "report", digest: "d", collectedAt: ms(b.CollectedAt.Time)}
	want := joinWith(upsertStmt(b.Server.Name, b.Server.URL, 1, doc.collectedAt, p.inputs), append([]stmt{claimStmt(doc, byUpsert, nil, 1, "{}")}, reportStmts(p, byUpsert, nil)...), `SELECT 1`)
	if first.sql != second.sql || second.sql != want {
		t.Fatalf("joined SQL differs between two reports of one shape, or from the SQL built afresh:\n%s\n%s", second.sql, want)
	}
	if len(second.args) != len(first.args) || second.args[0] != b.Server.Name {
		t.Fatalf("arguments %v: want the second report's, as many as the first's (%d)", second.args[:2], len(first.args))
	}
}

// BenchmarkWithStmt: building the one statement of a small PostgreSQL report.
// Reproduce: go test -run '^$' -bench WithStmt ./store/
func BenchmarkWithStmt(b *testing.B) {
	r := smallReport("r1", "wsus01.corp.example", time.Now().UTC())
	for b.Loop() {
		reportWith(b, r)
	}
}
