// Package regquery reads a client's Windows Update policy (DESIGN §7.6) from
// what an administrator has at hand: `reg query … /s` output (prompts and
// all), PowerShell's Get-ItemProperty / Get-Item output as a list or a
// table, and .reg exports. It says which values it saw and which keys it
// saw whole, so that a value that was simply not pasted is never read as
// "not set".
package regquery

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/textin"
)

// MaxBytes bounds registry output: a policy key's output is a few KiB.
const MaxBytes = 16 << 20

// Want is what this package reads, for refusals.
const Want = `the output of reg query HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate /s (or Get-ItemProperty of that key and its AU subkey, or a .reg export of it)`

// maxJoins bounds the wrapped lines of one value: a URL or path wraps over
// a few lines, not hundreds.
const maxJoins = 64

// Formats of registry evidence.
const (
	FormatRegQuery = "reg query"
	FormatRegFile  = ".reg export"
	FormatPSList   = "Get-ItemProperty list"
	FormatPSTable  = "PowerShell table"
	FormatPSItem   = "Get-Item/Get-ChildItem"
	FormatRegedit  = "regedit text export"
)

// Result is what the evidence showed.
type Result struct {
	Formats []string              `json:"formats"`
	Policy  probes.PolicyEvidence `json:"policy"`
	Machine string                `json:"machine,omitempty"` // the computer the output names (\\PC\HKLM…, [PC]: PS …), if it does
	Lines   int64                 `json:"lines"`
	Ignored []string              `json:"ignored,omitempty"` // other keys shown, not read
	Joined  []int64               `json:"joined_lines,omitempty"`
	Notes   []string              `json:"notes,omitempty"`
}

// Parse reads registry evidence. Input that shows no value or key of the
// Windows Update policy is refused with a *probes.ValidationError naming a
// line and saying what to send.
func Parse(r io.Reader) (*Result, error) {
	t, err := textin.New(r, textin.Options{Want: Want, MaxBytes: MaxBytes})
	if err != nil {
		return nil, err
	}
	defer t.Close()
	p := newParser(t)
	var prev *textin.Line
	for t.Next() {
		l := t.Line()
		if prev != nil {
			if tableRule.MatchString(l.Text) && !p.inTable() && strings.TrimSpace(prev.Text) != "" {
				p.startTable(*prev, l)
				prev = nil
				continue
			}
			p.line(*prev)
		}
		prev = &l
	}
	if err := t.Err(); err != nil {
		return nil, err
	}
	if prev != nil {
		p.line(*prev)
	}
	return p.finish()
}

// command is what the last command line visible in the paste asked for.
type command struct {
	kind      string // "reg", "ps" or "" (none seen)
	key       string // normalised policy key, or the raw key
	policy    bool   // key is one of probes.PolicyKeys
	value     string // reg query /v, Get-ItemProperty -Name: one value only
	recursive bool   // /s, -Recurse
	selected  bool   // | Select-Object / Format-Table with properties: some values only
	line      int64
}

type parser struct {
	t   *textin.Reader
	res Result

	cmd      command
	location string // PowerShell's location from a "PS HKLM:\…>" prompt

	// The current key of reg query or .reg output.
	key       string // normalised policy key, "" for another key
	keyRaw    string
	keyLine   int64
	keyValues int
	keyFormat string
	hive      string // Get-Item/Get-ChildItem "Hive:" line

	state     map[string]string // policy key → probes.Key*
	mentioned map[string]bool   // policy keys named by a key line
	regListed map[string]bool   // listed by reg query or .reg (which always show subkeys)
	facts     map[string]probes.PolicyFact
	ignored   map[string]bool

	obj     *psObject                  // the Get-ItemProperty list object being read
	regedit struct{ name, typ string } // the value a regedit text export is describing
	table   *table
	regWrap *regPending // a .reg value continued on the next lines

	join         func(s string) // appends a wrapped line to what came before it
	joins        int            // lines joined to the current value
	joinIndented bool           // the wrap is indented (Format-List), not cut at the margin
	unreadable   []int64        // lines not understood
	firstText    string         // the first of them, for a refusal
	seen         int            // lines that were understood
	listLines    int            // "Name : value" lines (a list of anything)
}

