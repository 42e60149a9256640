package regquery

import (
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/wsusfleet/wsusfleet/probes/textin"
)

// regPending is a .reg value continued over lines ending in "\" (how
// regedit wraps hex data): unambiguous to join.
type regPending struct {
	text  strings.Builder
	first textin.Line
}

// regFileContinuation consumes the lines of a wrapped .reg value.
func (p *parser) regFileContinuation(l textin.Line) bool {
	if p.regWrap == nil {
		return false
	}
	piece := strings.TrimSpace(l.Text)
	more := strings.HasSuffix(piece, `\`)
	p.regWrap.text.WriteString(strings.TrimSuffix(piece, `\`))
	p.res.Joined = append(p.res.Joined, l.N)
	p.seen++
	if !more {
		w := p.regWrap
		p.regWrap = nil
		p.regFileData(w.text.String(), w.first)
	}
	return true
}

// regFileValue reads `"Name"=data` or `@=data`.
func (p *parser) regFileValue(text string, l textin.Line) {
	p.seen++
	if strings.HasSuffix(text, `\`) {
		p.regWrap = &regPending{first: l}
		p.regWrap.text.WriteString(strings.TrimSuffix(text, `\`))
		return
	}
	p.regFileData(text, l)
}

func (p *parser) regFileData(text string, l textin.Line) {
	name, data, ok := splitRegValue(text)
	if !ok || p.key == "" {
		return
	}
	if data == "-" {
		p.valueAbsent(name, p.key, l.N)
		return
	}
	typ, value, ok := regData(data)
	if !ok {
		p.note("line %d: the data of %s is not in a form .reg files use, so it is not read", l.N, name)
		return
	}
	p.fact(p.key, name, typ, value, l)
}

// splitRegValue splits `"Na\"me"=data` into its unescaped name and the data.
func splitRegValue(text string) (name, data string, ok bool) {
	if rest, ok := strings.CutPrefix(text, "@"); ok {
		_, data, ok = strings.Cut(rest, "=")
		return "(Default)", strings.TrimSpace(data), ok
	}
	if !strings.HasPrefix(text, `"`) {
		return "", "", false
	}
	var b strings.Builder
	for i := 1; i < len(text); i++ {
		switch c := text[i]; {
		case c == '\\' && i+1 < len(text):
			i++
			b.WriteByte(text[i])
		case c == '"':
			rest := strings.TrimSpace(text[i+1:])
			data, ok := strings.CutPrefix(rest, "=")
			return b.String(), strings.TrimSpace(data), ok
		default:
			b.WriteByte(c)
		}
	}
	return "", "", false
}

// regData decodes the data of a .reg value into a type and text (numbers
// as 0x hex, strings unescaped).
func regData(data string) (typ, value string, ok bool) {
	switch {
	case strings.HasPrefix(data, `"`) && strings.HasSuffix(data, `"`) && len(data) >= 2:
		s := data[1 : len(data)-1]
		s = strings.NewReplacer(`\\`, `\`, `\"`, `"`).Replace(s)
		return "REG_SZ", s, true
	case strings.HasPrefix(strings.ToLower(data), "dword:"):
		n, err := strconv.ParseUint(data[6:], 16, 32)
		return "REG_DWORD", "0x" + strconv.FormatUint(n, 16), err == nil
	}
	kind, hexText, ok := strings.Cut(data, ":")
	if !ok {
		return "", "", false
	}
	b, err := hex.DecodeString(strings.NewReplacer(",", "", " ", "").Replace(hexText))
	if err != nil {
		return "", "", false
	}
	switch strings.ToLower(kind) {
	case "hex(b)": // REG_QWORD, little-endian
		if len(b) != 8 {
			return "", "", false
		}
		return "REG_QWORD", "0x" + strconv.FormatUint(binary.LittleEndian.Uint64(b), 16), true
	case "hex(4)": // REG_DWORD written as hex
		if len(b) != 4 {
			return "", "", false
		}
		return "REG_DWORD", "0x" + strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b)), 16), true
	case "hex(1)", "hex(2)": // REG_SZ, REG_EXPAND_SZ as UTF-16LE
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = binary.LittleEndian.Uint16(b[2*i:])
		}
		s := string(utf16.Decode(u))
		typ := "REG_SZ"
		if kind == "hex(2)" {
			typ = "REG_EXPAND_SZ"
		}
		return typ, strings.TrimRight(s, "\x00"), true
	}
	return "REG_BINARY", "", true
}
