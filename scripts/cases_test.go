package scripts

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// PowerShell cannot run on the build machine, so every function whose logic
// matters carries its cases beside it, in comment lines of the form
//
//	#   Function-Name <arguments> => <result>
//
// written as PowerShell would call it: 'single' and "double`tquoted" strings,
// numbers, $null/$true/$false, @(lists), @{ key = value; ... }, [datetime]'...'
// casts, -Name value and -Switch; a result may be `throw 'text'` (an error
// whose message contains text). TestFunctionCases runs each case against a Go
// model of the function (models_test.go) that follows the PowerShell line by
// line and takes the function's patterns and tables from the script itself, so
// a case, a pattern or a model that disagrees fails here. What this cannot
// catch is PowerShell behaving differently from the model: the models are
// reviewed against the scripts, not run against PowerShell.

// psCase is one case line.
type psCase struct {
	File, Func string
	Line       int
	Text       string
	Args       callArgs
	Want       any
	Throws     string // set when the case expects an error containing it
}

// callArgs are the arguments of a call: positional in order, named by lower-
// case parameter name (switches are true).
type callArgs struct {
	pos   []any
	named map[string]any
}

// get returns the named argument, else positional argument i (-1: none).
func (c callArgs) get(i int, name string) (any, bool) {
	if v, ok := c.named[strings.ToLower(name)]; ok {
		return v, true
	}
	if i >= 0 && i < len(c.pos) {
		return c.pos[i], true
	}
	return nil, false
}

// psFunction is one function of a script with its parameters and cases.
type psFunction struct {
	File, Name string
	Line       int
	Params     []string // lower-case
	HasCases   bool     // a "Cases" header line
	Cases      []psCase
}

var (
	reFuncStart = regexp.MustCompile(`^function ([A-Za-z]+-Wf[A-Za-z0-9]+) \{$`)
	reCaseLine  = regexp.MustCompile(`^\s*#\s+([A-Za-z]+-Wf[A-Za-z0-9]+)\s+(.*?)\s+=>\s+(.*?)\s*$`)
	reCasesHead = regexp.MustCompile(`^\s*# Cases \(`)
	reParamName = regexp.MustCompile(`\]\s*\$(\w+)`)
)

// scriptFunctions reads every top-level function of a script with its cases.
func scriptFunctions(tb testing.TB, s *psScript) []psFunction {
	tb.Helper()
	lines := strings.Split(strings.ReplaceAll(s.Text, "\r\n", "\n"), "\n")
	var out []psFunction
	for i := 0; i < len(lines); i++ {
		m := reFuncStart.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		f := psFunction{File: s.File, Name: m[1], Line: i + 1}
		end := i + 1
		for end < len(lines) && lines[end] != "}" {
			end++
		}
		body := lines[i+1 : end]
		f.Params = paramNames(body)
		for j, l := range body {
			if reCasesHead.MatchString(l) {
				f.HasCases = true
			}
			cm := reCaseLine.FindStringSubmatch(l)
			if cm == nil {
				continue
			}
			line := i + 2 + j
			if cm[1] != f.Name {
				tb.Errorf("%s:%d: a case of %s inside %s", s.File, line, cm[1], f.Name)
				continue
			}
			c := psCase{File: s.File, Func: f.Name, Line: line, Text: strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(l), "#"))}
			var err error
			if c.Args, err = parseArgs(cm[2]); err != nil {
				tb.Errorf("%s:%d: arguments: %v", s.File, line, err)
				continue
			}
			if rest, ok := strings.CutPrefix(cm[3], "throw "); ok {
				v, err := parseValue(rest)
				if err != nil {
					tb.Errorf("%s:%d: result: %v", s.File, line, err)
					continue
				}
				c.Throws, _ = v.(string)
			} else if c.Want, err = parseValue(cm[3]); err != nil {
				tb.Errorf("%s:%d: result: %v", s.File, line, err)
				continue
			}
			f.Cases = append(f.Cases, c)
		}
		out = append(out, f)
		i = end
	}
	return out
}

// paramNames returns the lower-case names declared in a function's param
// block (the scripts type every parameter, so each follows a "]").
func paramNames(body []string) []string {
	text := strings.Join(body, "\n")
	start := strings.Index(text, "param(")
	if start < 0 {
		return nil
	}
	depth := 0
	end := start
	for k := start + len("param"); k < len(text); k++ {
		if text[k] == '(' {
			depth++
		} else if text[k] == ')' {
			depth--
			if depth == 0 {
				end = k
				break
			}
		}
	}
	var names []string
	for _, m := range reParamName.FindAllStringSubmatch(text[start:end], -1) {
		names = append(names, strings.ToLower(m[1]))
	}
	return names
}

