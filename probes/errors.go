package probes

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors shared by the store and the web layer.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// FieldError is one problem, located by an RFC 6901 JSON pointer into a JSON
// body, by the name of a query parameter, or by the line of an uploaded file.
// With none of them set, it concerns the whole request.
type FieldError struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	Line      int64  `json:"line,omitempty"`
	Detail    string `json:"detail"`
}

// ValidationError lists every problem found in a document. Syntax is true when
// the body was not well-formed JSON at all.
type ValidationError struct {
	Errors []FieldError
	Syntax bool
}

// maxFieldErrors bounds the list so a body of junk gets a useful, small answer.
const maxFieldErrors = 100

func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Errors))
	for _, f := range e.Errors {
		parts = append(parts, f.String())
	}
	return fmt.Sprintf("invalid document: %s", strings.Join(parts, "; "))
}

func (f FieldError) String() string {
	switch {
	case f.Pointer != "":
		return f.Pointer + ": " + f.Detail
	case f.Parameter != "":
		return f.Parameter + ": " + f.Detail
	case f.Line > 0:
		return fmt.Sprintf("line %d: %s", f.Line, f.Detail)
	}
	return f.Detail
}

// InvalidParam builds a ValidationError for a query parameter.
func InvalidParam(name, format string, args ...any) *ValidationError {
	return &ValidationError{Errors: []FieldError{{Parameter: name, Detail: fmt.Sprintf(format, args...)}}}
}

// InvalidLine builds a ValidationError for a line of an uploaded file.
func InvalidLine(line int64, format string, args ...any) *ValidationError {
	return &ValidationError{Errors: []FieldError{{Line: line, Detail: fmt.Sprintf(format, args...)}}}
}

// problems collects field errors up to maxFieldErrors.
type problems struct {
	list    []FieldError
	dropped int
}

func (p *problems) add(pointer, format string, args ...any) {
	if len(p.list) >= maxFieldErrors {
		p.dropped++
		return
	}
	p.list = append(p.list, FieldError{Pointer: pointer, Detail: fmt.Sprintf(format, args...)})
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	list := p.list
	if p.dropped > 0 {
		list = append(list, FieldError{Detail: fmt.Sprintf("%d more problems not listed", p.dropped)})
	}
	return &ValidationError{Errors: list}
}

// Invalid builds a ValidationError for a single field.
func Invalid(pointer, format string, args ...any) *ValidationError {
	return &ValidationError{Errors: []FieldError{{Pointer: pointer, Detail: fmt.Sprintf(format, args...)}}}
}

// pointerJoin appends a reference token to a JSON pointer, escaping ~ and /.
func pointerJoin(ptr, token string) string {
	token = strings.ReplaceAll(token, "~", "~0")
	token = strings.ReplaceAll(token, "/", "~1")
	return ptr + "/" + token
}
