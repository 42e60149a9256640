package procmon

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const header = `"Time of Day","Process Name","PID","Operation","Path","Result","Detail"` + "\r\n"

func parseString(tb testing.TB, s string) (*probes.DenialDigest, error) {
	tb.Helper()
	d, err := Parse(strings.NewReader(s))
	if err == nil {
		if verr := d.Validate(time.Time{}); verr != nil {
			tb.Fatalf("digest does not validate: %v", verr)
		}
	}
	return d, err
}

func row(fields ...string) string {
	for i, f := range fields {
		fields[i] = `"` + strings.ReplaceAll(f, `"`, `""`) + `"`
	}
	return strings.Join(fields, ",") + "\r\n"
}

// The realistic capture: every §7.5 folder, registry, sqlservr, the
// CERTIFICATE exclusion, other processes, case-insensitive grouping.
func TestParseCapture(t *testing.T) {
	data, err := os.ReadFile("testdata/denied-capture.csv")
	if err != nil {
		t.Fatal(err)
	}
	d, err := parseString(t, string(data))
	if err != nil {
		t.Fatal(err)
	}
	if d.Rows != 21 || d.Denied != 17 || d.Kept != 14 || d.Unlisted != 0 {
		t.Errorf("rows/denied/kept/unlisted = %d/%d/%d/%d; want 21/17/14/0", d.Rows, d.Denied, d.Kept, d.Unlisted)
	}
	wantOthers := []probes.ProcessCount{{Process: "svchost.exe", Count: 2}, {Process: "MsMpEng.exe", Count: 1}}
	if fmt.Sprint(d.OtherProcesses) != fmt.Sprint(wantOthers) {
		t.Errorf("other processes = %v; want %v", d.OtherProcesses, wantOthers)
	}
	type want struct {
		process, path, op string
		count             int64
		first, last       string
		right, command    string
	}
	wants := []want{
		{"w3wp.exe", `C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\root\0a1b2c3d`, "CreateFile", 3,
			"10:33:05.5410857 AM", "10:33:05.6000000 AM", probes.RightFullControl,
			`icacls "C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files" /grant '*S-1-5-20:(OI)(CI)F'`},
		{"WsusService.exe", `D:\WSUS\WsusContent\3A\0123456789ABCDEF0123456789ABCDEF01234567.cab`, "CreateFile", 2,
			"10:33:07.0000000 AM", "10:33:07.2000000 AM", probes.RightFullControl, `icacls "D:\WSUS\WsusContent" /grant '*S-1-5-20:(OI)(CI)F'`},
		{"sqlservr.exe", `C:\Windows\WID\Data\SUSDB.mdf`, "CreateFile", 1, "10:33:07.3000000 AM", "10:33:07.3000000 AM", probes.RightModify,
			`icacls "C:\Windows\WID\Data\SUSDB.mdf"`},
		{"w3wp.exe", `C:\Program Files\Update Services\WebServices\ClientWebService\Web.config`, "CreateFile", 1,
			"10:33:06.2000000 AM", "10:33:06.2000000 AM", probes.RightReadAndExecute,
			`icacls "C:\Program Files\Update Services\WebServices" /grant '*S-1-5-20:(OI)(CI)RX'`},
		{"w3wp.exe", `C:\WINDOWS\Microsoft.NET`, "CreateFile", 1, "10:33:06.6000000 AM", "10:33:06.6000000 AM", probes.RightReadAndExecute,
			`icacls "C:\WINDOWS\Microsoft.NET"`},
		{"w3wp.exe", `C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Config\web.config`, "CreateFile", 1,
			"10:33:06.1000000 AM", "10:33:06.1000000 AM", probes.RightFullControl,
			`icacls "C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Config" /grant '*S-1-5-20:(OI)(CI)F'`},
		{"w3wp.exe", `C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\root\0a1b2c3d`, "QueryDirectory", 1,
			"10:33:07.9000000 AM", "10:33:07.9000000 AM", probes.RightFullControl,
			`icacls "C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files" /grant '*S-1-5-20:(OI)(CI)F'`},
		{"w3wp.exe", `C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\root\0a1b2c3d`, "QueryOpen", 1,
			"10:33:05.5409017 AM", "10:33:05.5409017 AM", probes.RightFullControl,
			`icacls "C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files" /grant '*S-1-5-20:(OI)(CI)F'`},
		{"w3wp.exe", `C:\Windows\Temp\tmpA1B2.tmp`, "CreateFile", 1, "10:33:06.3000000 AM", "10:33:06.3000000 AM",
			probes.RightFullControl, `icacls "C:\Windows\Temp" /grant '*S-1-5-20:(OI)(CI)F'`},
		{"w3wp.exe", `HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup\ContentDir`, "RegQueryValue", 1,
			"10:33:06.4000000 AM", "10:33:06.4000000 AM", probes.RightFullControl,
			`$k = 'Registry::HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Update Services\Server\Setup'; $acl = Get-Acl -LiteralPath $k; ` +
				`$id = [System.Security.Principal.SecurityIdentifier]'S-1-5-20'; ` +
				`$rule = New-Object System.Security.AccessControl.RegistryAccessRule -ArgumentList $id, 'FullControl', 'ContainerInherit', 'None', 'Allow'; ` +
				`$acl.AddAccessRule($rule); Set-Acl -LiteralPath $k -AclObject $acl`},
		{"WsusService.exe", `C:\temp\WsusSetup.log`, "CreateFile", 1, "10:33:07.1000000 AM", "10:33:07.1000000 AM",
			probes.RightFullControl, `icacls "C:\temp" /grant '*S-1-5-20:(OI)(CI)F'`},
	}
	if len(d.Groups) != len(wants) {
		t.Fatalf("%d groups; want %d: %+v", len(d.Groups), len(wants), d.Groups)
	}
	for i, w := range wants {
		g := d.Groups[i]
		if g.Process != w.process || g.Path != w.path || g.Operation != w.op || g.Count != w.count ||
			g.First != w.first || g.Last != w.last || g.Right != w.right {
			t.Errorf("group %d = %s %s %s ×%d %s–%s right %q\nwant %s %s %s ×%d %s–%s right %q", i,
				g.Process, g.Path, g.Operation, g.Count, g.First, g.Last, g.Right,
				w.process, w.path, w.op, w.count, w.first, w.last, w.right)
			continue
		}
		if len(g.Remediation) == 0 || g.Remediation[0].Command != w.command {
			t.Errorf("group %d (%s): first step %+v; want command %s", i, g.Path, g.Remediation, w.command)
		}
		if last := g.Remediation[len(g.Remediation)-1]; last.Command != restart.Command {
			t.Errorf("group %d (%s): a grant must be followed by the restart step: %+v", i, g.Path, g.Remediation)
		}
		if !g.UserAssumed || g.User == "" {
			t.Errorf("group %d (%s): a capture without a User column must say whose identity it assumed: %q %v", i, g.Path, g.User, g.UserAssumed)
		}
	}
	golden(t, "testdata/denied-capture.golden.json", d)
}

