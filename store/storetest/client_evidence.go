package storetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
)

// policyEvidence is registry evidence for the WindowsUpdate key and, when
// use is "0" or "1", its AU subkey, both shown whole.
func policyEvidence(wu, status, use string) *probes.PolicyEvidence {
	p := &probes.PolicyEvidence{Keys: map[string]string{probes.KeyPolicy: probes.KeyListed}}
	for name, v := range map[string]string{"WUServer": wu, "WUStatusServer": status} {
		if v != "" {
			p.Facts = append(p.Facts, probes.PolicyFact{Key: probes.KeyPolicy, Name: name, Set: true, Data: v})
		}
	}
	if use != "" {
		p.Keys[probes.KeyPolicyAU] = probes.KeyListed
		p.Facts = append(p.Facts, probes.PolicyFact{Key: probes.KeyPolicyAU, Name: "UseWUServer", Set: true, Data: use},
			probes.PolicyFact{Key: probes.KeyPolicyAU, Name: "AUOptions", Set: true, Data: "4"})
	}
	return p
}

func regEvidence(id, client string, p *probes.PolicyEvidence) *probes.ClientEvidence {
	return &probes.ClientEvidence{ID: id, Client: client, Kind: probes.EvidenceRegQuery, Format: "reg query", CollectedAt: T0, Policy: p}
}

func mustDetail(tb testing.TB, s *store.Store, name string) *probes.ClientDetail {
	tb.Helper()
	d, err := s.ClientDetail(ctx(), name)
	if err != nil {
		tb.Fatalf("client %s: %v", name, err)
	}
	return d
}

// Registry evidence is judged exactly as a client report: the same gap,
// stored per client, idempotent per client and content.
func testClientEvidenceJudged(t *testing.T, open Opener) {
	s, clock := fixed(t, open, store.Options{})
	r := Report("srv", "wsus01.corp.example", T0)
	r.Clients = &probes.ClientList{Complete: true, Items: []probes.Client{{Name: "pc0042.corp.example", LastReport: probes.TimeOf(T0.Add(-time.Hour)), LastSync: probes.TimeOf(T0.Add(-time.Hour))}}}
	mustSave(t, s, r)
	ev := regEvidence("ev-1", "PC0042.corp.example", policyEvidence("http://wsus01.corp.example", "http://wsus01.corp.example", "1"))
	got, replay, err := s.SaveClientEvidence(ctx(), ev, "d1")
	if err != nil || replay {
		t.Fatalf("save: %v %v", err, replay)
	}
	if !got.Judged || got.Gap != probes.GapBadURL || got.Server != "wsus01.corp.example" || got.Client != "pc0042.corp.example" || len(got.Changed) == 0 {
		t.Fatalf("answer %+v", got)
	}
	// The same as a client report with these values.
	cr := ClientReport("pc0043.corp.example", "http://wsus01.corp.example", "http://wsus01.corp.example", "", T0)
	rec, _, err := s.SaveClientReport(ctx(), cr, "")
	if err != nil || rec.Gap != got.Gap || rec.Detail != got.GapDetail {
		t.Errorf("client report judged %q (%s), evidence %q (%s)", rec.Gap, rec.Detail, got.Gap, got.GapDetail)
	}
	again, replay, err := s.SaveClientEvidence(ctx(), regEvidence("ev-1", "pc0042.corp.example", policyEvidence("x", "y", "")), "d1")
	if err != nil || !replay || again.Gap != got.Gap || !again.ReceivedAt.Equal(got.ReceivedAt) {
		t.Errorf("replay: %+v %v %v", again, replay, err)
	}
	if _, _, err := s.SaveClientEvidence(ctx(), regEvidence("ev-1", "pc0042.corp.example", policyEvidence("x", "y", "")), "other"); !errors.Is(err, probes.ErrConflict) {
		t.Errorf("an id reused for other content: %v", err)
	}
	d := mustDetail(t, s, "PC0042.corp.example")
	if d.Report == nil || d.Report.Policy != probes.GapBadURL || d.Report.Source != "evidence regquery" || d.Report.Client.WUServer != "http://wsus01.corp.example" ||
		len(d.Evidence) != 1 || d.Gap == nil || d.Gap.Category != probes.GapBadURL || d.Server != "wsus01.corp.example" {
		t.Fatalf("detail %+v report %+v gap %+v", d, d.Report, d.Gap)
	}
	// Fixed in the GPO, pasted again: the gap goes.
	clock.Advance(time.Minute)
	fixedEv := regEvidence("ev-2", "pc0042.corp.example", policyEvidence("http://wsus01.corp.example:8530", "http://wsus01.corp.example:8530", "1"))
	got, _, err = s.SaveClientEvidence(ctx(), fixedEv, "d2")
	if err != nil || !got.Judged || got.Gap != "" || !strings.Contains(strings.Join(got.Changed, "; "), "WUServer: http://wsus01.corp.example → http://wsus01.corp.example:8530") {
		t.Errorf("fixed: %+v %v", got, err)
	}
	if d := mustDetail(t, s, "pc0042.corp.example"); len(d.Evidence) != 2 || d.Evidence[0].ID != "ev-2" || d.Gap != nil {
		t.Errorf("after the fix: evidence %d, newest %q, gap %+v", len(d.Evidence), d.Evidence[0].ID, d.Gap)
	}
}

