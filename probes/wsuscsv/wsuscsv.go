// Package wsuscsv reads the computer targets of a WSUS server from
// `Get-WsusComputer -All | Export-Csv` output (DESIGN §7.7) into the report's
// clients snapshot, coping with what Windows PowerShell writes: a #TYPE line,
// a BOM or UTF-16, ";" for -UseCulture, and dates in the exporting
// machine's locale.
package wsuscsv

import (
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Options tune Parse.
type Options struct {
	// DateOrder is DMY or MDY for files whose d/m/yyyy dates are ambiguous
	// (no day above 12 anywhere); empty means infer it from the file.
	DateOrder string
	// Partial says the file does not list every computer of the server
	// (clients.complete=false), so the ones missing are not marked removed.
	Partial bool
	// Now bounds times from the future (a day of clock skew allowed); zero
	// skips the check.
	Now time.Time
}

// Result is the parsed snapshot and what was learnt on the way.
type Result struct {
	Clients   probes.ClientList `json:"clients"`
	DateOrder string            `json:"date_order,omitempty"` // the order d/m dates were read in, when there were any
	TypeName  string            `json:"type_name,omitempty"`  // from the #TYPE line
	Ignored   []string          `json:"ignored_columns,omitempty"`
	Merged    int               `json:"merged_rows,omitempty"` // rows that repeated a computer exactly
	Notes     []string          `json:"notes,omitempty"`
}

// Bounds: ClientList allows a million items; the problem list stays short.
const (
	maxClients  = 1_000_000
	maxProblems = 20
)

// row is one computer before its dates are resolved.
type row struct {
	line                 int
	client               probes.Client
	lastSync, lastReport stamp
	rawSync, rawReport   string
}

// Parse reads an Export-Csv of Get-WsusComputer. Every problem with the file
// is a *probes.ValidationError naming the line (Syntax set when it is not a
// well-formed CSV export); errors reading r are returned as they are.
func Parse(r io.Reader, opt Options) (*Result, error) {
	if opt.DateOrder != "" && opt.DateOrder != DMY && opt.DateOrder != MDY {
		return nil, invalid(false, "date order %.20q: use %s (day first) or %s (month first)", opt.DateOrder, DMY, MDY)
	}
	src, err := open(r)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(src.r)
	cr.Comma = src.delimiter
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, invalid(true, "line %d: no CSV header: expected the output of %s", src.skipped+1, exportHint)
	}
	if err != nil {
		return nil, readProblem(err, src.skipped, nil, 0)
	}
	cols, err := parseHeader(header, src.skipped+1)
	if err != nil {
		return nil, err
	}
	res := &Result{TypeName: src.typeName, Ignored: cols.ignored, Notes: cols.notes}
	var rows []*row // pointers: growing a slice of 400-byte rows copies too much
	var p problemList
	seen := map[string]int{} // client key -> index in rows
	for !p.full() {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readProblem(err, src.skipped, rec, len(header))
		}
		line, _ := cr.FieldPos(0)
		line += src.skipped
		if len(rows) == maxClients {
			return nil, invalid(false, "line %d: more than %d computers; split the export", line, maxClients)
		}
		rw, ok := readRow(rec, cols, line, &p, res)
		if !ok {
			continue
		}
		key := rw.client.Key()
		if j, dup := seen[key]; dup {
			if sameRow(*rows[j], rw) {
				res.Merged++
				continue
			}
			p.add(line, "computer %s is already on line %d with different values", describeClient(rw.client), rows[j].line)
			continue
		}
		seen[key] = len(rows)
		rows = append(rows, &rw)
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	order, read, err := dateOrder(rows, opt.DateOrder)
	if err != nil {
		return nil, err
	}
	res.DateOrder = read
	res.Clients = probes.ClientList{Complete: !opt.Partial, Items: make([]probes.Client, len(rows))}
	for i := range rows {
		rw := rows[i]
		c := rw.client
		var sErr, rErr error
		c.LastSync, sErr = resolveTime(rw.lastSync, order)
		c.LastReport, rErr = resolveTime(rw.lastReport, order)
		if sErr != nil {
			p.add(rw.line, "%s %.40q is not a valid %s date", colLastSync, rw.rawSync, order)
		}
		if rErr != nil {
			p.add(rw.line, "%s %.40q is not a valid %s date", colLastReport, rw.rawReport, order)
		}
		res.Clients.Items[i] = c
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	if err := validate(res.Clients, rows, opt.Now); err != nil {
		return nil, err
	}
	return res, nil
}

func resolveTime(st stamp, order string) (probes.Time, error) {
	st, err := st.resolve(order)
	if err != nil {
		return probes.Time{}, err
	}
	return probes.TimeOf(st.t), nil
}

// readProblem words an encoding/csv or input error.
func readProblem(err error, skipped int, rec []string, width int) error {
	if v := asValidation(err); v != nil {
		return v
	}
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	line, start := pe.Line+skipped, pe.StartLine+skipped
	switch {
	case errors.Is(pe.Err, csv.ErrFieldCount):
		return invalid(true, "line %d: the row has %d fields but the header has %d (truncated or edited file?)", line, len(rec), width)
	case errors.Is(pe.Err, csv.ErrQuote) && start != line:
		return invalid(true, "line %d: a quoted field is not closed by line %d (unbalanced quotes or truncated file)", start, line)
	case errors.Is(pe.Err, csv.ErrQuote):
		return invalid(true, "line %d, column %d: unbalanced quotes: a quoted field is not closed properly (or the file is truncated)", line, pe.Column)
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return invalid(true, `line %d, column %d: a " inside an unquoted field (unbalanced quotes)`, line, pe.Column)
	}
	return invalid(true, "line %d: %v", line, pe.Err)
}

// problemList collects row problems, up to maxProblems.
type problemList struct{ list []probes.FieldError }

func (p *problemList) add(line int, format string, args ...any) {
	if !p.full() {
		p.list = append(p.list, probes.FieldError{Detail: "line " + strconv.Itoa(line) + ": " + sprintf(format, args...)})
	}
}

func (p *problemList) full() bool { return len(p.list) >= maxProblems }

func (p *problemList) err() error {
	if len(p.list) == 0 {
		return nil
	}
	list := p.list
	if p.full() {
		list = append(list, probes.FieldError{Detail: "stopped after " + strconv.Itoa(maxProblems) + " problems"})
	}
	return &probes.ValidationError{Errors: list}
}

func describeClient(c probes.Client) string {
	if c.ID != "" {
		return strconv.Quote(c.Name) + " (Id " + c.ID + ")"
	}
	return strconv.Quote(c.Name)
}

// dateOrder decides how to read d/m/yyyy dates: as asked, else from a date
// that can only be read one way. Mixed evidence and unresolvable ambiguity
// are errors, because reading 03/04 the wrong way misdates clients by months.
//
// order is the one to resolve dates with; read is the one to report, ""
// when no date needed one.
func dateOrder(rows []*row, asked string) (order, read string, err error) {
	var dmyLine, mdyLine, ambiguousLine int
	var dmyRaw, mdyRaw, ambiguousRaw string
	note := func(st stamp, raw string, line int) {
		switch st.order() {
		case DMY:
			if dmyLine == 0 {
				dmyLine, dmyRaw = line, raw
			}
		case MDY:
			if mdyLine == 0 {
				mdyLine, mdyRaw = line, raw
			}
		case "?":
			if ambiguousLine == 0 {
				ambiguousLine, ambiguousRaw = line, raw
			}
		}
	}
	for _, r := range rows {
		note(r.lastSync, r.rawSync, r.line)
		note(r.lastReport, r.rawReport, r.line)
	}
	switch {
	case asked != "":
		return asked, asked, nil
	case dmyLine > 0 && mdyLine > 0:
		return "", "", invalid(false, "the dates mix day-first (line %d: %.40q) and month-first (line %d: %.40q) orders", dmyLine, dmyRaw, mdyLine, mdyRaw)
	case dmyLine > 0:
		return DMY, DMY, nil
	case mdyLine > 0:
		return MDY, MDY, nil
	case ambiguousLine > 0:
		return "", "", invalid(false, "cannot tell whether dates like %.40q (line %d) are day/month or month/day: no date in the file has a day above 12; pass ?date_order=dmy or ?date_order=mdy",
			ambiguousRaw, ambiguousLine)
	}
	return DMY, "", nil // no d/m dates, or only ones like 3/3/2026 that read the same either way
}

// validate runs the report's own rules over the clients (name bounds, enum
// values, future times) by wrapping them in a minimal report, the public
// entry point of probes validation, and names the line of each problem.
func validate(list probes.ClientList, rows []*row, now time.Time) error {
	collected := now
	if collected.IsZero() {
		collected = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	r := probes.Report{
		Schema: probes.SchemaReport, ID: "wsuscsv", CollectedAt: probes.TimeOf(collected),
		Collector: probes.Collector{Name: "wsuscsv", Vantage: probes.VantageServer},
		Server:    probes.ServerInfo{Name: "wsuscsv"}, Clients: &list,
	}
	err := r.Validate(now)
	var v *probes.ValidationError
	if !errors.As(err, &v) {
		return err
	}
	var p problemList
	for _, fe := range v.Errors {
		rest, ok := strings.CutPrefix(fe.Pointer, "/clients/items/")
		idx, field, _ := strings.Cut(rest, "/")
		i, convErr := strconv.Atoi(idx)
		switch {
		case fe.Pointer == "":
			continue // "N more problems": p says it stopped early itself
		case !ok || convErr != nil || i < 0 || i >= len(rows):
			p.list = append(p.list, fe)
			continue
		}
		p.add(rows[i].line, "%s %s", columnOf(field), fe.Detail)
	}
	return p.err()
}

// columnOf names the CSV column a client field came from.
func columnOf(field string) string {
	field, _, _ = strings.Cut(field, "/")
	switch field {
	case "id":
		return colID
	case "name":
		return colName
	case "ip":
		return colIP
	case "os":
		return colOS
	case "client_version":
		return colClientVersion
	case "groups":
		return colGroupIDs
	case "requested_group":
		return colRequestedGroup
	case "last_sync":
		return colLastSync
	case "last_sync_result":
		return colLastSyncResult
	case "last_report":
		return colLastReport
	}
	return field
}