// golden compares v's JSON with a file; go test -update rewrites it.
func golden(tb testing.TB, name string, v any) {
	tb.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile(name, got, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(name)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs from the output (go test -update rewrites it):\n%s", name, got)
	}
}

func TestParseColumns(t *testing.T) {
	cases := []struct {
		name, in     string
		first, last  string
		rows, groups int
	}{
		{"subset in another order, no time",
			`"Result","Path","Operation","Process Name"` + "\n" +
				`"ACCESS DENIED","C:\Windows\Temp\a","CreateFile","w3wp.exe"` + "\n" +
				`"ACCESS DENIED","C:\Windows\Temp\a","CreateFile","w3wp.exe"` + "\n",
			"", "", 2, 1},
		{"extra columns and odd header case",
			`"Sequence","time of day","PROCESS NAME","User","operation","path","result"` + "\r\n" +
				`"1","9:01:02.1234567 PM","w3wp.exe","NT AUTHORITY\NETWORK SERVICE","CreateFile","C:\temp\x","ACCESS DENIED"` + "\r\n" +
				`"2","9:01:03.1234567 PM","w3wp.exe","NT AUTHORITY\NETWORK SERVICE","CreateFile","c:\TEMP\X","ACCESS DENIED"` + "\r\n",
			"9:01:02.1234567 PM", "9:01:03.1234567 PM", 2, 1},
		{"date & time when time of day is hidden",
			`"Date & Time","Process Name","Operation","Path","Result"` + "\r\n" +
				`"11/21/2026 10:33:05 AM","w3wp.exe","CreateFile","C:\temp\x","ACCESS DENIED"` + "\r\n",
			"11/21/2026 10:33:05 AM", "11/21/2026 10:33:05 AM", 1, 1},
		{"header only", header, "", "", 0, 0},
		{"no final newline", header + strings.TrimSuffix(row("1:00:00 AM", "w3wp.exe", "1", "CreateFile", `C:\temp\x`, "ACCESS DENIED", ""), "\r\n"),
			"1:00:00 AM", "1:00:00 AM", 1, 1},
		{"result case-insensitive, certificate excluded case-insensitively",
			header + row("1:00:00 AM", "w3wp.exe", "1", "CreateFile", `C:\temp\x`, "Access Denied", "") +
				row("1:00:01 AM", "w3wp.exe", "1", "RegOpenKey", `HKLM\Software\Microsoft\SystemCertificates\CA`, "ACCESS DENIED", ""),
			"1:00:00 AM", "1:00:00 AM", 2, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := parseString(t, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Rows != int64(tc.rows) || len(d.Groups) != tc.groups {
				t.Fatalf("rows %d groups %d; want %d %d", d.Rows, len(d.Groups), tc.rows, tc.groups)
			}
			if tc.groups > 0 && (d.Groups[0].First != tc.first || d.Groups[0].Last != tc.last) {
				t.Errorf("first/last = %q/%q; want %q/%q", d.Groups[0].First, d.Groups[0].Last, tc.first, tc.last)
			}
		})
	}
}

