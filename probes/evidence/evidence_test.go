package evidence

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

var now = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// samples are the realistic files of every parser, with the kind each is.
func samples(tb testing.TB) map[string]string {
	tb.Helper()
	out := map[string]string{}
	add := func(glob, kind string) {
		files, err := filepath.Glob(glob)
		if err != nil || len(files) == 0 {
			tb.Fatalf("no samples %s", glob)
		}
		for _, f := range files {
			out[f] = kind
		}
	}
	add("../regquery/testdata/*", probes.EvidenceRegQuery)
	add("../wulog/testdata/get-windowsupdatelog.log", probes.EvidenceWindowsUpdateLog)
	add("../wulog/testdata/get-windowsupdatelog-de.utf16le.log", probes.EvidenceWindowsUpdateLog)
	add("../wulog/testdata/get-windowsupdatelog-null.log", probes.EvidenceWindowsUpdateLog)
	add("../wulog/testdata/windowsupdate-*", probes.EvidenceWindowsUpdateLog)
	add("../httperr/testdata/*", "httperr")
	add("../eventtext/testdata/*", "events")
	add("../sdlog/testdata/*", "softwaredistributionlog")
	add("../iislog/testdata/iis-kb2737219-excerpt.log", "iislog")
	add("../procmon/testdata/*.csv", "procmon")
	add("../procmon/testdata/*.txt", "procmon")
	add("../apphost/testdata/*", "apphost")
	add("../wsuscsv/testdata/*", "computers")
	return out
}

func TestDetectEverySample(t *testing.T) {
	for file, want := range samples(t) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		d, _, err := detectBytes(b)
		if err != nil || d.Kind != want {
			t.Errorf("%s: detected %q (%v); want %s", file, d.Kind, err, want)
		}
	}
}

// Auto reads every sample of its side as the kind it is, and accepts it
// (or refuses it with the refusal of that kind, saying so).
func TestAuto(t *testing.T) {
	refused := map[string]bool{ // samples their own parser refuses, with what to send instead
		"../wsuscsv/testdata/get-wsuscomputer-table.txt": true, "../wsuscsv/testdata/get-wsuscomputer-list.txt": true,
		"../wsuscsv/testdata/export-csv-typed.csv": true, "../procmon/testdata/procmon-w3wp-denied-excerpt.txt": true,
		"../iislog/testdata/iis-kb2737219-excerpt.log": true,
	}
	server, _ := Lookup(Auto)
	client, _ := LookupClient(Auto)
	for file, want := range samples(t) {
		b, _ := os.ReadFile(file)
		side, _ := sideOf(want)
		auto, other := server, client
		if side == SideClient {
			auto, other = client, server
		}
		p, err := auto.Parse(bytes.NewReader(b), Options{}, now)
		switch {
		case refused[file]:
			var v *probes.ValidationError
			if !errors.As(err, &v) || !strings.HasPrefix(v.Errors[0].Detail, "read as "+want) {
				t.Errorf("%s: %v; want a refusal of %s that says so", file, err, want)
			}
		case err != nil:
			t.Errorf("%s: %v", file, err)
		case p.Kind != want || (side == SideServer) != (p.Report != nil) || (side == SideClient) != (p.Client != nil):
			t.Errorf("%s: read as %s (report %v, client %v); want %s", file, p.Kind, p.Report != nil, p.Client != nil, want)
		}
		_, err = other.Parse(bytes.NewReader(b), Options{}, now)
		var v *probes.ValidationError
		if !errors.As(err, &v) || !strings.Contains(v.Errors[0].Detail, "evidence: send it to /api/v1/") || !strings.Contains(v.Errors[0].Detail, want) {
			t.Errorf("%s on the %s endpoint: %v; want a refusal naming the right endpoint", file, other.Side, err)
		}
	}
}

