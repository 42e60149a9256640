package probes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Decode reads one JSON document into T strictly (unknown fields rejected, no
// trailing data) and validates it against now. Every problem is returned in a
// *ValidationError with the JSON pointer of the field.
func Decode[T any, PT interface {
	*T
	Validate(now time.Time) error
}](data []byte, now time.Time) (*T, error) {
	var v T
	if err := decodeStrict(data, &v); err != nil {
		return nil, err
	}
	if err := PT(&v).Validate(now); err != nil {
		return nil, err
	}
	return &v, nil
}

// DecodeClientReport decodes and validates a client report.
func DecodeClientReport(data []byte, now time.Time) (*ClientReport, error) {
	return Decode[ClientReport](data, now)
}

// DecodeInventory decodes and validates a directory inventory.
func DecodeInventory(data []byte, now time.Time) (*Inventory, error) {
	return Decode[Inventory](data, now)
}

func decodeStrict(data []byte, dst any) error {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // PowerShell 5.1 writes a BOM
	if len(bytes.TrimSpace(data)) == 0 {
		return &ValidationError{Syntax: true, Errors: []FieldError{{Detail: "the body is empty; expected a JSON object"}}}
	}
	if err := checkUTF8(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		if _, tokErr := dec.Token(); tokErr != io.EOF {
			return &ValidationError{Syntax: true, Errors: []FieldError{{Detail: "unexpected data after the JSON document"}}}
		}
		return nil
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) {
		return syntaxError(data, err)
	}
	// Types or unknown fields: walk the raw document to name every problem.
	var raw any
	rdec := json.NewDecoder(bytes.NewReader(data))
	rdec.UseNumber()
	if rdec.Decode(&raw) != nil {
		return syntaxError(data, err)
	}
	var p problems
	typeProblems(raw, reflect.TypeOf(dst).Elem(), "", &p)
	if e := p.err(); e != nil {
		return e
	}
	return Invalid("", "%s", strings.TrimPrefix(err.Error(), "json: "))
}

// checkUTF8 refuses a body that is not UTF-8. encoding/json would turn each
// bad byte into U+FFFD, so "pc\xfc" and "pc\xe9" (Latin-1 from a script that
// did not say UTF-8) became one computer.
func checkUTF8(data []byte) error {
	if utf8.Valid(data) {
		return nil
	}
	detail := "the body is not UTF-8"
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		detail = "the body is UTF-16; send JSON as UTF-8"
	} else {
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		line, col := lineCol(data, int64(off)+1)
		detail = fmt.Sprintf("the body is not UTF-8: byte 0x%02X at line %d, column %d (Latin-1 or ANSI text?); send JSON as UTF-8", data[off], line, col)
	}
	return &ValidationError{Syntax: true, Errors: []FieldError{{Detail: detail}}}
}

func syntaxError(data []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line, col := lineCol(data, syn.Offset)
		return &ValidationError{Syntax: true, Errors: []FieldError{{
			Detail: "malformed JSON at line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col) + ": " + strings.TrimPrefix(syn.Error(), "json: "),
		}}}
	}
	return &ValidationError{Syntax: true, Errors: []FieldError{{Detail: "malformed JSON: the document ends early (truncated?)"}}}
}

func lineCol(data []byte, off int64) (line, col int) {
	off = max(min(off-1, int64(len(data))), 0) // Offset is just past the bad byte
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// typeProblems reports where raw (decoded with UseNumber) does not fit t.
func typeProblems(raw any, t reflect.Type, ptr string, p *problems) {
	if raw == nil || t == timeType {
		return // null fits anything; Time never fails to decode (Validate judges it)
	}
	switch t.Kind() {
	case reflect.Pointer:
		typeProblems(raw, t.Elem(), ptr, p)
	case reflect.Struct:
		obj, ok := raw.(map[string]any)
		if !ok {
			p.add(ptr, "must be an object")
			return
		}
		fields := fieldsOf(t)
		for key, val := range obj {
			f, ok := fieldByName(fields, key)
			if !ok {
				p.add(pointerJoin(ptr, key), "unknown field")
				continue
			}
			typeProblems(val, t.FieldByIndex(f.index).Type, pointerJoin(ptr, f.name), p)
		}
	case reflect.Slice:
		arr, ok := raw.([]any)
		if !ok {
			p.add(ptr, "must be an array")
			return
		}
		for i, val := range arr {
			typeProblems(val, t.Elem(), ptr+"/"+strconv.Itoa(i), p)
		}
	case reflect.String:
		if _, ok := raw.(string); !ok {
			p.add(ptr, "must be a string")
		}
	case reflect.Bool:
		if _, ok := raw.(bool); !ok {
			p.add(ptr, "must be true or false")
		}
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, ok := raw.(json.Number)
		if !ok {
			p.add(ptr, "must be an integer")
			return
		}
		if _, err := strconv.ParseInt(string(n), 10, t.Bits()); err != nil {
			p.add(ptr, "must be an integer in range; got %s", n)
		}
	case reflect.Float64, reflect.Float32:
		n, ok := raw.(json.Number)
		if !ok {
			p.add(ptr, "must be a number")
			return
		}
		if f, err := n.Float64(); err != nil || math.IsInf(f, 0) {
			p.add(ptr, "must be a number in range; got %s", n)
		}
	}
}

// fieldByName matches a JSON key the way encoding/json does: exact first, then
// case-insensitively.
func fieldByName(fields []field, key string) (field, bool) {
	for _, f := range fields {
		if f.name == key {
			return f, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.name, key) {
			return f, true
		}
	}
	return field{}, false
}