func TestFunctionCases(t *testing.T) {
	seen := map[string]string{} // function -> file whose cases ran (shared regions repeat them)
	total := 0
	for _, c := range collectors {
		s := loadScript(t, c.File)
		for _, f := range scriptFunctions(t, s) {
			if f.HasCases && len(f.Cases) == 0 {
				t.Errorf("%s:%d: %s has a Cases header but no case line was understood", f.File, f.Line, f.Name)
			}
			if len(f.Cases) == 0 {
				continue
			}
			model, ok := models[f.Name]
			if !ok {
				t.Errorf("%s:%d: %s has cases but no Go model in models_test.go", f.File, f.Line, f.Name)
				continue
			}
			if _, dup := seen[f.Name]; dup {
				continue
			}
			seen[f.Name] = f.File
			for _, pc := range f.Cases {
				for name := range pc.Args.named {
					if !slices.Contains(f.Params, name) {
						t.Errorf("%s:%d: %s has no parameter -%s (it has %v)", pc.File, pc.Line, f.Name, name, f.Params)
					}
				}
				if len(pc.Args.pos) > len(f.Params) {
					t.Errorf("%s:%d: %d positional arguments; %s has %d parameters", pc.File, pc.Line, len(pc.Args.pos), f.Name, len(f.Params))
				}
				total++
				got, err := model(s, pc.Args)
				switch {
				case pc.Throws != "" && err == nil:
					t.Errorf("%s:%d: %s\n  returned %s; want an error containing %q", pc.File, pc.Line, pc.Text, show(got), pc.Throws)
				case pc.Throws != "" && !strings.Contains(err.Error(), pc.Throws):
					t.Errorf("%s:%d: %s\n  error %q; want it to contain %q", pc.File, pc.Line, pc.Text, err, pc.Throws)
				case pc.Throws == "" && err != nil:
					t.Errorf("%s:%d: %s\n  error %v", pc.File, pc.Line, pc.Text, err)
				case pc.Throws == "" && show(got) != show(pc.Want):
					t.Errorf("%s:%d: %s\n  got  %s\n  want %s", pc.File, pc.Line, pc.Text, show(got), show(pc.Want))
				}
			}
		}
	}
	for name := range models {
		if _, ok := seen[name]; !ok {
			t.Errorf("model %s: no script function of that name has cases", name)
		}
	}
	if total < 150 {
		t.Errorf("only %d cases ran; has the case parser broken?", total)
	}
}

// show renders a value canonically (maps with sorted keys) for comparison.
func show(v any) string {
	b, err := json.Marshal(normalize(v))
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

func normalize(v any) any {
	switch x := v.(type) {
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case time.Time:
		return "[datetime]" + x.Format(time.RFC3339)
	}
	return v
}

// TestCaseParser guards the parser: every value form, and a broken line.
func TestCaseParser(t *testing.T) {
	args, err := parseArgs("'it''s' \"a`tb`u{fc}\" -Flag -N -1 -L @('x', 2, $null) -M @{ a = $true; B = @() } ([datetime]'2026-11-21T09:30:00')")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"named":{"flag":true,"l":["x",2,null],"m":{"a":true,"b":[]},"n":-1},"pos":["it's","a\tbü","[datetime]2026-11-21T09:30:00Z"]}`
	got := show(map[string]any{"pos": args.pos, "named": args.named})
	if got != want {
		t.Errorf("parsed %s\n want %s", got, want)
	}
	for _, bad := range []string{`'unterminated`, `@('a' 'b')`, `@{ a }`, `[version]'1.0'`, `-`} {
		if _, err := parseArgs(bad); err == nil {
			t.Errorf("%q parsed without an error", bad)
		}
	}
}

// parseArgs reads the arguments of a case line.
func parseArgs(s string) (callArgs, error) {
	p := &valueParser{s: s}
	c := callArgs{named: map[string]any{}}
	for {
		p.space()
		if p.done() {
			return c, nil
		}
		if p.peek() == '-' && p.i+1 < len(p.s) && isIdentStart(p.s[p.i+1]) {
			p.i++
			start := p.i
			for !p.done() && isIdent(p.peek()) {
				p.i++
			}
			name := strings.ToLower(p.s[start:p.i])
			p.space()
			if p.done() || (p.peek() == '-' && p.i+1 < len(p.s) && isIdentStart(p.s[p.i+1])) {
				c.named[name] = true
				continue
			}
			v, err := p.value()
			if err != nil {
				return c, err
			}
			c.named[name] = v
			continue
		}
		v, err := p.value()
		if err != nil {
			return c, err
		}
		c.pos = append(c.pos, v)
	}
}

