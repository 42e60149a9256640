package iislog

import "fmt"

// FormatError says why a log was refused as a whole, so the API can name the
// line. Line is 1-based, or 0 when the problem concerns the whole input.
// Errors from the reader itself are returned wrapped, not as FormatError.
type FormatError struct {
	Line   int64
	Reason string
}

func (e *FormatError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("iislog: line %d: %s", e.Line, e.Reason)
	}
	return "iislog: " + e.Reason
}

func refuse(line int64, format string, args ...any) *FormatError {
	return &FormatError{Line: line, Reason: fmt.Sprintf(format, args...)}
}
