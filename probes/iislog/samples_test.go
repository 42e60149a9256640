package iislog

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The samples in testdata are copies of ../shared/testdata: text posted by
// admins and in Microsoft articles, kept as posted.

// TestKBExcerpt: the KB 2737219 excerpt is refused at its first line, because
// its date and time were replaced by a placeholder (13 fields, no #Fields).
func TestKBExcerpt(t *testing.T) {
	f, err := os.Open("testdata/iis-kb2737219-excerpt.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = Parse(f)
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("Parse = %v; want a *FormatError", err)
	}
	want := `13 fields and no #Fields directive before it; a log without #Fields must have the IIS 7.x default 14 fields ` +
		`or the IIS 8.5+ default 15 fields (its first field "*\\<DateTime>*" is not a yyyy-mm-dd date)`
	if fe.Line != 1 || fe.Reason != want {
		t.Errorf("error = line %d %q\nwant line 1 %q", fe.Line, fe.Reason, want)
	}
}

// TestKBExcerptWithTimes: with real timestamps in place of the placeholder,
// the same pasted lines (markdown "> ", trailing spaces, IPv6 zone ids,
// mixed-case paths, IIS 7.x fields) parse: every vDir answers 500.24.
func TestKBExcerptWithTimes(t *testing.T) {
	raw, err := os.ReadFile("testdata/iis-kb2737219-excerpt.log")
	if err != nil {
		t.Fatal(err)
	}
	fixed := bytes.ReplaceAll(raw, []byte(`*\<DateTime>*`), []byte("2012-09-12 14:03:27"))
	s, err := Parse(bytes.NewReader(fixed))
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, s)
	if s.Lines != 9 || s.Skipped != 0 || s.Other != 0 {
		t.Errorf("lines, skipped, other = %d, %d, %d; want 9, 0, 0", s.Lines, s.Skipped, s.Other)
	}
	if len(s.VDirs) != 7 { // no Inventory or Content lines
		t.Errorf("vdirs = %v; want 7 vDirs", s.VDirs)
	}
	for name, byStatus := range s.VDirs {
		want := int64(1)
		if name == "ApiRemoting30" || name == "ReportingWebService" {
			want = 2
		}
		if len(byStatus) != 1 || byStatus["500.24"] != want {
			t.Errorf("vdirs[%s] = %v; want only 500.24: %d", name, byStatus, want)
		}
	}
	for _, f := range s.TopClients {
		if f.Status != 500 || *f.Substatus != 24 || len(f.Top) != 1 || f.Top[0].IP != "fe80::e3a4:2b81:92b4:c6e7%11" {
			t.Errorf("top clients = %+v", f)
		}
	}
	for _, b := range s.Buckets {
		if b.VDir == "ReportingWebService" && b.TimeTaken.Max == 12078 && b.WUA != 1 {
			t.Errorf("the Windows-Update-Agent request is not counted as such: %+v", b)
		}
	}
}

// TestOtherSamples: evidence of other kinds uploaded as an IIS log is refused
// with the line that gave it away.
func TestOtherSamples(t *testing.T) {
	tests := []struct {
		file   string
		line   int64
		reason string
	}{
		{"events-12072-excerpt.txt", 1, "fields and no #Fields directive"},
		{"export-csv-typed.csv", 2, "1 fields and no #Fields directive"}, // line 1 is "#TYPE ...", a directive to us
		{"get-wsuscomputer-table.txt", 1, "fields and no #Fields directive"},
		{"procmon-w3wp-denied-excerpt.txt", 1, "fields and no #Fields directive"},
		{"regquery-windowsupdate.txt", 1, "fields and no #Fields directive"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			_, err = Parse(f)
			var fe *FormatError
			if !errors.As(err, &fe) || fe.Line != tt.line || !strings.Contains(fe.Reason, tt.reason) {
				t.Errorf("Parse = %v; want line %d: ...%s...", err, tt.line, tt.reason)
			}
		})
	}
}
