package probes

import (
	"strings"
	"testing"
	"time"
)

func bptr(b bool) *bool { return &b }
func iptr(i int) *int   { return &i }
func ago(d time.Duration) *time.Time {
	t := testNow.Add(-d)
	return &t
}

func goodView() ClientView {
	return ClientView{Name: "pc1.corp.example", WUServer: "http://wsus01.corp.example:8530", WUStatusServer: "http://wsus01.corp.example:8530",
		UseWUServer: bptr(true), AUOptions: iptr(4), NoAutoUpdate: bptr(false)}
}

func TestPolicyGap(t *testing.T) {
	wsus01 := PolicyServer{Name: "wsus01.corp.example", HTTPPort: 8530, HTTPSPort: 8531}
	cases := []struct {
		name   string
		change func(v *ClientView)
		known  bool
		want   string
		says   string
	}{
		{"fine", func(*ClientView) {}, true, "", ""},
		{"policy not applied", func(v *ClientView) { v.UseWUServer = nil }, true, GapPolicyOff, "UseWUServer is not 1"},
		{"UseWUServer 0", func(v *ClientView) { v.UseWUServer = bptr(false) }, true, GapPolicyOff, "GPO"},
		{"AU disabled", func(v *ClientView) { v.NoAutoUpdate = bptr(true) }, true, GapPolicyOff, "NoAutoUpdate"},
		{"AUOptions 1", func(v *ClientView) { v.AUOptions = iptr(1) }, true, GapPolicyOff, "AUOptions is 1"},
		{"wuauserv disabled", func(v *ClientView) { v.Services = &ClientServices{WUAUServStart: "Disabled"} }, true, GapPolicyOff, "disabled"},
		{"unknown host", func(v *ClientView) { v.WUServer, v.WUStatusServer = "http://wsus-old:8530", "http://wsus-old:8530" }, false, GapWrongServer, "not a server of this fleet"},
		{"missing port", func(v *ClientView) {
			v.WUServer, v.WUStatusServer = "http://wsus01.corp.example", "http://wsus01.corp.example"
		}, true, GapBadURL, "has no port, but wsus01.corp.example listens on 8530"},
		{"statistics server differs", func(v *ClientView) { v.WUStatusServer = "http://wsus02.corp.example:8530" }, true, GapBadURL, "WUStatusServer"},
		{"statistics server missing", func(v *ClientView) { v.WUStatusServer = "" }, true, GapBadURL, "differs"},
		{"not a URL", func(v *ClientView) { v.WUServer = "wsus01.corp.example" }, true, GapBadURL, "not an http(s) URL"},
		{"case and trailing slash do not matter", func(v *ClientView) { v.WUStatusServer = "HTTP://WSUS01.corp.example:8530/" }, true, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := goodView()
			tc.change(&v)
			got, detail := PolicyGap(v, wsus01, tc.known)
			if got != tc.want || !strings.Contains(detail, tc.says) {
				t.Errorf("PolicyGap = %q %q; want %q with %q", got, detail, tc.want, tc.says)
			}
		})
	}
	// A server on port 80 needs no port in the URL.
	v := goodView()
	v.WUServer, v.WUStatusServer = "http://wsus3x", "http://wsus3x"
	if got, d := PolicyGap(v, PolicyServer{Name: "wsus3x", HTTPPort: 80, HTTPSPort: 443}, true); got != "" {
		t.Errorf("WSUS 3.x on port 80: %s %s", got, d)
	}
}

func TestClassifyEntry(t *testing.T) {
	week := 7 * 24 * time.Hour
	cases := []struct {
		name string
		f    EntryFacts
		want string
	}{
		{"healthy", EntryFacts{LastReport: ago(time.Hour), LastSync: ago(time.Hour)}, ""},
		{"never reported", EntryFacts{LastSync: ago(time.Hour)}, GapNeverReported},
		{"stale", EntryFacts{LastReport: ago(10 * 24 * time.Hour), LastSync: ago(10 * 24 * time.Hour)}, GapStaleReport},
		{"scans fine, reports stale", EntryFacts{LastReport: ago(10 * 24 * time.Hour), LastSync: ago(3 * time.Hour)}, GapScanOKReportStale},
		{"removed", EntryFacts{Removed: true, LastReport: ago(40 * 24 * time.Hour)}, GapRemoved},
		{"moved, not removed", EntryFacts{Removed: true, ListedElsewhere: "wsus02"}, ""},
		{"listed elsewhere, fresher", EntryFacts{LastReport: ago(9 * 24 * time.Hour), ListedElsewhere: "wsus02", FresherElsewhere: true}, GapWrongServer},
		{"policy off beats stale", EntryFacts{LastReport: ago(9 * 24 * time.Hour), Reported: true, Policy: GapPolicyOff, PolicyDetail: "UseWUServer is not 1"}, GapPolicyOff},
		{"policy points elsewhere", EntryFacts{LastReport: ago(9 * 24 * time.Hour), Reported: true, PolicyServer: "wsus02"}, GapWrongServer},
		{"bad URL beats never", EntryFacts{Reported: true, Policy: GapBadURL, PolicyDetail: "no port", PolicyServer: "wsus01"}, GapBadURL},
		{"cloned image", EntryFacts{LastReport: ago(time.Hour), Reported: true, PolicyServer: "wsus01", Duplicates: []string{"pc2"}}, GapDuplicateID},
		{"name flips", EntryFacts{LastReport: ago(time.Hour), Renames: 3, PrevName: "pc2"}, GapDuplicateID},
		{"one rename is a rename", EntryFacts{LastReport: ago(time.Hour), Renames: 1, PrevName: "old"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, detail := ClassifyEntry("wsus01", tc.f, testNow, week)
			if got != tc.want || (got != "" && detail == "") {
				t.Errorf("ClassifyEntry = %q %q; want %q", got, detail, tc.want)
			}
		})
	}
}

func TestClassifyUnlisted(t *testing.T) {
	cases := []struct {
		name string
		f    UnlistedFacts
		want string
	}{
		{"AD computer no server knows", UnlistedFacts{InInventory: true, Enabled: true, LastLogon: ago(2 * 24 * time.Hour)}, GapExpectedMissing},
		{"disabled in AD", UnlistedFacts{InInventory: true, LastLogon: ago(time.Hour)}, ""},
		{"not logged on for weeks", UnlistedFacts{InInventory: true, Enabled: true, LastLogon: ago(30 * 24 * time.Hour)}, ""},
		{"its policy explains it", UnlistedFacts{InInventory: true, Enabled: true, LastLogon: ago(time.Hour), Reported: true, Policy: GapPolicyOff, PolicyDetail: "UseWUServer is not 1"}, GapPolicyOff},
		{"unknown server in its policy", UnlistedFacts{Reported: true, Policy: GapWrongServer}, GapWrongServer},
		{"right policy, not listed", UnlistedFacts{Reported: true, PolicyServer: "wsus01"}, GapExpectedMissing},
		{"cloned", UnlistedFacts{Reported: true, PolicyServer: "wsus01", Duplicates: []string{"pc1"}}, GapDuplicateID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := ClassifyUnlisted(tc.f, testNow); got != tc.want {
				t.Errorf("ClassifyUnlisted = %q, want %q", got, tc.want)
			}
		})
	}
}