func TestParseRefusals(t *testing.T) {
	grid, err := os.ReadFile("testdata/procmon-w3wp-denied-excerpt.txt")
	if err != nil {
		t.Fatal(err)
	}
	good := row("1:00:00 AM", "w3wp.exe", "1", "CreateFile", `C:\temp\x`, "ACCESS DENIED", "")
	cases := []struct {
		name, in string
		syntax   bool
		msg      string
	}{
		{"grid text sample", string(grid), true,
			"no CSV header found: this looks like rows copied from the Process Monitor grid, which lose the column boundaries; export from Process Monitor with File > Save… > CSV"},
		{"empty", "", true, "the file is empty: expected a Process Monitor CSV export (File > Save… > CSV)"},
		{"blank with BOM", "\xef\xbb\xbf \r\n\r\n", true, "the file is empty: expected a Process Monitor CSV export (File > Save… > CSV)"},
		{"some other CSV", "a,b,c\r\n1,2,3\r\n", true, "no CSV header found: export from Process Monitor with File > Save… > CSV"},
		{"missing columns", `"Time of Day","Process Name","Operation"` + "\r\n", true,
			"the CSV header lacks the column(s) Path, Result: show them in Process Monitor (Options > Select Columns…) and export from Process Monitor with File > Save… > CSV"},
		{"binary junk", "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00", true, "line 1: binary data (a NUL byte): not a text CSV export"},
		{"NUL later in the file", header + good + good + "\"1:00\x00", true, "line 4: binary data (a NUL byte): not a text CSV export"},
		{"native log", "PML_\x09\x00\x00\x00\x01", true, "this is a native Process Monitor log (.PML): open it in Process Monitor, then File > Save… > CSV"},
		{"XML export", "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?><procmon>", true, "this is a Process Monitor XML export: save the capture as CSV instead (File > Save… > CSV)"},
		{"gzip", "\x1f\x8b\x08\x00\x00\x00\x00\x00", true, "the file is gzip-compressed: decompress it, or upload it with Content-Encoding: gzip"},
		{"utf-16", "\xff\xfe\"\x00T\x00", true, "the file is UTF-16 text: Process Monitor writes UTF-8; export again with File > Save… > CSV instead of converting it"},
		{"truncated inside a quoted field", header + good + `"1:00:00 AM","w3wp.exe","1","CreateFile","C:\te`, true,
			"line 3, column 48: unbalanced quotes: a quoted field is not closed properly (or the file is truncated)"},
		{"truncated row", header + good + `"1:00:00 AM","w3wp.exe","1"` + "\r\n", true,
			"line 3: the row has 3 fields but the header has 7 (truncated or edited file?)"},
		{"unbalanced quote spanning lines", header + `"1:00:00 AM","w3wp.exe,"1","CreateFile","C:\temp\x","ACCESS DENIED",""` + "\r\n" + good, true,
			"line 2, column 24: unbalanced quotes: a quoted field is not closed properly (or the file is truncated)"},
		{"bare quote", header + `1:00:00 AM,w3"wp.exe,1,CreateFile,C:\temp,ACCESS DENIED,` + "\r\n", true,
			`line 2, column 14: a " inside an unquoted field (unbalanced quotes)`},
		{"broken header", `"Time of Day","Process Name` + "\r\n", true,
			"no CSV header found (line 1, column 29: unbalanced quotes: a quoted field is not closed properly (or the file is truncated)); export from Process Monitor with File > Save… > CSV"},
		{"line too long", header + strings.Repeat("x", maxLineBytes+10), true,
			"line 2 is longer than 1048576 bytes: not a Process Monitor CSV export"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in))
			var v *probes.ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("err = %v; want a *probes.ValidationError", err)
			}
			if v.Syntax != tc.syntax || len(v.Errors) != 1 || v.Errors[0].Detail != tc.msg {
				t.Errorf("got syntax=%v %q\nwant syntax=%v %q", v.Syntax, v.Errors, tc.syntax, tc.msg)
			}
		})
	}
}

