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

// FieldError is one problem with one field, located by an RFC 6901 JSON pointer
// ("" is the whole document).
type FieldError struct {
	Pointer string `json:"pointer"`
	Detail  string `json:"detail"`
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
		if f.Pointer == "" {
			parts = append(parts, f.Detail)
			continue
		}
		parts = append(parts, f.Pointer+": "+f.Detail)
	}
	return fmt.Sprintf("invalid document: %s", strings.Join(parts, "; "))
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
