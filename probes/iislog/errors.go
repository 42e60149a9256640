package iislog

import (
	"fmt"

	"github.com/wsusfleet/wsusfleet/probes"
)

// FormatError says why a log was refused as a whole, so the API can name the
// line. Line is 1-based, or 0 when the problem concerns the whole input.
// Errors from the reader itself are returned wrapped, not as FormatError.
//
// It unwraps to a *probes.ValidationError with Syntax set (the problem is the
// file's form, as with the other evidence parsers), so the web layer's one
// error mapping answers it without knowing this package.
type FormatError struct {
	Line   int64
	Reason string
}

func (e *FormatError) Error() string { return "iislog: " + e.detail() }

func (e *FormatError) Unwrap() error {
	return &probes.ValidationError{Syntax: true, Errors: []probes.FieldError{{Line: e.Line, Detail: e.Reason}}}
}

func (e *FormatError) detail() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return e.Reason
}

func refuse(line int64, format string, args ...any) *FormatError {
	return &FormatError{Line: line, Reason: fmt.Sprintf(format, args...)}
}
