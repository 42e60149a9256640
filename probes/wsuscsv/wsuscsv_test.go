package wsuscsv

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/wsusfleet/wsusfleet/probes"
)

var testNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func readTestdata(tb testing.TB, name string) string {
	tb.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func ts(s string) probes.Time {
	if s == "" {
		return probes.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return probes.TimeOf(t)
}

// clientString prints what a test compares, times in RFC 3339 or "never".
func clientString(c probes.Client) string {
	tm := func(t probes.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("id=%s name=%s ip=%s os=%q ver=%s groups=%q req=%q sync=%s/%s report=%s", c.ID, c.Name, c.IP, c.OS, c.ClientVersion,
		c.Groups, c.RequestedGroup, tm(c.LastSync), c.LastSyncResult, tm(c.LastReport))
}

func checkClients(tb testing.TB, got []probes.Client, want []probes.Client) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("%d clients; want %d:\n%v", len(got), len(want), got)
	}
	for i := range want {
		if g, w := clientString(got[i]), clientString(want[i]); g != w {
			tb.Errorf("client %d\n got %s\nwant %s", i, g, w)
		}
	}
}

var enUS = []probes.Client{
	{ID: "0d7c3a4e-5b1f-4c2a-9e3d-7f1a2b3c4d5e", Name: "wks-0042.corp.example", IP: "10.1.2.42", OS: "Windows 11 Enterprise",
		ClientVersion: "10.0.22621.4391", RequestedGroup: "Workstations", LastSync: ts("2026-11-20T22:00:05Z"), LastSyncResult: "Succeeded",
		LastReport: ts("2026-11-20T22:05:00Z")},
	{ID: "1a2b3c4d-0000-4000-8000-000000000001", Name: "srv-file01.corp.example", IP: "10.1.0.11", OS: "Windows Server 2019 Datacenter",
		ClientVersion: "10.0.17763.6414", RequestedGroup: "Servers", LastSync: ts("2026-11-03T01:00:00Z"), LastSyncResult: "Failed",
		LastReport: ts("2026-10-01T12:00:00Z")},
	{ID: "2b3c4d5e-0000-4000-8000-000000000002", Name: "wks-0099.corp.example", IP: "fe80::1c2d:3e4f:5a6b:7c8d%12", OS: "Windows 10 Pro",
		ClientVersion: "10.0.19041.5129", LastSyncResult: "NeverRun"},
	{ID: "3c4d5e6f-0000-4000-8000-000000000003", Name: "kiosk-01", IP: "192.168.50.7", OS: "Windows 7 Professional",
		ClientVersion: "7.6.7600.256", RequestedGroup: "Kiosks", LastSync: ts("2026-11-21T00:30:00Z"), LastSyncResult: "Succeeded",
		LastReport: ts("2026-11-13T23:59:59Z")},
}

func TestParseFiles(t *testing.T) {
	deDE := []probes.Client{
		{ID: "5e9b7c1d-0000-4000-8000-00000000000a", Name: "pc-buchhaltung-01.firma.local", IP: "10.20.1.15", OS: "Windows 11 Pro",
			ClientVersion: "10.0.26100.2314", RequestedGroup: "Arbeitsplätze", LastSync: ts("2026-11-20T22:00:05Z"), LastSyncResult: "Succeeded",
			LastReport: ts("2026-11-20T22:05:00Z")},
		{ID: "5e9b7c1d-0000-4000-8000-00000000000b", Name: "pc-lager-07.firma.local", IP: "10.20.3.7", OS: "Windows 10 Enterprise LTSC",
			ClientVersion: "10.0.17763.6414", RequestedGroup: "Lager; Außenstelle", LastSync: ts("2026-09-02T07:45:00Z"), LastSyncResult: "Failed"},
	}
	sample := strings.Replace(readTestdata(t, "export-csv-typed.csv"), "FullDomaineName", "FullDomainName", 1)
	cases := []struct {
		name, in  string
		want      []probes.Client
		order     string
		typeName  string
		notes     []string
		ignoredN  int
		delimiter string
	}{
		{name: "Get-WsusComputer -All | Export-Csv on en-US", in: readTestdata(t, "computers-en-us.csv"), want: enUS, order: MDY,
			typeName: "Microsoft.UpdateServices.Internal.BaseApi.ComputerTarget", ignoredN: 12,
			notes: []string{"ComputerTargetGroupIds holds a .NET type name (Export-Csv cannot write lists), so group membership is unknown"}},
		{name: "Export-Csv -UseCulture -Encoding UTF8 on de-DE", in: readTestdata(t, "computers-de-de.csv"), want: deDE},
		{name: "the typed sample with its header fixed: 1970 means never", in: sample, typeName: "System.Management.Automation.PSCustomObject",
			want: []probes.Client{{Name: "toto.ipfyx.fr", IP: "1.1.1.1", OS: "Windows 7"}}, ignoredN: 4,
			notes: []string{"the columns ErrorCode, UpdateTitle, KB, ArrivalDate suggest a per-update report rather than a list of every computer: " +
				"if the file does not list every computer, upload it as partial so the others are not marked removed"}},
		{name: "UTF-16 from ConvertTo-Csv > file", in: utf16LE(readTestdata(t, "computers-en-us.csv")), want: enUS, order: MDY,
			typeName: "Microsoft.UpdateServices.Internal.BaseApi.ComputerTarget", ignoredN: 12,
			notes: []string{"ComputerTargetGroupIds holds a .NET type name (Export-Csv cannot write lists), so group membership is unknown"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Parse(strings.NewReader(tc.in), Options{Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			checkClients(t, res.Clients.Items, tc.want)
			if !res.Clients.Complete || res.DateOrder != tc.order || res.TypeName != tc.typeName || len(res.Ignored) != tc.ignoredN ||
				fmt.Sprint(res.Notes) != fmt.Sprint(tc.notes) {
				t.Errorf("complete=%v order=%q type=%q ignored=%q notes=%q", res.Clients.Complete, res.DateOrder, res.TypeName, res.Ignored, res.Notes)
			}
		})
	}
}

func utf16LE(s string) string {
	b := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return string(b)
}

const hdr = `"Id","FullDomainName","LastSyncTime","LastSyncResult","LastReportedStatusTime","ComputerTargetGroupIds"` + "\r\n"

func line(id, name, sync, result, report, groups string) string {
	return fmt.Sprintf("%q,%q,%q,%q,%q,%q\r\n", id, name, sync, result, report, groups)
}

func TestParseRows(t *testing.T) {
	cases := []struct {
		name   string
		in     string
		opt    Options
		want   []probes.Client
		order  string
		merged int
	}{
		{name: "day-first inferred from a day above 12 further down",
			in: hdr + line("a", "pc1", "03/04/2026 10:00:00", "Succeeded", "03/04/2026 10:05:00", "") +
				line("b", "pc2", "15/11/2026 08:00:00", "Succeeded", "", ""),
			want: []probes.Client{
				{ID: "a", Name: "pc1", LastSync: ts("2026-04-03T10:00:00Z"), LastSyncResult: "Succeeded", LastReport: ts("2026-04-03T10:05:00Z")},
				{ID: "b", Name: "pc2", LastSync: ts("2026-11-15T08:00:00Z"), LastSyncResult: "Succeeded"}},
			order: DMY},
		{name: "month-first inferred",
			in: hdr + line("a", "pc1", "03/04/2026 10:00:00 AM", "", "11/13/2026 1:00:00 PM", ""),
			want: []probes.Client{
				{ID: "a", Name: "pc1", LastSync: ts("2026-03-04T10:00:00Z"), LastReport: ts("2026-11-13T13:00:00Z")}},
			order: MDY},
		{name: "ambiguous, told dmy",
			in:  hdr + line("a", "pc1", "03/04/2026 10:00:00", "", "04/03/2026 10:00:00", ""),
			opt: Options{DateOrder: DMY},
			want: []probes.Client{
				{ID: "a", Name: "pc1", LastSync: ts("2026-04-03T10:00:00Z"), LastReport: ts("2026-03-04T10:00:00Z")}},
			order: DMY},
		{name: "ambiguous, told mdy",
			in:  hdr + line("a", "pc1", "03/04/2026 10:00:00", "", "04/03/2026 10:00:00", ""),
			opt: Options{DateOrder: MDY},
			want: []probes.Client{
				{ID: "a", Name: "pc1", LastSync: ts("2026-03-04T10:00:00Z"), LastReport: ts("2026-04-03T10:00:00Z")}},
			order: MDY},
		{name: "dates that read the same either way need no order",
			in:   hdr + line("a", "pc1", "04/04/2026 10:00:00", "", "1/1/0001 12:00:00 AM", ""),
			want: []probes.Client{{ID: "a", Name: "pc1", LastSync: ts("2026-04-04T10:00:00Z")}}},
		{name: "group ids, well-known ones named; braces and case of ids",
			in: hdr + line("{0D7C3A4E-0000-4000-8000-000000000001}", "pc1", "", "neverrun", "",
				"a0a08746-4dbe-4a37-9adf-9e7652c0b421;B73CA6ED-5727-47F3-84DE-015E03F6A88A;7c1e3b0a-1111-4222-8333-944455556666"),
			want: []probes.Client{{ID: "0D7C3A4E-0000-4000-8000-000000000001", Name: "pc1", LastSyncResult: "NeverRun",
				Groups: []string{"All Computers", "Unassigned Computers", "7c1e3b0a-1111-4222-8333-944455556666"}}}},
		{name: "a repeated identical row is merged; same name with another id is another target",
			in: hdr + line("a", "pc1", "", "", "2026-11-20T10:00:00Z", "") + line("a", "pc1", "", "", "2026-11-20T10:00:00Z", "") +
				line("b", "PC1", "", "", "2026-11-21T10:00:00Z", ""),
			want: []probes.Client{{ID: "a", Name: "pc1", LastReport: ts("2026-11-20T10:00:00Z")},
				{ID: "b", Name: "PC1", LastReport: ts("2026-11-21T10:00:00Z")}},
			merged: 1},
		{name: "header names with spaces and odd case; no Id column",
			in:   "\"full domain name\",\"Last_Reported_Status_Time\",\"IPADDRESS\"\n\"pc1\",\"2026-11-20 10:00:00\",\"10.0.0.1\"\n",
			want: []probes.Client{{Name: "pc1", IP: "10.0.0.1", LastReport: ts("2026-11-20T10:00:00Z")}}},
		{name: "tab separated, unquoted (PowerShell 7 -UseQuotes Never)",
			in:   "FullDomainName\tLastReportedStatusTime\npc1\t2026-11-20T10:00:00Z\n",
			want: []probes.Client{{Name: "pc1", LastReport: ts("2026-11-20T10:00:00Z")}}},
		{name: "Windows-1252 field (Export-Csv -Encoding Default)",
			in:   "\"FullDomainName\",\"LastReportedStatusTime\",\"RequestedTargetGroupName\"\r\n\"pc1\",\"\",\"Arbeitspl\xe4tze \x80\"\r\n",
			want: []probes.Client{{Name: "pc1", RequestedGroup: "Arbeitsplätze €"}}},
		{name: "partial upload", in: hdr + line("a", "pc1", "", "", "", ""), opt: Options{Partial: true},
			want: []probes.Client{{ID: "a", Name: "pc1"}}},
		{name: "no final newline", in: strings.TrimSuffix(hdr+line("a", "pc1", "", "", "", ""), "\r\n"),
			want: []probes.Client{{ID: "a", Name: "pc1"}}},
		{name: "header only", in: hdr, want: []probes.Client{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opt := tc.opt
			opt.Now = testNow
			res, err := Parse(strings.NewReader(tc.in), opt)
			if err != nil {
				t.Fatal(err)
			}
			checkClients(t, res.Clients.Items, tc.want)
			if res.DateOrder != tc.order || res.Merged != tc.merged || res.Clients.Complete == tc.opt.Partial {
				t.Errorf("order %q merged %d complete %v; want %q %d %v", res.DateOrder, res.Merged, res.Clients.Complete, tc.order, tc.merged, !tc.opt.Partial)
			}
		})
	}
}

func TestParseRefusals(t *testing.T) {
	good := line("a", "pc1", "", "", "", "")
	var many strings.Builder
	many.WriteString(hdr)
	for i := range 25 {
		many.WriteString(line(fmt.Sprint(i), "bad name", "", "", "", ""))
	}
	cases := []struct {
		name, in string
		opt      Options
		syntax   bool
		msgs     []string
	}{
		{name: "the typed sample: misspelled header", in: readTestdata(t, "export-csv-typed.csv"),
			msgs: []string{`line 2: no FullDomainName column (it names each computer); the header has "FullDomaineName": did you mean FullDomainName?`}},
		{name: "table output sample", in: readTestdata(t, "get-wsuscomputer-table.txt"), syntax: true,
			msgs: []string{"line 2: this is the table that Get-WsusComputer -All prints (headings Computer IP Address Operating System Last Status Report), not CSV: " +
				"a table cuts long values and wraps others onto the next lines; export with " + exportHint}},
		{name: "table output without the prompt", in: strings.SplitN(readTestdata(t, "get-wsuscomputer-table.txt"), "\n", 2)[1], syntax: true,
			msgs: []string{"line 1: this is PowerShell table output (Format-Table) (headings Computer IP Address Operating System Last Status Report), not CSV: " +
				"a table cuts long values and wraps others onto the next lines; export with " + exportHint}},
		{name: "table output pasted in Markdown", in: "```\n" + strings.ReplaceAll("> "+readTestdata(t, "get-wsuscomputer-table.txt"), "\n", "\n> ") + "\n```\n", syntax: true,
			msgs: []string{"line 3: this is the table that Get-WsusComputer -All prints (headings Computer IP Address Operating System Last Status Report), not CSV: " +
				"a table cuts long values and wraps others onto the next lines; export with " + exportHint}},
		{name: "list output", in: readTestdata(t, "get-wsuscomputer-list.txt"), syntax: true,
			msgs: []string{"line 4: this is PowerShell list output (Format-List: one \"Property : value\" line each, 2 computers so far, properties UpdateServer, Id, FullDomainName, IPAddress, Make), not CSV: export with " + exportHint}},
		{name: "list output, UTF-16 from >", in: utf16LE(readTestdata(t, "get-wsuscomputer-list.txt")), syntax: true,
			msgs: []string{"line 4: this is PowerShell list output (Format-List: one \"Property : value\" line each, 2 computers so far, properties UpdateServer, Id, FullDomainName, IPAddress, Make), not CSV: export with " + exportHint}},
		{name: "both required columns missing", in: "\"Name\",\"LastSeen\"\r\n\"pc1\",\"x\"\r\n",
			msgs: []string{"line 1: no FullDomainName column (it names each computer); no LastReportedStatusTime column (without it every computer would look never reported) (export with " + exportHint + ")"}},
		{name: "ambiguous dates", in: hdr + good + line("b", "pc2", "03/04/2026 10:00:00", "", "05/04/2026 10:00:00", ""),
			msgs: []string{`cannot tell whether dates like "03/04/2026 10:00:00" (line 3) are day/month or month/day: no date in the file has a day above 12; pass ?date_order=dmy or ?date_order=mdy`}},
		{name: "mixed orders", in: hdr + line("a", "pc1", "25/04/2026 10:00:00", "", "", "") + line("b", "pc2", "", "", "04/25/2026 10:00:00", ""),
			msgs: []string{`the dates mix day-first (line 2: "25/04/2026 10:00:00") and month-first (line 3: "04/25/2026 10:00:00") orders`}},
		{name: "a date that does not fit the order asked", in: hdr + line("a", "pc1", "25/04/2026 10:00:00", "", "", ""), opt: Options{DateOrder: MDY},
			msgs: []string{`line 2: LastSyncTime "25/04/2026 10:00:00" is not a valid mdy date`}},
		{name: "bad date order option", in: hdr, opt: Options{DateOrder: "ymd"}, msgs: []string{`date order "ymd": use dmy (day first) or mdy (month first)`}},
		{name: "not a date", in: hdr + line("a", "pc1", "yesterday", "", "20/11/26 10:00", ""),
			msgs: []string{`line 2: LastSyncTime "yesterday" is not a date (not a date)`, `line 2: LastReportedStatusTime "20/11/26 10:00" is not a date (two-digit years are ambiguous)`}},
		{name: "future report", in: hdr + line("a", "pc1", "", "", "2027-01-01T00:00:00Z", ""),
			msgs: []string{"line 2: LastReportedStatusTime is more than a day in the future (2027-01-01T00:00:00Z); check the collector's clock"}},
		{name: "name problems", in: hdr + line("a", "pc 1", "", "", "", "") + line("b", "", "", "", "", "") + line("c", strings.Repeat("x", 254), "", "", "", "") +
			line("d!", "pc4", "", "", "", "") + line("e", "pc5", "", "Maybe", "", ""),
			msgs: []string{`line 3: FullDomainName is empty`, `line 6: LastSyncResult "Maybe" is not one of Succeeded, Failed, Canceled, NeverRun, Running, Unknown`}},
		{name: "validation names line and column", in: hdr + line("a", "pc 1", "", "", "", "") + line("c", strings.Repeat("x", 254), "", "", "", "") +
			line("d!", "pc4", "", "", "", ""),
			msgs: []string{`line 2: FullDomainName must be a host name without spaces; got "pc 1"`, `line 3: FullDomainName is 254 bytes long; at most 253 allowed`,
				`line 4: Id may contain only letters, digits and - _ . : { }; got "d!"`}},
		{name: "conflicting duplicate", in: hdr + line("a", "pc1", "", "", "2026-11-20T10:00:00Z", "") + line("A", "pc1", "", "", "2026-11-21T10:00:00Z", ""),
			msgs: []string{`line 3: computer "pc1" (Id A) is already on line 2 with different values`}},
		{name: "too many problems", in: many.String(), msgs: append(func() []string {
			var out []string
			for i := range 20 {
				out = append(out, fmt.Sprintf(`line %d: FullDomainName must be a host name without spaces; got "bad name"`, i+2))
			}
			return out
		}(), "stopped after 20 problems")},
		{name: "empty", in: "", syntax: true, msgs: []string{"the input is empty; expected the output of " + exportHint}},
		{name: "BOM and blank lines", in: "\xef\xbb\xbf\r\n \r\n", syntax: true, msgs: []string{"the input is empty; expected the output of " + exportHint}},
		{name: "only the #TYPE line", in: "#TYPE Microsoft.UpdateServices.Internal.BaseApi.ComputerTarget\r\n", syntax: true,
			msgs: []string{"line 2: no CSV header: expected the output of " + exportHint}},
		{name: "binary junk", in: "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", syntax: true,
			msgs: []string{"the input is an image (a screenshot?): send the text itself; expected the output of " + exportHint}},
		{name: "NUL in text", in: hdr + "\"a\",\"b\x00\"\r\n", syntax: true,
			msgs: []string{"line 2: binary data (a NUL byte), not text; expected the output of " + exportHint}},
		{name: "binary junk without NUL", in: "\x01\x02\x03\xfe\xfd,\x04\n", syntax: true,
			msgs: []string{"the input is binary, not text (4 control characters in its first 8 bytes); expected the output of " + exportHint}},
		{name: "broken gzip", in: "\x1f\x8b\x08\x00\x00\x00", syntax: true, msgs: []string{"the input starts like gzip data but is not: unexpected EOF; expected the output of " + exportHint}},
		{name: "unbalanced quotes", in: hdr + good + `"b","pc2,"","","","",""` + "\r\n" + good, syntax: true,
			msgs: []string{"line 3: a quoted field is not closed by line 4 (unbalanced quotes or truncated file)"}},
		{name: "unbalanced quotes after #TYPE", in: "#TYPE x\r\n" + hdr + `"b","pc2,"","","","",""` + "\r\n", syntax: true,
			msgs: []string{"line 3, column 25: unbalanced quotes: a quoted field is not closed properly (or the file is truncated)"}},
		{name: "stray quote in a quoted field", in: hdr + `"b","pc"2","","","",""` + "\r\n", syntax: true,
			msgs: []string{"line 2, column 8: unbalanced quotes: a quoted field is not closed properly (or the file is truncated)"}},
		{name: "truncated in a quoted field", in: hdr + good + `"b","pc`, syntax: true,
			msgs: []string{"line 3, column 9: unbalanced quotes: a quoted field is not closed properly (or the file is truncated)"}},
		{name: "truncated row", in: hdr + good + `"b","pc2","",""` + "\r\n", syntax: true,
			msgs: []string{"line 3: the row has 4 fields but the header has 6 (truncated or edited file?)"}},
		{name: "bare quote", in: "FullDomainName,LastReportedStatusTime\npc\"1,\n", syntax: true,
			msgs: []string{`line 2, column 3: a " inside an unquoted field (unbalanced quotes)`}},
		{name: "line too long", in: hdr + strings.Repeat("x", maxLineBytes+1), syntax: true,
			msgs: []string{"line 2: the line is longer than 64 KiB; expected the output of " + exportHint}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opt := tc.opt
			opt.Now = testNow
			_, err := Parse(strings.NewReader(tc.in), opt)
			var v *probes.ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("err = %v; want a *probes.ValidationError", err)
			}
			var got []string
			for _, e := range v.Errors {
				got = append(got, e.Detail)
			}
			if v.Syntax != tc.syntax || fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.msgs) {
				t.Errorf("got syntax=%v\n%q\nwant syntax=%v\n%q", v.Syntax, got, tc.syntax, tc.msgs)
			}
		})
	}
}

