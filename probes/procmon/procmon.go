// Package procmon reads a Process Monitor CSV export taken while restarting
// W3SVC and WsusService, and digests it the way the WSUS troubleshooting
// guide reads it: the access denials of w3wp.exe, WsusService.exe and
// sqlservr.exe, grouped, each with the grant that fixes it (DESIGN §1, §7.5).
//
// The input is streamed with encoding/csv: memory is constant apart from the
// groups, which are bounded too, so multi-gigabyte captures are fine.
package procmon

import (
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Parse reads a ProcMon CSV export and returns its denial digest. Problems
// with the file are a *probes.ValidationError with Syntax set (they are all
// about the file's form: there is no content to reject) whose message names
// the line; errors reading r are returned as they are.
func Parse(r io.Reader) (*probes.DenialDigest, error) {
	in, err := open(r)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(in)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			return nil, invalid("no CSV header found: %s", exportHint)
		}
		return nil, readProblem(err, "no CSV header found (%s); "+exportHint, nil, 0)
	}
	cols, err := parseHeader(header, strings.Join(header, ","))
	if err != nil {
		return nil, err
	}
	d := newDigester()
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readProblem(err, "%s", rec, len(header))
		}
		d.add(capturedRow{process: rec[cols.process], operation: rec[cols.operation], path: rec[cols.path], result: rec[cols.result],
			timeOfDay: field(rec, cols.time), user: field(rec, cols.user), detail: field(rec, cols.detail)})
	}
	return d.digest(), nil
}

// field is rec[i], or "" for a column the export does not have.
func field(rec []string, i int) string {
	if i < 0 {
		return ""
	}
	return rec[i]
}

// readProblem words a read error: the input's own refusals pass through,
// CSV errors are put in format, anything else (the reader's) is returned as is.
func readProblem(err error, format string, rec []string, width int) error {
	var v *probes.ValidationError
	if errors.As(err, &v) {
		return v
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return invalid(format, csvProblem(pe, len(rec), width))
	}
	return err
}

// csvProblem words an encoding/csv error for an administrator.
func csvProblem(pe *csv.ParseError, fields, width int) string {
	switch {
	case errors.Is(pe.Err, csv.ErrFieldCount):
		return "line " + itoa(pe.Line) + ": the row has " + itoa(fields) + " fields but the header has " + itoa(width) + " (truncated or edited file?)"
	case errors.Is(pe.Err, csv.ErrQuote) && pe.StartLine != pe.Line:
		return "line " + itoa(pe.StartLine) + ": a quoted field is not closed by line " + itoa(pe.Line) + " (unbalanced quotes or truncated file)"
	case errors.Is(pe.Err, csv.ErrQuote):
		return "line " + itoa(pe.Line) + ", column " + itoa(pe.Column) + ": unbalanced quotes: a quoted field is not closed properly (or the file is truncated)"
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return "line " + itoa(pe.Line) + ", column " + itoa(pe.Column) + `: a " inside an unquoted field (unbalanced quotes)`
	}
	return pe.Error()
}

func itoa(i int) string { return strconv.Itoa(i) }