// A file sent as the wrong kind is refused by that kind's parser, and the
// refusal says what the file looks like.
func TestWrongKindSaysWhatItIs(t *testing.T) {
	cases := []struct {
		kind, file, words string
		client            bool
	}{
		{"httperr", "../eventtext/testdata/viewer-copy-en.txt", "this looks like Windows event text (line 1): send it as events", false},
		{"events", "../httperr/testdata/httperr1.log", "this looks like an HTTP.sys error log (HTTPERR) (line 1): send it as httperr", false},
		{"softwaredistributionlog", "../wulog/testdata/windowsupdate-classic.log", "send it to /api/v1/clients/{name}/evidence/windowsupdatelog", false},
		{probes.EvidenceRegQuery, "../wulog/testdata/get-windowsupdatelog.log", "send it as windowsupdatelog", true},
		{probes.EvidenceWindowsUpdateLog, "../regquery/testdata/reg-query-s.txt", "send it as regquery", true},
		{probes.EvidenceWindowsUpdateLog, "../sdlog/testdata/SoftwareDistribution.log", "send it to /api/v1/servers/{name}/evidence/softwaredistributionlog", true},
	}
	for _, tc := range cases {
		t.Run(tc.kind+" "+filepath.Base(tc.file), func(t *testing.T) {
			k, err := Lookup(tc.kind)
			if tc.client {
				k, err = LookupClient(tc.kind)
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(tc.file)
			_, err = k.Parse(bytes.NewReader(b), Options{}, now)
			var v *probes.ValidationError
			if !errors.As(err, &v) || !strings.Contains(v.Errors[0].Detail, tc.words) {
				t.Errorf("error %v; want it to say %q", err, tc.words)
			}
		})
	}
}

func TestAutoRefusals(t *testing.T) {
	server, _ := Lookup(Auto)
	for _, tc := range []struct {
		in    string
		line  int64
		words string
	}{
		{"hello\r\nmy clients do not report\r\n", 1, `cannot tell what kind of evidence this is (it begins "hello"); send it with its kind: iislog, procmon`},
		{"", 0, "the input is empty"},
		{"PK\x03\x04\x00\x00", 0, "ZIP archive"},
	} {
		_, err := server.Parse(strings.NewReader(tc.in), Options{}, now)
		var v *probes.ValidationError
		if !errors.As(err, &v) || v.Errors[0].Line != tc.line || !strings.Contains(v.Errors[0].Detail, tc.words) {
			t.Errorf("%q: %v; want line %d saying %q", tc.in, err, tc.line, tc.words)
		}
	}
}

func TestLookupNamesTheOtherEndpoint(t *testing.T) {
	_, err := Lookup(probes.EvidenceRegQuery)
	if !errors.Is(err, probes.ErrNotFound) || !strings.Contains(err.Error(), "regquery is client evidence: send it to /api/v1/clients/{name}/evidence/regquery") {
		t.Errorf("%v", err)
	}
	_, err = LookupClient("httperr")
	if !strings.Contains(err.Error(), "httperr is server evidence") {
		t.Errorf("%v", err)
	}
}

func TestOptions(t *testing.T) {
	k, _ := LookupClient(probes.EvidenceWindowsUpdateLog)
	o, err := k.Options(map[string][]string{"utc_offset": {"+01:00"}, "file": {"WindowsUpdate.log"}})
	if err != nil || o.Location == nil || o.File != "WindowsUpdate.log" {
		t.Fatalf("%+v %v", o, err)
	}
	if _, off := time.Date(2026, 1, 1, 0, 0, 0, 0, o.Location).Zone(); off != 3600 {
		t.Errorf("offset %d", off)
	}
	for _, bad := range []string{"+25:00", "CET", "1:00x"} {
		if _, err := k.Options(map[string][]string{"utc_offset": {bad}}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := k.Options(map[string][]string{"site": {"x"}}); err == nil {
		t.Errorf("site accepted for a client kind")
	}
}

// FuzzClientEvidence: whatever auto accepts for a client is evidence that
// validates for storage, or a refusal with a line or a reason.
func FuzzClientEvidence(f *testing.F) {
	for file, kind := range samples(f) {
		if side, _ := sideOf(kind); side == SideClient {
			b, _ := os.ReadFile(file)
			f.Add(b)
		}
	}
	auto, _ := LookupClient(Auto)
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := auto.Parse(bytes.NewReader(in), Options{}, now)
		if err != nil {
			var v *probes.ValidationError
			if !errors.As(err, &v) || v.Errors[0].Detail == "" {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		if p.Client == nil {
			t.Fatalf("auto on the client side gave %s", p.Kind)
		}
		ev := *p.Client
		ev.Client, ev.ID = "pc1.corp.example", "x"
		if err := ev.Validate(now); err != nil {
			var v *probes.ValidationError
			// A value longer than a policy value may be is refused by name.
			if !errors.As(err, &v) || !strings.HasPrefix(v.Errors[0].Pointer, "/policy/facts/") {
				t.Fatalf("evidence does not validate: %v", err)
			}
		}
	})
}

// FuzzServerEvidence: whatever auto accepts for a server is a report that
// validates, or a refusal with a line or a reason.
func FuzzServerEvidence(f *testing.F) {
	for _, file := range []string{"../httperr/testdata/httperr1.log", "../eventtext/testdata/viewer-copy-en.txt", "../eventtext/testdata/eventviewer-export.csv",
		"../sdlog/testdata/SoftwareDistribution.log", "../eventtext/testdata/events-12072-excerpt.txt"} {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	auto, _ := Lookup(Auto)
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := auto.Parse(bytes.NewReader(in), Options{}, now)
		if err != nil {
			var v *probes.ValidationError
			if !errors.As(err, &v) || v.Errors[0].Detail == "" {
				t.Fatalf("error %T %v", err, err)
			}
			return
		}
		r := p.Report
		r.Schema, r.ID, r.Server = probes.SchemaReport, "x", probes.ServerInfo{Name: "wsus01"}
		r.Collector = probes.Collector{Name: "fuzz", Vantage: probes.VantageServer}
		if r.CollectedAt.IsZero() {
			r.CollectedAt = probes.TimeOf(now)
		}
		if err := r.Validate(now.AddDate(300, 0, 0)); err != nil {
			t.Fatalf("%s report does not validate: %v", p.Kind, err)
		}
	})
}
