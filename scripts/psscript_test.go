package scripts

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// psScript is what the contract tests read from one collector script. The
// scripts are written so that a small scanner suffices: the tables have one
// entry per line, objects are built by New-WfObject with a hashtable literal
// right after the type name, and enum values go through Get-WfEnum.
type psScript struct {
	File      string
	Text      string
	Names     map[string][]string // $script:WfNames: probes type -> property names, in emit order
	Enums     map[string][]string // $script:WfEnums: enum name -> values
	VDirPaths [][2]string         // $script:WfVDirPaths: vDir -> probe path, in order
	Objects   []objectSite        // New-WfObject <Type> @{ ... }
	Props     []propSite          // Write-WfJsonProperty / Write-WfJsonName
	EnumUses  []enumUse           // Get-WfEnum <enum> '<literal>' [-Default '<literal>']
	Regions   map[string]string   // "# region shared: NAME" ... "# endregion shared: NAME"
}

type objectSite struct {
	Type string
	Line int
	Keys []keySite
}

type keySite struct {
	Name  string
	Value string // the value's source text up to the end of its first line
	Line  int
}

type propSite struct {
	Type, Name string
	Value      string // "" for Write-WfJsonName
	Line       int
}

type enumUse struct {
	Enum     string
	Literals []string
	Line     int
}

var (
	reTableEntry  = regexp.MustCompile(`^(\w+)\s*=\s*@\((.*)\)$`)
	reQuoted      = regexp.MustCompile(`'([^']*)'`)
	rePathEntry   = regexp.MustCompile(`^(\w+)\s*=\s*'([^']*)'$`)
	reNewObject   = regexp.MustCompile(`New-WfObject\s+(\w+)\s+@\{`)
	reWriteProp   = regexp.MustCompile(`Write-WfJsonProperty\s+\$\w+\s+(\w+)\s+(\w+)\s*(.*)$`)
	reWriteName   = regexp.MustCompile(`Write-WfJsonName\s+\$\w+\s+(\w+)\s+(\w+)`)
	reEnumCall    = regexp.MustCompile(`Get-WfEnum\s+(\w+)(.*)$`)
	reEnumFirst   = regexp.MustCompile(`^\s+'([^']*)'`)
	reEnumDefault = regexp.MustCompile(`-Default\s+'([^']*)'`)
	reRegionStart = regexp.MustCompile(`(?m)^# region shared: (\S+)$`)
)

func readScript(tb testing.TB, path string) *psScript {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	s := &psScript{File: path, Text: string(b), Regions: map[string]string{}}
	lines := strings.Split(strings.ReplaceAll(s.Text, "\r\n", "\n"), "\n")
	if s.Names, err = parseListTable(lines, `$script:WfNames = @{`); err != nil {
		tb.Fatalf("%s: $script:WfNames: %v", path, err)
	}
	if s.Enums, err = parseListTable(lines, `$script:WfEnums = @{`); err != nil {
		tb.Fatalf("%s: $script:WfEnums: %v", path, err)
	}
	if s.VDirPaths, err = parsePathTable(lines, `$script:WfVDirPaths = [ordered]@{`); err != nil {
		tb.Fatalf("%s: $script:WfVDirPaths: %v", path, err)
	}
	for _, m := range reRegionStart.FindAllStringSubmatchIndex(s.Text, -1) {
		name := s.Text[m[2]:m[3]]
		end := strings.Index(s.Text[m[1]:], "\n# endregion shared: "+name)
		if end < 0 {
			tb.Fatalf("%s: region shared: %s has no end", path, name)
		}
		s.Regions[name] = s.Text[m[1] : m[1]+end]
	}
	code := stripComments(s.Text)
	if err := s.scanCode(code); err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return s
}

