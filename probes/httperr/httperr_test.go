package httperr

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/wsusfleet/wsusfleet/probes"
)

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func groups(d probes.HTTPErrDigest) string {
	var out []string
	for _, g := range d.Groups {
		out = append(out, fmt.Sprintf("%d %s %s :%d ×%d clients=%d", g.Status, g.Reason, g.Queue, g.Port, g.Count, g.Clients))
	}
	return strings.Join(out, " | ")
}

func TestSamples(t *testing.T) {
	full := "503 AppOffline WsusPool :8530 ×40 clients=23 | 0 Timer_ConnectionIdle  :8530 ×2 clients=2 | " +
		"0 Connection_Abandoned_By_ReqQueue WsusPool :8530 ×1 clients=1 | 503 QueueFull WsusPool :8531 ×1 clients=1"
	cases := []struct {
		file, want     string
		lines, skipped int64
		joined         int
	}{
		{"httperr1.log", full, 44, 0, 0},
		{"httperr1.utf16le.log", full, 44, 0, 0},
		{"httperr-no-header-markdown.txt", "503 AppOffline WsusPool :8530 ×6 clients=6", 6, 1, 0},
		{"httperr-wrapped.txt", "503 AppOffline WsusPool :8530 ×8 clients=8", 8, 0, 9},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			res, err := Parse(bytes.NewReader(mustRead(t, tc.file)))
			if err != nil {
				t.Fatal(err)
			}
			d := res.Digest
			if got := groups(d); got != tc.want {
				t.Errorf("groups\n got %s\nwant %s", got, tc.want)
			}
			if d.Lines != tc.lines || d.Skipped != tc.skipped || len(res.Joined) != tc.joined {
				t.Errorf("lines %d skipped %d joined %v; want %d %d %d", d.Lines, d.Skipped, res.Joined, tc.lines, tc.skipped, tc.joined)
			}
			if d.First.UTC().Format("15:04:05") != "08:00:12" || d.Groups[0].Example == "" {
				t.Errorf("first %v example %q", d.First, d.Groups[0].Example)
			}
			r := probes.Report{Schema: probes.SchemaReport, ID: "x", CollectedAt: d.Last, Collector: probes.Collector{Name: "t", Vantage: probes.VantageServer},
				Server: probes.ServerInfo{Name: "wsus01"}, HTTPErr: &d}
			if err := r.Validate(d.Last.Time); err != nil {
				t.Errorf("digest does not validate: %v", err)
			}
		})
	}
}

// Distinct clients are exact up to 64, then estimated within a few percent.
func TestClientEstimate(t *testing.T) {
	var b strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&b, "2026-11-20 08:00:00 10.%d.%d.%d 5000 10.1.0.5 8530 HTTP/1.1 GET /x - 503 2 AppOffline WsusPool\n", i/65536, i/256%256, i%256)
	}
	res, err := Parse(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Digest.Groups[0].Clients; c < 4750 || c > 5250 {
		t.Errorf("estimated %d clients; want about 5000", c)
	}
}

func TestRefusals(t *testing.T) {
	cases := []struct {
		name, in string
		line     int64
		words    []string
	}{
		{"an IIS log", "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n", 3,
			[]string{"IIS log", "iislog"}},
		{"an IIS log without #Fields", "2026-11-20 08:00:00 10.1.0.5 GET /ClientWebService/client.asmx - 8530 - 10.1.2.3 Windows-Update-Agent - 503 0 0 15\r\n", 1,
			[]string{"not an HTTPERR line", "s-reason"}},
		{"header only", "#Software: Microsoft HTTP API 2.0\r\n#Version: 1.0\r\n#Date: 2026-11-20 08:00:12\r\n#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri streamid sc-status s-siteid s-reason s-queuename\r\n", 0,
			[]string{"only its header"}},
		{"fields without s-reason", "#Fields: date time c-ip\r\n", 1, []string{"lacks s-reason"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in))
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
		res, err := Parse(bytes.NewReader(in))
		if err != nil {
			var v *probes.ValidationError
			if !errors.As(err, &v) || v.Errors[0].Detail == "" {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		d := res.Digest
		r := probes.Report{Schema: probes.SchemaReport, ID: "x", CollectedAt: d.Last, Collector: probes.Collector{Name: "t", Vantage: probes.VantageServer},
			Server: probes.ServerInfo{Name: "wsus01"}, HTTPErr: &d}
		if err := r.Validate(d.Last.Time); err != nil {
			t.Fatalf("digest does not validate: %v", err)
		}
	})
}
