package wulog

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

func parseFile(tb testing.TB, name string, opt Options) *probes.WULogDigest {
	tb.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	d, err := Parse(bytes.NewReader(b), opt)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return d
}

// summary is what a test compares: the server, and per operation the last
// attempt and the last success.
func summary(d *probes.WULogDigest) string {
	var b strings.Builder
	if d.Server != nil {
		b.WriteString("server=" + d.Server.Value + " ")
	}
	for _, op := range []string{probes.UpdateOpScan, probes.UpdateOpReport, probes.UpdateOpSelfUpdate} {
		last, ok := d.LastAttempt(op)
		if last == nil {
			continue
		}
		b.WriteString(op + "=")
		if last.OK {
			b.WriteString("ok")
		} else {
			b.WriteString(last.Code)
		}
		if ok != nil {
			b.WriteString("(ok " + ok.At.Format("01-02T15:04") + ")")
		}
		b.WriteString(" ")
	}
	return strings.TrimSpace(b.String())
}

func TestSamples(t *testing.T) {
	cases := []struct {
		file, format, tz, want string
		errors                 []string // operation code http
	}{
		{"windowsupdate-classic.log", FormatClassic, "UTC+01:00 (stated in the log)",
			"server=http://wsus01.corp.example:8530 scan=0x80244022(ok 11-18T07:17) report=0x80244022(ok 11-18T07:22) selfupdate=0x80244022(ok 11-18T07:17)",
			[]string{"report 0x80244022 503", "scan 0x80244022 0", "selfupdate 0x80244022 0"}},
		{"windowsupdate-classic-tail.utf16le.txt", FormatClassic, "UTC+01:00 (stated in the log)",
			"scan=0x80244022 report=0x80244022(ok 11-18T07:22) selfupdate=0x80244022",
			[]string{"report 0x80244022 503", "scan 0x80244022 0", "selfupdate 0x80244022 0"}},
		{"windowsupdate-classic-markdown.txt", FormatClassic, "UTC (assumed: the log writes local time without a time zone)",
			"scan=0x80244022 report=ok(ok 11-18T08:22) selfupdate=0x80244022",
			[]string{"scan 0x80244022 0", "selfupdate 0x80244022 0"}},
		{"windowsupdate-classic-wrapped.txt", FormatClassic, "UTC+01:00 (stated in the log)",
			"scan=0x80244022 report=ok(ok 11-18T07:22) selfupdate=0x80244022",
			[]string{"scan 0x80244022 503", "selfupdate 0x80244022 0"}},
		{"get-windowsupdatelog.log", FormatETW, "UTC (assumed: the log writes local time without a time zone)",
			"server=http://wsus01.corp.example:8530 scan=0x80244022(ok 11-19T08:10) report=0x80244022",
			[]string{"report 0x80244022 503", "scan 0x80244022 503"}},
		{"get-windowsupdatelog-de.utf16le.log", FormatETW, "UTC (assumed: the log writes local time without a time zone)",
			"server=http://wsus01.corp.example:8530 scan=0x80244022(ok 11-19T08:10) report=0x80244022",
			[]string{"report 0x80244022 503", "scan 0x80244022 503"}},
		{"get-windowsupdatelog-null.log", FormatETW, "UTC (assumed: the log writes local time without a time zone)",
			"server=<NULL> scan=ok(ok 11-20T10:05)", nil},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			d := parseFile(t, tc.file, Options{})
			if d.Format != tc.format || d.TimeZone != tc.tz {
				t.Errorf("format %q, time zone %q; want %q, %q", d.Format, d.TimeZone, tc.format, tc.tz)
			}
			if got := summary(d); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			var errs []string
			for _, e := range d.Errors {
				errs = append(errs, e.Operation+" "+e.Code+" "+itoa(e.HTTPStatus))
			}
			if strings.Join(errs, "|") != strings.Join(tc.errors, "|") {
				t.Errorf("errors %q; want %q", errs, tc.errors)
			}
			for _, ue := range d.UpdateErrors() {
				if !probes.IsHRESULT(ue.Code) || ue.Message == "" || ue.Time.IsZero() {
					t.Errorf("update error %+v", ue)
				}
			}
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

func TestNullServerAndService(t *testing.T) {
	d := parseFile(t, "get-windowsupdatelog-null.log", Options{})
	if d.Server == nil || d.Server.Value != probes.WULogNull || d.Service == nil || d.Service.Value != "Windows Update" {
		t.Errorf("server %+v service %+v; want <NULL> and Windows Update", d.Server, d.Service)
	}
	d = parseFile(t, "get-windowsupdatelog.log", Options{})
	if d.Service.Value != "WSUS (Managed)" || d.Proxy.Value != "automatic proxy detection (WPAD)" || d.ClientVersion != "10.0.19041.5129" {
		t.Errorf("service %q proxy %q version %q", d.Service.Value, d.Proxy.Value, d.ClientVersion)
	}
}

func TestTimeZoneOption(t *testing.T) {
	loc := time.FixedZone("", -5*3600)
	d := parseFile(t, "get-windowsupdatelog.log", Options{Location: loc})
	if d.TimeZone != "UTC-05:00" || !d.First.Equal(time.Date(2026, 11, 19, 12, 55, 10, 112345600, time.UTC)) {
		t.Errorf("time zone %q first %v", d.TimeZone, d.First)
	}
}

// Dates like 03/04/2026 are read the way the rest of the log allows.
func TestSlashDates(t *testing.T) {
	line := func(date, msg string) string {
		return date + " 09:27:27.5000012 1220  4704  Agent           " + msg + "\r\n"
	}
	dmyLog := line("03/11/2026", "* WSUS server: http://wsus01:8530") + line("25/11/2026", "Failed to synchronize, error = 0x80244019")
	d, err := Parse(strings.NewReader(dmyLog), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !d.First.Equal(time.Date(2026, 11, 3, 9, 27, 27, 500001200, time.UTC)) {
		t.Errorf("day-first log: first %v", d.First)
	}
	mdyLog := line("11/03/2026", "* WSUS server: http://wsus01:8530") + line("11/25/2026", "Failed to synchronize, error = 0x80244019")
	d, err = Parse(strings.NewReader(mdyLog), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !d.First.Equal(time.Date(2026, 11, 3, 9, 27, 27, 500001200, time.UTC)) || d.Errors[0].Code != "0x80244019" || d.Errors[0].Operation != probes.UpdateOpScan {
		t.Errorf("month-first log: first %v errors %+v", d.First, d.Errors)
	}
}

// A proxy that times out: the classic log's WinHTTP lines.
func TestProxyTimeouts(t *testing.T) {
	in := "2026-11-20\t10:00:01:100\t 904\t1a2c\tAgent\t** START **  Agent: Finding updates [CallerId = AutomaticUpdates]\r\n" +
		"2026-11-20\t10:00:22:150\t 904\t1a2c\tMisc\tWARNING: Send failed with hr = 80072ee2.\r\n" +
		"2026-11-20\t10:00:22:150\t 904\t1a2c\tMisc\tWARNING: SendRequest failed with hr = 80072ee2. Proxy List used: <proxy.corp.example:8080> Bypass List used : <(null)> Auth Schemes used : <>\r\n" +
		"2026-11-20\t10:00:22:151\t 904\t1a2c\tPT\tWARNING: PTError: 0x80072ee2\r\n" +
		"2026-11-20\t10:00:22:160\t 904\t1a2c\tAgent\t  * WARNING: Exit code = 0x80072EE2\r\n" +
		"2026-11-20\t10:00:22:160\t 904\t1a2c\tAgent\t**  END  **  Agent: Finding updates [CallerId = AutomaticUpdates]\r\n"
	d, err := Parse(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Proxy == nil || d.Proxy.Value != "proxy proxy.corp.example:8080" || summary(d) != "scan=0x80072EE2" || len(d.Errors) != 1 || d.Errors[0].Count != 1 {
		t.Errorf("proxy %+v summary %q errors %+v", d.Proxy, summary(d), d.Errors)
	}
}

func TestRefusals(t *testing.T) {
	cases := []struct {
		name, in string
		line     int64
		words    []string
	}{
		{"reg query instead", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\r\n    WUServer    REG_SZ    http://x:8530\r\n", 1,
			[]string{"no line is a Windows Update log line", "expected a WindowsUpdate.log"}},
		{"Get-WindowsUpdateLog progress", "\r\nConverting C:\\WINDOWS\\Logs\\WindowsUpdate into C:\\Users\\admin\\Desktop\\WindowsUpdate.log ...\r\n", 2,
			[]string{"what Get-WindowsUpdateLog prints", "desktop"}},
		{"undecoded", string(mustRead(t, "get-windowsupdatelog-undecoded.log")), 1, []string{"No Format Information found", "symbol server"}},
		{"binary etl", "\x00\x00\x01\x00\x02\x00\x00\x00", 1, []string{"NUL"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in), Options{})
			var v *probes.ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("error %v; want a refusal", err)
			}
			if v.Errors[0].Line != tc.line {
				t.Errorf("line %d; want %d: %s", v.Errors[0].Line, tc.line, v.Errors[0].Detail)
			}
			for _, w := range tc.words {
				if !strings.Contains(v.Errors[0].Detail, w) {
					t.Errorf("refusal %q lacks %q", v.Errors[0].Detail, w)
				}
			}
		})
	}
}

func mustRead(tb testing.TB, name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func FuzzParse(f *testing.F) {
	entries, _ := os.ReadDir("testdata")
	for _, e := range entries {
		f.Add(mustRead(f, e.Name()))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := Parse(bytes.NewReader(in), Options{})
		if err != nil {
			var v *probes.ValidationError
			if !errors.As(err, &v) || v.Errors[0].Detail == "" {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if len(d.Attempts) > 5*keepAttempts || len(d.Errors) > maxErrors {
			t.Fatalf("unbounded digest: %d attempts, %d errors", len(d.Attempts), len(d.Errors))
		}
		cr := probes.ClientReport{Schema: probes.SchemaClientReport, ID: "fuzz", CollectedAt: probes.TimeOf(time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)),
			Collector: probes.Collector{Name: "fuzz", Vantage: probes.VantageClient}, Client: probes.ClientView{Name: "pc1"}}
		for _, ue := range d.UpdateErrors() {
			if !probes.IsHRESULT(ue.Code) {
				t.Fatalf("code %q", ue.Code)
			}
			cr.UpdateErrors = append(cr.UpdateErrors, ue)
		}
		if len(cr.UpdateErrors) > 100 {
			cr.UpdateErrors = cr.UpdateErrors[:100]
		}
		if err := cr.Validate(time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatalf("update errors do not validate: %v", err)
		}
	})
}