// parseListTable reads `Name = @('a', 'b')` lines between header and "}".
func parseListTable(lines []string, header string) (map[string][]string, error) {
	out := map[string][]string{}
	body, err := tableBody(lines, header)
	if err != nil || body == nil {
		return nil, err
	}
	for _, l := range body {
		m := reTableEntry.FindStringSubmatch(l.text)
		if m == nil {
			return nil, fmt.Errorf("line %d: expected Name = @('a', 'b'); got %q", l.n, l.text)
		}
		if _, dup := out[m[1]]; dup {
			return nil, fmt.Errorf("line %d: %s twice", l.n, m[1])
		}
		values := []string{}
		for _, q := range reQuoted.FindAllStringSubmatch(m[2], -1) {
			values = append(values, q[1])
		}
		if rest := strings.Trim(reQuoted.ReplaceAllString(m[2], ""), ", "); rest != "" {
			return nil, fmt.Errorf("line %d: only quoted literals may appear in the list; found %q", l.n, rest)
		}
		out[m[1]] = values
	}
	return out, nil
}

func parsePathTable(lines []string, header string) ([][2]string, error) {
	body, err := tableBody(lines, header)
	if err != nil || body == nil {
		return nil, err
	}
	var out [][2]string
	for _, l := range body {
		m := rePathEntry.FindStringSubmatch(l.text)
		if m == nil {
			return nil, fmt.Errorf("line %d: expected Name = '/path'; got %q", l.n, l.text)
		}
		out = append(out, [2]string{m[1], m[2]})
	}
	return out, nil
}

type numberedLine struct {
	n    int
	text string
}

// tableBody returns the trimmed, non-comment lines of the table that starts
// with header; nil when the script has no such table.
func tableBody(lines []string, header string) ([]numberedLine, error) {
	start := -1
	for i, l := range lines {
		if strings.TrimSpace(l) == header {
			if start >= 0 {
				return nil, fmt.Errorf("defined twice (lines %d and %d)", start+1, i+1)
			}
			start = i
		}
	}
	if start < 0 {
		return nil, nil
	}
	var out []numberedLine
	for i := start + 1; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		switch {
		case t == "}":
			return out, nil
		case t == "" || strings.HasPrefix(t, "#"):
			continue
		}
		out = append(out, numberedLine{i + 1, t})
	}
	return nil, fmt.Errorf("no closing } after line %d", start+1)
}

// scanCode finds the call sites in code (comments already blanked).
func (s *psScript) scanCode(code string) error {
	lineOf := func(i int) int { return strings.Count(code[:i], "\n") + 1 }
	for _, m := range reNewObject.FindAllStringSubmatchIndex(code, -1) {
		site := objectSite{Type: code[m[2]:m[3]], Line: lineOf(m[0])}
		keys, err := scanHashtable(code, m[1], lineOf)
		if err != nil {
			return fmt.Errorf("line %d: New-WfObject %s: %v", site.Line, site.Type, err)
		}
		site.Keys = keys
		s.Objects = append(s.Objects, site)
	}
	for i, l := range strings.Split(code, "\n") {
		if m := reWriteProp.FindStringSubmatch(l); m != nil {
			s.Props = append(s.Props, propSite{Type: m[1], Name: m[2], Value: strings.TrimSpace(m[3]), Line: i + 1})
		} else if m := reWriteName.FindStringSubmatch(l); m != nil {
			s.Props = append(s.Props, propSite{Type: m[1], Name: m[2], Line: i + 1})
		}
		for _, m := range reEnumCallAll(l) {
			s.EnumUses = append(s.EnumUses, enumUse{Enum: m[0], Literals: m[1:], Line: i + 1})
		}
	}
	return nil
}

// reEnumCallAll returns, for every Get-WfEnum call on the line, the enum name
// followed by its literal arguments (the value if quoted, and -Default).
func reEnumCallAll(line string) [][]string {
	var out [][]string
	for {
		idx := strings.Index(line, "Get-WfEnum")
		if idx < 0 {
			return out
		}
		line = line[idx:]
		m := reEnumCall.FindStringSubmatch(line)
		line = line[len("Get-WfEnum"):]
		if m == nil {
			continue
		}
		rest := m[2]
		if next := strings.Index(rest, "Get-WfEnum"); next >= 0 {
			rest = rest[:next]
		}
		call := []string{m[1]}
		if q := reEnumFirst.FindStringSubmatch(rest); q != nil {
			call = append(call, q[1])
		}
		if d := reEnumDefault.FindStringSubmatch(rest); d != nil {
			call = append(call, d[1])
		}
		out = append(out, call)
	}
}

