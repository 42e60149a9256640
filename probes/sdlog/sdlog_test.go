package sdlog

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

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func issues(d probes.SDLogDigest) string {
	var out []string
	for _, i := range d.Issues {
		out = append(out, fmt.Sprintf("%s %s ×%d %s", i.Kind, i.Component, i.Count, i.Detail))
	}
	return strings.Join(out, "\n")
}

func TestSamples(t *testing.T) {
	full := "sql_timeout ClientImplementation.SyncUpdates ×2 \n" +
		"invalid_parameters SoapUtilities.CreateException ×2 ErrorCode=InvalidParameters\n" +
		"content_download ContentSyncAgent.DownloadFile ×1 The remote server returned an error: (404) Not Found.\n" +
		"sql_deadlock WsusService.TimedWorker ×1 \n" +
		"soap_exception SoapUtilities.CreateException ×1 ErrorCode=DataAccessError\n" +
		"sync_error CatalogSyncAgentCore.ExecuteSyncProtocol ×1 The request failed with HTTP status 503: Service Unavailable."
	cases := []struct {
		file, want     string
		lines, skipped int64
	}{
		{"SoftwareDistribution.log", full, 15, 0},
		{"SoftwareDistribution.utf16le.log", full, 15, 0},
		{"SoftwareDistribution-markdown.txt", full, 15, 1},
		{"SoftwareDistribution-wrapped.txt", "sql_timeout ClientImplementation.SyncUpdates ×2 \n" +
			"invalid_parameters SoapUtilities.CreateException ×2 ErrorCode=InvalidParameters\n" +
			"sql_deadlock WsusService.TimedWorker ×1 \n" +
			"soap_exception SoapUtilities.CreateException ×1 ErrorCode=DataAccessError", 8, 0},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			res, err := Parse(bytes.NewReader(mustRead(t, tc.file)))
			if err != nil {
				t.Fatal(err)
			}
			d := res.Digest
			if got := issues(d); got != tc.want {
				t.Errorf("issues\n got %s\nwant %s", got, tc.want)
			}
			if d.Lines != tc.lines || d.Skipped != tc.skipped {
				t.Errorf("lines %d skipped %d; want %d %d", d.Lines, d.Skipped, tc.lines, tc.skipped)
			}
			now := d.Last.Time
			r := probes.Report{Schema: probes.SchemaReport, ID: "x", CollectedAt: d.Last, Collector: probes.Collector{Name: "t", Vantage: probes.VantageServer},
				Server: probes.ServerInfo{Name: "wsus01"}, SDLog: &d}
			if err := r.Validate(now); err != nil {
				t.Errorf("digest does not validate: %v", err)
			}
		})
	}
}

// The example keeps the stack trace: it is what an admin searches for.
func TestExampleIsVerbatim(t *testing.T) {
	res, err := Parse(bytes.NewReader(mustRead(t, "SoftwareDistribution.log")))
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range res.Digest.Issues {
		if i.Kind == probes.SDLogSyncError {
			if !strings.HasPrefix(i.Example, "UssCommunicationError: WebException: The request failed with HTTP status 503") ||
				!strings.Contains(i.Example, "\n   at Microsoft.UpdateServices.ServerSync.CatalogSyncAgentCore.ExecuteSyncProtocol(Boolean allowRedirect)") {
				t.Errorf("example %q", i.Example)
			}
			if !i.First.Equal(time.Date(2026, 11, 20, 3, 0, 31, 210e6, time.UTC)) {
				t.Errorf("first %v", i.First)
			}
		}
	}
}

// A healthy log is accepted and says so: no issue.
func TestHealthy(t *testing.T) {
	in := "2026-11-20 03:00:00.102 UTC\tInfo\tWsusService.9\tThreadEntry\tExecutionContext.runTryCode\r\n" +
		"2026-11-20 08:14:15.004 UTC\tWarning\tw3wp.18\tSoapUtilities.CreateException\tThrowException: actor = http://wsus01:8530/SimpleAuthWebService/SimpleAuth.asmx, ID=1, ErrorCode=InvalidCookie, Message=, Client=?\r\n"
	res, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Digest.Issues) != 0 || res.Digest.Lines != 2 {
		t.Errorf("issues %v", issues(res.Digest))
	}
}

func TestRefusals(t *testing.T) {
	cases := []struct {
		name, in string
		line     int64
		words    []string
	}{
		{"a client's WindowsUpdate.log", "2026-11-20\t09:03:51:400\t 880\tc14\tAgent\t** START **  Agent: Finding updates\r\n", 1,
			[]string{"not a SoftwareDistribution.log entry", "UTC"}},
		{"prose", "\r\nthe log is empty?\r\n", 2, []string{`"the log is empty?"`}},
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
			Server: probes.ServerInfo{Name: "wsus01"}, SDLog: &d}
		if err := r.Validate(d.Last.Time); err != nil {
			t.Fatalf("digest does not validate: %v", err)
		}
	})
}