// A reader error (e.g. http.MaxBytesReader's) is returned as it is.
func TestParseReaderError(t *testing.T) {
	boom := errors.New("boom")
	if _, err := Parse(&failingReader{data: hdr, err: boom}, Options{}); !errors.Is(err, boom) {
		t.Fatalf("err = %v; want boom", err)
	}
	if _, err := Parse(&failingReader{err: boom}, Options{}); !errors.Is(err, boom) {
		t.Fatalf("err = %v; want boom", err)
	}
}

type failingReader struct {
	data string
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestParseNotes(t *testing.T) {
	in := "\"FullDomainName\",\"IPAdress\",\"LastReportedStatusTime\",\"Make\",\"UpdateTitle\",\"KB\"\r\n\"pc1\",\"10.0.0.1\",\"\",\"Dell\",\"x\",\"1\"\r\n"
	res, err := Parse(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`column "IPAdress" ignored: did you mean IPAddress?`,
		"the columns UpdateTitle, KB suggest a per-update report rather than a list of every computer: " +
			"if the file does not list every computer, upload it as partial so the others are not marked removed"}
	if fmt.Sprintf("%q", res.Notes) != fmt.Sprintf("%q", want) || fmt.Sprint(res.Ignored) != "[IPAdress Make UpdateTitle KB]" {
		t.Errorf("notes %q ignored %q", res.Notes, res.Ignored)
	}
	if res.Clients.Items[0].IP != "" {
		t.Errorf("a near miss must not be read: %+v", res.Clients.Items[0])
	}
}