// scanHashtable reads the keys of the hashtable literal whose body starts at
// code[start] (just after "@{"): identifiers at the start of a statement at
// nesting depth zero followed by "=". It returns at the matching "}".
func scanHashtable(code string, start int, lineOf func(int) int) ([]keySite, error) {
	var keys []keySite
	depth := 0
	stmtStart := true
	for i := start; i < len(code); {
		c := code[i]
		switch {
		case c == '\'':
			i = skipSingleQuoted(code, i)
			stmtStart = false
			continue
		case c == '"':
			i = skipDoubleQuoted(code, i)
			stmtStart = false
			continue
		case c == '`':
			i += 2
			continue
		case c == '{' || c == '(' || c == '[':
			depth++
			i++
			stmtStart = false
			continue
		case c == '}' || c == ')' || c == ']':
			if depth == 0 {
				if c != '}' {
					return nil, fmt.Errorf("unbalanced %q at line %d", c, lineOf(i))
				}
				return keys, nil
			}
			depth--
			i++
			continue
		case c == '\n' || c == ';':
			if depth == 0 {
				stmtStart = true
			}
			i++
			continue
		case c == ' ' || c == '\t' || c == '\r':
			i++
			continue
		}
		if depth == 0 && stmtStart && isIdentStart(c) {
			j := i
			for j < len(code) && isIdent(code[j]) {
				j++
			}
			k := j
			for k < len(code) && (code[k] == ' ' || code[k] == '\t') {
				k++
			}
			if k < len(code) && code[k] == '=' && (k+1 >= len(code) || code[k+1] != '=') {
				end := strings.IndexByte(code[k+1:], '\n')
				if end < 0 {
					end = len(code) - k - 1
				}
				keys = append(keys, keySite{Name: code[i:j], Value: strings.TrimSpace(code[k+1 : k+1+end]), Line: lineOf(i)})
				i = k + 1
				stmtStart = false
				continue
			}
			i = j
			stmtStart = false
			continue
		}
		stmtStart = false
		i++
	}
	return nil, fmt.Errorf("no closing }")
}

func isIdentStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isIdent(c byte) bool      { return isIdentStart(c) || (c >= '0' && c <= '9') }

func skipSingleQuoted(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		if s[j] == '\'' {
			if j+1 < len(s) && s[j+1] == '\'' {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

func skipDoubleQuoted(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '`':
			j++
		case '"':
			if j+1 < len(s) && s[j+1] == '"' {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

// stripComments blanks PowerShell comments (# to end of line, <# ... #>)
// outside strings, keeping line breaks so line numbers stay right.
func stripComments(src string) string {
	b := []byte(src)
	blank := func(from, to int) {
		for k := from; k < to && k < len(b); k++ {
			if b[k] != '\n' {
				b[k] = ' '
			}
		}
	}
	for i := 0; i < len(b); {
		switch {
		case b[i] == '\'':
			i = skipSingleQuoted(src, i)
		case b[i] == '"':
			i = skipDoubleQuoted(src, i)
		case b[i] == '<' && i+1 < len(b) && b[i+1] == '#':
			end := strings.Index(src[i+2:], "#>")
			to := len(b)
			if end >= 0 {
				to = i + 2 + end + 2
			}
			blank(i, to)
			i = to
		case b[i] == '#':
			end := strings.IndexByte(src[i:], '\n')
			to := len(b)
			if end >= 0 {
				to = i + end
			}
			blank(i, to)
			i = to
		default:
			i++
		}
	}
	return string(b)
}
