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

// wsus01 is the fleet server the policies below name: WSUS on 2012+ ports,
// not in SSL mode, as its collector reports.
var wsus01 = ServerMatch{Server: "wsus01.corp.example", Kind: NameKindName, Ports: ServerPorts{HTTP: 8530, HTTPS: 8531, SSL: bptr(false)}}

func TestPolicyGap(t *testing.T) {
	sslMode := wsus01
	sslMode.Ports.SSL = bptr(true)
	cases := []struct {
		name   string
		change func(v *ClientView)
		match  ServerMatch
		want   string
		says   string
	}{
		{"fine", func(*ClientView) {}, wsus01, "", ""},
		{"policy not applied", func(v *ClientView) { v.UseWUServer = nil }, wsus01, GapPolicyOff, "UseWUServer is not 1"},
		{"UseWUServer 0", func(v *ClientView) { v.UseWUServer = bptr(false) }, wsus01, GapPolicyOff, "GPO"},
		{"AU disabled", func(v *ClientView) { v.NoAutoUpdate = bptr(true) }, wsus01, GapPolicyOff, "NoAutoUpdate"},
		{"AUOptions 1", func(v *ClientView) { v.AUOptions = iptr(1) }, wsus01, GapPolicyOff, "AUOptions is 1"},
		{"AUOptions 7 (Server 2016+: notify to install, auto restart) scans", func(v *ClientView) { v.AUOptions = iptr(7) }, wsus01, "", ""},
		{"AUOptions 2 (notify to download) still scans", func(v *ClientView) { v.AUOptions = iptr(2) }, wsus01, "", ""},
		{"wuauserv disabled", func(v *ClientView) { v.Services = &ClientServices{WUAUServStart: "Disabled"} }, wsus01, GapPolicyOff, "disabled"},
		{"unknown host", func(v *ClientView) { v.WUServer, v.WUStatusServer = "http://wsus-old:8530", "http://wsus-old:8530" }, ServerMatch{}, GapWrongServer, "not a server of this fleet"},
		{"short name of two servers", func(v *ClientView) { v.WUServer, v.WUStatusServer = "http://wsus01:8530", "http://wsus01:8530" },
			ServerMatch{Ambiguous: []string{"wsus01.east.example", "wsus01.west.example"}}, GapBadURL, "could be any of wsus01.east.example, wsus01.west.example: write the server's full name"},
		{"missing port", func(v *ClientView) {
			v.WUServer, v.WUStatusServer = "http://wsus01.corp.example", "http://wsus01.corp.example"
		}, wsus01, GapBadURL, "has no port, so it goes to port 80, but wsus01.corp.example serves clients on 8530 (HTTP) and 8531 (HTTPS): use http://wsus01.corp.example:8530"},
		{"explicit wrong port 8535", func(v *ClientView) {
			v.WUServer, v.WUStatusServer = "http://wsus01.corp.example:8535", "http://wsus01.corp.example:8535"
		}, wsus01, GapBadURL, "uses port 8535, but wsus01.corp.example serves clients on 8530 (HTTP) and 8531 (HTTPS): use http://wsus01.corp.example:8530"},
		{"explicit port 80 against 8530", func(v *ClientView) {
			v.WUServer, v.WUStatusServer = "http://wsus01.corp.example:80", "http://wsus01.corp.example:80"
		}, wsus01, GapBadURL, "uses port 80, but"},
		{"https on the HTTP port", func(v *ClientView) {
			v.WUServer, v.WUStatusServer = "https://wsus01.corp.example:8530", "https://wsus01.corp.example:8530"
		}, wsus01, GapBadURL, "speaks HTTPS to port 8530, which is the HTTP port of wsus01.corp.example"},
		{"http on the HTTPS port", func(v *ClientView) {
			v.WUServer, v.WUStatusServer = "http://wsus01.corp.example:8531", "http://wsus01.corp.example:8531"
		}, wsus01, GapBadURL, "speaks plain HTTP to port 8531"},
		{"http to a server in SSL mode", func(*ClientView) {}, sslMode, GapBadURL, "is in SSL mode (its web services require SSL): use https://wsus01.corp.example:8531"},
		{"https to a server in SSL mode", func(v *ClientView) {
			v.WUServer, v.WUStatusServer = "https://wsus01.corp.example:8531", "https://wsus01.corp.example:8531"
		}, sslMode, "", ""},
		{"https when SSL mode is off is left alone", func(v *ClientView) {
			v.WUServer, v.WUStatusServer = "https://wsus01.corp.example:8531", "https://wsus01.corp.example:8531"
		}, wsus01, "", ""},
		{"ports unknown: no port judgement", func(v *ClientView) {
			v.WUServer, v.WUStatusServer = "http://wsus01.corp.example:8535", "http://wsus01.corp.example:8535"
		},
			ServerMatch{Server: "wsus01.corp.example", Kind: NameKindName}, "", ""},
		{"statistics server differs", func(v *ClientView) { v.WUStatusServer = "http://wsus02.corp.example:8530" }, wsus01, GapBadURL, "WUStatusServer http://wsus02.corp.example:8530 differs"},
		{"statistics server not set", func(v *ClientView) { v.WUStatusServer = "" }, wsus01, GapBadURL, "WUStatusServer is not set"},
		{"statistics server not a URL", func(v *ClientView) { v.WUStatusServer = "wsus01" }, wsus01, GapBadURL, `WUStatusServer "wsus01" is not an http(s) URL`},
		{"not a URL", func(v *ClientView) { v.WUServer = "wsus01.corp.example" }, wsus01, GapBadURL, "not an http(s) URL"},
		{"WUServer not set", func(v *ClientView) { v.WUServer = "" }, wsus01, GapBadURL, "WUServer is not set"},
		{"case and trailing slash do not matter", func(v *ClientView) { v.WUStatusServer = "HTTP://WSUS01.corp.example:8530/" }, wsus01, "", ""},
		// Windows 11 / Intune "Specify source service for specific classes".
		{"every class from Windows Update by policy is not policy off", func(v *ClientView) {
			v.UseWUServer, v.WUServer, v.WUStatusServer = nil, "", ""
			v.UpdateSource = &UpdateSourcePolicy{UseUpdateClassPolicySource: bptr(true), FeatureUpdates: iptr(0), QualityUpdates: iptr(0), DriverUpdates: iptr(0), OtherUpdates: iptr(0)}
		}, ServerMatch{}, "", "scans Windows Update by policy for every update class"},
		{"quality from WSUS is a WSUS client", func(v *ClientView) {
			v.UpdateSource = &UpdateSourcePolicy{UseUpdateClassPolicySource: bptr(true), FeatureUpdates: iptr(0), QualityUpdates: iptr(1), DriverUpdates: iptr(0), OtherUpdates: iptr(1)}
		}, wsus01, "", ""},
		{"quality from WSUS without the WSUS policy is policy off", func(v *ClientView) {
			v.UseWUServer = nil
			v.UpdateSource = &UpdateSourcePolicy{UseUpdateClassPolicySource: bptr(true), FeatureUpdates: iptr(0), QualityUpdates: iptr(1)}
		}, wsus01, GapPolicyOff, "UseWUServer is not 1"},
		{"class values without UseUpdateClassPolicySource are not in effect", func(v *ClientView) {
			v.UseWUServer = nil
			v.UpdateSource = &UpdateSourcePolicy{FeatureUpdates: iptr(0), QualityUpdates: iptr(0)}
		}, wsus01, GapPolicyOff, "UseWUServer is not 1"},
		{"DoNotConnectToWindowsUpdateInternetLocations is informational", func(v *ClientView) { v.DoNotConnectToWUInternet = bptr(true) }, wsus01, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := goodView()
			tc.change(&v)
			got := PolicyGap(v, tc.match)
			if got.Category != tc.want || !strings.Contains(got.Detail, tc.says) {
				t.Errorf("PolicyGap = %q %q; want %q with %q", got.Category, got.Detail, tc.want, tc.says)
			}
		})
	}
	// A server on port 80 needs no port in the URL.
	v := goodView()
	v.WUServer, v.WUStatusServer = "http://wsus3x", "http://wsus3x"
	if got := PolicyGap(v, ServerMatch{Server: "wsus3x", Ports: PortsFromURL("http://wsus3x")}); got.Category != "" {
		t.Errorf("WSUS 3.x on port 80: %+v", got)
	}
}

