package regquery

import (
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/textin"
)

// psObject is one object of PowerShell's list output: its properties in
// order, and the key its PSPath names (printed after the values).
type psObject struct {
	props []psProp
	path  string
}

type psProp struct {
	name, value string
	line        textin.Line
}

// psPathProps are the properties Get-ItemProperty adds to every object.
// Invoke-Command adds PSComputerName (the remote computer) and RunspaceId.
var psPathProps = []string{"PSPath", "PSParentPath", "PSChildName", "PSDrive", "PSProvider", "PSComputerName", "RunspaceId", "PSShowComputerName"}

// listValue is one "Name : value" line.
func (p *parser) listValue(name, value string, l textin.Line, raw string) {
	p.seen++
	p.listLines++
	if p.obj == nil {
		p.obj = &psObject{}
	}
	o := p.obj
	p.joinIndented = true
	if strings.EqualFold(name, "PSPath") {
		o.path = value
		p.joins = 0
		p.join = func(s string) { o.path += s }
		return
	}
	if strings.EqualFold(name, "PSComputerName") && p.res.Machine == "" {
		p.res.Machine = strings.TrimSpace(value)
	}
	for _, pp := range psPathProps {
		if strings.EqualFold(name, pp) {
			p.joins = 0
			p.join = func(string) {}
			return
		}
	}
	o.props = append(o.props, psProp{name: name, value: value, line: l})
	i := len(o.props) - 1
	// Format-List wraps a long value onto lines indented to its column.
	p.joins = 0
	p.join = func(s string) { o.props[i].value += s }
}

// flushObject turns a finished list object into facts.
func (p *parser) flushObject() {
	o := p.obj
	p.obj = nil
	if o == nil || len(o.props) == 0 {
		return
	}
	key, whole := "", false
	switch {
	case o.path != "":
		k, ok := probes.PolicyKey(o.path)
		if !ok {
			p.ignore(o.path)
			return
		}
		key, whole = k, p.cmd.kind != "ps" || (p.cmd.value == "" && !p.cmd.selected)
	case p.cmd.kind == "ps" && p.cmd.policy:
		key = p.cmd.key
	case p.cmd.kind == "ps" && p.cmd.key != "":
		p.ignore(p.cmd.key)
		return
	}
	read := 0
	for _, pr := range o.props {
		if p.fact(key, pr.name, "", pr.value, pr.line) != nil {
			read++
		}
	}
	if read == 0 && key == "" {
		return
	}
	p.format(FormatPSList)
	if key != "" {
		if whole {
			p.list(key, probes.KeyListed)
		} else {
			p.list(key, probes.KeyPartial)
		}
	}
}

// table is a PowerShell table: Get-ItemProperty | Format-Table (one row per
// key, one column per value) or Get-Item/Get-ChildItem (Name, Property).
type table struct {
	starts []int
	heads  []string
	item   bool   // Name / Property: Get-Item
	key    string // Get-Item: the key of the current row
	header textin.Line
}

func (p *parser) startTable(header, rule textin.Line) {
	p.flushObject()
	t := &table{header: header}
	in := false
	for i, c := range rule.Text {
		if c == '-' && !in {
			t.starts = append(t.starts, i)
		}
		in = c == '-'
	}
	for i := range t.starts {
		t.heads = append(t.heads, strings.TrimSpace(t.cell(header.Text, i)))
	}
	t.item = len(t.heads) == 2 && strings.EqualFold(t.heads[0], "Name") && strings.EqualFold(t.heads[1], "Property")
	p.table = t
	p.seen += 2
}

func (p *parser) endTable() { p.table = nil }

// cell is column i of a line (the last column runs to the end).
func (t *table) cell(s string, i int) string {
	start := t.starts[i]
	if start >= len(s) {
		return ""
	}
	end := len(s)
	if i+1 < len(t.starts) && t.starts[i+1] < end {
		end = t.starts[i+1]
	}
	return s[start:end]
}

// row reads one line of the table; false when it is not one.
func (t *table) row(p *parser, l textin.Line) bool {
	if t.item {
		return t.itemRow(p, l)
	}
	values := map[string]string{}
	for i, h := range t.heads {
		values[h] = strings.TrimSpace(t.cell(l.Text, i))
	}
	key, whole := "", false
	if path := values["PSPath"]; path != "" {
		k, ok := probes.PolicyKey(path)
		if !ok {
			p.ignore(path)
			return true
		}
		key, whole = k, !p.cmd.selected && p.cmd.value == ""
	} else if p.cmd.kind == "ps" && p.cmd.policy {
		key = p.cmd.key
	}
	read := 0
	for _, h := range t.heads {
		if v := values[h]; v != "" && p.fact(key, h, "", v, l) != nil {
			read++
		}
	}
	if read == 0 {
		return false
	}
	p.format(FormatPSTable)
	p.seen++
	if key != "" {
		if whole {
			p.list(key, probes.KeyListed)
		} else {
			p.list(key, probes.KeyPartial)
		}
	}
	return true
}

// itemRow is a row of Get-Item/Get-ChildItem: a key name (first row of a
// key) and one "Value : data" of its Property column.
func (t *table) itemRow(p *parser, l textin.Line) bool {
	name := strings.TrimSpace(t.cell(l.Text, 0))
	prop := strings.TrimSpace(t.cell(l.Text, 1))
	if name != "" {
		raw := name
		if p.hive != "" {
			raw = strings.TrimRight(p.hive, `\`) + `\` + name
		}
		t.key = ""
		if k, ok := probes.PolicyKey(raw); ok {
			t.key = k
			p.mentioned[k] = true
			p.list(k, probes.KeyListed) // Get-Item shows every value of the key
		} else {
			p.ignore(raw)
		}
		p.format(FormatPSItem)
	}
	p.seen++
	if prop == "" || t.key == "" {
		return true
	}
	vn, data, ok := strings.Cut(prop, ":")
	if !ok {
		return true
	}
	p.fact(t.key, strings.TrimSpace(vn), "", strings.TrimSpace(data), l)
	return true
}
