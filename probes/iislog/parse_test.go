package iislog

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

const (
	header85 = "#Software: Microsoft Internet Information Services 10.0\n" +
		"#Version: 1.0\n" +
		"#Date: 2026-11-21 09:00:00\n" +
		"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n"
	wua     = "Windows-Update-Agent/10.0.10011.16384+Client-Protocol/2.50"
	browser = "Mozilla/4.0+(compatible;+MSIE+6.0;+MS+Web+Services+Client+Protocol+4.0.30319.1)"
)

// line85 writes one request in the IIS 8.5+ default field order.
func line85(clock, stem, ip, ua, status, timeTaken string) string {
	return "2026-11-21 " + clock + " 10.0.0.5 POST " + stem + " - 8530 - " + ip + " " + ua + " - " + status + " " + timeTaken + "\n"
}

// line7 writes one request in the IIS 7.x default field order (no cs(Referer)).
func line7(clock, stem, ip, ua, status, timeTaken string) string {
	return "2026-11-21 " + clock + " 10.0.0.5 POST " + stem + " - 8530 - " + ip + " " + ua + " " + status + " " + timeTaken + "\n"
}

func TestParse(t *testing.T) {
	type counts map[string]map[string]int64
	tests := []struct {
		name         string
		log          string
		lines        int64
		skipped      int64
		skippedLines []int64
		other        int64
		vdirs        counts
		first, last  string
		check        func(t *testing.T, s *Summary)
	}{
		{
			name: "IIS 8.5 with directives",
			log: header85 +
				line85("09:15:02", "/ClientWebService/client.asmx", "10.1.2.42", wua, "200 0 0", "312") +
				line85("09:15:03", "/SimpleAuthWebService/SimpleAuth.asmx", "10.1.2.42", wua, "200 0 0", "15") +
				line85("09:16:00", "/ClientWebService/client.asmx", "10.1.2.43", wua, "401 2 5", "2") +
				"#Remark: a remark\n" +
				line85("10:01:00", "/", "10.1.2.44", browser, "200 0 0", "1"),
			lines: 4, other: 1,
			vdirs: counts{"ClientWebService": {"200.0": 1, "401.2": 1}, "SimpleAuthWebService": {"200.0": 1}},
			first: "2026-11-21T09:15:02Z", last: "2026-11-21T10:01:00Z",
		},
		{
			name: "fields change mid-file",
			log: header85 +
				line85("09:00:00", "/ClientWebService/client.asmx", "10.1.2.42", wua, "200 0 0", "30") +
				"#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2026-11-21 11:00:00\n" +
				"#Fields: date time cs-uri-stem c-ip sc-status sc-substatus sc-win32-status time-taken cs-bytes\n" +
				"2026-11-21 11:00:00 /ClientWebService/client.asmx 10.1.2.42 503 0 0 1 250\n" +
				"2026-11-21 11:00:01 /Content/3F/ABCD.cab 10.1.2.42 200 0 0 12 52000\n",
			lines: 3,
			vdirs: counts{"ClientWebService": {"200.0": 1, "503.0": 1}, "Content": {"200.0": 1}},
			first: "2026-11-21T09:00:00Z", last: "2026-11-21T11:00:01Z",
		},
		{
			name: "any field order, case-insensitive field names",
			log: "#Fields: sc-substatus TIME-TAKEN c-ip sc-status cs-uri-stem Time date sc-win32-status\n" +
				"3 40 10.1.2.9 401 /Content/00/X.cab 08:30:00 2026-11-20 5\n",
			lines: 1,
			vdirs: counts{"Content": {"401.3": 1}},
			first: "2026-11-20T08:30:00Z", last: "2026-11-20T08:30:00Z",
			check: func(t *testing.T, s *Summary) {
				b := s.Buckets[0]
				if *b.Win32Status != 5 || b.TimeTaken.Max != 40 || b.Clients != 1 {
					t.Errorf("bucket = %+v", b)
				}
			},
		},
		{
			name: "BOM and CRLF",
			log: strings.ReplaceAll("\ufeff"+header85+
				line85("09:15:02", "/ClientWebService/client.asmx", "10.1.2.42", wua, "200 0 0", "312"), "\n", "\r\n"),
			lines: 1,
			vdirs: counts{"ClientWebService": {"200.0": 1}},
			first: "2026-11-21T09:15:02Z", last: "2026-11-21T09:15:02Z",
			check: func(t *testing.T, s *Summary) {
				if tt := s.Buckets[0].TimeTaken; tt.Max != 312 { // "312\r" would not parse
					t.Errorf("time-taken = %+v", tt)
				}
			},
		},
		{
			name: "BOM of a concatenated second log",
			log: header85 + line85("09:00:00", "/Inventory/", "10.1.2.1", wua, "200 0 0", "1") +
				"\ufeff" + header85 + line85("09:00:01", "/Inventory/", "10.1.2.1", wua, "200 0 0", "1"),
			lines: 2, vdirs: counts{"Inventory": {"200.0": 2}},
			first: "2026-11-21T09:00:00Z", last: "2026-11-21T09:00:01Z",
		},
		{
			name: "+ in user agents, WUA vs others",
			log: header85 +
				line85("09:00:00", "/ClientWebService/client.asmx", "10.1.2.1", wua, "200 0 0", "1") +
				line85("09:00:01", "/ClientWebService/client.asmx", "10.1.2.2", "windows-update-agent", "200 0 0", "1") +
				line85("09:00:02", "/ClientWebService/client.asmx", "10.1.2.3", browser, "200 0 0", "1") +
				line85("09:00:03", "/ClientWebService/client.asmx", "10.1.2.4", "-", "200 0 0", "1"),
			lines: 4, vdirs: counts{"ClientWebService": {"200.0": 4}},
			first: "2026-11-21T09:00:00Z", last: "2026-11-21T09:00:03Z",
			check: func(t *testing.T, s *Summary) {
				if b := s.Buckets[0]; b.WUA != 2 || b.OtherUA != 2 || b.Clients != 4 {
					t.Errorf("bucket = %+v, want 2 WUA, 2 other, 4 clients", b)
				}
			},
		},
		{
			name: "IPv6 with zone ids",
			log: header85 +
				line85("09:00:00", "/SimpleAuthWebService/SimpleAuth.asmx", "fe80::e3a4:2b81:92b4:c6e7%11", wua, "401 1 1326", "3") +
				line85("09:00:01", "/SimpleAuthWebService/SimpleAuth.asmx", "fe80::e3a4:2b81:92b4:c6e7%11", wua, "401 1 1326", "3") +
				line85("09:00:02", "/SimpleAuthWebService/SimpleAuth.asmx", "2001:db8::7", wua, "401 1 1326", "3") +
				line85("09:00:03", "/SimpleAuthWebService/SimpleAuth.asmx", "-", wua, "401 1 1326", "3"),
			lines: 4, vdirs: counts{"SimpleAuthWebService": {"401.1": 4}},
			first: "2026-11-21T09:00:00Z", last: "2026-11-21T09:00:03Z",
			check: func(t *testing.T, s *Summary) {
				if s.Buckets[0].Clients != 2 {
					t.Errorf("clients = %d, want 2", s.Buckets[0].Clients)
				}
				want := []ClientCount{{IP: "fe80::e3a4:2b81:92b4:c6e7%11", Requests: 2}, {IP: "2001:db8::7", Requests: 1}}
				if got := s.TopClients[0]; got.Requests != 4 || got.Clients != 2 || !reflect.DeepEqual(got.Top, want) {
					t.Errorf("top clients = %+v, want 4 requests from 2 clients %v", got, want)
				}
			},
		},
		{
			name: "case-insensitive vDirs",
			log: header85 +
				line85("09:00:00", "/ClientWebService/Client.asmx", "10.1.2.1", wua, "200 0 0", "1") +
				line85("09:00:01", "/clientwebservice/client.asmx", "10.1.2.1", wua, "200 0 0", "1") +
				line85("09:00:02", "/CLIENTWEBSERVICE/wusserverversion.xml", "10.1.2.1", wua, "200 0 0", "1") +
				line85("09:00:03", "/SelfUpdate/wuident.cab", "10.1.2.1", wua, "200 0 0", "1") +
				line85("09:00:04", "/selfupdate/iuident.cab", "10.1.2.1", wua, "200 0 0", "1") +
				line85("09:00:05", "/clientwebservicex/client.asmx", "10.1.2.1", wua, "404 0 2", "1"),
			lines: 6, other: 1,
			vdirs: counts{"ClientWebService": {"200.0": 3}, "SelfUpdate": {"200.0": 2}},
			first: "2026-11-21T09:00:00Z", last: "2026-11-21T09:00:05Z",
		},
		{
			name: "headerless IIS 7.x lines",
			log: line7("09:00:00", "/ClientWebService/client.asmx", "10.1.2.1", wua, "500 24 50", "508") +
				line7("09:00:01", "/ApiRemoting30/WebService.asmx", "10.1.2.1", browser, "401 2 5", "8"),
			lines: 2, vdirs: counts{"ClientWebService": {"500.24": 1}, "ApiRemoting30": {"401.2": 1}},
			first: "2026-11-21T09:00:00Z", last: "2026-11-21T09:00:01Z",
		},
		{
			name: "headerless IIS 8.5 lines, then directives",
			log: line85("09:00:00", "/ClientWebService/client.asmx", "10.1.2.1", wua, "200 0 0", "1") +
				header85 + line85("09:00:01", "/ClientWebService/client.asmx", "10.1.2.1", wua, "200 0 0", "1"),
			lines: 2, vdirs: counts{"ClientWebService": {"200.0": 2}},
			first: "2026-11-21T09:00:00Z", last: "2026-11-21T09:00:01Z",
		},
		{
			name: "malformed lines skipped and counted",
			log: header85 + // lines 1-4
				line85("09:00:00", "/ClientWebService/client.asmx", "10.1.2.1", wua, "200 0 0", "1") + // 5
				"2026-11-21 09:00:01 10.0.0.5 POST /ClientWebService/client.asmx - 8530\n" + // 6: too few fields
				line85("09:00:02", "/ClientWebService/client.asmx", "10.1.2.1", "Windows Update Agent", "200 0 0", "1") + // 7: too many
				line85("25:00:00", "/ClientWebService/client.asmx", "10.1.2.1", wua, "200 0 0", "1") + // 8: hour
				strings.Replace(line85("09:00:03", "/ClientWebService/client.asmx", "10.1.2.1", wua, "200 0 0", "1"), "2026-11-21", "2026-02-30", 1) + // 9: date
				line85("09:00:04", "/ClientWebService/client.asmx", "10.1.2.1", wua, "abc 0 0", "1") + // 10: status
				line85("09:00:05", "/ClientWebService/client.asmx", "10.1.2.1", wua, "200 x 0", "1") + // 11: substatus
				line85("09:00:06", "/ClientWebService/client.asmx", "10.1.2.1", wua, "200 0 0", "-5") + // 12: time-taken
				line85("09:00:07", "/ClientWebService/client.asmx", "<script>", wua, "200 0 0", "1") + // 13: c-ip
				line85("09:00:08", "/ClientWebService/client.asmx", "10.1.2.1", wua, "-", "1") + // 14: wrong count again
				"\n   \n" + // 15, 16: blank lines are not data
				line85("09:00:09", "/ClientWebService/client.asmx", "10.1.2.1", wua, "200 0 0", "1"), // 17
			lines: 2, skipped: 9, skippedLines: []int64{6, 7, 8, 9, 10, 11, 12, 13, 14},
			vdirs: counts{"ClientWebService": {"200.0": 2}},
			first: "2026-11-21T09:00:00Z", last: "2026-11-21T09:00:09Z",
		},
		{
			name: "only the first 10 skipped lines are listed",
			log: header85 + strings.Repeat("2026-11-21 junk\n", 12) +
				line85("09:00:00", "/Content/", "10.1.2.1", wua, "403 14 0", "1"),
			lines: 1, skipped: 12, skippedLines: []int64{5, 6, 7, 8, 9, 10, 11, 12, 13, 14},
			vdirs: counts{"Content": {"403.14": 1}},
			first: "2026-11-21T09:00:00Z", last: "2026-11-21T09:00:00Z",
		},
		{
			name: "a log of another site finds no WSUS vDirs",
			log: header85 +
				line85("09:00:00", "/", "10.9.9.9", browser, "200 0 0", "1") +
				line85("09:00:01", "/intranet/index.aspx", "10.9.9.9", browser, "200 0 0", "10") +
				line85("09:00:02", "/favicon.ico", "10.9.9.9", browser, "404 0 2", "1"),
			lines: 3, other: 3, vdirs: counts{},
			first: "2026-11-21T09:00:00Z", last: "2026-11-21T09:00:02Z",
			check: func(t *testing.T, s *Summary) {
				if len(s.Buckets) != 0 || len(s.TopClients) != 0 {
					t.Errorf("buckets %v, top clients %v; want none", s.Buckets, s.TopClients)
				}
			},
		},
		{
			name: "no sc-substatus or time-taken logged",
			log: "#Fields: date time cs-uri-stem sc-status\n" +
				"2026-11-21 09:00:00 /ClientWebService/client.asmx 401\n",
			lines: 1, vdirs: counts{"ClientWebService": {"401": 1}},
			first: "2026-11-21T09:00:00Z", last: "2026-11-21T09:00:00Z",
			check: func(t *testing.T, s *Summary) {
				b := s.Buckets[0]
				if b.Substatus != nil || b.Win32Status != nil || b.TimeTaken != nil || b.Clients != 0 || b.OtherUA != 1 {
					t.Errorf("bucket = %+v", b)
				}
				if f := s.TopClients[0]; f.Requests != 1 || f.Clients != 0 || len(f.Top) != 0 {
					t.Errorf("fault = %+v", f)
				}
			},
		},
		{
			name:  "- for empty values",
			log:   header85 + line85("09:00:00", "/Inventory/", "-", "-", "301 0 -", "-"),
			lines: 1, vdirs: counts{"Inventory": {"301.0": 1}},
			first: "2026-11-21T09:00:00Z", last: "2026-11-21T09:00:00Z",
			check: func(t *testing.T, s *Summary) {
				if b := s.Buckets[0]; b.Win32Status != nil || b.TimeTaken != nil || b.Clients != 0 {
					t.Errorf("bucket = %+v", b)
				}
			},
		},
		{
			name: "markdown quote marker, doubled and trailing spaces",
			log: "> 2026-11-21 09:00:00 10.0.0.5 GET /selfupdate/iuident.cab - 8530 - 10.1.2.1 -  500 24 50 3715  \n" +
				">2026-11-21 09:00:01 10.0.0.5 GET /selfupdate/iuident.cab - 8530 - 10.1.2.1 - 500 24 50 3715\t\n",
			lines: 2, vdirs: counts{"SelfUpdate": {"500.24": 2}},
			first: "2026-11-21T09:00:00Z", last: "2026-11-21T09:00:01Z",
		},
		{
			name:  "fractional seconds and no trailing newline",
			log:   "#Fields: date time cs-uri-stem sc-status sc-substatus\n2026-11-21 23:59:59.999 /Content/x 200 0",
			lines: 1, vdirs: counts{"Content": {"200.0": 1}},
			first: "2026-11-21T23:59:59Z", last: "2026-11-21T23:59:59Z",
		},
		{
			name: "a #Fields block lacking sc-status is fine without data lines",
			log: "#Fields: date time cs-uri-stem\n" + header85 +
				line85("09:00:00", "/Content/x", "10.1.2.1", wua, "200 0 0", "1"),
			lines: 1, vdirs: counts{"Content": {"200.0": 1}},
			first: "2026-11-21T09:00:00Z", last: "2026-11-21T09:00:00Z",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(strings.NewReader(tt.log))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if s.Lines != tt.lines || s.Skipped != tt.skipped || s.Other != tt.other {
				t.Errorf("lines, skipped, other = %d, %d, %d; want %d, %d, %d", s.Lines, s.Skipped, s.Other, tt.lines, tt.skipped, tt.other)
			}
			if !reflect.DeepEqual(s.SkippedLines, tt.skippedLines) {
				t.Errorf("skipped lines = %v, want %v", s.SkippedLines, tt.skippedLines)
			}
			if !maps.EqualFunc(s.VDirs, tt.vdirs, maps.Equal) {
				t.Errorf("vdirs = %v, want %v", s.VDirs, tt.vdirs)
			}
			if got := s.First.Format(time.RFC3339); got != tt.first {
				t.Errorf("first = %s, want %s", got, tt.first)
			}
			if got := s.Last.Format(time.RFC3339); got != tt.last {
				t.Errorf("last = %s, want %s", got, tt.last)
			}
			checkInvariants(t, s)
			if tt.check != nil && !t.Failed() {
				tt.check(t, s)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name   string
		log    string
		line   int64
		reason string // a substring
	}{
		{"empty", "", 0, "empty"},
		{"only blank lines", "\n\r\n  \n", 0, "no request lines"},
		{"only directives", header85, 0, "no request lines"},
		{"nothing parses", header85 + "2026-11-21 junk\n" + line85("09:00:00", "/Content/", "10.1.2.1", wua, "x 0 0", "1"),
			0, "no request line could be parsed: 2 malformed lines skipped (first, line 5: 2 fields where the #Fields directive at line 4 has 15)"},
		{"headerless 13 fields", line7("09:00:00", "/Content/", "10.1.2.1", wua, "200 0", "1"), 1, "13 fields and no #Fields directive"},
		{"headerless 16 fields, after good lines",
			"#Software: Microsoft Internet Information Services 10.0\n" +
				line7("09:00:00", "/Content/", "10.1.2.1", wua, "200 0 0", "1") +
				line85("09:00:00", "/Content/", "10.1.2.1", wua, "200 0 0 0", "1"),
			3, "16 fields"},
		{"a text file that is no log", "Hello,\nthis is not a log.\n", 1, "1 fields and no #Fields"},
		{"#Fields lacking sc-status", "#Fields: date time cs-uri-stem c-ip\n2026-11-21 09:00:00 /Content/ 10.1.2.1\n", 2,
			"the #Fields directive at line 1 lacks sc-status"},
		{"#Fields lacking date and time", "#Fields: cs-uri-stem sc-status\n/Content/ 200\n", 2, "lacks date, time"},
		{"NUL bytes", "#Fields: date\x00\x00\x00", 0, "binary, not text (byte 13 is NUL)"},
		{"control characters", strings.Repeat("\x01\x02\x03ab", 40), 0, "binary, not text"},
		{"gzip", "\x1f\x8b\x08\x00\x00\x00\x00\x00", 0, "gzip-compressed"},
		{"zip", "PK\x03\x04\x14\x00", 0, "ZIP archive"},
		{"UTF-16", "\xff\xfe#\x00F\x00", 0, "UTF-16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(strings.NewReader(tt.log))
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse = %+v, %v; want a *FormatError", s, err)
			}
			if fe.Line != tt.line || !strings.Contains(fe.Reason, tt.reason) {
				t.Errorf("error = line %d %q; want line %d and %q", fe.Line, fe.Reason, tt.line, tt.reason)
			}
			want := "iislog: " + fe.Reason
			if tt.line > 0 {
				want = fmt.Sprintf("iislog: line %d: %s", tt.line, fe.Reason)
			}
			if err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
			var ve *probes.ValidationError
			if !errors.As(err, &ve) || !ve.Syntax || len(ve.Errors) != 1 || ve.Errors[0].Line != tt.line || "iislog: "+ve.Errors[0].String() != want {
				t.Errorf("as a ValidationError: %+v", ve)
			}
		})
	}
}

