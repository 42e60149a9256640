package regquery

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

func parseFile(tb testing.TB, name string) *Result {
	tb.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := Parse(bytesReader(b))
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return res
}

// judge applies the evidence to an empty view and judges it as a client
// report is judged, against a fleet of one server wsus01.corp.example:8530.
func judge(tb testing.TB, res *Result) (probes.ClientView, string, string) {
	tb.Helper()
	v := probes.ClientView{Name: "pc0042.corp.example"}
	_, bad := res.Policy.Apply(&v)
	if len(bad) > 0 {
		tb.Errorf("values not applied: %v", bad)
	}
	var m probes.ServerMatch
	if wu, _ := probes.ParseWUServer(v.WUServer); v.WUServer == "" || wu.Host == "wsus01.corp.example" {
		m = probes.ServerMatch{Server: "wsus01.corp.example", Kind: probes.NameKindName, Ports: probes.ServerPorts{HTTP: 8530, HTTPS: 8531}}
	}
	verdict := probes.PolicyGap(v, m)
	return v, verdict.Category, verdict.Detail
}

func TestSamples(t *testing.T) {
	cases := []struct {
		file, formats string
		wu, status    string
		use           string // UseWUServer as "1", "0" or "" (not set)
		gap, detail   string
		sus           string
	}{
		{"reg-query-s.txt", "reg query", "http://wsus01.corp.example:8530", "http://wsus01.corp.example:8530", "1", "", "", "0d7c3a4e-5b1f-4c2a-9e3d-7f1a2b3c4d5e"},
		{"reg-query-s.utf16le.txt", "reg query", "http://wsus01.corp.example:8530", "http://wsus01.corp.example:8530", "1", "", "", "0d7c3a4e-5b1f-4c2a-9e3d-7f1a2b3c4d5e"},
		{"regquery-windowsupdate.txt", "reg query", "http://wsus.outdated.htb:8530", "http://wsus.outdated.htb:8530", "1", probes.GapWrongServer, "wsus.outdated.htb", ""},
		{"reg-query-missing-port.txt", "reg query", "http://wsus01.corp.example", "http://wsus01.corp.example", "1", probes.GapBadURL, "has no port", ""},
		{"reg-query-markdown.txt", "reg query", "http://wsus-old.corp.example:8530", "http://wsus-old.corp.example:8530", "1", probes.GapWrongServer, "wsus-old", ""},
		{"reg-query-wrapped.txt", "reg query", "http://wsus01.corp.example:8530", "http://wsus02.corp.example:8530", "1", probes.GapBadURL, "WUStatusServer", ""},
		{"reg-query-no-au.txt", "reg query", "http://wsus01.corp.example:8530", "http://wsus01.corp.example:8530", "", probes.GapPolicyOff, "UseWUServer", ""},
		{"reg-query-no-policy-de.txt", "", "", "", "", probes.GapPolicyOff, "UseWUServer", ""},
		{"get-itemproperty-list.txt", "Get-ItemProperty list", "http://wsus01.corp.example:8530", "http://wsus01.corp.example:8530", "0", probes.GapPolicyOff, "UseWUServer", ""},
		{"get-itemproperty-table.txt", "PowerShell table", "http://wsus01.corp.example:8530", "https://wsus01.corp.example:8531", "1", probes.GapBadURL, "WUStatusServer", ""},
		{"get-item.txt", "Get-Item/Get-ChildItem", "http://wsus01.corp.example:8530", "http://wsus01.corp.example:8530", "1", probes.GapPolicyOff, "NoAutoUpdate", ""},
		{"windowsupdate-export.reg", ".reg export", "http://wsus01.corp.example:8530", "http://wsus01.corp.example:8530", "1", "", "", ""},
		{"regedit-export.txt", "regedit text export", "http://wsus01.corp.example:8530", "http://wsus01.corp.example:8530", "1", probes.GapPolicyOff, "NoAutoUpdate", ""},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			res := parseFile(t, tc.file)
			if got := strings.Join(res.Formats, ", "); got != tc.formats {
				t.Errorf("formats %q; want %q", got, tc.formats)
			}
			if ok, missing := res.Policy.Covers(); !ok {
				t.Errorf("evidence does not cover the policy: missing %v", missing)
			}
			v, gap, detail := judge(t, res)
			use := ""
			if v.UseWUServer != nil && *v.UseWUServer {
				use = "1"
			} else if v.UseWUServer != nil {
				use = "0"
			}
			if v.WUServer != tc.wu || v.WUStatusServer != tc.status || use != tc.use || v.SusClientID != tc.sus {
				t.Errorf("view WUServer=%q WUStatusServer=%q UseWUServer=%q SusClientId=%q; want %q %q %q %q",
					v.WUServer, v.WUStatusServer, use, v.SusClientID, tc.wu, tc.status, tc.use, tc.sus)
			}
			if gap != tc.gap || !strings.Contains(detail, tc.detail) {
				t.Errorf("judged %q (%s); want %q containing %q", gap, detail, tc.gap, tc.detail)
			}
		})
	}
}