func newParser(t *textin.Reader) *parser {
	return &parser{t: t, state: map[string]string{}, mentioned: map[string]bool{}, regListed: map[string]bool{},
		facts: map[string]probes.PolicyFact{}, ignored: map[string]bool{}}
}

func (p *parser) format(f string) {
	if !slices.Contains(p.res.Formats, f) {
		p.res.Formats = append(p.res.Formats, f)
	}
}

func (p *parser) note(format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	if !slices.Contains(p.res.Notes, n) && len(p.res.Notes) < 50 {
		p.res.Notes = append(p.res.Notes, n)
	}
}

func (p *parser) inTable() bool { return p.table != nil }

// line handles one line of the paste.
func (p *parser) line(l textin.Line) {
	text := l.Text
	trim := strings.TrimSpace(text)
	if trim == "" {
		if p.keyFormat == FormatRegedit {
			return // blank lines separate its values; the next "Key Name:" ends the key
		}
		p.endBlock()
		p.endTable()
		p.join = nil
		return
	}
	if p.regFileContinuation(l) {
		return
	}
	if m := promptRe.FindStringSubmatch(text); m != nil {
		p.endBlock()
		p.endTable()
		p.prompt(m[1], m[2]+m[3], m[4], l)
		return
	}
	if m := psMissingPathRe.FindStringSubmatch(trim); m != nil {
		p.notFound(l.N, m[1])
		return
	}
	if m := psMissingValueRe.FindStringSubmatch(trim); m != nil {
		p.valueAbsent(m[1], m[2], l.N)
		return
	}
	if commandRe.MatchString(trim) {
		p.endBlock()
		p.endTable()
		p.command(trim, l.N)
		return
	}
	if p.table != nil {
		if p.table.row(p, l) {
			return
		}
		p.endTable()
	}
	if p.regeditLine(trim, l) {
		return
	}
	switch {
	case regHeaderRe.MatchString(trim):
		p.format(FormatRegFile)
		p.seen++
	case regKeyRe.MatchString(trim):
		m := regKeyRe.FindStringSubmatch(trim)
		p.setKey(m[2], l.N, FormatRegFile)
		if m[1] == "-" {
			p.absent(m[2], l.N, "deleted by the .reg file")
		}
	case regValueRe.MatchString(trim) && p.keyFormat == FormatRegFile:
		p.regFileValue(trim, l)
	case errorRe.MatchString(trim):
		p.notFound(l.N, "")
	case strings.HasPrefix(trim, "End of search:"), strings.HasPrefix(trim, "At line:"), strings.HasPrefix(trim, "+ "),
		strings.HasPrefix(trim, "+~"), strings.HasPrefix(trim, "The operation completed successfully"):
		p.seen++ // reg and PowerShell chatter
	case hiveRe.MatchString(text):
		p.endBlock()
		p.hive = hiveRe.FindStringSubmatch(text)[1]
		p.seen++
	case keyLineRe.MatchString(trim) && !strings.Contains(trim, "REG_"):
		p.endBlock()
		p.setKey(trim, l.N, FormatRegQuery)
	case regQueryValueRe.MatchString(text):
		m := regQueryValueRe.FindStringSubmatch(text)
		p.regQueryValue(m[1], m[2], m[3], l)
	case p.join != nil && wrapOK(text) && (!p.joinIndented || text[0] == ' ' || text[0] == '\t'):
		if p.joins++; p.joins > maxJoins {
			p.join = nil // no registry value wraps over this many lines
			break
		}
		p.join(trim)
		p.res.Joined = append(p.res.Joined, l.N)
		p.seen++
	case listRe.MatchString(trim) && !strings.HasPrefix(listRe.FindStringSubmatch(trim)[2], "//"):
		m := listRe.FindStringSubmatch(trim)
		p.listValue(m[1], m[2], l, text)
	default:
		p.join = nil
		if len(p.unreadable) < 10 {
			p.unreadable = append(p.unreadable, l.N)
		}
		if p.firstText == "" {
			p.firstText = trim
		}
	}
}

