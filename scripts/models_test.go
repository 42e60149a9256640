package scripts

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/wsusfleet/wsusfleet/probes"
)

// A model is a Go transcription of one PowerShell function, run against the
// cases written beside it (cases_test.go). Models read the patterns and
// tables they depend on from the script, never from a copy, so a changed
// pattern is tested as it is.
type model func(s *psScript, c callArgs) (any, error)

var models = map[string]model{
	"Test-WfOldPowerShell":     modelOldPowerShell,
	"ConvertTo-WfJsonText":     modelJSONText,
	"Get-WfDashboardBase":      modelDashboardBase,
	"ConvertTo-WfTime":         modelTime,
	"Split-WfList":             modelSplitList,
	"Get-WfRequestTimeoutMs":   modelRequestTimeout,
	"Find-WfUntrustedSid":      modelUntrustedSid,
	"Test-WfSpoolName":         modelSpoolName,
	"Get-WfDeadHostKey":        modelDeadHostKey,
	"ConvertTo-WfFlag":         modelFlag,
	"ConvertTo-WfNumber":       modelNumber,
	"Get-WfBaseUrl":            modelBaseURL,
	"Get-WfHttpBaseForSsl":     modelHTTPBaseForSSL,
	"Get-WfClientCheckList":    modelClientCheckList,
	"ConvertTo-WfHResult":      modelHResult,
	"Find-WfHResult":           modelFindHResult,
	"Split-WfDnList":           modelSplitDNList,
	"Test-WfInventoryComputer": modelInventoryComputer,
	"Select-WfAliases":         modelAliases,
	"Select-WfAddresses":       modelAddresses,
	"Get-WfServerCheckList":    modelServerCheckList,
	"Test-WfWasEvent":          modelWASEvent,
	"Resolve-WfIisLogFolder":   modelIISLogFolder,
	"Get-WfLogResume":          modelLogResume,
	"Update-WfLogHeader":       modelLogHeader,
}

// --- reading what the scripts define -------------------------------------

// scriptString returns the single-quoted value of `$script:Name = '...'`.
func scriptString(s *psScript, name string) (string, error) {
	re := regexp.MustCompile(`(?m)^\$script:` + regexp.QuoteMeta(name) + ` = '((?:[^']|'')*)'\s*$`)
	m := re.FindStringSubmatch(s.Text)
	if m == nil {
		return "", fmt.Errorf("%s defines no $script:%s = '...'", s.File, name)
	}
	return strings.ReplaceAll(m[1], "''", "'"), nil
}

// scriptPattern compiles a .NET pattern of the script with Go's regexp
// (the scripts keep their patterns to the syntax both share); ignoreCase
// for patterns used with -match, which ignores case.
func scriptPattern(s *psScript, name string, ignoreCase bool) (*regexp.Regexp, error) {
	p, err := scriptString(s, name)
	if err != nil {
		return nil, err
	}
	if ignoreCase {
		p = "(?i)" + p
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("$script:%s is not a pattern Go can check: %v", name, err)
	}
	return re, nil
}

// scriptIntList returns the numbers of `$script:Name = @(1, 2, 3)`.
func scriptIntList(s *psScript, name string) ([]int, error) {
	re := regexp.MustCompile(`(?m)^\$script:` + regexp.QuoteMeta(name) + ` = @\(([0-9, ]*)\)\s*$`)
	m := re.FindStringSubmatch(s.Text)
	if m == nil {
		return nil, fmt.Errorf("%s defines no $script:%s = @(numbers)", s.File, name)
	}
	var out []int
	for _, f := range strings.Split(m[1], ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// scriptIntMap returns `$script:Name = @{` / `    20 = 'install'` ... `}`.
func scriptIntMap(s *psScript, name string) (map[int]string, error) {
	lines := strings.Split(s.Text, "\n")
	body, err := tableBody(lines, "$script:"+name+" = @{")
	if err != nil || body == nil {
		return nil, fmt.Errorf("%s: $script:%s: %v", s.File, name, err)
	}
	re := regexp.MustCompile(`^([0-9]+) = '([^']*)'$`)
	out := map[int]string{}
	for _, l := range body {
		m := re.FindStringSubmatch(l.text)
		if m == nil {
			return nil, fmt.Errorf("%s:%d: expected N = 'text'; got %q", s.File, l.n, l.text)
		}
		n, _ := strconv.Atoi(m[1])
		out[n] = m[2]
	}
	return out, nil
}

// --- argument helpers ------------------------------------------------------

func argString(c callArgs, i int, name string) string {
	v, _ := c.get(i, name)
	return psString(v)
}

// psString is PowerShell's [string] conversion of a case value.
func psString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "True"
		}
		return "False"
	}
	return fmt.Sprint(v)
}