// Evidence adds to what is known: a paste that lacks UseWUServer is not
// read as "policy off", and values it does not show keep their state.
func testClientEvidenceMerges(t *testing.T, open Opener) {
	s, clock := fixed(t, open, store.Options{})
	mustSave(t, s, Report("srv", "wsus01.corp.example", T0))
	partial := regEvidence("ev-p", "pc1.corp.example", policyEvidence("http://wsus01.corp.example", "http://wsus01.corp.example", ""))
	got, _, err := s.SaveClientEvidence(ctx(), partial, "p")
	if err != nil || got.Judged || got.Gap != "" || !strings.Contains(strings.Join(got.Missing, " "), "UseWUServer") {
		t.Fatalf("nothing known, AU not shown: %+v %v", got, err)
	}
	if d := mustDetail(t, s, "pc1.corp.example"); d.Report != nil || len(d.Evidence) != 1 || d.Gap != nil {
		t.Errorf("partial evidence made a view: %+v", d.Report)
	}
	// Known from a client report, with its checks: a root-key paste changes
	// the URL and keeps UseWUServer and the checks.
	cr := ClientReport("pc2.corp.example", "http://wsus01.corp.example:8530", "http://wsus01.corp.example:8530", "", T0.Add(-time.Hour))
	cr.VDirChecks = []probes.VDirCheck{{VDir: "ClientWebService", URL: "http://wsus01.corp.example:8530/ClientWebService/client.asmx", Status: 503}}
	cr.UpdateErrors = []probes.UpdateError{{Time: probes.TimeOf(T0.Add(-2 * time.Hour)), Operation: probes.UpdateOpScan, Code: "0x80244022", EventID: 31}}
	if _, _, err := s.SaveClientReport(ctx(), cr, ""); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute)
	got, _, err = s.SaveClientEvidence(ctx(), regEvidence("ev-r", "pc2.corp.example", policyEvidence("http://wsus01.corp.example", "http://wsus01.corp.example", "")), "r")
	if err != nil || !got.Judged || got.Gap != probes.GapBadURL {
		t.Fatalf("root-key paste over a known view: %+v %v", got, err)
	}
	d := mustDetail(t, s, "pc2.corp.example")
	v := d.Report.Client
	if v.UseWUServer == nil || !*v.UseWUServer || v.AUOptions == nil || *v.AUOptions != 4 || len(d.Report.VDirChecks) != 1 || len(d.Report.UpdateErrors) != 1 ||
		d.Report.UpdateErrors[0].Code != "0x80244022" {
		t.Errorf("merged view lost what was known: %+v checks %d errors %+v", v, len(d.Report.VDirChecks), d.Report.UpdateErrors)
	}
	// The AU key shown without UseWUServer: that is a fact, policy off.
	got, _, err = s.SaveClientEvidence(ctx(), regEvidence("ev-off", "pc2.corp.example", policyEvidence("http://wsus01.corp.example:8530", "http://wsus01.corp.example:8530", "0")), "off")
	if err != nil || got.Gap != probes.GapPolicyOff {
		t.Errorf("UseWUServer 0: %+v %v", got, err)
	}
}