// A reader error (e.g. http.MaxBytesReader's) is returned as it is.
func TestParseReaderError(t *testing.T) {
	boom := errors.New("boom")
	_, err := Parse(&failingReader{data: header + row("1:00:00 AM", "w3wp.exe", "1", "CreateFile", `C:\temp\x`, "ACCESS DENIED", ""), err: boom})
	if !errors.Is(err, boom) {
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

func TestParseBounds(t *testing.T) {
	var b strings.Builder
	b.WriteString(header)
	// 1,200 distinct w3wp.exe paths (the first 10 twice) and 150 other processes.
	for i := range 1200 {
		b.WriteString(row("1:00:00 AM", "w3wp.exe", "1", "CreateFile", fmt.Sprintf(`C:\Windows\Temp\f%04d.tmp`, i), "ACCESS DENIED", ""))
		if i < 10 {
			b.WriteString(row("1:00:01 AM", "w3wp.exe", "1", "CreateFile", fmt.Sprintf(`C:\Windows\Temp\f%04d.tmp`, i), "ACCESS DENIED", ""))
		}
	}
	for i := range 150 {
		b.WriteString(row("1:00:00 AM", fmt.Sprintf("proc%03d.exe", i), "1", "CreateFile", `C:\x`, "ACCESS DENIED", ""))
	}
	d, err := parseString(t, b.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Groups) != probes.MaxDenialGroups || d.Kept != 1210 || d.Unlisted != 1210-10*2-(probes.MaxDenialGroups-10) {
		t.Errorf("groups %d kept %d unlisted %d", len(d.Groups), d.Kept, d.Unlisted)
	}
	if d.Groups[0].Count != 2 || d.Groups[10].Count != 1 {
		t.Errorf("groups not sorted by count: %d, %d", d.Groups[0].Count, d.Groups[10].Count)
	}
	if len(d.OtherProcesses) != probes.MaxOtherProcesses {
		t.Fatalf("%d other processes", len(d.OtherProcesses))
	}
	last := d.OtherProcesses[len(d.OtherProcesses)-1]
	if last.Process != "(other processes)" || last.Count != 150-99 {
		t.Errorf("folded remainder = %+v; want 51 rows", last)
	}
}

// Untrusted text is made storable: valid UTF-8, no control characters,
// bounded, placeholders for required fields.
func TestParseCleansText(t *testing.T) {
	long := `C:\Windows\Temp\` + strings.Repeat("é", 1500)
	in := header +
		row("1:00:00 AM", "w3wp.exe", "1", "CreateFile", long, "ACCESS DENIED", "") +
		row("1:00:00 AM\x01", "w3wp.exe", "1", "Create\tFile", "C:\\temp\\a\xffb", "ACCESS DENIED", "") +
		row("1:00:00 AM", "", "1", "", "", "ACCESS DENIED", "") +
		row("1:00:00 AM", "w3wp.exe", "1", "", "", "ACCESS DENIED", "")
	d, err := parseString(t, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Groups) != 3 {
		t.Fatalf("groups: %+v", d.Groups)
	}
	byOp := map[string]probes.Denial{}
	for _, g := range d.Groups {
		byOp[g.Operation+"|"+g.Path[:min(len(g.Path), 20)]] = g
	}
	cut := byOp["CreateFile|C:\\Windows\\Temp\\\xc3\xa9\xc3\xa9"]
	if len(cut.Path) > probes.MaxDenialPathBytes || !strings.HasSuffix(cut.Path, "é…") || cut.Right != probes.RightFullControl {
		t.Errorf("long path: %d bytes, suffix %q, right %q", len(cut.Path), cut.Path[len(cut.Path)-8:], cut.Right)
	}
	ctl := byOp["Create?File|C:\\temp\\a\uFFFDb"]
	if ctl.First != "1:00:00 AM?" || ctl.Path != "C:\\temp\\a\uFFFDb" {
		t.Errorf("control characters: %+v", ctl)
	}
	empty := byOp["(no operation)|(no path)"]
	if empty.Process != "w3wp.exe" || empty.Right != "" {
		t.Errorf("empty fields: %+v", empty)
	}
	if len(d.OtherProcesses) != 1 || d.OtherProcesses[0].Process != "(no process name)" {
		t.Errorf("other processes: %+v", d.OtherProcesses)
	}
}

func TestDigestValidate(t *testing.T) {
	d := &probes.DenialDigest{Groups: []probes.Denial{{Process: "", Path: strings.Repeat("x", 3000), Operation: "CreateFile", Count: 0}}}
	err := d.Validate(time.Time{})
	var v *probes.ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("err = %v", err)
	}
	got := fmt.Sprint(v.Errors)
	for _, want := range []string{"/groups/0/process is required", "/groups/0/path is 3000 bytes long", "/groups/0/count must be at least 1"} {
		ptr, detail, _ := strings.Cut(want, " ")
		if !strings.Contains(got, ptr) || !strings.Contains(got, detail) {
			t.Errorf("missing %q in %s", want, got)
		}
	}
}

// A capture with the User column: each denial is granted to the account
// that was denied, with the right its Desired Access asked for; WSUS's
// registry key gets Full Control for NETWORK SERVICE (a read grant would
// leave the denial in place); a path outside the guide's list gets a grant
// on that path only.
func TestParseUserColumn(t *testing.T) {
	data, err := os.ReadFile("testdata/denied-with-user.csv")
	if err != nil {
		t.Fatal(err)
	}
	d, err := parseString(t, string(data))
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		path, user, right, access, grant string
	}
	wants := []want{
		{`D:\WSUS\WsusContent\5F\5F1D7C0E2B3A4C5D6E7F8091A2B3C4D5E6F70819.cab`, `NT AUTHORITY\IUSR`, probes.RightReadAndExecute, "Generic Read",
			`icacls "D:\WSUS\WsusContent" /grant '*S-1-5-17:(OI)(CI)RX'`},
		{`C:\WINDOWS\Microsoft.NET\Framework`, `NT AUTHORITY\NETWORK SERVICE`, probes.RightReadAndExecute, "",
			`icacls "C:\WINDOWS\Microsoft.NET\Framework" /grant '*S-1-5-20:(RX)'`},
		{`C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\clientwebservice\8f2a1c3b\App_Web_x1y2z3.dll`, `IIS APPPOOL\WsusPool`,
			probes.RightModify, "Generic Write, Read Attributes",
			`icacls "C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files" /grant 'IIS APPPOOL\WsusPool:(OI)(CI)M'`},
		{`C:\Windows\Temp\tmp9C2E.tmp`, `NT AUTHORITY\NETWORK SERVICE`, probes.RightFullControl, "Generic Write, Read Attributes",
			`icacls "C:\Windows\Temp" /grant '*S-1-5-20:(OI)(CI)F'`},
		{`C:\Windows\WID\Log\ERRORLOG`, `NT SERVICE\MSSQL$MICROSOFT##WID`, probes.RightModify, "Generic Write, Read Attributes",
			`icacls "C:\Windows\WID\Log\ERRORLOG" /grant 'NT SERVICE\MSSQL$MICROSOFT##WID:(M)'`},
		{`HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup`, `NT AUTHORITY\NETWORK SERVICE`, probes.RightFullControl, "Read",
			`'FullControl', 'ContainerInherit'`},
		{`HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup\SqlServerName`, `NT AUTHORITY\NETWORK SERVICE`, probes.RightFullControl, "",
			`[System.Security.Principal.SecurityIdentifier]'S-1-5-20'`},
	}
	if d.Kept != 8 || len(d.Groups) != len(wants) {
		t.Fatalf("kept %d, %d groups: %+v", d.Kept, len(d.Groups), d.Groups)
	}
	byPath := map[string]probes.Denial{}
	for _, g := range d.Groups {
		byPath[g.Path] = g
	}
	for _, w := range wants {
		g, ok := byPath[w.path]
		if !ok {
			t.Errorf("no group for %s", w.path)
			continue
		}
		if g.User != w.user || g.UserAssumed || g.Right != w.right || g.Access != w.access {
			t.Errorf("%s: user %q (assumed %v) right %q access %q; want %q %q %q", w.path, g.User, g.UserAssumed, g.Right, g.Access, w.user, w.right, w.access)
		}
		if !slices.ContainsFunc(g.Remediation, func(s probes.Step) bool { return strings.Contains(s.Command, w.grant) }) {
			t.Errorf("%s: no step grants %s: %+v", w.path, w.grant, g.Remediation)
		}
		for _, s := range g.Remediation {
			if s.Command != "" && s.Shell != probes.ShellPowerShell {
				t.Errorf("%s: step without its shell: %+v", w.path, s)
			}
		}
	}
	if g := byPath[`D:\WSUS\WsusContent\5F\5F1D7C0E2B3A4C5D6E7F8091A2B3C4D5E6F70819.cab`]; g.Count != 2 {
		t.Errorf("the IUSR rows are one group: %+v", g)
	}
}