func argNumber(c callArgs, i int, name string) float64 {
	v, _ := c.get(i, name)
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	case string:
		f, _ := strconv.ParseFloat(x, 64)
		return f
	}
	return 0
}

func argBool(c callArgs, i int, name string) bool {
	v, _ := c.get(i, name)
	b, _ := v.(bool)
	return b
}

// argStrings is a [string[]] parameter: $null is no list, a scalar a list of one.
func argStrings(c callArgs, i int, name string) ([]string, bool) {
	v, ok := c.get(i, name)
	if !ok || v == nil {
		return nil, false
	}
	list, isList := v.([]any)
	if !isList {
		return []string{psString(v)}, true
	}
	out := make([]string, len(list))
	for k, e := range list {
		out[k] = psString(e)
	}
	return out, true
}

func argMap(c callArgs, i int, name string) map[string]any {
	v, _ := c.get(i, name)
	m, _ := v.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m
}

func strs(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

// dotnetURI parses an absolute URI the way [Uri]::TryCreate does for the
// forms the cases use: scheme and host lower-cased, default ports dropped.
type dotnetURI struct {
	Scheme, Host, Path string // Host as Uri.Host: IPv6 in brackets
	Port               int
	DefaultPort        bool
	UserInfo           bool
	Query, Fragment    bool
}

func parseDotnetURI(text string) (dotnetURI, bool) {
	u, err := url.Parse(text)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return dotnetURI{}, false
	}
	d := dotnetURI{Scheme: strings.ToLower(u.Scheme), Path: u.EscapedPath(), UserInfo: u.User != nil,
		Query: u.RawQuery != "" || u.ForceQuery, Fragment: u.Fragment != ""}
	h := strings.ToLower(u.Hostname())
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	d.Host = h
	defaults := map[string]int{"http": 80, "https": 443}
	d.Port = defaults[d.Scheme]
	d.DefaultPort = true
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return dotnetURI{}, false
		}
		d.Port = n
		d.DefaultPort = n == defaults[d.Scheme]
	}
	if d.Path == "" {
		d.Path = "/"
	}
	return d, true
}

// Authority is Uri.Authority: the host, and the port unless it is the
// scheme's default.
func (d dotnetURI) Authority() string {
	if d.DefaultPort {
		return d.Host
	}
	return d.Host + ":" + strconv.Itoa(d.Port)
}

