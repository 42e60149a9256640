package wsuscsv

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/textin"
)

// maxLineBytes bounds one physical line; a computer's row is well under 4 KiB.
const maxLineBytes = 64 << 10

// ExportCommand is what to run instead of pasting what Get-WsusComputer prints.
const ExportCommand = "Get-WsusComputer -All | Export-Csv -NoTypeInformation -Encoding UTF8 computers.csv"

const exportHint = ExportCommand

// invalid is a problem with the file; syntax marks input that is not a CSV
// export at all or is malformed (400 rather than 422).
func invalid(syntax bool, format string, args ...any) *probes.ValidationError {
	return &probes.ValidationError{Syntax: syntax, Errors: []probes.FieldError{{Detail: fmt.Sprintf(format, args...)}}}
}

// source is the sniffed input: text positioned at the CSV header.
type source struct {
	r         io.Reader
	typeName  string // from a "#TYPE ..." first line
	skipped   int    // lines before the header (the #TYPE line, blank lines)
	delimiter rune
}

// tableRule is the dashed line under a PowerShell table's headings.
var tableRule = regexp.MustCompile(`^\s*-{2,}(\s+-{2,})+\s*$`)

// listLine is one "Property : value" line of PowerShell's list output.
var listLine = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9]*)\s*: ?(.*)$`)

// open decodes r (textin: UTF-16 from > and Out-File, a BOM, ANSI, pasted
// Markdown), reads the #TYPE line, refuses what PowerShell prints on screen
// (tables and lists) with the export command, and picks the delimiter
// (Export-Csv -UseCulture writes ";" in much of Europe).
func open(r io.Reader) (*source, error) {
	t, err := textin.New(r, textin.Options{Want: "the output of " + exportHint, MaxLine: maxLineBytes, RefuseLong: true})
	if err != nil {
		return nil, refusal(err)
	}
	head, err := t.Head(200)
	if err != nil {
		return nil, refusal(err)
	}
	src := &source{delimiter: ','}
	i := 0
	for i < len(head) && strings.TrimSpace(head[i].Text) == "" {
		i++
	}
	if i < len(head) && strings.HasPrefix(head[i].Text, "#TYPE") {
		src.typeName = strings.TrimSpace(strings.TrimPrefix(head[i].Text, "#TYPE"))
		i++
	}
	if err := screenOutput(head[i:]); err != nil {
		return nil, err
	}
	for range i {
		t.Next()
	}
	src.skipped = i
	src.r = t.Text()
	if i < len(head) {
		src.delimiter = pickDelimiter(head[i].Text)
	}
	return src, nil
}

// refusal words textin's refusals as this package always has: the line in
// the detail.
func refusal(err error) error {
	var v *probes.ValidationError
	if !errors.As(err, &v) {
		return err
	}
	out := &probes.ValidationError{Syntax: v.Syntax}
	for _, e := range v.Errors {
		if e.Line > 0 {
			e.Detail = fmt.Sprintf("line %d: %s", e.Line, e.Detail)
			e.Line = 0
		}
		out.Errors = append(out.Errors, e)
	}
	return out
}

// screenOutput refuses the text PowerShell prints on screen, saying what it
// is: a table cuts and wraps values, a list is not one row per computer, and
// both show dates in the console's format.
func screenOutput(lines []textin.Line) error {
	var prompt string
	props := map[string]int64{}
	var order []string
	computers := 0
	for j, l := range lines {
		text := strings.TrimSpace(l.Text)
		switch {
		case strings.HasPrefix(text, "PS ") && strings.Contains(text, ">"):
			prompt = text
		case tableRule.MatchString(l.Text) && j > 0:
			heads := strings.Join(strings.Fields(lines[j-1].Text), " ")
			what := "PowerShell table output (Format-Table)"
			if prompt != "" {
				what = "the table that " + strings.TrimSpace(prompt[strings.Index(prompt, ">")+1:]) + " prints"
			}
			return invalid(true, "line %d: this is %s (headings %s), not CSV: a table cuts long values and wraps others onto the next lines; export with %s",
				lines[j-1].N, what, heads, exportHint)
		default:
			if m := listLine.FindStringSubmatch(text); m != nil && !strings.Contains(text, `","`) {
				if _, seen := props[m[1]]; !seen {
					props[m[1]] = l.N
					order = append(order, m[1])
				}
				if strings.EqualFold(m[1], colName) {
					computers++
				}
			}
		}
	}
	if len(order) >= 3 {
		first := props[order[0]]
		what := fmt.Sprintf("%d computer", computers)
		if computers != 1 {
			what += "s"
		}
		return invalid(true, "line %d: this is PowerShell list output (Format-List: one \"Property : value\" line each, %s so far, properties %s), not CSV: export with %s",
			first, what, strings.Join(order[:min(len(order), 5)], ", "), exportHint)
	}
	return nil
}

// pickDelimiter counts the candidate separators outside quotes in the header.
func pickDelimiter(header string) rune {
	counts := map[rune]int{}
	quoted := false
	for _, r := range header {
		switch {
		case r == '"':
			quoted = !quoted
		case !quoted && (r == ',' || r == ';' || r == '\t'):
			counts[r]++
		}
	}
	best := ','
	for _, r := range []rune{';', '\t'} {
		if counts[r] > counts[best] {
			best = r
		}
	}
	return best
}

func asValidation(err error) *probes.ValidationError {
	var v *probes.ValidationError
	if errors.As(err, &v) {
		return refusal(v).(*probes.ValidationError)
	}
	return nil
}