// A report whose collector could not run is not judged on what it could
// not read: its empty policy values are not "policy off".
func TestJudgePolicyCollectorError(t *testing.T) {
	cr := &ClientReport{Collector: Collector{Name: "Send-WsusFleetClientReport.ps1", Vantage: VantageClient,
		Error: "This script needs Windows PowerShell 5.1 (WMF 5.1); this is PowerShell 4.0."}, Client: ClientView{Name: "pc0007.corp.example"}}
	got := JudgePolicy(cr, ServerMatch{})
	if got.Category != "" || got.Scope != ScopeUnread || got.Detail != "collector could not run: This script needs Windows PowerShell 5.1 (WMF 5.1); this is PowerShell 4.0." {
		t.Errorf("JudgePolicy = %+v", got)
	}
	cr.Collector.Error = ""
	if got := JudgePolicy(cr, ServerMatch{}); got.Category != GapPolicyOff {
		t.Errorf("the same empty view from a collector that ran is policy off: %+v", got)
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
		{"Windows Update by policy: the entry is obsolete, not stale", EntryFacts{LastReport: ago(20 * 24 * time.Hour), Reported: true, PolicyScope: ScopeWindowsUpdate,
			PolicyDetail: "scans Windows Update by policy for every update class"}, GapWrongServer},
		{"collector could not run: judged by the server's list", EntryFacts{LastReport: ago(20 * 24 * time.Hour), Reported: true, PolicyScope: ScopeUnread,
			PolicyDetail: "collector could not run: needs Windows PowerShell 5.1"}, GapStaleReport},
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
		{"Windows Update by policy is not expected on WSUS", UnlistedFacts{InInventory: true, Enabled: true, LastLogon: ago(time.Hour), Reported: true,
			PolicyScope: ScopeWindowsUpdate}, ""},
		{"collector could not run: still expected", UnlistedFacts{InInventory: true, Enabled: true, LastLogon: ago(time.Hour), Reported: true,
			PolicyScope: ScopeUnread, PolicyDetail: "collector could not run: needs Windows PowerShell 5.1"}, GapExpectedMissing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := ClassifyUnlisted(tc.f, testNow); got != tc.want {
				t.Errorf("ClassifyUnlisted = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestUnreadReportSaysSo(t *testing.T) {
	f := EntryFacts{LastReport: ago(20 * 24 * time.Hour), Reported: true, PolicyScope: ScopeUnread, PolicyDetail: "collector could not run: needs Windows PowerShell 5.1"}
	if _, d := ClassifyEntry("wsus01", f, testNow, 7*24*time.Hour); d != "last status report 20 d ago; its own report: collector could not run: needs Windows PowerShell 5.1" {
		t.Errorf("detail %q", d)
	}
	u := UnlistedFacts{InInventory: true, Enabled: true, LastLogon: ago(time.Hour), Reported: true, PolicyScope: ScopeUnread, PolicyDetail: f.PolicyDetail}
	if _, d := ClassifyUnlisted(u, testNow); !strings.HasSuffix(d, "; its own report: collector could not run: needs Windows PowerShell 5.1") {
		t.Errorf("detail %q", d)
	}
}

// The histogram's buckets hold exactly the categories' clients: stale
// buckets the stale_report ones, "never" the never_reported ones.
func TestAgeBucket(t *testing.T) {
	week := 7 * 24 * time.Hour
	cases := []struct {
		age  time.Duration // < 0: never reported
		want string
	}{{time.Hour, ""}, {30 * time.Hour, ""}, {week, ""}, {week + time.Minute, AgeMonth}, {29 * 24 * time.Hour, AgeMonth},
		{31 * 24 * time.Hour, AgeQuarter}, {91 * 24 * time.Hour, AgeOlder}, {-1, AgeNever}}
	for _, tc := range cases {
		f := EntryFacts{}
		if tc.age >= 0 {
			f.LastReport, f.LastSync = ago(tc.age), ago(tc.age)
		}
		cat, _ := ClassifyEntry("wsus01", f, testNow, week)
		if got := AgeBucket(cat, f, testNow, week); got != tc.want {
			t.Errorf("age %v (%s): bucket %q, want %q", tc.age, cat, got, tc.want)
		}
	}
	// A bad URL, a clone or a working scan with stale reports explain the
	// client: it is counted apart, not as stale.
	for _, f := range []EntryFacts{
		{LastReport: ago(20 * 24 * time.Hour), Reported: true, Policy: GapBadURL, PolicyServer: "wsus01"},
		{LastReport: ago(20 * 24 * time.Hour), LastSync: ago(time.Hour)},
	} {
		cat, _ := ClassifyEntry("wsus01", f, testNow, week)
		if got := AgeBucket(cat, f, testNow, week); got != AgeExplained {
			t.Errorf("%s: bucket %q, want explained", cat, got)
		}
	}
	if got := AgeBucket(GapRemoved, EntryFacts{Removed: true}, testNow, week); got != "" {
		t.Errorf("removed: %q", got)
	}
	// A longer stale threshold moves the edges with it.
	f := EntryFacts{LastReport: ago(20 * 24 * time.Hour)}
	if cat, _ := ClassifyEntry("wsus01", f, testNow, 14*24*time.Hour); AgeBucket(cat, f, testNow, 14*24*time.Hour) != AgeMonth {
		t.Errorf("20 d with a 14 d threshold: %s", cat)
	}
	f = EntryFacts{LastReport: ago(10 * 24 * time.Hour)}
	if cat, _ := ClassifyEntry("wsus01", f, testNow, 14*24*time.Hour); AgeBucket(cat, f, testNow, 14*24*time.Hour) != "" {
		t.Errorf("10 d with a 14 d threshold is not stale: %s", cat)
	}
}

func TestFormatCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 12345: "12,345", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := FormatCount(n); got != want {
			t.Errorf("FormatCount(%d) = %q, want %q", n, got, want)
		}
	}
}