func (d dotnetURI) IsLoopback() bool {
	h := strings.Trim(d.Host, "[]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// --- preamble --------------------------------------------------------------

func modelOldPowerShell(_ *psScript, c callArgs) (any, error) {
	major, minor := int(argNumber(c, 0, "Major")), int(argNumber(c, 1, "Minor"))
	return major < 5 || (major == 5 && minor < 1), nil
}

func modelJSONText(_ *psScript, c callArgs) (any, error) {
	text := argString(c, 0, "Text")
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(text)) { // PowerShell's ToCharArray: UTF-16 code units
		switch {
		case u == '"':
			b.WriteString(`\"`)
		case u == '\\':
			b.WriteString(`\\`)
		case u < 32 || u == 127:
		case u > 126:
			fmt.Fprintf(&b, `\u%04x`, u)
		default:
			b.WriteByte(byte(u))
		}
	}
	return b.String(), nil
}

func modelDashboardBase(_ *psScript, c callArgs) (any, error) {
	raw := argString(c, 0, "Url")
	text := strings.TrimSpace(raw)
	d, ok := parseDotnetURI(text)
	if text == "" || !ok || (d.Scheme != "https" && d.Scheme != "http") {
		return nil, fmt.Errorf("-Dashboard must be the base URL of the dashboard, like https://wsusfleet.corp.example; got %q", raw)
	}
	if d.UserInfo {
		return nil, errors.New("-Dashboard must not carry a user name or password: the token is the credential.")
	}
	if d.Query || d.Fragment {
		return nil, fmt.Errorf("-Dashboard must be a base URL without a query or fragment; got %q", raw)
	}
	if d.Scheme == "http" && !d.IsLoopback() && !argBool(c, -1, "AllowInsecure") {
		return nil, fmt.Errorf("-Dashboard %s is http://, so the token would cross the network in clear text. Use the https:// address, or add -AllowInsecure to accept the risk.", text)
	}
	return d.Scheme + "://" + d.Authority() + strings.TrimRight(d.Path, "/"), nil
}

// --- common ------------------------------------------------------------------

func modelTime(_ *psScript, c callArgs) (any, error) {
	v, _ := c.get(0, "Value")
	t, ok := v.(time.Time)
	if !ok {
		return nil, nil
	}
	if t.Year() < 1900 {
		return nil, nil
	}
	now := time.Now().UTC()
	if n, ok := c.get(-1, "Now"); ok {
		now = n.(time.Time)
	}
	if t.Year() < 1990 || (!argBool(c, -1, "Future") && t.After(now.Add(24*time.Hour))) {
		return nil, nil
	}
	return t.UTC().Format("2006-01-02T15:04:05Z"), nil
}

func modelSplitList(_ *psScript, c callArgs) (any, error) {
	values, _ := argStrings(c, 0, "Value")
	out := []any{}
	for _, v := range values {
		for _, part := range regexp.MustCompile(`[,;]`).Split(v, -1) {
			if p := strings.TrimSpace(part); p != "" {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

func modelRequestTimeout(_ *psScript, c callArgs) (any, error) {
	ms := int64(argNumber(c, -1, "TimeoutSec")) * 1000
	budget, elapsed := argNumber(c, -1, "BudgetSec"), argNumber(c, -1, "ElapsedSec")
	if budget <= 0 {
		return ms, nil
	}
	left := int64(math.Floor((budget - elapsed) * 1000))
	if left < 1000 {
		return 0, nil
	}
	return min(ms, left), nil
}

func modelUntrustedSid(_ *psScript, c callArgs) (any, error) {
	sids, _ := argStrings(c, 0, "Sids")
	me := argString(c, -1, "Me")
	for _, sid := range sids {
		if sid == "S-1-5-18" || sid == "S-1-5-32-544" || sid == me {
			continue
		}
		return sid, nil
	}
	return nil, nil
}

func modelSpoolName(s *psScript, c callArgs) (any, error) {
	re, err := scriptPattern(s, "WfSpoolNamePattern", false)
	if err != nil {
		return nil, err
	}
	m := re.FindStringSubmatch(argString(c, -1, "Name"))
	return m != nil && m[1] == argString(c, -1, "Kind"), nil
}

// --- windows-checks ----------------------------------------------------------

func modelDeadHostKey(_ *psScript, c callArgs) (any, error) {
	d, ok := parseDotnetURI(argString(c, 0, "Url"))
	if !ok {
		return nil, errors.New("not a URI")
	}
	hostPort := d.Host + ":" + strconv.Itoa(d.Port)
	v, _ := c.get(1, "ErrorKind")
	switch psString(v) {
	case "dns":
		return d.Host, nil
	case "connect":
		return hostPort, nil
	case "timeout":
		if argBool(c, -1, "PortAnswers") {
			return nil, nil
		}
		return hostPort, nil
	}
	return nil, nil
}

// --- client ------------------------------------------------------------------

func modelFlag(_ *psScript, c callArgs) (any, error) {
	v, _ := c.get(0, "Value")
	if v == nil {
		return nil, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(psString(v)), 10, 32)
	if err != nil {
		return nil, nil
	}
	return n != 0, nil
}

func modelNumber(_ *psScript, c callArgs) (any, error) {
	v, _ := c.get(0, "Value")
	if v == nil {
		return nil, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(psString(v)), 10, 32)
	if err != nil || float64(n) < argNumber(c, 1, "Min") || float64(n) > argNumber(c, 2, "Max") {
		return nil, nil
	}
	return n, nil
}

func baseURL(text string) (string, bool) {
	text = strings.TrimSpace(text)
	d, ok := parseDotnetURI(text)
	if text == "" || !ok || (d.Scheme != "http" && d.Scheme != "https") {
		return "", false
	}
	return d.Scheme + "://" + d.Authority(), true
}

func modelBaseURL(_ *psScript, c callArgs) (any, error) {
	if b, ok := baseURL(argString(c, 0, "Value")); ok {
		return b, nil
	}
	return nil, nil
}

func httpBaseForSSL(base string) (string, bool) {
	d, ok := parseDotnetURI(base)
	if base == "" || !ok || d.Scheme != "https" {
		return "", false
	}
	if d.Port == 443 {
		return "http://" + d.Host, true
	}
	return "http://" + d.Host + ":" + strconv.Itoa(d.Port-1), true
}

func modelHTTPBaseForSSL(_ *psScript, c callArgs) (any, error) {
	if b, ok := httpBaseForSSL(argString(c, 0, "BaseUrl")); ok {
		return b, nil
	}
	return nil, nil
}

func vdirPath(s *psScript, vdir string) string {
	for _, p := range s.VDirPaths {
		if p[0] == vdir {
			return p[1]
		}
	}
	return "(no such vDir: " + vdir + ")"
}

func modelClientCheckList(s *psScript, c callArgs) (any, error) {
	policy := argMap(c, -1, "Policy")
	out := []any{}
	if update, ok := baseURL(psString(policy["wuserver"])); ok {
		for _, v := range []string{"SelfUpdate", "ClientWebService", "SimpleAuthWebService"} {
			out = append(out, v+" "+update+vdirPath(s, v))
		}
		if content, ok := httpBaseForSSL(update); ok {
			out = append(out, "Content "+content+vdirPath(s, "Content"))
		}
	}
	if status, ok := baseURL(psString(policy["wustatusserver"])); ok {
		out = append(out, "ReportingWebService "+status+vdirPath(s, "ReportingWebService"))
	}
	return out, nil
}

func hresult(v any) any {
	if v == nil {
		return nil
	}
	text := strings.TrimSpace(psString(v))
	var n uint64
	if m := regexp.MustCompile(`^0[xX]([0-9A-Fa-f]{1,8})$`).FindStringSubmatch(text); m != nil {
		n, _ = strconv.ParseUint(m[1], 16, 32)
	} else if regexp.MustCompile(`^-?[0-9]{1,10}$`).MatchString(text) {
		d, _ := strconv.ParseInt(text, 10, 64)
		if d < math.MinInt32 || d > math.MaxUint32 {
			return nil
		}
		if d < 0 {
			d += 1 << 32
		}
		n = uint64(d)
	} else {
		return nil
	}
	if n == 0 {
		return nil
	}
	return fmt.Sprintf("0x%08X", n)
}

func modelHResult(_ *psScript, c callArgs) (any, error) {
	v, _ := c.get(0, "Value")
	return hresult(v), nil
}

func modelFindHResult(s *psScript, c callArgs) (any, error) {
	re, err := scriptPattern(s, "WfHResultPattern", false)
	if err != nil {
		return nil, err
	}
	m := re.FindString(argString(c, 0, "Text"))
	if m == "" {
		return nil, nil
	}
	return hresult(m), nil
}

// --- inventory ---------------------------------------------------------------

func modelSplitDNList(s *psScript, c callArgs) (any, error) {
	joined, err := scriptPattern(s, "WfJoinedDnPattern", true)
	if err != nil {
		return nil, err
	}
	values, _ := argStrings(c, 0, "Value")
	out := []any{}
	for _, v := range values {
		var part strings.Builder
		for i := 0; i <= len(v); i++ {
			if i < len(v) && v[i] == '\\' && i+1 < len(v) {
				part.WriteByte(v[i])
				part.WriteByte(v[i+1])
				i++
				continue
			}
			if i < len(v) && v[i] != ';' {
				part.WriteByte(v[i])
				continue
			}
			dn := strings.TrimSpace(part.String())
			part.Reset()
			if dn == "" {
				continue
			}
			if joined.MatchString(dn) {
				return nil, fmt.Errorf("-SearchBase %q looks like several distinguished names joined by commas (powershell.exe -File joins a list that way); separate them with a semicolon", dn)
			}
			out = append(out, dn)
		}
	}
	return out, nil
}

func modelInventoryComputer(s *psScript, c callArgs) (any, error) {
	cluster, err := scriptPattern(s, "WfClusterSpnPattern", true)
	if err != nil {
		return nil, err
	}
	windows, err := scriptPattern(s, "WfWindowsOsPattern", true)
	if err != nil {
		return nil, err
	}
	spns, _ := argStrings(c, -1, "ServicePrincipalNames")
	for _, spn := range spns {
		if cluster.MatchString(spn) {
			return "cluster", nil
		}
	}
	if os := argString(c, -1, "OperatingSystem"); os != "" && !windows.MatchString(strings.TrimSpace(os)) {
		return "not-windows", nil
	}
	return nil, nil
}

// --- server ------------------------------------------------------------------

func maxArg(c callArgs) int {
	if v, ok := c.get(-1, "Max"); ok {
		return int(argNumber(callArgs{pos: []any{v}}, 0, ""))
	}
	return 32
}

func modelAliases(s *psScript, c callArgs) (any, error) {
	hostName, err := scriptPattern(s, "WfHostNamePattern", false)
	if err != nil {
		return nil, err
	}
	self := strings.ToLower(strings.TrimRight(strings.TrimSpace(argString(c, -1, "Name")), "."))
	candidates, _ := argStrings(c, -1, "Candidates")
	limit := maxArg(c)
	out := []string{}
	for _, cand := range candidates {
		if len(out) >= limit {
			break
		}
		if cand == "" {
			continue
		}
		alias := strings.ToLower(strings.TrimRight(strings.TrimSpace(cand), "."))
		if alias == self || len(alias) > 253 || !hostName.MatchString(alias) || slices.Contains(out, alias) {
			continue
		}
		out = append(out, alias)
	}
	return strs(out), nil
}

func modelAddresses(_ *psScript, c callArgs) (any, error) {
	candidates, _ := argStrings(c, 0, "Candidates")
	limit := maxArg(c)
	out := []string{}
	for _, cand := range candidates {
		if len(out) >= limit {
			break
		}
		ip, err := netip.ParseAddr(strings.TrimSpace(cand))
		if cand == "" || err != nil {
			continue
		}
		if ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() {
			continue
		}
		text := ip.WithZone("").String()
		if !slices.Contains(out, text) {
			out = append(out, text)
		}
	}
	return strs(out), nil
}

func modelServerCheckList(s *psScript, c callArgs) (any, error) {
	server := argMap(c, -1, "Server")
	out := []any{}
	for _, p := range s.VDirPaths {
		out = append(out, p[0]+" "+psString(server["baseurl"])+p[1])
	}
	if ssl, _ := server["ssl"].(bool); ssl {
		out = append(out, "SelfUpdate "+psString(server["httpurl"])+vdirPath(s, "SelfUpdate"))
		out = append(out, "Content "+psString(server["httpurl"])+vdirPath(s, "Content"))
	}
	if psString(server["httpport"]) != "80" {
		out = append(out, "SelfUpdate http://"+psString(server["name"])+vdirPath(s, "SelfUpdate"))
	}
	return out, nil
}

func modelWASEvent(s *psScript, c callArgs) (any, error) {
	ids, err := scriptIntList(s, "WfWasEventIds")
	if err != nil {
		return nil, err
	}
	if !slices.Contains(ids, int(argNumber(c, 0, "Id"))) {
		return false, nil
	}
	values, _ := argStrings(c, 1, "Values")
	pool := argString(c, -1, "Pool")
	for _, v := range values {
		if strings.EqualFold(strings.TrimSpace(v), pool) {
			return true, nil
		}
	}
	return false, nil
}

func modelIISLogFolder(_ *psScript, c callArgs) (any, error) {
	site, defaults, central := argMap(c, -1, "Site"), argMap(c, -1, "Defaults"), argMap(c, -1, "Central")
	result := func(folder any, source string, skip any) map[string]any {
		return map[string]any{"folder": folder, "source": source, "skip": skip}
	}
	const iisDefault = `%SystemDrive%\inetpub\logs\LogFiles`
	switch mode := psString(central["mode"]); {
	case mode == "1" || strings.EqualFold(mode, "CentralBinary"):
		return result(nil, "central", "central-binary"), nil
	case mode == "2" || strings.EqualFold(mode, "CentralW3C"):
		if e, ok := central["enabled"]; ok && e != nil && e != true {
			return result(nil, "central", "disabled"), nil
		}
		dir := strings.TrimRight(psString(central["directory"]), `\`)
		if dir == "" {
			dir = iisDefault
		}
		return result(dir+`\W3SVC`, "central", nil), nil
	}
	source := "siteDefaults"
	if _, ok := site["directory"]; ok {
		source = "site"
	}
	value := map[string]any{}
	for _, name := range []string{"directory", "logformat", "enabled", "logtargetw3c"} {
		if v, ok := site[name]; ok {
			value[name] = v
		} else {
			value[name] = defaults[name]
		}
	}
	format, target := psString(value["logformat"]), psString(value["logtargetw3c"])
	var skip any
	fileBit := strings.Contains(strings.ToLower(target), "file")
	if n, err := strconv.Atoi(target); err == nil {
		fileBit = n&1 != 0
	}
	switch {
	case value["enabled"] != nil && value["enabled"] != true:
		skip = "disabled"
	case format != "" && format != "2" && !strings.EqualFold(format, "W3C"):
		skip = "not-w3c"
	case target != "" && !fileBit:
		skip = "etw-only"
	}
	if skip != nil {
		return result(nil, source, skip), nil
	}
	dir := strings.TrimRight(psString(value["directory"]), `\`)
	if dir == "" {
		dir = iisDefault
	}
	return result(dir+`\W3SVC`+psString(c.named["siteid"]), source, nil), nil
}

func modelLogResume(_ *psScript, c callArgs) (any, error) {
	sent, size := int64(argNumber(c, -1, "Sent")), int64(argNumber(c, -1, "Size"))
	r := func(offset int64, reason string) map[string]any {
		return map[string]any{"offset": offset, "reason": reason}
	}
	switch {
	case sent < 0:
		return r(0, "new"), nil
	case size < sent:
		return r(0, "truncated"), nil
	case !argBool(c, -1, "TailMatches"):
		return r(0, "replaced"), nil
	case size == sent:
		return r(sent, "unchanged"), nil
	}
	return r(sent, "grown"), nil
}

func modelLogHeader(_ *psScript, c callArgs) (any, error) {
	current, _ := argStrings(c, -1, "Header")
	lines, _ := argStrings(c, -1, "Lines")
	var block []string
	for _, l := range lines {
		if strings.HasPrefix(l, "#") {
			block = append(block, l)
		} else if block != nil {
			current, block = block, nil
		}
	}
	if block != nil {
		current = block
	}
	if current == nil {
		current = []string{}
	}
	return strs(current), nil
}

// --- the tables the models and the dashboard share --------------------------

func TestScriptTables(t *testing.T) {
	server := loadScript(t, "Send-WsusFleetReport.ps1")
	ids, err := scriptIntList(server, "WfWasEventIds")
	if err != nil {
		t.Fatal(err)
	}
	// The WAS events about an application pool's failures (issue 16).
	if want := []int{5002, 5009, 5010, 5011, 5012, 5013, 5117, 5186}; !slices.Equal(ids, want) {
		t.Errorf("$WfWasEventIds = %v; want %v", ids, want)
	}

	client := loadScript(t, "Send-WsusFleetClientReport.ps1")
	events, err := scriptIntMap(client, "WfUpdateErrorEvents")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{20: probes.UpdateOpInstall, 25: probes.UpdateOpScan, 31: probes.UpdateOpDownload}
	if fmt.Sprint(events) != fmt.Sprint(want) {
		t.Errorf("$WfUpdateErrorEvents = %v; want %v", events, want)
	}
	for _, op := range events {
		if !slices.Contains(goEnumValues(t, "update_operation"), op) {
			t.Errorf("$WfUpdateErrorEvents: %q is not an update_operation", op)
		}
	}

	// The spool checks each document begins with its schema.
	for _, c := range collectors {
		s := loadScript(t, c.File)
		for kind, schema := range map[string]string{"report": probes.SchemaReport, "client-report": probes.SchemaClientReport, "inventory": probes.SchemaInventory} {
			if !strings.Contains(s.Text, fmt.Sprintf("'%s' = '%s'", kind, schema)) {
				t.Errorf("%s: $WfSpoolSchemas does not map %s to %s", c.File, kind, schema)
			}
		}
	}
}
