package rules

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/procmon"
	"github.com/wsusfleet/wsusfleet/probes/pwshcheck"
)

// emitted is one remediation command the catalogue can emit, with where it
// came from.
type emitted struct {
	from string
	step probes.Step
}

// everyCommand drives every rule with evidence that makes it fire (the
// scenarios), every gap category with and without examples, the grants of
// the ProcMon captures and the NTFS grant paths, and returns every step with
// a command.
func everyCommand(tb testing.TB) []emitted {
	tb.Helper()
	var out []emitted
	addSteps := func(from string, steps []probes.Step) {
		for _, s := range steps {
			if s.Command != "" {
				out = append(out, emitted{from, s})
			}
		}
	}
	addFindings := func(from string, fs []probes.Finding) {
		for _, f := range fs {
			addSteps(from+" / "+f.Rule, f.Remediation)
		}
	}
	for _, sc := range scenarios() {
		addFindings(sc.name, sc.diagnose())
		// The same with every service disabled: steps set start types first.
		addFindings(sc.name+" (services disabled)", Diagnose(sc.factsWith(disabled)))
	}
	for _, cat := range probes.GapCategories() {
		for _, samples := range [][]probes.GapSample{nil, {{Name: "pc0042.corp.example", Detail: "last report 12 days ago"}}} {
			addFindings("gap "+cat, Diagnose(probes.Facts{State: healthy(), Now: now, Gaps: []probes.GapCount{{Category: cat, Count: 12, Samples: samples}}}))
		}
	}
	for _, file := range []string{"denied-capture.csv", "denied-with-user.csv"} {
		f, err := os.Open(filepath.Join("..", "procmon", "testdata", file))
		if err != nil {
			tb.Fatal(err)
		}
		d, err := procmon.Parse(f)
		f.Close()
		if err != nil {
			tb.Fatal(err)
		}
		for _, g := range d.Groups {
			addSteps("procmon "+file+" "+g.Path, g.Remediation)
		}
		st := healthy()
		st.Denials = d
		addFindings("procmon finding "+file, Diagnose(probes.Facts{State: st, Now: now}))
	}
	// What the client page and the error catalogue propose: every entry's
	// fix, and a client's fix for each gap its own policy explains (the
	// services disabled or not), for a server cause, for a logged error and
	// with nothing known.
	for _, we := range probes.WUErrors() {
		addSteps("error catalogue "+we.Code, we.Fix)
	}
	yes := true
	for _, cat := range probes.GapCategories() {
		for _, disabled := range []bool{false, true} {
			v := probes.ClientView{Name: "pc0042.corp.example", WUServer: "http://wsus01.corp.example", WUStatusServer: "http://wsus01.corp.example", UseWUServer: &yes}
			if disabled {
				v.Services = &probes.ClientServices{WUAUServStart: "Disabled", BITSStart: "Disabled"}
			}
			d := &probes.ClientDetail{Name: v.Name, Server: "wsus01.corp.example", Report: &probes.ClientOwnView{Client: v}, Gap: &probes.ClientGapState{Category: cat}}
			d.Explain(nil, now)
			addSteps("client page "+cat, d.Fix.Steps)
			st := healthy()
			st.AppPool.State = "Stopped"
			pool := Diagnose(probes.Facts{State: st, Now: now})
			d.Explain(pool, now)
			addSteps("client page "+cat+" (pool stopped)", d.Fix.Steps)
		}
	}
	for _, src := range []*probes.ClientDetail{
		{Name: "pc1", Log: &probes.WULogDigest{Errors: []probes.WULogError{{Operation: probes.UpdateOpScan, Code: "0x80244022", Count: 1, Last: now}}}},
		{Name: "pc1", Gap: &probes.ClientGapState{Category: probes.GapExpectedMissing}},
	} {
		src.Explain(nil, now)
		addSteps("client page "+src.Name, src.Fix.Steps)
	}
	principals := []string{`NT AUTHORITY\NETWORK SERVICE`, `NT AUTHORITY\IUSR`, `IIS APPPOOL\WsusPool`, `NT SERVICE\MSSQL$MICROSOFT##WID`, `CORP\O'Neil`, `NT-AUTORITÄT\NETZWERKDIENST`}
	paths := []string{`%windir%\Temp`, `%ProgramFiles%\Update Services\WebServices`, `D:\WSUS\WsusContent\`, `\\fs01\wsus$\WsusContent`, `D:\$Recycle\x`,
		`C:\Users\a‘b’c\x`, `D:\100%\WsusContent`, `C:\Windows\WID\Data\SUSDB.mdf`, `HKLM\SOFTWARE\Microsoft\Update Services\Server\Setup`,
		`HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\WsusService`, `HKLM\SOFTWARE\O'Brien`}
	for _, who := range principals {
		p, _ := probes.PrincipalOf(who)
		for _, path := range paths {
			for _, right := range []string{probes.RightFullControl, probes.RightModify, probes.RightReadAndExecute, probes.RightReadKey} {
				for _, tree := range []bool{true, false} {
					addSteps("grant "+who+" "+path, []probes.Step{probes.Grant(p, path, right, tree), probes.ShowACLCommand(path)})
				}
			}
		}
	}
	return out
}

// Every command runs as typed in the shell it names: PowerShell commands
// parse with the grammar CI checks the collectors with, cmd ones use no
// PowerShell syntax, and none uses what the shell does not have or what
// Windows 10 removed.
func TestCommandsAreValidInTheirShell(t *testing.T) {
	cmds := everyCommand(t)
	if len(cmds) < 200 {
		t.Fatalf("only %d commands collected: the enumeration lost its scenarios", len(cmds))
	}
	forbidden := []struct {
		re   *regexp.Regexp
		why  string
		only string // the shell it applies to; "" both
	}{
		{regexp.MustCompile(`%(windir|SystemRoot|ProgramFiles|ProgramData|SystemDrive|USERDOMAIN|COMPUTERNAME|TEMP)%`), "a cmd variable, which PowerShell does not expand", probes.ShellPowerShell},
		{regexp.MustCompile(`(?i)\bnet\s+user\s+IUSR\b`), "IUSR is a built-in identity, not a local user", ""},
		{regexp.MustCompile(`(?i)\bwuauclt(\.exe)?\b.*/(detectnow|reportnow)`), "wuauclt /detectnow and /reportnow do nothing on Windows 10 and later", ""},
		{regexp.MustCompile(`<[A-Za-z][^<>|]*>`), "a <placeholder> (PowerShell reads < as redirection)", probes.ShellPowerShell},
		{regexp.MustCompile(`(?i)\bcurl\s`), "curl is an alias of Invoke-WebRequest in Windows PowerShell", probes.ShellPowerShell},
		{regexp.MustCompile(`\$env:|\$[A-Za-z_(]|` + "`" + `|\b(Get|Set|New|Remove|Start|Stop|Restart|Invoke|Select|Where)-[A-Z]`), "PowerShell syntax", probes.ShellCmd},
	}
	var ps []emitted
	for _, c := range cmds {
		switch c.step.Shell {
		case probes.ShellPowerShell:
			ps = append(ps, c)
		case probes.ShellCmd:
		default:
			t.Errorf("%s: command without its shell: %q", c.from, c.step.Command)
			continue
		}
		for _, f := range forbidden {
			text := c.step.Command
			if c.step.Shell == probes.ShellPowerShell {
				// PowerShell reads a single-quoted string literally:
				// netsh's '<local>' is no placeholder there.
				text = singleQuoted.ReplaceAllString(text, "''")
			}
			if (f.only == "" || f.only == c.step.Shell) && f.re.MatchString(text) {
				t.Errorf("%s: %s in %q", c.from, f.why, c.step.Command)
			}
		}
	}
	parsePowerShell(t, ps)
}

// singleQuoted is a PowerShell single-quoted string (two quotes in it are one).
var singleQuoted = regexp.MustCompile(`'(?:[^']|'')*'`)

// parsePowerShell runs the PowerShell commands through the CI grammar.
func parsePowerShell(t *testing.T, cmds []emitted) {
	t.Helper()
	scripts := make([]pwshcheck.Script, 0, len(cmds))
	for _, c := range cmds {
		scripts = append(scripts, pwshcheck.Script{From: c.from, Text: c.step.Command})
	}
	n := pwshcheck.Parse(t, filepath.Join("..", ".."), scripts)
	t.Logf("%d distinct PowerShell commands parsed", n)
}

// Nothing an administrator reads cites the design document.
func TestNoInternalReferencesInAdminText(t *testing.T) {
	for _, r := range Catalogue() {
		for _, s := range []string{r.Title, r.About} {
			if strings.Contains(s, "DESIGN") || strings.Contains(s, "§") {
				t.Errorf("rule %s: %q", r.ID, s)
			}
		}
	}
	check := func(from string, fs []probes.Finding) {
		for _, f := range fs {
			texts := []string{f.Title, f.Summary}
			for _, ev := range f.Evidence {
				texts = append(texts, ev.Fact, ev.Source)
			}
			for _, s := range f.Remediation {
				texts = append(texts, s.Text, s.Command)
			}
			for _, s := range texts {
				if strings.Contains(s, "DESIGN") || strings.Contains(s, "§") {
					t.Errorf("%s / %s: %q", from, f.Rule, s)
				}
			}
		}
	}
	for _, sc := range scenarios() {
		check(sc.name, sc.diagnose())
	}
	for _, c := range everyCommand(t) {
		if strings.Contains(c.step.Text, "DESIGN") || strings.Contains(c.step.Text, "§") {
			t.Errorf("%s: %q", c.from, c.step.Text)
		}
	}
	// What the Process Monitor digest says of each denial (why, and the
	// grant) is shown as it is on the server page and through the API, and
	// the NTFS table's reasons travel into it: read every capture we have.
	internal := func(from, s string) {
		if strings.Contains(s, "DESIGN") || strings.Contains(s, "§") {
			t.Errorf("%s: %q", from, s)
		}
	}
	for _, f := range probes.NTFSFolders() {
		internal("NTFS table "+f.Path, f.Why)
	}
	captures, _ := filepath.Glob(filepath.Join("..", "procmon", "testdata", "*.csv"))
	if len(captures) < 2 {
		t.Fatalf("Process Monitor samples: %v", captures)
	}
	for _, path := range captures {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		d, err := procmon.Parse(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(d.Groups) == 0 {
			t.Fatalf("%s: no denial read", path)
		}
		for _, g := range d.Groups {
			internal(path+" "+g.Path, g.Why)
			for _, s := range g.Remediation {
				internal(path+" "+g.Path, s.Text)
				internal(path+" "+g.Path, s.Command)
			}
		}
		st := healthy()
		st.Denials = d
		check(path, Diagnose(probes.Facts{State: st, Now: now}))
	}
}

// docs/rules.md documents every rule of the catalogue, each with its source.
func TestRulesDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "rules.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for _, r := range Catalogue() {
		if r.ID == "client_gaps" {
			if !strings.Contains(text, "### Client-reporting gaps") {
				t.Error("docs/rules.md does not document the gap findings")
			}
			continue
		}
		i := strings.Index(text, "### "+r.ID)
		if i < 0 {
			i = strings.Index(text, "/ "+r.ID+" —")
		}
		if i < 0 {
			t.Errorf("docs/rules.md has no section for %s", r.ID)
		}
	}
}

