package scripts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Everything a collector runs before it knows it is on Windows PowerShell
// 5.1 - its first statements and the shared preamble region - must run on
// PowerShell 2.0 to 4.0 (Server 2008 R2 to 2012 R2, Windows 7 to 8.1), and the
// rest of the script must at least parse there, or no one learns why the
// collector does nothing. Nothing here runs PowerShell: these are the checks
// that can be made on the text.

// laterAdditions are words of PowerShell 3.0 and later (and helpers defined
// after the preamble) that the preamble's code must not use.
var laterAdditions = []string{
	"::new(", "[ordered]", "[pscustomobject]", "ConvertTo-Json", "ConvertFrom-Json", "Invoke-RestMethod",
	"Invoke-WebRequest", "Get-CimInstance", "New-Guid", " -in ", " -notin ", "$PSItem", ".ForEach(", ".Where(",
	"$PSCommandPath", "$PSScriptRoot", " -shl ", " -shr ", "$using:", "-PipelineVariable", "-Raw", "Get-WfEnum",
	"New-WfObject", "Write-WfLog", "Stop-WfRun", "Resolve-WfPath",
}

// legacyCode returns a script's code (comments and string contents blanked)
// from its first line to the end of the PowerShell version check, which must
// follow the preamble region.
func legacyCode(tb testing.TB, s *psScript) string {
	tb.Helper()
	code := blankStrings(stripComments(s.Text))
	start := strings.Index(s.Text, "# region shared: preamble\n")
	check := strings.Index(code[start:], "\nif (Test-WfOldPowerShell $PSVersionTable.PSVersion.Major $PSVersionTable.PSVersion.Minor) {\n")
	if start < 0 || check < 0 {
		tb.Fatalf("%s: no preamble region followed by the version check", s.File)
	}
	end := strings.Index(code[start+check:], "\n}\n")
	return code[:start+check+end+3]
}

func TestNoRequiresStatement(t *testing.T) {
	// #Requires -Version 5.1 would stop PowerShell 4.0 before the preamble
	// could say why, or tell the dashboard.
	for _, c := range collectors {
		s := loadScript(t, c.File)
		for i, l := range strings.Split(s.Text, "\n") {
			if strings.HasPrefix(strings.ToLower(strings.TrimSpace(l)), "#requires") {
				t.Errorf("%s:%d: %s", c.File, i+1, l)
			}
		}
	}
}

func TestPreambleComesFirst(t *testing.T) {
	reParamEnd := regexp.MustCompile(`(?m)^\)\n`)
	allowed := regexp.MustCompile(`^\$script:(WfVersion|WfCollectorName|WfLegacyDocument) = '`)
	for _, c := range collectors {
		s := loadScript(t, c.File)
		code := stripComments(s.Text)
		param := strings.Index(code, "\nparam(\n")
		end := reParamEnd.FindStringIndex(code[max(param, 0):])
		region := strings.Index(s.Text, "# region shared: preamble\n")
		if param < 0 || end == nil || region < 0 {
			t.Fatalf("%s: no param block followed by the preamble region", c.File)
		}
		for _, l := range strings.Split(code[param+end[1]:region], "\n") {
			if l = strings.TrimSpace(l); l != "" && !allowed.MatchString(l) {
				t.Errorf("%s: %q runs before the preamble; only $WfVersion, $WfCollectorName and $WfLegacyDocument may", c.File, l)
			}
		}
		after := code[len(legacyCode(t, s)):]
		if first := strings.TrimSpace(after)[:len("Set-StrictMode -Version Latest")]; first != "Set-StrictMode -Version Latest" {
			t.Errorf("%s: after the version check comes %q; want Set-StrictMode -Version Latest", c.File, first)
		}
		check := legacyCode(t, s)[strings.Index(legacyCode(t, s), "\nif (Test-WfOldPowerShell"):]
		if !strings.Contains(check, "\n    exit 3\n}") {
			t.Errorf("%s: the version check does not end with exit 3:\n%s", c.File, check)
		}
		if got := s.exitCode(t, "Prerequisite"); got != 3 {
			t.Errorf("%s: $WfExit.Prerequisite is %d; the preamble exits with 3", c.File, got)
		}
	}
}

