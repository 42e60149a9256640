package eventtext

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

var now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func events(evs []probes.Event) string {
	var out []string
	for _, e := range evs {
		first, _, _ := strings.Cut(e.Message, "\n")
		out = append(out, fmt.Sprintf("%d %s %s %s %s", e.ID, e.Source, e.Level, e.Time.UTC().Format("01-02T15:04:05"), first))
	}
	return strings.Join(out, "\n")
}

func TestSamples(t *testing.T) {
	cases := []struct {
		file, format, want string
		notes              int
	}{
		{"viewer-copy-en.txt", FormatViewer, "12072 Windows Server Update Services Error 11-20T08:10:00 The WSUS content directory is not accessible.\n" +
			"5002 Microsoft-Windows-WAS Error 11-20T07:55:31 Application pool 'WsusPool' is being automatically disabled due to a series of failures in the process(es) serving that application pool.", 0},
		{"viewer-copy-markdown.txt", FormatViewer, "12072 Windows Server Update Services Error 11-20T09:10:00 The WSUS content directory is not accessible.", 0},
		{"viewer-copy-wrapped.txt", FormatViewer, "12072 Windows Server Update Services Error 11-20T09:10:00 The WSUS content directory is not accessible.", 0},
		{"viewer-copy-de.txt", FormatViewer, "12042 Windows Server Update Services Error 11-20T09:10:00 The SimpleAuth Web Service is not working.", 0},
		{"events-12072-excerpt.txt", FormatViewer, "12072 Windows Server Update Services Error 11-21T12:00:00 The WSUS content directory is not accessible.\n" +
			"7000 SMS Server Information 11-21T12:00:00 On 8/13/2015 3:22:40 AM, component SMS_WSUS_CONTROL_MANAGER on computer WSUS.fqdn reported:  WSUS Control Manager failed to configure proxy settings on WSUS Server \"WSUS.fqdn\".\n" +
			"5074 Microsoft-Windows-WAS Information 11-21T12:00:00 A worker process with process id of '%1' serving application pool '%2' has requested a recycle because the worker process reached its allowed processing time limit.", 4},
		{"get-winevent-list.utf16le.txt", FormatPSList, "12072 Windows Server Update Services Error 11-20T09:10:00 The WSUS content directory is not accessible.\n" +
			"12002 Windows Server Update Services Error 11-20T09:10:00 The Reporting Web Service is not working.\n" +
			"364 Windows Server Update Services Error 11-19T23:42:17 Content file download failed.", 0},
		{"wevtutil-text.txt", FormatWevtutil, "12072 Windows Server Update Services Error 11-20T09:10:00 The WSUS content directory is not accessible.\n" +
			"10032 Windows Server Update Services Warning 11-20T03:04:10 The server is failing to download some updates.", 0},
		{"get-winevent-table.txt", FormatWinEvent, "12072 Windows Server Update Services Error 11-20T09:10:00 The WSUS content directory is not accessible.\n" +
			"12002 Windows Server Update Services Error 11-20T09:10:00 The Reporting Web Service is not working.\n" +
			"12022 Windows Server Update Services Error 11-20T09:09:58 The Client Web Service is not working.", 0},
		{"get-eventlog-table.txt", FormatEventLog, "12072 Windows Server Update Services Error 11-20T09:10:00 The WSUS content directory is not accessible.\n" +
			"12002 Windows Server Update Services Error 11-20T09:10:00 The Reporting Web Service is not working.\n" +
			"10032 Windows Server Update Services Warning 11-20T03:04:00 The server is failing to download some updates.", 0},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			res, err := Parse(bytes.NewReader(mustRead(t, tc.file)), Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if got := events(res.Events); got != tc.want {
				t.Errorf("events\n got %s\nwant %s", got, tc.want)
			}
			if len(res.Formats) != 1 || res.Formats[0] != tc.format || len(res.Notes) != tc.notes {
				t.Errorf("formats %v notes %q; want %s and %d notes", res.Formats, res.Notes, tc.format, tc.notes)
			}
			r := probes.Report{Schema: probes.SchemaReport, ID: "x", CollectedAt: probes.TimeOf(now), Collector: probes.Collector{Name: "t", Vantage: probes.VantageServer},
				Server: probes.ServerInfo{Name: "wsus01"}, Events: res.Events}
			if err := r.Validate(now); err != nil {
				t.Errorf("events do not validate: %v", err)
			}
		})
	}
}