func TestDetails(t *testing.T) {
	res := parseFile(t, "reg-query-s.txt")
	v, _, _ := judge(t, res)
	if v.TargetGroup != "Workstations" || v.TargetGroupEnabled == nil || !*v.TargetGroupEnabled || v.AUOptions == nil || *v.AUOptions != 4 ||
		v.DetectionFrequencyH == nil || *v.DetectionFrequencyH != 22 || v.DoNotConnectToWUInternet == nil || !*v.DoNotConnectToWUInternet ||
		v.SetProxyBehavior == nil || *v.SetProxyBehavior != 0 {
		t.Errorf("view %+v", v)
	}
	reg := parseFile(t, "windowsupdate-export.reg")
	if fmtJoined(reg.Joined) != "6 7" {
		t.Errorf("the hex(2) value continues on lines 6 and 7; joined %v", reg.Joined)
	}
	v, _, _ = judge(t, reg)
	if v.DualScan == nil || v.DualScan.DeferQualityUpdates == nil || !*v.DualScan.DeferQualityUpdates {
		t.Errorf("DeferQualityUpdates not read: %+v", v.DualScan)
	}
	wrapped := parseFile(t, "reg-query-wrapped.txt")
	if fmtJoined(wrapped.Joined) != "2 4 6 9" {
		t.Errorf("joined %v; want the keys' and values' wrapped lines 2 4 6 9", wrapped.Joined)
	}
	list := parseFile(t, "get-itemproperty-list.txt")
	if fmtJoined(list.Joined) != "9 24 26" {
		t.Errorf("joined %v; want the PSPath continuations", list.Joined)
	}
	shared := parseFile(t, "regquery-windowsupdate.txt")
	if len(shared.Ignored) != 1 || !strings.HasSuffix(shared.Ignored[0], `AU\NoAutoUpdate`) {
		t.Errorf("ignored %v; want the odd AU\\NoAutoUpdate subkey", shared.Ignored)
	}
	de := parseFile(t, "reg-query-no-policy-de.txt")
	if de.Policy.Keys[probes.KeyPolicy] != probes.KeyAbsent || de.Policy.Keys[probes.KeyPolicyAU] != probes.KeyAbsent {
		t.Errorf("keys %v; want both absent", de.Policy.Keys)
	}
}

func fmtJoined(ns []int64) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(s, " ")
}

// Partial evidence never reads as "not set": a paste of the WindowsUpdate
// key alone says nothing of UseWUServer.
func TestPartialEvidence(t *testing.T) {
	cases := []struct {
		name, in string
		covers   bool
		missing  string
	}{
		{"Get-ItemProperty of the root key only", "WUServer       : http://wsus01:8530\r\nWUStatusServer : http://wsus01:8530\r\n" +
			"PSPath         : Microsoft.PowerShell.Core\\Registry::HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\r\n", false, "UseWUServer"},
		{"reg query without /s: AU named, not shown", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\r\n    WUServer    REG_SZ    http://wsus01:8530\r\n" +
			"    WUStatusServer    REG_SZ    http://wsus01:8530\r\n\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU\r\n", false, "UseWUServer"},
		{"reg query /v UseWUServer only", "C:\\>reg query HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU /v UseWUServer\r\n\r\n" +
			"HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU\r\n    UseWUServer    REG_DWORD    0x1\r\n", false, "WUServer WUStatusServer"},
		{"reg query /v UseWUServer not found", "C:\\>reg query HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU /v UseWUServer\r\n" +
			"ERROR: The system was unable to find the specified registry key or value.\r\n", true, ""},
		{"one value without a key", "UseWUServer : 1\r\n", false, "WUServer WUStatusServer"},
		{"PowerShell: the AU key does not exist", "Get-ItemProperty : Cannot find path 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU' because it does not exist.\r\n" +
			"At line:1 char:1\r\n", true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Parse(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			ok, missing := res.Policy.Covers()
			if ok != tc.covers || !strings.Contains(strings.Join(missing, " "), tc.missing) {
				t.Errorf("covers %v missing %q; want %v %q (%+v)", ok, missing, tc.covers, tc.missing, res.Policy)
			}
		})
	}
}