func TestPreambleUsesOnlyPowerShell2(t *testing.T) {
	reCall := regexp.MustCompile(`\b([A-Z][a-z]+-Wf[A-Za-z0-9]+)\b`)
	reDefined := regexp.MustCompile(`(?m)^function ([A-Za-z]+-Wf[A-Za-z0-9]+) \{`)
	for _, c := range collectors {
		s := loadScript(t, c.File)
		code := legacyCode(t, s)
		for _, word := range laterAdditions {
			if i := strings.Index(code, word); i >= 0 {
				t.Errorf("%s:%d: the preamble uses %q, which PowerShell 2.0 does not have (or which is defined later)", c.File, strings.Count(code[:i], "\n")+1, strings.TrimSpace(word))
			}
		}
		defined := map[string]bool{}
		for _, m := range reDefined.FindAllStringSubmatch(code, -1) {
			defined[m[1]] = true
		}
		for _, m := range reCall.FindAllStringSubmatchIndex(code, -1) {
			if name := code[m[2]:m[3]]; !defined[name] {
				t.Errorf("%s:%d: the preamble calls %s, which it does not define", c.File, strings.Count(code[:m[0]], "\n")+1, name)
			}
		}
	}
}

func TestScriptsParseOnOldPowerShell(t *testing.T) {
	// Syntax PowerShell 4.0 cannot parse would keep the preamble from running
	// at all. ([Type]::new() parses everywhere; it fails only when it runs,
	// after the version check.)
	reKeyword := regexp.MustCompile(`(?m)^\s*(class|enum|using|configuration)\s`)
	for _, c := range collectors {
		s := loadScript(t, c.File)
		code := blankStrings(stripComments(s.Text))
		if m := reKeyword.FindStringIndex(code); m != nil {
			t.Errorf("%s:%d: %q is PowerShell 5.0 syntax", c.File, strings.Count(code[:m[0]], "\n")+1, strings.TrimSpace(code[m[0]:m[1]]))
		}
		for _, op := range []string{"&&", "||", "??", "?."} {
			if i := strings.Index(code, op); i >= 0 {
				t.Errorf("%s:%d: %q is PowerShell 7 syntax", c.File, strings.Count(code[:i], "\n")+1, op)
			}
		}
	}
}

// legacyTemplate returns a script's $WfLegacyDocument.
func legacyTemplate(tb testing.TB, file string) string {
	tb.Helper()
	t, err := scriptString(loadScript(tb, file), "WfLegacyDocument")
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// dotnetFormat is the -f operator: {n} an argument, {{ and }} braces.
func dotnetFormat(tb testing.TB, format string, args ...string) string {
	tb.Helper()
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		switch {
		case strings.HasPrefix(format[i:], "{{"):
			b.WriteByte('{')
			i++
		case strings.HasPrefix(format[i:], "}}"):
			b.WriteByte('}')
			i++
		case format[i] == '{':
			end := strings.IndexByte(format[i:], '}')
			if end < 0 {
				tb.Fatalf("an unclosed { at %d in %s", i, format)
			}
			n, err := strconv.Atoi(format[i+1 : i+end])
			if err != nil || n >= len(args) {
				tb.Fatalf("bad placeholder %q in %s", format[i:i+end+1], format)
			}
			b.WriteString(args[n])
			i += end
		case format[i] == '}':
			tb.Fatalf("a lone } at %d in %s (the -f operator would throw)", i, format)
		default:
			b.WriteByte(format[i])
		}
	}
	return b.String()
}

// jsonText runs the ConvertTo-WfJsonText model.
func jsonText(s string) string {
	v, _ := modelJSONText(nil, callArgs{pos: []any{s}})
	return v.(string)
}

func TestLegacyDocumentsDecode(t *testing.T) {
	msg := "Send-WsusFleetClientReport.ps1 needs Windows PowerShell 5.1, and this is PowerShell 4.0. Install Windows Management Framework 5.1 (https://aka.ms/wmf51download; it needs .NET Framework 4.5.2 or later) and run it again. Grüße \"quoted\" C:\\path"
	policy := `,"wu_server":"http://wsus01.corp.example:8530","wu_status_server":"http://wsus01.corp.example:8530"`
	for _, extra := range []string{"", policy} {
		doc := dotnetFormat(t, legacyTemplate(t, "Send-WsusFleetClientReport.ps1"),
			"0d7c3a4e-1f2b-4c3d-8e9f-0a1b2c3d4e5f", "2026-11-21T08:02:11Z", "Send-WsusFleetClientReport.ps1", "1.1.0", "PC0042", jsonText(msg), "pc0042.corp.example", extra)
		r, err := probes.DecodeClientReport([]byte(doc), payloadNow)
		if err != nil {
			t.Fatalf("the dashboard rejects the client preamble's document %s: %v", doc, err)
		}
		if r.Collector.Error != msg || r.Collector.Vantage != probes.VantageClient || r.Client.Name != "pc0042.corp.example" {
			t.Errorf("decoded %+v", r)
		}
		if extra != "" && r.Client.WUServer != "http://wsus01.corp.example:8530" {
			t.Errorf("wu_server = %q", r.Client.WUServer)
		}
	}
	doc := dotnetFormat(t, legacyTemplate(t, "Send-WsusFleetReport.ps1"),
		"6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e", "2026-11-21T09:00:04Z", "Send-WsusFleetReport.ps1", "1.1.0", "WSUS05", jsonText(msg), "wsus05.corp.example", "")
	r, err := probes.DecodeReport([]byte(doc), payloadNow)
	if err != nil {
		t.Fatalf("the dashboard rejects the server preamble's document %s: %v", doc, err)
	}
	if r.Collector.Error != msg || r.Collector.Vantage != probes.VantageServer || r.Server.Name != "wsus05.corp.example" || r.VDirChecks != nil || r.Events != nil {
		t.Errorf("decoded %+v", r)
	}
}

