package evidence

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes/eventtext"
	"github.com/wsusfleet/wsusfleet/probes/httperr"
	"github.com/wsusfleet/wsusfleet/probes/sdlog"
	"github.com/wsusfleet/wsusfleet/probes/textin"
	"github.com/wsusfleet/wsusfleet/probes/wulog"
)

// sniffBytes is how much of an upload detection reads: enough for the
// headers and first lines of every kind.
const sniffBytes = 64 << 10

// Detection is what the start of an upload looks like.
type Detection struct {
	Kind string // "" when nothing fits
	What string // what it looks like, in an admin's words
	Line int64  // the line that decided it
}

var (
	reIISFields  = regexp.MustCompile(`(?i)^#Fields:.*\bcs-uri-stem\b`)
	reHTTPFields = regexp.MustCompile(`(?i)^#Fields:.*\bs-reason\b`)
	reIISData    = regexp.MustCompile(` (GET|POST|HEAD|OPTIONS|PUT) /\S* \S+ \d{2,5} \S+ \S+ .* \d{3} \d+ \d+ \d+$`)
	reProcmonCSV = regexp.MustCompile(`^"?Time of Day"?,"?Process Name"?`)
	reProcmonRow = regexp.MustCompile(`(?i)\b\S+\.exe\s+\d+\s+(QueryOpen|CreateFile|RegOpenKey|ReadFile|WriteFile|RegQueryValue|QueryDirectory)\b.*\b(ACCESS DENIED|NAME NOT FOUND|SUCCESS)\b`)
	reRegKey     = regexp.MustCompile(`(?i)^\s*(\[-?)?(\\\\[^\\\s]+\\)?(HKEY_LOCAL_MACHINE|HKEY_CURRENT_USER|HKLM:?)\\`)
	reRegValue   = regexp.MustCompile(`^\s*\S.*?\s+REG_(SZ|DWORD|EXPAND_SZ|MULTI_SZ|QWORD|BINARY)\b`)
	rePolicyList = regexp.MustCompile(`(?i)^\s*(WUServer|WUStatusServer|UseWUServer|AUOptions|NoAutoUpdate|TargetGroup|PSPath)\s*:`)
	reRegCommand = regexp.MustCompile(`(?i)\breg(\.exe)?\s+query\b|\bGet-ItemProperty\b.*WindowsUpdate`)
	reComputers  = regexp.MustCompile(`(?i)("?FullDomainName"?\s*[,;\t]|LastReportedStatusTime|^#TYPE .*ComputerTarget|^\s*FullDomainName\s*:|Get-WsusComputer|^Computer\s+IP Address\s+Operating System)`)
	reEventCmd   = regexp.MustCompile(`(?i)\bGet-WinEvent\b|\bGet-EventLog\b|\bwevtutil(\.exe)?\s+qe\b`)
)

// Detect says what kind of evidence a text is, from its first lines.
func Detect(head []textin.Line) Detection {
	score := map[string]int{}
	first := map[string]int64{}
	hit := func(kind string, n int64, weight int) {
		score[kind] += weight
		if first[kind] == 0 {
			first[kind] = n
		}
	}
	for _, l := range head {
		t := strings.TrimSpace(l.Text)
		switch {
		case t == "":
			continue
		case strings.HasPrefix(t, "#Software: Microsoft Internet Information Services"), reIISFields.MatchString(t):
			hit("iislog", l.N, 100)
		case strings.HasPrefix(t, "#Software: Microsoft HTTP API"), reHTTPFields.MatchString(t):
			hit("httperr", l.N, 100)
		case strings.Contains(t, "<configuration") || strings.Contains(t, "<system.applicationHost") || strings.Contains(t, "<applicationPools"):
			hit("apphost", l.N, 100)
		case strings.HasPrefix(t, "<Event xmlns") || eventtext.IsExportHeader(t):
			hit("events", l.N, 100)
		case reProcmonCSV.MatchString(t):
			hit("procmon", l.N, 100)
		case reComputers.MatchString(t):
			hit("computers", l.N, 20)
		case strings.HasPrefix(t, "Windows Registry Editor Version") || t == "REGEDIT4" || strings.HasPrefix(t, "Key Name:") && strings.Contains(t, "HKEY_"):
			hit("regquery", l.N, 100)
		case sdlog.IsEntry(l.Text):
			hit("softwaredistributionlog", l.N, 5)
		case wulog.IsLogLine(l.Text):
			hit("windowsupdatelog", l.N, 5)
		case httperr.IsLine(t):
			hit("httperr", l.N, 5)
		case reIISData.MatchString(t):
			hit("iislog", l.N, 3)
		case reProcmonRow.MatchString(t):
			hit("procmon", l.N, 5)
		case reEventCmd.MatchString(t):
			hit("events", l.N, 5)
		case reRegKey.MatchString(t), reRegValue.MatchString(l.Text), reRegCommand.MatchString(t):
			hit("regquery", l.N, 5)
		case rePolicyList.MatchString(t):
			hit("regquery", l.N, 3)
		default:
			if k, ok := eventtext.IsField(l.Text); ok && k != "" && !strings.HasPrefix(k, "ps:") {
				w := 1
				if k == "id" || k == "eventid" || k == "logname" || k == "eventindex" || k == "source" {
					w = 3
				}
				hit("events", l.N, w)
			}
		}
	}
	best, bestScore := "", 0
	for _, k := range kindOrder {
		if score[k] > bestScore {
			best, bestScore = k, score[k]
		}
	}
	if bestScore < 3 {
		return Detection{}
	}
	return Detection{Kind: best, What: looksLike[best], Line: first[best]}
}

// kindOrder breaks ties the same way every time.
var kindOrder = []string{"iislog", "httperr", "apphost", "procmon", "computers", "softwaredistributionlog", "events", "regquery", "windowsupdatelog"}

// looksLike names each kind as an admin knows it.
var looksLike = map[string]string{
	"iislog":                  "an IIS log (W3C) of the WSUS site",
	"httperr":                 "an HTTP.sys error log (HTTPERR)",
	"apphost":                 "IIS's applicationHost.config",
	"procmon":                 "a Process Monitor capture",
	"computers":               "Get-WsusComputer output",
	"softwaredistributionlog": "the WSUS server's SoftwareDistribution.log",
	"events":                  "Windows event text",
	"regquery":                "a client's Windows Update policy from the registry (reg query, Get-ItemProperty or a .reg export)",
	"windowsupdatelog":        "a client's WindowsUpdate.log",
}

// detectBytes decodes the start of an upload and detects its kind; err is
// textin's refusal of input that is empty or not text.
func detectBytes(head []byte) (Detection, []textin.Line, error) {
	t, err := textin.New(bytes.NewReader(head), textin.Options{Want: "evidence text (a log, event text, registry output, a CSV export)"})
	if err != nil {
		return Detection{}, nil, err
	}
	lines, _ := t.Head(400)
	return Detect(lines), lines, nil
}

// firstText is the first non-blank line, for a refusal.
func firstText(lines []textin.Line) (int64, string) {
	for _, l := range lines {
		if s := strings.TrimSpace(l.Text); s != "" {
			return l.N, s
		}
	}
	return 1, ""
}

func describe(d Detection) string {
	return fmt.Sprintf("this looks like %s (line %d)", d.What, d.Line)
}
