package eventtext

import (
	"encoding/csv"
	"errors"
	"io"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes/localtime"
	"github.com/wsusfleet/wsusfleet/probes/textin"
)

// FormatExport is Event Viewer's "Save Selected Events" as CSV or as
// tab-delimited text.
const FormatExport = "Event Viewer export (CSV or tab-delimited)"

// exportColumns name the columns of Event Viewer's export, in the
// languages of viewerLabels.
var exportColumns = map[string]string{
	"level": "level", "date and time": "date", "source": "source", "event id": "id", "task category": "task",
	"ebene": "level", "datum und uhrzeit": "date", "quelle": "source", "ereignis-id": "id", "aufgabenkategorie": "task",
	"niveau": "level", "date et heure": "date", "id de l'événement": "id", "catégorie de la tâche": "task",
	"nivel": "level", "fecha y hora": "date", "origen": "source", "id. del evento": "id", "categoría de la tarea": "task",
}

// exportHeader recognises the header line of an export and its delimiter.
func exportHeader(line string) (rune, bool) {
	for _, d := range []rune{',', '\t', ';'} {
		cols := strings.Split(line, string(d))
		if len(cols) < 4 {
			continue
		}
		found := map[string]bool{}
		for _, c := range cols {
			if k, ok := exportColumns[strings.ToLower(strings.NewReplacer("’", "'").Replace(strings.Trim(strings.TrimSpace(c), `"`)))]; ok {
				found[k] = true
			}
		}
		if found["id"] && found["source"] && found["date"] {
			return d, true
		}
	}
	return 0, false
}

// parseExport reads an export: one event per record, the message in the
// column after the named ones (multi-line messages are quoted).
func (p *parser) parseExport(t *textin.Reader, delim rune, before int64) error {
	cr := csv.NewReader(t.Text())
	cr.Comma, cr.LazyQuotes, cr.FieldsPerRecord = delim, true, -1
	header, err := cr.Read()
	if err != nil {
		return err
	}
	cols := map[string]int{}
	last := 0
	for i, h := range header {
		if k, ok := exportColumns[strings.ToLower(strings.NewReplacer("’", "'").Replace(strings.TrimSpace(h)))]; ok {
			cols[k] = i
			last = max(last, i)
		}
	}
	p.formats = append(p.formats, FormatExport)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return t.Refuse(int64(pe.Line), "the export's quotes do not balance: %v", pe.Err)
			}
			return err
		}
		line, _ := cr.FieldPos(0)
		line += int(before)
		get := func(k string) string {
			if i, ok := cols[k]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		r := &record{format: FormatExport, line: int64(line), fields: map[string]string{}}
		for _, k := range []string{"level", "source", "id", "task"} {
			r.fields[k] = get(k)
		}
		if st, ok := localtime.ParseText(get("date")); ok {
			r.stamp = &st
		}
		if last+1 < len(rec) {
			r.message = strings.Split(strings.Join(rec[last+1:], string(delim)), "\n")
		}
		p.records = append(p.records, r)
		if len(p.records) > maxEvents {
			return t.Refuse(int64(line), "more than %d events: send fewer at a time", maxEvents)
		}
	}
}

// IsExportHeader reports the header line of Event Viewer's CSV or
// tab-delimited export: what content sniffing looks for.
func IsExportHeader(line string) bool {
	_, ok := exportHeader(line)
	return ok
}