func TestLegacyPolicyNames(t *testing.T) {
	// Get-WfLegacyPolicyJson writes these ClientView properties by hand.
	s := loadScript(t, "Send-WsusFleetClientReport.ps1")
	m := regexp.MustCompile(`@\(@\('(\w+)', 'WUServer'\), @\('(\w+)', 'WUStatusServer'\)\)`).FindStringSubmatch(s.Text)
	if m == nil {
		t.Fatal("Get-WfLegacyPolicyJson: its (property, value) pairs were not found")
	}
	view := reflect.TypeFor[probes.ClientView]()
	for _, name := range m[1:] {
		if _, ok := fieldByName(view, name); !ok {
			t.Errorf("Get-WfLegacyPolicyJson writes %q, which probes.ClientView does not have", name)
		}
	}
}

// TestPreamblePayloads checks that each example of what the preamble sends
// is its script's $WfLegacyDocument filled in, byte for byte.
func TestPreamblePayloads(t *testing.T) {
	n := 0
	for _, pc := range payloadCases {
		if !pc.Preamble {
			continue
		}
		n++
		body := bytes.TrimSpace(readPayload(t, pc.File))
		var doc struct {
			ID          string           `json:"id"`
			CollectedAt string           `json:"collected_at"`
			Collector   probes.Collector `json:"collector"`
			Client      map[string]any   `json:"client"`
			Server      map[string]any   `json:"server"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("%s: %v", pc.File, err)
		}
		name, extra := "", ""
		if doc.Client != nil {
			name, _ = doc.Client["name"].(string)
			for _, key := range []string{"wu_server", "wu_status_server"} {
				if v, ok := doc.Client[key].(string); ok {
					extra += fmt.Sprintf(`,"%s":"%s"`, key, jsonText(v))
				}
			}
		} else {
			name, _ = doc.Server["name"].(string)
		}
		want := dotnetFormat(t, legacyTemplate(t, pc.Script), doc.ID, doc.CollectedAt, jsonText(doc.Collector.Name), jsonText(doc.Collector.Version),
			jsonText(doc.Collector.Host), jsonText(doc.Collector.Error), jsonText(name), extra)
		if string(body) != want {
			t.Errorf("%s is not what the preamble writes:\n got  %s\n want %s", pc.File, body, want)
		}
		if !slices.ContainsFunc(collectors, func(c collector) bool { return c.File == pc.Script }) {
			t.Errorf("%s: unknown script %s", pc.File, pc.Script)
		}
	}
	if n < 2 {
		t.Errorf("%d preamble payloads; want one per script that sends one", n)
	}
}

// exitCode reads a value of the script's $WfExit table.
func (s *psScript) exitCode(tb testing.TB, name string) int {
	tb.Helper()
	m := regexp.MustCompile(`\$script:WfExit = @\{([^}]*)\}`).FindStringSubmatch(s.Text)
	if m == nil {
		tb.Fatalf("%s: no $WfExit table", s.File)
	}
	for _, part := range strings.Split(m[1], ";") {
		k, v, _ := strings.Cut(part, "=")
		if strings.TrimSpace(k) == name {
			code, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				tb.Fatalf("%s: $WfExit.%s: %v", s.File, name, err)
			}
			return code
		}
	}
	tb.Fatalf("%s: $WfExit has no %s", s.File, name)
	return 0
}

// blankStrings blanks the contents of PowerShell string literals (comments
// already blanked), keeping line breaks, so that code checks do not trip over
// text.
func blankStrings(code string) string {
	b := []byte(code)
	for i := 0; i < len(b); {
		switch b[i] {
		case '\'':
			end := skipSingleQuoted(code, i)
			blankRange(b, i+1, end-1)
			i = end
		case '"':
			end := skipDoubleQuoted(code, i)
			blankRange(b, i+1, end-1)
			i = end
		default:
			i++
		}
	}
	return string(b)
}

func blankRange(b []byte, from, to int) {
	for k := from; k < to && k < len(b); k++ {
		if b[k] != '\n' {
			b[k] = ' '
		}
	}
}