// bareCount is a count of four or more digits without thousands separators
// in front of what it counts.
var bareCount = regexp.MustCompile(`\b\d{4,}\s+(requests|clients|computers|checks|distinct|days|hours|minutes|times|updates|more)\b`)

// Counts an administrator reads carry thousands separators, as the pages
// write them (probes.FormatCount): in every scenario, and in the evidence of
// an IIS log with large counts.
func TestCountsInAdminText(t *testing.T) {
	check := func(from string, fs []probes.Finding) {
		for _, f := range fs {
			if m := bareCount.FindString(describe(f)); m != "" {
				t.Errorf("%s / %s: %q", from, f.Rule, m)
			}
		}
	}
	for _, sc := range scenarios() {
		check(sc.name, sc.diagnose())
	}
	st := healthy()
	st.IISLog = &probes.IISLogSummary{File: "u_ex261121.log", Files: []string{"u_ex261121.log"}, Lines: 40000, First: probes.TimeOf(now.Add(-2 * time.Hour)), Last: probes.TimeOf(now),
		Totals: []probes.IISLogTotal{{VDir: "SimpleAuthWebService", Status: 401, Substatus: ip(2), Requests: 12345, WUA: 12000, Hours: 2, LastHour: probes.TimeOf(now.Truncate(time.Hour))}},
		TopClients: []probes.IISLogFaultClients{{VDir: "SimpleAuthWebService", Status: 401, Substatus: ip(2), Requests: 12345, Clients: 2345,
			Top: []probes.IISLogClientCount{{IP: "10.1.2.3", Requests: 40}}}}}
	got := Diagnose(probes.Facts{State: st, Now: now})
	check("large IIS log counts", got)
	if len(got) == 0 || !strings.Contains(describe(got[0]), "12,345 requests to SimpleAuthWebService answered 401.2 (12,000 from Windows Update Agent); clients: 2,345 distinct") {
		t.Errorf("large counts:\n%s", describe(got[0]))
	}
}