func TestParseLongLine(t *testing.T) {
	log := header85 +
		"2026-11-21 09:00:00 10.0.0.5 GET /Content/" + strings.Repeat("x", 200<<10) + " - 8530 - 10.1.2.1 - - 200 0 0 1\n" +
		line85("09:00:01", "/Content/a", "10.1.2.1", wua, "200 0 0", "1")
	s, err := Parse(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	if s.Lines != 1 || s.Skipped != 1 || !reflect.DeepEqual(s.SkippedLines, []int64{5}) {
		t.Errorf("lines %d, skipped %d %v; want 1, 1 [5]", s.Lines, s.Skipped, s.SkippedLines)
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errors.New("connection reset")
	}
	r.n--
	return copy(p, header85), nil
}

func TestParseReadError(t *testing.T) {
	_, err := Parse(&failingReader{n: 1})
	var fe *FormatError
	if err == nil || errors.As(err, &fe) || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("Parse = %v; want the reader's error, not a FormatError", err)
	}
}

// checkInvariants holds for every successful Parse.
func checkInvariants(tb testing.TB, s *Summary) {
	tb.Helper()
	var inVDirs, inBuckets, inFaults, faultBuckets int64
	for _, byStatus := range s.VDirs {
		for _, n := range byStatus {
			inVDirs += n
		}
	}
	for _, b := range s.Buckets {
		inBuckets += b.Requests
		if b.Status >= 400 {
			faultBuckets += b.Requests
		}
		if b.WUA+b.OtherUA != b.Requests || b.Clients > b.Requests || b.Hour.Before(s.First.Truncate(time.Hour)) || b.Hour.After(s.Last) {
			tb.Errorf("inconsistent bucket %+v", b)
		}
		if l := b.TimeTaken; l != nil && (l.P50 > l.P95 || l.P95 > l.Max || l.N > b.Requests) {
			tb.Errorf("inconsistent time-taken %+v", *l)
		}
	}
	for _, f := range s.TopClients {
		inFaults += f.Requests
		var top int64
		for _, c := range f.Top {
			top += c.Requests
		}
		if top > f.Requests || int64(len(f.Top)) > f.Clients || len(f.Top) > 10 || f.Followed > f.Requests || (f.Followed > 0 && (f.Status != 401 || f.Substatus == nil || *f.Substatus != 1)) {
			tb.Errorf("inconsistent top clients %+v", f)
		}
	}
	if inVDirs+s.Other != s.Lines || inBuckets != inVDirs || inFaults != faultBuckets {
		tb.Errorf("lines %d = vdirs %d + other %d? buckets %d, faults %d of %d", s.Lines, inVDirs, s.Other, inBuckets, inFaults, faultBuckets)
	}
	if s.Last.Before(s.First) || int64(len(s.SkippedLines)) > s.Skipped {
		tb.Errorf("first %v, last %v, skipped %d %v", s.First, s.Last, s.Skipped, s.SkippedLines)
	}
}