// Evidence adds to what is known: values it does not show stay as they were.
func TestApplyOverKnownView(t *testing.T) {
	yes, four := true, 4
	base := probes.ClientView{Name: "pc1", WUServer: "http://wsus01:8530", WUStatusServer: "http://wsus01:8530", UseWUServer: &yes, AUOptions: &four,
		SusClientID: "0d7c3a4e-5b1f-4c2a-9e3d-7f1a2b3c4d5e", Services: &probes.ClientServices{WUAUServ: "Running"}}
	res, err := Parse(strings.NewReader("WUServer : http://wsus02:8530\r\nPSPath   : Microsoft.PowerShell.Core\\Registry::HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Policy.Keys[probes.KeyPolicyAU] != "" {
		t.Fatalf("Get-ItemProperty of the root key says nothing of AU; keys %v", res.Policy.Keys)
	}
	v := base
	changed, _ := res.Policy.Apply(&v)
	if v.WUServer != "http://wsus02:8530" || v.WUStatusServer != "" || v.UseWUServer != &yes || v.AUOptions != &four || v.SusClientID != base.SusClientID ||
		v.Services.WUAUServ != "Running" {
		t.Errorf("applied view %+v", v)
	}
	if strings.Join(changed, "; ") != "WUServer: http://wsus01:8530 → http://wsus02:8530; WUStatusServer: http://wsus01:8530 → not set" {
		t.Errorf("changed %q", changed)
	}
	if base.WUServer != "http://wsus01:8530" {
		t.Errorf("the base view was modified")
	}
}

func TestRefusals(t *testing.T) {
	cases := []struct {
		name, in string
		line     int64
		words    []string
	}{
		{"an event instead", "Log Name:      Application\r\nSource:        Windows Server Update Services\r\n", 1, []string{"not registry output", "reg query"}},
		{"prose", "\r\nhello, my clients do not report\r\n", 2, []string{"not registry output", `"hello, my clients do not report"`}},
		{"another key", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\r\n    ProductName    REG_SZ    Windows 10 Pro\r\n", 0,
			[]string{`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion`, "no Windows Update policy value"}},
		{"only prompts", "PS C:\\> reg query\r\nThe operation completed successfully.\r\n", 1, []string{"no Windows Update policy value or key"}},
		{"empty", "\r\n", 0, []string{"empty"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in))
			var v *probes.ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("error %v; want a refusal", err)
			}
			e := v.Errors[0]
			if e.Line != tc.line {
				t.Errorf("line %d; want %d (%s)", e.Line, tc.line, e.Detail)
			}
			for _, w := range tc.words {
				if !strings.Contains(e.Detail, w) {
					t.Errorf("refusal %q lacks %q", e.Detail, w)
				}
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	files, _ := os.ReadDir("testdata")
	for _, e := range files {
		b, err := os.ReadFile("testdata/" + e.Name())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		res, err := Parse(bytesReader(in))
		if err != nil {
			var v *probes.ValidationError
			if !errors.As(err, &v) || len(v.Errors) == 0 || v.Errors[0].Detail == "" {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		v := probes.ClientView{Name: "pc1"}
		res.Policy.Apply(&v)
		r := probes.ClientReport{Schema: probes.SchemaClientReport, ID: "fuzz", CollectedAt: probes.TimeOf(time.Now()),
			Collector: probes.Collector{Name: "fuzz", Vantage: probes.VantageClient}, Client: v}
		if err := r.Validate(time.Now()); err != nil {
			t.Fatalf("the view does not validate: %v\n%+v", err, v)
		}
	})
}

// Invoke-Command output names the remote computer; the AU key alone says
// nothing of the URLs.
func TestInvokeCommand(t *testing.T) {
	res := parseFile(t, "invoke-command-au.txt")
	if res.Machine != "PC0042" || res.Policy.Keys[probes.KeyPolicyAU] != probes.KeyListed || res.Policy.Keys[probes.KeyPolicy] != "" {
		t.Errorf("machine %q keys %v", res.Machine, res.Policy.Keys)
	}
	if ok, missing := res.Policy.Covers(); ok || strings.Join(missing, " ") != "WUServer WUStatusServer" {
		t.Errorf("covers %v missing %v", ok, missing)
	}
}