// parseValue reads one value and nothing else.
func parseValue(s string) (any, error) {
	p := &valueParser{s: s}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	if p.space(); !p.done() {
		return nil, fmt.Errorf("unexpected %q after the value", p.s[p.i:])
	}
	return v, nil
}

type valueParser struct {
	s string
	i int
}

func (p *valueParser) done() bool { return p.i >= len(p.s) }
func (p *valueParser) peek() byte { return p.s[p.i] }
func (p *valueParser) space() {
	for !p.done() && (p.peek() == ' ' || p.peek() == '\t') {
		p.i++
	}
}

func (p *valueParser) expect(c byte) error {
	p.space()
	if p.done() || p.peek() != c {
		return fmt.Errorf("expected %q at %d in %q", c, p.i, p.s)
	}
	p.i++
	return nil
}

var reNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?`)

func (p *valueParser) value() (any, error) {
	p.space()
	if p.done() {
		return nil, fmt.Errorf("a value is missing at the end of %q", p.s)
	}
	rest := p.s[p.i:]
	switch {
	case rest[0] == '\'':
		return p.single()
	case rest[0] == '"':
		return p.double()
	case strings.HasPrefix(rest, "$null"):
		p.i += 5
		return nil, nil
	case strings.HasPrefix(rest, "$true"):
		p.i += 5
		return true, nil
	case strings.HasPrefix(rest, "$false"):
		p.i += 6
		return false, nil
	case strings.HasPrefix(rest, "@("):
		p.i += 2
		list := []any{}
		p.space()
		if !p.done() && p.peek() == ')' {
			p.i++
			return list, nil
		}
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
			p.space()
			if !p.done() && p.peek() == ',' {
				p.i++
				continue
			}
			return list, p.expect(')')
		}
	case strings.HasPrefix(rest, "@{"):
		p.i += 2
		m := map[string]any{}
		for {
			p.space()
			if !p.done() && p.peek() == '}' {
				p.i++
				return m, nil
			}
			start := p.i
			for !p.done() && isIdent(p.peek()) {
				p.i++
			}
			key := p.s[start:p.i]
			if key == "" {
				return nil, fmt.Errorf("a key is missing at %d in %q", p.i, p.s)
			}
			if err := p.expect('='); err != nil {
				return nil, err
			}
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			m[strings.ToLower(key)] = v
			p.space()
			if !p.done() && p.peek() == ';' {
				p.i++
			}
		}
	case strings.HasPrefix(rest, "[datetime]"):
		p.i += len("[datetime]")
		v, err := p.single()
		if err != nil {
			return nil, err
		}
		t, err := time.Parse("2006-01-02T15:04:05", v.(string))
		if err != nil {
			return nil, fmt.Errorf("[datetime]: %v", err)
		}
		return t, nil
	case rest[0] == '(':
		p.i++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		return v, p.expect(')')
	}
	if m := reNumber.FindString(rest); m != "" {
		p.i += len(m)
		if strings.Contains(m, ".") {
			return strconv.ParseFloat(m, 64)
		}
		n, err := strconv.Atoi(m)
		return n, err
	}
	return nil, fmt.Errorf("cannot read a value at %q", rest)
}

func (p *valueParser) single() (any, error) {
	var b strings.Builder
	for j := p.i + 1; j < len(p.s); j++ {
		if p.s[j] == '\'' {
			if j+1 < len(p.s) && p.s[j+1] == '\'' {
				b.WriteByte('\'')
				j++
				continue
			}
			p.i = j + 1
			return b.String(), nil
		}
		b.WriteByte(p.s[j])
	}
	return nil, fmt.Errorf("unterminated string in %q", p.s)
}

// double reads a "..." string with the backtick escapes the cases use.
func (p *valueParser) double() (any, error) {
	var b strings.Builder
	for j := p.i + 1; j < len(p.s); j++ {
		switch c := p.s[j]; c {
		case '"':
			p.i = j + 1
			return b.String(), nil
		case '`':
			j++
			if j >= len(p.s) {
				return nil, fmt.Errorf("a backtick ends %q", p.s)
			}
			switch e := p.s[j]; e {
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'n':
				b.WriteByte('\n')
			case 'u':
				end := strings.IndexByte(p.s[j:], '}')
				if end < 0 || j+1 >= len(p.s) || p.s[j+1] != '{' {
					return nil, fmt.Errorf("bad `u{} escape in %q", p.s)
				}
				n, err := strconv.ParseUint(p.s[j+2:j+end], 16, 32)
				if err != nil || !utf8.ValidRune(rune(n)) {
					return nil, fmt.Errorf("bad `u{} escape in %q", p.s)
				}
				b.WriteRune(rune(n))
				j += end
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return nil, fmt.Errorf("unterminated string in %q", p.s)
}
