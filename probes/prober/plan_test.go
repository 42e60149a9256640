package prober

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/sim"
)

func TestPlan(t *testing.T) {
	vdirURLs := func(base string) []string {
		return []string{
			base + "/ClientWebService/client.asmx", base + "/SimpleAuthWebService/SimpleAuth.asmx",
			base + "/DssAuthWebService/DssAuthWebService.asmx", base + "/ServerSyncWebService/ServerSyncWebService.asmx",
			base + "/ApiRemoting30/WebService.asmx", base + "/ReportingWebService/ReportingWebService.asmx",
			base + "/Inventory/", base + "/selfupdate/wuident.cab", base + "/Content/",
		}
	}
	cases := []struct {
		name   string
		server string
		opts   Options
		extra  []string // after the 9 vDirs
	}{
		{"http 8530: SelfUpdate also on 80", "http://wsus01:8530", Options{SelfUpdatePort: 80},
			[]string{"http://wsus01:80/selfupdate/wuident.cab"}},
		{"http 80: nothing extra", "http://wsus01", Options{SelfUpdatePort: 80}, nil},
		{"http :80 explicit", "http://wsus01:80", Options{SelfUpdatePort: 80}, nil},
		{"https 8531: Content on 8530", "https://wsus01:8531", Options{SelfUpdatePort: 80},
			[]string{"http://wsus01:80/selfupdate/wuident.cab", "http://wsus01:8530/Content/"}},
		{"https 443: Content on 80", "https://wsus01", Options{SelfUpdatePort: 80},
			[]string{"http://wsus01:80/selfupdate/wuident.cab", "http://wsus01:80/Content/"}},
		{"overridden ports", "https://wsus01:8531", Options{SelfUpdatePort: 18080, HTTPPort: 18530},
			[]string{"http://wsus01:18080/selfupdate/wuident.cab", "http://wsus01:18530/Content/"}},
		{"extras switched off", "https://wsus01:8531", Options{SelfUpdatePort: -1, HTTPPort: -1}, nil},
		{"IPv6 literal", "http://[fd00::5]:8530", Options{SelfUpdatePort: 80},
			[]string{"http://[fd00::5]:80/selfupdate/wuident.cab"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base, err := url.Parse(tc.server)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tg := range plan(base, &tc.opts) {
				got = append(got, tg.url.String())
				if tg.tls != (tg.url.Scheme == "https") || tg.host != base.Hostname() {
					t.Errorf("%s: tls %v host %q", tg.url, tg.tls, tg.host)
				}
			}
			if want := append(vdirURLs(tc.server), tc.extra...); !slices.Equal(got, want) {
				t.Errorf("plan:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestPlanAltPaths(t *testing.T) {
	base, _ := url.Parse("http://wsus01:8530")
	var got []string
	for _, tg := range plan(base, &Options{AltPaths: true, SelfUpdatePort: -1}) {
		got = append(got, tg.vdir+" "+tg.url.Path)
	}
	for _, want := range []string{"ClientWebService /ClientWebService/wusserverversion.xml", "SelfUpdate /selfupdate/iuident.cab"} {
		if !slices.Contains(got, want) {
			t.Errorf("plan with AltPaths lacks %q: %q", want, got)
		}
	}
	if len(got) != 11 {
		t.Errorf("%d checks; want 9 + 2 alternates", len(got))
	}
}

// A healthy server whose extra SelfUpdate port is closed: the WSUS port
// serves SelfUpdate, so the closed port is a warning about legacy agents and
// the strip's SelfUpdate cell is not a fault.
func TestClosedSelfUpdatePortIsAWarning(t *testing.T) {
	s := startSim(t, sim.Options{Profile: sim.Healthy})
	o := testOptions()
	closed := freePort(t)
	o.SelfUpdatePort, _ = strconv.Atoi(closed)
	checks := probe(t, New(o), s.URL())
	var extra *probes.VDirCheck
	for i, c := range checks {
		if c.VDir == "SelfUpdate" && strings.Contains(c.URL, ":"+closed+"/") {
			extra = &checks[i]
		}
	}
	if extra == nil || extra.Verdict != probes.VerdictWarning || !strings.Contains(extra.Reason, "only legacy clients") {
		t.Fatalf("the extra SelfUpdate check: %+v", extra)
	}
	if cell := probes.Cells(checks)[7]; cell.VDir != "SelfUpdate" || cell.Verdict == probes.VerdictFault {
		t.Errorf("the SelfUpdate cell: %+v", cell)
	}
}