// wrapOK: a wrapped piece of a value is one word (terminal and mail wraps
// split URLs and paths, which hold no spaces).
func wrapOK(text string) bool {
	return !strings.ContainsAny(strings.TrimSpace(text), " \t")
}

// prompt reads a shell prompt line: the remote computer ([PC0042]: PS),
// PowerShell's location (PS HKLM:\…>) and the command typed after it.
func (p *parser) prompt(machine, loc, cmd string, l textin.Line) {
	p.seen++
	if machine != "" && p.res.Machine == "" {
		p.res.Machine = machine
	}
	loc = strings.TrimSpace(loc)
	if strings.HasPrefix(strings.ToUpper(loc), "HK") || strings.Contains(loc, "::") {
		p.location = loc
	} else {
		p.location = ""
	}
	if cmd = strings.TrimSpace(cmd); cmd != "" {
		p.command(cmd, l.N)
	}
}

// command reads a command line: which key it asks for and how much of it.
func (p *parser) command(text string, n int64) {
	p.seen++
	words := splitWords(text)
	if len(words) == 0 {
		return
	}
	c := command{line: n}
	verb := strings.ToLower(strings.TrimSuffix(strings.ToLower(words[0]), ".exe"))
	switch {
	case verb == "reg" && len(words) > 2 && strings.EqualFold(words[1], "query"):
		c.kind = "reg"
		c.key = words[2]
		for i := 3; i < len(words); i++ {
			switch strings.ToLower(words[i]) {
			case "/s":
				c.recursive = true
			case "/v":
				if i+1 < len(words) {
					c.value = words[i+1]
					i++
				}
			case "/ve":
				c.value = "(Default)"
			}
		}
	case slices.Contains([]string{"get-itemproperty", "gp", "get-item", "gi", "get-childitem", "gci", "dir", "ls"}, verb):
		c.kind = "ps"
		for i := 1; i < len(words); i++ {
			w := words[i]
			switch lw := strings.ToLower(w); {
			case w == "|":
				rest := strings.ToLower(strings.Join(words[i+1:], " "))
				if strings.HasPrefix(rest, "select") || (strings.HasPrefix(rest, "f") && len(words) > i+2 && !strings.HasPrefix(words[i+2], "-")) {
					c.selected = !strings.Contains(rest, "*")
				}
				i = len(words)
			case lw == "-name" && i+1 < len(words):
				c.value = strings.Trim(words[i+1], `'"`)
				i++
			case lw == "-recurse":
				c.recursive = true
			case lw == "-path" || lw == "-literalpath":
			case strings.HasPrefix(w, "-"):
			case c.key == "":
				c.key = strings.Trim(w, `'"`)
			}
		}
		if c.key == "" || c.key == "." {
			c.key = p.location
		} else if !strings.Contains(c.key, ":") && !strings.HasPrefix(c.key, `\\`) && p.location != "" {
			c.key = strings.TrimRight(p.location, `\`) + `\` + strings.TrimLeft(c.key, `.\`)
		}
	default:
		return
	}
	if k, ok := probes.PolicyKey(c.key); ok {
		c.key, c.policy = k, true
	}
	p.cmd = c
}

// setKey starts a key of reg query or .reg output.
func (p *parser) setKey(raw string, n int64, format string) {
	p.endBlock()
	p.format(format)
	p.seen++
	p.keyRaw, p.keyLine, p.keyValues, p.keyFormat = raw, n, 0, format
	if m := machineRe.FindStringSubmatch(raw); m != nil && p.res.Machine == "" {
		p.res.Machine = m[1]
	}
	k, ok := probes.PolicyKey(raw)
	p.key = ""
	if ok {
		p.key = k
		p.mentioned[k] = true
		if format == FormatRegFile {
			p.list(k, probes.KeyListed)
			p.regListed[k] = true
		}
	}
	joined := raw
	p.joinIndented = false
	p.joins = 0
	p.join = func(s string) { // a key cut by a wrap
		joined += s
		p.keyRaw = joined
		if k, ok := probes.PolicyKey(joined); ok {
			p.key = k
			p.mentioned[k] = true
			if format == FormatRegFile {
				p.list(k, probes.KeyListed)
				p.regListed[k] = true
			}
		}
	}
}

func (p *parser) ignore(raw string) {
	raw = strings.TrimSpace(raw)
	if !p.ignored[strings.ToLower(raw)] && len(p.res.Ignored) < 20 {
		p.ignored[strings.ToLower(raw)] = true
		p.res.Ignored = append(p.res.Ignored, raw)
	}
}

// endBlock closes the current reg query key: a key shown with no value is
// empty when the command says it was queried whole.
func (p *parser) endBlock() {
	p.flushObject()
	if p.keyFormat != "" && p.key == "" {
		p.ignore(p.keyRaw)
	}
	if p.keyFormat == FormatRegQuery && p.key != "" && p.keyValues == 0 {
		if p.cmd.kind == "reg" && p.cmd.value == "" && (p.cmd.recursive || p.cmd.key == p.key) {
			p.list(p.key, probes.KeyListed)
			p.regListed[p.key] = true
		}
	}
	p.keyFormat, p.key, p.keyValues = "", "", 0
}

// list records what is known of a whole key, never weakening it.
func (p *parser) list(key, state string) {
	rank := map[string]int{"": 0, probes.KeyPartial: 1, probes.KeyListed: 2, probes.KeyAbsent: 2}
	if rank[state] >= rank[p.state[key]] {
		p.state[key] = state
	}
}

// regQueryValue is "    Name    REG_TYPE    data".
func (p *parser) regQueryValue(name, typ, data string, l textin.Line) {
	p.format(FormatRegQuery)
	p.seen++
	key := p.key
	if p.keyFormat == FormatRegQuery && key != "" {
		p.keyValues++
		if p.cmd.kind == "reg" && p.cmd.value != "" {
			p.list(key, probes.KeyPartial)
		} else {
			p.list(key, probes.KeyListed)
			p.regListed[key] = true
		}
	} else if p.keyFormat == FormatRegQuery {
		p.join = nil
		return // a value of another key
	}
	f := p.fact(key, name, typ, strings.TrimSpace(data), l)
	if f == nil {
		p.join = nil
		return
	}
	if typ == "REG_SZ" || typ == "REG_EXPAND_SZ" {
		p.joinIndented = false
		p.joins = 0
		p.join = func(s string) { f.Data += s; p.facts[factKey(f.Key, f.Name)] = *f }
	} else {
		p.join = nil
	}
}

// fact records a value, converting numbers to decimal; nil when the value
// is not one wsusfleet reads.
func (p *parser) fact(key, name, typ, data string, l textin.Line) *probes.PolicyFact {
	var pv probes.PolicyValue
	var ok bool
	if key != "" {
		pv, ok = probes.LookupPolicyValue(key, name)
	} else if pv, ok = probes.PolicyValueByName(name); ok {
		p.note("line %d: %s is shown without its key; read as a value of %s", l.N, pv.Name, pv.Key)
	}
	if !ok {
		return nil
	}
	if l.Cut || strings.HasSuffix(data, "...") || strings.HasSuffix(data, "…") {
		p.note("line %d: the value of %s is cut short on screen, so it is not read; paste it as a list (| Format-List) or with reg query", l.N, pv.Name)
		return nil
	}
	f := probes.PolicyFact{Key: pv.Key, Name: pv.Name, Set: true, Data: data, Line: l.N}
	if pv.Number {
		if typ != "" && typ != "REG_DWORD" && typ != "REG_QWORD" && typ != "dword" {
			p.note("line %d: %s is a %s; Windows Update reads it as a REG_DWORD (set it with the GPO, not by hand)", l.N, pv.Name, typ)
		}
		n, err := number(data)
		if err != nil {
			p.note("line %d: %s %q is not a number, so it is not read", l.N, pv.Name, data)
			return nil
		}
		f.Data = strconv.FormatInt(n, 10)
	}
	p.facts[factKey(f.Key, f.Name)] = f
	stored := f
	return &stored
}

func factKey(key, name string) string { return key + "\x00" + strings.ToLower(name) }

// number reads a DWORD as reg query (0x1), PowerShell (1) or .reg
// (dword:00000001) shows it.
func number(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if h, ok := strings.CutPrefix(strings.ToLower(s), "dword:"); ok {
		n, err := strconv.ParseUint(h, 16, 32)
		return int64(n), err
	}
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		n, err := strconv.ParseUint(h, 16, 64)
		return int64(n), err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil && strings.HasPrefix(s, "-") {
		return 0, err
	}
	if err != nil {
		u, uerr := strconv.ParseUint(s, 10, 64)
		return int64(u), uerr
	}
	return n, nil
}

// valueAbsent records that a value is not set (reg query /v not found,
// Get-ItemProperty -Name "does not exist").
func (p *parser) valueAbsent(name, key string, n int64) {
	p.seen++
	k, ok := probes.PolicyKey(key)
	var pv probes.PolicyValue
	if ok {
		pv, ok = probes.LookupPolicyValue(k, name)
	} else {
		pv, ok = probes.PolicyValueByName(name)
	}
	if !ok {
		return
	}
	p.facts[factKey(pv.Key, pv.Name)] = probes.PolicyFact{Key: pv.Key, Name: pv.Name, Line: n}
}

// absent records that a policy key does not exist (with its subkeys).
func (p *parser) absent(raw string, n int64, why string) {
	k, ok := probes.PolicyKey(raw)
	if !ok {
		return
	}
	p.list(k, probes.KeyAbsent)
	if k == probes.KeyPolicy {
		p.list(probes.KeyPolicyAU, probes.KeyAbsent)
	}
	p.note("line %d: %s does not exist (%s)", n, k, why)
}

// notFound handles "ERROR: The system was unable to find the specified
// registry key or value." (localised) and PowerShell's "Cannot find path".
func (p *parser) notFound(n int64, path string) {
	p.seen++
	switch {
	case path != "":
		p.absent(path, n, "PowerShell cannot find it")
	case p.cmd.kind == "reg" && p.cmd.line < n && p.cmd.value != "":
		if p.cmd.policy {
			p.valueAbsent(p.cmd.value, p.cmd.key, n)
			p.note("line %d: %s is not set in %s (reg query /v found nothing)", n, p.cmd.value, p.cmd.key)
		}
	case p.cmd.kind == "reg" && p.cmd.line < n:
		p.absent(p.cmd.key, n, "reg query found nothing")
	case !p.mentioned[probes.KeyPolicy] && !p.mentioned[probes.KeyPolicyAU]:
		// Nothing says which key was asked for: the key this evidence is
		// about. Missing, it means no Windows Update policy at all.
		p.absent(probes.KeyPolicy, n, "reg query found nothing; the command is not in the paste, so this is read as the answer to the query of the policy key")
	case p.state[probes.KeyPolicy] == probes.KeyListed && !p.mentioned[probes.KeyPolicyAU]:
		p.absent(probes.KeyPolicyAU, n, "reg query found nothing; the command is not in the paste, and the WindowsUpdate key shows no AU subkey")
	default:
		p.note("line %d: reg query found nothing, but the paste does not show which key it was asked for; paste the command line with it", n)
	}
}

// finish settles what the keys say and refuses input that showed nothing.
func (p *parser) finish() (*Result, error) {
	p.endBlock()
	p.endTable()
	// reg query and .reg exports show every subkey: a listed policy key
	// without an AU line means there is no AU subkey.
	if p.regListed[probes.KeyPolicy] && !p.mentioned[probes.KeyPolicyAU] && p.state[probes.KeyPolicyAU] == "" {
		p.list(probes.KeyPolicyAU, probes.KeyAbsent)
		p.note("the WindowsUpdate policy key has no AU subkey, so UseWUServer is not set")
	}
	for k := range p.mentioned {
		if p.state[k] == "" {
			p.note("%s is named but its values are not shown (reg query without /s lists subkeys without their values)", k)
		}
	}
	res := p.res
	res.Lines = p.t.Lines()
	res.Policy = probes.PolicyEvidence{Keys: p.state}
	for _, f := range p.facts {
		res.Policy.Facts = append(res.Policy.Facts, f)
	}
	probes.SortFacts(res.Policy.Facts)
	if len(res.Policy.Keys) == 0 {
		res.Policy.Keys = nil
	}
	if res.Policy.Empty() {
		return nil, p.refusal()
	}
	if len(p.unreadable) > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("lines not understood (left out): %s", joinInts(p.unreadable)))
	}
	return &res, nil
}

func (p *parser) refusal() error {
	if len(p.res.Ignored) > 0 {
		return p.t.Refuse(0, "the paste shows %s, which holds no Windows Update policy value wsusfleet reads", strings.Join(p.res.Ignored, ", "))
	}
	first := int64(1)
	if len(p.unreadable) > 0 {
		first = p.unreadable[0]
	}
	if p.seen > p.listLines {
		return p.t.Refuse(first, "no Windows Update policy value or key is shown (only prompts and messages)")
	}
	if p.listLines > 0 {
		return p.t.Refuse(1, "this is not registry output: it is a list of \"Name : value\" lines without a Windows Update policy value")
	}
	return p.t.Refuse(first, "this is not registry output: no key, value or command line was recognised (the line reads %.60q)", p.firstText)
}

func joinInts(ns []int64) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.FormatInt(n, 10)
	}
	return strings.Join(s, ", ")
}

// splitWords splits a command line at spaces outside quotes; a pipe is a word.
func splitWords(s string) []string {
	var out []string
	var b strings.Builder
	quote := rune(0)
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote == 0 && (r == '"' || r == '\''):
			quote = r
		case quote == 0 && (r == ' ' || r == '\t'):
			flush()
		case quote == 0 && r == '|':
			flush()
			out = append(out, "|")
		default:
			b.WriteRune(r)
		}
	}
	flush()
	return out
}

// regeditLine reads regedit's "Save as type: Text Files" export: a "Key
// Name:" line, then "Value N" blocks of Name, Type and Data lines.
func (p *parser) regeditLine(trim string, l textin.Line) bool {
	if m := regeditKeyRe.FindStringSubmatch(trim); m != nil {
		p.setKey(m[1], l.N, FormatRegedit)
		p.list(p.key, probes.KeyListed) // the export lists every value, and every subkey after it
		if p.key != "" {
			p.regListed[p.key] = true
		}
		return true
	}
	if p.keyFormat != FormatRegedit {
		return false
	}
	m := regeditFieldRe.FindStringSubmatch(trim)
	switch {
	case strings.HasPrefix(trim, "Class Name:"), strings.HasPrefix(trim, "Last Write Time:"), regeditValueRe.MatchString(trim):
		p.regedit.name, p.regedit.typ = "", ""
	case m == nil:
		return false
	case m[1] == "Name":
		p.regedit.name = m[2]
	case m[1] == "Type":
		p.regedit.typ = m[2]
	case m[1] == "Data" && p.regedit.name != "":
		p.fact(p.key, p.regedit.name, p.regedit.typ, m[2], l)
		p.keyValues++
	}
	p.seen++
	return true
}
