package scripts

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// The collectors hold a dashboard token. These checks keep the ways it can
// leak closed where the text shows them: principals by SID (names are
// translated on non-English Windows, and a failed icacls leaves a token file
// readable by all), no http:// dashboard by accident, a locked-down spool.

// docBlocks returns the lines of the ```powershell blocks of a Markdown file.
func docBlocks(tb testing.TB, path string) []numberedLine {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var out []numberedLine
	in := false
	for i, l := range strings.Split(string(b), "\n") {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "```powershell"):
			in = true
		case strings.HasPrefix(t, "```"):
			in = false
		case in:
			out = append(out, numberedLine{i + 1, l})
		}
	}
	return out
}

var collectorsGuide = filepath.Join("..", "docs", "collectors.md")

func TestGuidePrincipalsBySID(t *testing.T) {
	reGrant := regexp.MustCompile(`'([^']*)'`)
	reSIDGrant := regexp.MustCompile(`^\*S-1-[0-9-]+:`)
	reUserID := regexp.MustCompile(`-UserId '([^']*)'`)
	lines := docBlocks(t, collectorsGuide)
	if len(lines) < 20 {
		t.Fatalf("only %d lines of PowerShell in %s; has the reader broken?", len(lines), collectorsGuide)
	}
	icacls, principals := 0, 0
	for _, l := range lines {
		where := collectorsGuide + ":" + strconv.Itoa(l.n)
		code, _, _ := strings.Cut(l.text, "#")
		if strings.Contains(code, "icacls") {
			icacls++
			grants := reGrant.FindAllStringSubmatch(code[strings.Index(code, "/grant"):], -1)
			if len(grants) == 0 {
				t.Errorf("%s: icacls without a quoted grant: %s", where, l.text)
			}
			for _, g := range grants {
				if !reSIDGrant.MatchString(g[1]) {
					t.Errorf("%s: icacls grants %q by name; use the SID (*S-1-5-18 SYSTEM, *S-1-5-32-544 Administrators)", where, g[1])
				}
			}
		}
		if strings.Contains(code, "Register-ScheduledTask") && strings.Contains(code, "-User ") {
			t.Errorf("%s: Register-ScheduledTask -User takes a name; use -Principal with a SID", where)
		}
		for _, m := range reUserID.FindAllStringSubmatch(code, -1) {
			principals++
			// A well-known account by SID; a gMSA by its domain name, which is
			// not translated.
			if !strings.HasPrefix(m[1], "S-1-") && !strings.HasSuffix(m[1], "$") {
				t.Errorf("%s: task principal %q by name; use its SID", where, m[1])
			}
		}
		for _, name := range []string{`BUILTIN\`, `NT AUTHORITY\`, `'SYSTEM`} {
			if strings.Contains(code, name) {
				t.Errorf("%s: %s in a command; use the SID", where, name)
			}
		}
	}
	if icacls < 2 || principals < 3 {
		t.Errorf("found %d icacls and %d task principals in the guide; expected the token file, folder and three tasks", icacls, principals)
	}
}

func TestGuideNamesTheClientScope(t *testing.T) {
	b, err := os.ReadFile(collectorsGuide)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"wsusfleet token create --name clients --scope client", "Dashboards older than the client scope", "-AllowInsecure", "aka.ms/wmf51download", "not run"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s does not say %q", collectorsGuide, want)
		}
	}
}

func TestScriptsSetACLsBySID(t *testing.T) {
	for _, c := range collectors {
		s := loadScript(t, c.File)
		code := blankStrings(stripComments(s.Text))
		for _, bad := range []string{"icacls", "NTAccount]::new(", "Register-ScheduledTask"} {
			if i := strings.Index(code, bad); i >= 0 {
				t.Errorf("%s:%d: %s; the scripts set permissions by SID only", c.File, strings.Count(code[:i], "\n")+1, bad)
			}
		}
		rules := 0
		for _, m := range regexp.MustCompile(`FileSystemAccessRule\]::new\(\s*([^,]+),`).FindAllStringSubmatchIndex(code, -1) {
			rules++
			if who := code[m[2]:m[3]]; !strings.Contains(who, "SecurityIdentifier]::new(") {
				t.Errorf("%s:%d: an access rule for %s; give it a SecurityIdentifier", c.File, strings.Count(code[:m[0]], "\n")+1, strings.TrimSpace(who))
			}
		}
		if rules == 0 {
			t.Errorf("%s: no FileSystemAccessRule found; has Protect-WfFolder moved out of the common region?", c.File)
		}
	}
}

func TestDashboardURLIsChecked(t *testing.T) {
	reParam := regexp.MustCompile(`(?m)^\s+\[switch\] \$AllowInsecure,?$`)
	for _, c := range collectors {
		s := loadScript(t, c.File)
		code := stripComments(s.Text)
		if !reParam.MatchString(code) {
			t.Errorf("%s: no -AllowInsecure switch", c.File)
		}
		if !strings.Contains(code, "$base = Get-WfDashboardBase $Dashboard -AllowInsecure:$AllowInsecure") {
			t.Errorf("%s: the main path does not check -Dashboard with Get-WfDashboardBase", c.File)
		}
		// The main function sees the script's -Dashboard as given: it passes
		// on only the checked base URL. (Only the preamble's sender takes
		// -Dashboard as given, and checks it itself.)
		main := blankStrings(stripComments(functionBody(t, s, c.Main)))
		uses := 0
		for _, l := range strings.Split(main, "\n") {
			if _, arg, ok := strings.Cut(l, "-Dashboard "); ok {
				uses++
				if !strings.HasPrefix(arg, "$base ") {
					t.Errorf("%s: %s passes -Dashboard unchecked: %s", c.File, c.Main, strings.TrimSpace(l))
				}
			}
		}
		if uses == 0 {
			t.Errorf("%s: %s never sends; has it been renamed?", c.File, c.Main)
		}
		if strings.Contains(code, "$Dashboard.TrimEnd(") {
			t.Errorf("%s: builds a URL from -Dashboard unchecked", c.File)
		}
	}
}

func TestSpoolIsLockedDown(t *testing.T) {
	s := loadScript(t, "Send-WsusFleetClientReport.ps1")
	body := functionBody(t, s, "Publish-WfDocument")
	protect, move := strings.Index(body, "Protect-WfFolder $SpoolDir"), strings.Index(body, "Move-Item -LiteralPath $Path -Destination $mine")
	if protect < 0 || move < 0 || protect > move {
		t.Errorf("Publish-WfDocument must lock the spool down (Protect-WfFolder) before it moves a document into it")
	}
	send := functionBody(t, s, "Send-WfSpool")
	check, post := strings.Index(send, "Test-WfSpoolFile -File $item"), strings.Index(send, "Send-WfFileWithRetry")
	if check < 0 || post < 0 || check > post {
		t.Errorf("Send-WfSpool must check each spooled file (Test-WfSpoolFile) before it sends any")
	}
	server := loadScript(t, "Send-WsusFleetReport.ps1")
	if logs := functionBody(t, server, "Send-WfIisLogs"); !strings.Contains(logs, "Protect-WfFolder $StateDir") {
		t.Errorf("Send-WfIisLogs must lock the state folder down before it trusts what is in it")
	}
}

// functionBody returns the text of a top-level function of a script.
func functionBody(tb testing.TB, s *psScript, name string) string {
	tb.Helper()
	start := strings.Index(s.Text, "\nfunction "+name+" {\n")
	if start < 0 {
		tb.Fatalf("%s: no function %s", s.File, name)
	}
	end := strings.Index(s.Text[start+1:], "\n}\n")
	return s.Text[start : start+1+end]
}