// The whole message is kept, with its exception: the rules read it.
func TestMessageKept(t *testing.T) {
	res, err := Parse(bytes.NewReader(mustRead(t, "get-winevent-list.utf16le.txt")), Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Events[0].Message
	if !strings.Contains(m, "\nSystem.Net.WebException: The remote server returned an error: (503) Server Unavailable.\n   at System.Net.HttpWebRequest.GetResponse()") {
		t.Errorf("message %q", m)
	}
}

func TestTimeZone(t *testing.T) {
	res, err := Parse(bytes.NewReader(mustRead(t, "viewer-copy-de.txt")), Options{Now: now, Location: time.FixedZone("", 3600)})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Events[0].Time.Equal(time.Date(2026, 11, 20, 8, 10, 0, 0, time.UTC)) || res.TimeZone != "UTC+01:00" {
		t.Errorf("time %v zone %q", res.Events[0].Time, res.TimeZone)
	}
}

func TestRefusals(t *testing.T) {
	cases := []struct {
		name, in string
		line     int64
		words    []string
	}{
		{"a reg query", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\r\n    WUServer    REG_SZ    http://x:8530\r\n", 1,
			[]string{"no event found", "Copy details as text"}},
		{"labels without an ID", "Log Name: Application\r\nSource: Windows Server Update Services\r\n", 1, []string{"no event ID"}},
		{"empty", " \r\n", 0, []string{"empty"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in), Options{Now: now})
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

func FuzzParse(f *testing.F) {
	entries, _ := os.ReadDir("testdata")
	for _, e := range entries {
		f.Add(mustRead(f, e.Name()))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		res, err := Parse(bytes.NewReader(in), Options{Now: now})
		if err != nil {
			var v *probes.ValidationError
			if !errors.As(err, &v) || v.Errors[0].Detail == "" {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		far := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
		r := probes.Report{Schema: probes.SchemaReport, ID: "x", CollectedAt: probes.TimeOf(now), Collector: probes.Collector{Name: "t", Vantage: probes.VantageServer},
			Server: probes.ServerInfo{Name: "wsus01"}, Events: res.Events}
		if err := r.Validate(far); err != nil {
			t.Fatalf("events do not validate: %v", err)
		}
	})
}

func TestXMLAndExports(t *testing.T) {
	cases := []struct {
		file, format, want string
	}{
		{"wevtutil-xml.txt", FormatXML, "12042 Windows Server Update Services Error 11-20T08:10:00 The SimpleAuth Web Service is not working.\n" +
			"5002 Microsoft-Windows-WAS Error 11-20T07:55:31 Application pool 'WsusPool' is being automatically disabled due to a series of failures in the process(es) serving that application pool."},
		{"eventviewer-export.csv", FormatExport, "12072 Windows Server Update Services Error 11-20T09:10:00 The WSUS content directory is not accessible.\n" +
			"10032 Windows Server Update Services Warning 11-20T03:04:10 The server is failing to download some updates.\n" +
			"386 Windows Server Update Services Information 11-20T03:00:00 A subscription run was started."},
		{"eventviewer-export-de.utf16le.txt", FormatExport, "12022 Windows Server Update Services Error 11-20T09:10:00 The Client Web Service is not working."},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			res, err := Parse(bytes.NewReader(mustRead(t, tc.file)), Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			if got := events(res.Events); got != tc.want || res.Formats[0] != tc.format {
				t.Errorf("%v\n got %s\nwant %s", res.Formats, got, tc.want)
			}
			if !strings.Contains(res.Events[0].Message, "\n") && tc.file != "wevtutil-xml.txt" && res.Events[0].ID != 10032 {
				t.Errorf("multi-line message lost: %q", res.Events[0].Message)
			}
		})
	}
	res, _ := Parse(bytes.NewReader(mustRead(t, "wevtutil-xml.txt")), Options{Now: now})
	if m := res.Events[0].Message; !strings.Contains(m, "(401) Unauthorized.\n   at System.Net.HttpWebRequest.GetResponse()") {
		t.Errorf("XML message %q", m)
	}
}

// French labels: 03/11/2026 is the 3rd of November.
func TestFrenchDates(t *testing.T) {
	in := "Nom du journal :Application\r\nSource :        Windows Server Update Services\r\nDate :          03/11/2026 09:10:00\r\nID de l’événement :12072\r\n" +
		"Niveau :        Erreur\r\nDescription :\r\nThe WSUS content directory is not accessible.\r\n"
	res, err := Parse(strings.NewReader(in), Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if e := res.Events[0]; !e.Time.Equal(time.Date(2026, 11, 3, 9, 10, 0, 0, time.UTC)) || e.Level != "Error" || e.ID != 12072 {
		t.Errorf("event %+v", e)
	}
}