// A WindowsUpdate.log is a fact about the client, never its policy.
func testClientLogEvidence(t *testing.T, open Opener) {
	s, _ := fixed(t, open, store.Options{})
	mustSave(t, s, Report("srv", "wsus01.corp.example", T0))
	cr := ClientReport("pc3.corp.example", "http://wsus01.corp.example:8530", "http://wsus01.corp.example:8530", "", T0)
	if _, _, err := s.SaveClientReport(ctx(), cr, ""); err != nil {
		t.Fatal(err)
	}
	log := &probes.WULogDigest{Format: "Get-WindowsUpdateLog", Lines: 10, First: T0.Add(-time.Hour), Last: T0.Add(-time.Minute),
		Server: &probes.WULogSetting{Value: probes.WULogNull, At: T0.Add(-time.Hour)},
		Errors: []probes.WULogError{{Operation: probes.UpdateOpScan, Code: "0x80244022", Count: 3, First: T0.Add(-time.Hour), Last: T0.Add(-time.Minute), HTTPStatus: 503}}}
	ev := &probes.ClientEvidence{ID: "ev-log", Client: "pc3.corp.example", Kind: probes.EvidenceWindowsUpdateLog, Format: log.Format, CollectedAt: log.Last, Log: log}
	got, _, err := s.SaveClientEvidence(ctx(), ev, "log")
	if err != nil || got.Judged || len(got.Changed) != 0 {
		t.Fatalf("log: %+v %v", got, err)
	}
	d := mustDetail(t, s, "pc3.corp.example")
	if d.Report == nil || d.Report.Policy != "" || d.Report.Client.UseWUServer == nil || !*d.Report.Client.UseWUServer || d.Report.Source != "storetest" {
		t.Errorf("a log with WSUS server <NULL> changed the policy view: %+v", d.Report)
	}
	if d.Log == nil || len(d.Log.Errors) != 1 || d.Server != "wsus01.corp.example" {
		t.Errorf("log not kept: %+v server %q", d.Log, d.Server)
	}
	// A log alone makes a client known, with the server its agent used.
	log2 := *log
	log2.Server = &probes.WULogSetting{Value: "http://wsus01.corp.example:8530", At: T0}
	ev2 := &probes.ClientEvidence{ID: "ev-log2", Client: "pc4.corp.example", Kind: probes.EvidenceWindowsUpdateLog, CollectedAt: log.Last, Log: &log2}
	got, _, err = s.SaveClientEvidence(ctx(), ev2, "log2")
	if err != nil || got.Server != "wsus01.corp.example" {
		t.Fatalf("log only: %+v %v", got, err)
	}
	if d := mustDetail(t, s, "pc4.corp.example"); d.Report != nil || d.Server != "wsus01.corp.example" || len(d.History) == 0 {
		t.Errorf("log-only client: report %+v server %q history %v", d.Report, d.Server, d.History)
	}
}

// ClientDetail knows a computer from any source, and nothing else.
func testClientDetail(t *testing.T, open Opener) {
	s, clock := fixed(t, open, store.Options{})
	if _, err := s.ClientDetail(ctx(), "nobody.corp.example"); !errors.Is(err, probes.ErrNotFound) {
		t.Errorf("unknown client: %v", err)
	}
	r := Report("srv", "wsus01.corp.example", T0)
	r.Clients = &probes.ClientList{Complete: true, Items: Clients(1, T0, func(int) time.Duration { return 10 * 24 * time.Hour })}
	mustSave(t, s, r)
	if _, _, err := s.Settle(ctx()); err != nil {
		t.Fatal(err)
	}
	d := mustDetail(t, s, "PC00000.corp.example")
	if len(d.Listings) != 1 || d.Listings[0].Server != "wsus01.corp.example" || d.Gap == nil || d.Gap.Category != probes.GapStaleReport || !d.Gap.Listed ||
		d.Server != "wsus01.corp.example" || d.Report != nil || len(d.History) < 3 {
		t.Fatalf("listed client: %+v gap %+v", d, d.Gap)
	}
	for i := 1; i < len(d.History); i++ {
		if d.History[i].At.After(d.History[i-1].At) {
			t.Errorf("history not newest first: %v", d.History)
		}
	}
	// Evidence kept: all but the newest of each kind go with the history.
	for i, id := range []string{"a", "b", "c"} {
		clock.Advance(time.Hour)
		ev := regEvidence("ev-"+id, "pc00000.corp.example", policyEvidence("http://wsus01.corp.example:8530", "http://wsus01.corp.example:8530", "1"))
		if _, _, err := s.SaveClientEvidence(ctx(), ev, id); err != nil {
			t.Fatal(err, i)
		}
	}
	if _, err := s.Prune(ctx(), T0.Add(90*time.Minute)); err != nil {
		t.Fatal(err)
	}
	ev, err := s.ClientEvidence(ctx(), "pc00000.corp.example", 0)
	if err != nil || len(ev) != 2 || ev[0].ID != "ev-c" || ev[1].ID != "ev-b" {
		t.Errorf("after prune: %d %v", len(ev), err)
	}
}