func TestDesiredAccess(t *testing.T) {
	for detail, want := range map[string]string{
		"Desired Access: Read Data/List Directory, Synchronize, Disposition: Open, Options: Directory": "Read Data/List Directory, Synchronize",
		"Desired Access: Generic Write, Read Attributes, Disposition: OverwriteIf":                     "Generic Write, Read Attributes",
		"Desired Access: Read":     "Read",
		"Offset: 0, Length: 4,096": "",
		"":                         "",
		"Filter: *, 1: ., 2: ..":   "",
		"desired access: Write DAC, Options: Synchron": "Write DAC",
	} {
		if got := desiredAccess(detail); got != want {
			t.Errorf("desiredAccess(%q) = %q, want %q", detail, got, want)
		}
	}
	for _, c := range []struct {
		access, op string
		registry   bool
		want       string
	}{
		{"Read Data/List Directory, Synchronize", "CreateFile", false, probes.RightReadAndExecute},
		{"Generic Write, Read Attributes", "CreateFile", false, probes.RightModify},
		{"Generic Read/Write", "CreateFile", false, probes.RightModify},
		{"Write DAC", "CreateFile", false, probes.RightFullControl},
		{"", "SetSecurityFile", false, probes.RightFullControl},
		{"", "WriteFile", false, probes.RightModify},
		{"", "QueryOpen", false, probes.RightReadAndExecute},
		{"Read", "RegOpenKey", true, probes.RightReadKey},
		{"Query Value, Set Value", "RegOpenKey", true, probes.RightFullControl},
		{"", "RegSetValue", true, probes.RightFullControl},
	} {
		if got := accessRight(c.access, c.op, c.registry); got != c.want {
			t.Errorf("accessRight(%q, %s, %v) = %s, want %s", c.access, c.op, c.registry, got, c.want)
		}
	}
}
