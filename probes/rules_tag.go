package probes

import (
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// constraint is the parsed `v:"..."` tag of one field: the single source of
// truth for validation (validate.go) and for the JSON Schema (schema.go).
//
//	required   string non-empty, pointer non-nil, time set (and not "never")
//	enum=NAME  one of enumValues(NAME)
//	min=N      number >= N
//	max=N      number <= N, string length <= N bytes, list length <= N
//	host       a host name: no whitespace or control characters
//	url        an absolute http(s) URL
//	id         letters, digits and - _ . : { }
//	text       free text: newlines and tabs allowed
//	hresult    an HRESULT as 0x and 8 hex digits (0x80244022)
//	never      a time that may be a WSUS "never" value (stored as null)
//	future     a time that may lie far ahead (a certificate's expiry)
//	each=...   the constraint of each list element (must come last)
type constraint struct {
	required, host, url, id, text, never, future, hresult bool
	enum                                                  string
	min, max                                              *float64
	each                                                  *constraint
}

func parseConstraint(tag string) constraint {
	var c constraint
	for tag != "" {
		var part string
		if strings.HasPrefix(tag, "each=") {
			e := parseConstraint(strings.TrimPrefix(tag, "each="))
			c.each = &e
			break
		}
		part, tag, _ = strings.Cut(tag, ",")
		key, val, _ := strings.Cut(part, "=")
		switch key {
		case "required":
			c.required = true
		case "host":
			c.host = true
		case "url":
			c.url = true
		case "id":
			c.id = true
		case "text":
			c.text = true
		case "hresult":
			c.hresult = true
		case "never":
			c.never = true
		case "future":
			c.future = true
		case "enum":
			enumValues(val) // panics early on a typo
			c.enum = val
		case "min", "max":
			n, err := strconv.ParseFloat(val, 64)
			if err != nil {
				panic("probes: bad tag number " + part)
			}
			if key == "min" {
				c.min = &n
			} else {
				c.max = &n
			}
		default:
			panic("probes: unknown tag " + part)
		}
	}
	return c
}

// field is one JSON-visible struct field with its constraint. index is a
// path because embedded structs are flattened, as encoding/json does.
type field struct {
	index []int
	name  string
	token string // "/" and name escaped as a JSON Pointer reference token: made once, appended per report
	c     constraint
}

// fieldCache memoises fieldsOf per type, as encoding/json does.
var fieldCache sync.Map // reflect.Type -> []field

func fieldsOf(t reflect.Type) []field {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field)
	}
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if sf.Anonymous && name == "" && sf.Type.Kind() == reflect.Struct {
			for _, inner := range fieldsOf(sf.Type) {
				inner.index = append([]int{i}, inner.index...)
				out = append(out, inner)
			}
			continue
		}
		if !sf.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		out = append(out, field{index: []int{i}, name: name, token: pointerJoin("", name), c: parseConstraint(sf.Tag.Get("v"))})
	}
	fieldCache.Store(t, out)
	return out
}

var timeType = reflect.TypeFor[Time]()
