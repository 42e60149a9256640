package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
)

// replicaDiagnosis is a diagnosis of the replica scenario: the upstream's
// pool recycles (a warning of its own), the replica's synchronization from
// it fails because of that, and the replica's 3,000 stale clients because
// its synchronization fails.
func replicaDiagnosis(f probes.Facts) []probes.Finding {
	ev := []probes.Evidence{{Fact: "seen", Source: "test"}}
	var out []probes.Finding
	for _, c := range f.State.VDirChecks {
		if c.Status == 503 {
			out = append(out, probes.Finding{Rule: "wsuspool_recycling", Severity: probes.SeverityWarning, Title: "WsusPool is recycling", Evidence: ev})
			break
		}
	}
	if s := f.State.Sync; s != nil && s.Last != nil && s.Last.Result == "Failed" && f.Upstream != nil {
		if up, ok := f.Upstream(s.Upstream.Host, s.Upstream.Port); ok {
			out = append(out, probes.Finding{Rule: "sync_failing", Severity: probes.SeverityWarning, Title: "Synchronization fails",
				Cause: "wsuspool_recycling", CauseServer: up.Name, Evidence: ev})
		}
	}
	for _, g := range f.Gaps {
		if g.Category == probes.GapStaleReport {
			out = append(out, probes.Finding{Rule: g.Category, Subject: g.Category, Severity: probes.SeverityWarning, Title: "stale",
				Cause: "sync_failing", Evidence: ev})
		}
	}
	return out
}

// testFleetFindingsOrder: the fleet-wide list puts a replica's failing
// synchronization after its upstream's finding that explains it, though
// the replica's stale clients rank its chain above the upstream's own.
func testFleetFindingsOrder(t *testing.T, open Opener) {
	s, _ := fixed(t, open, store.Options{Diagnose: replicaDiagnosis})
	hq := Report("order-hq", "wsus-hq.corp.example", T0)
	hq.VDirChecks[0].Status = 503
	mustSave(t, s, hq)
	replica := ReplicaReport("order-replica", "wsus-replica.corp.example", "wsus-hq.corp.example", T0, true)
	replica.Clients = &probes.ClientList{Complete: true, Items: Clients(3000, T0, func(int) time.Duration { return 20 * 24 * time.Hour })}
	mustSave(t, s, replica)
	other := Report("order-other", "wsus-a.corp.example", T0)
	other.VDirChecks[0].Status = 503
	mustSave(t, s, other)
	settle(t, s)

	fs, err := s.Findings(ctx(), probes.FindingQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Server+"/"+f.Rule)
	}
	pos := func(k string) int { return slices.Index(got, k) }
	if pos("wsus-hq.corp.example/wsuspool_recycling") < 0 || pos("wsus-replica.corp.example/sync_failing") < 0 ||
		pos("wsus-hq.corp.example/wsuspool_recycling") > pos("wsus-replica.corp.example/sync_failing") ||
		pos("wsus-replica.corp.example/sync_failing") > pos("wsus-replica.corp.example/"+probes.GapStaleReport) {
		t.Errorf("fleet findings %v: the upstream's cause, then the replica's failure, then its stale clients", got)
	}
	if got[0] != "wsus-hq.corp.example/wsuspool_recycling" {
		t.Errorf("fleet findings %v: the root of the 3,000 stale clients comes first", got)
	}
	// Filtered to the replica, its failure leads: the cause is not listed.
	fs, err = s.Findings(ctx(), probes.FindingQuery{Server: "wsus-replica.corp.example"})
	if err != nil || len(fs) != 2 || fs[0].Rule != "sync_failing" {
		t.Errorf("the replica's findings: %+v, %v", fs, err)
	}
}
