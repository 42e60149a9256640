package probes

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// SchemaSet generates JSON Schema (draft 2020-12, as used by OpenAPI 3.1) from
// Go types and their `v` tags, collecting named structs as definitions that
// are referenced by refPrefix+Name.
type SchemaSet struct {
	refPrefix string
	defs      map[string]any
	types     map[string]reflect.Type
}

// NewSchemaSet starts a set whose references look like refPrefix+"Report",
// e.g. "#/$defs/" or "#/components/schemas/".
func NewSchemaSet(refPrefix string) *SchemaSet {
	return &SchemaSet{refPrefix: refPrefix, defs: map[string]any{}, types: map[string]reflect.Type{}}
}

// Defs returns the named definitions collected so far.
func (s *SchemaSet) Defs() map[string]any { return s.defs }

// Ref adds the type of v and returns a reference to it.
func (s *SchemaSet) Ref(v any) map[string]any { return s.of(reflect.TypeOf(v), constraint{}) }

var (
	stdTimeType = reflect.TypeFor[time.Time]()
	rawJSONType = reflect.TypeFor[json.RawMessage]()
)

func (s *SchemaSet) of(t reflect.Type, c constraint) map[string]any {
	switch {
	case t == timeType:
		desc := "RFC 3339 time with offset"
		if c.never {
			desc += "; null, 0001-01-01 or 1753-01-01 (the WSUS values) mean never"
		}
		return map[string]any{"type": []string{"string", "null"}, "format": "date-time", "description": desc}
	case t == stdTimeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawJSONType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		inner := s.of(t.Elem(), c)
		if typ, ok := inner["type"].(string); ok {
			inner["type"] = []string{typ, "null"}
			return inner
		}
		return map[string]any{"anyOf": []any{inner, map[string]any{"type": "null"}}}
	case reflect.Struct:
		return s.structRef(t)
	case reflect.Slice:
		elem := constraint{}
		if c.each != nil {
			elem = *c.each
		}
		// A nil slice is JSON null: "absent" in documents, "never collected" in answers.
		out := map[string]any{"type": []string{"array", "null"}, "items": s.of(t.Elem(), elem)}
		if c.max != nil {
			out["maxItems"] = *c.max
		}
		return out
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": s.of(t.Elem(), constraint{})}
	case reflect.String:
		out := map[string]any{"type": "string"}
		if c.enum != "" {
			out["enum"] = enumValues(c.enum)
		}
		if c.max != nil {
			out["maxLength"] = *c.max
		}
		if c.url {
			out["format"] = "uri"
		}
		if c.hresult {
			out["pattern"] = "^0[xX][0-9a-fA-F]{8}$"
		}
		return out
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint32, reflect.Uint64:
		return numberSchema("integer", c)
	case reflect.Float32, reflect.Float64:
		return numberSchema("number", c)
	case reflect.Interface:
		return map[string]any{}
	}
	panic(fmt.Sprintf("probes: no JSON Schema for %s", t))
}

func numberSchema(typ string, c constraint) map[string]any {
	out := map[string]any{"type": typ}
	if c.min != nil {
		out["minimum"] = *c.min
	}
	if c.max != nil {
		out["maximum"] = *c.max
	}
	return out
}

func (s *SchemaSet) structRef(t reflect.Type) map[string]any {
	name := t.Name()
	ref := map[string]any{"$ref": s.refPrefix + name}
	if prev, ok := s.types[name]; ok {
		if prev != t {
			panic(fmt.Sprintf("probes: two schema types named %s (%s, %s)", name, prev, t))
		}
		return ref
	}
	s.types[name] = t
	props := map[string]any{}
	required := []string{}
	for _, f := range fieldsOf(t) {
		props[f.name] = s.of(t.FieldByIndex(f.index).Type, f.c)
		if f.c.required {
			required = append(required, f.name)
		}
	}
	def := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		def["required"] = required
	}
	s.defs[name] = def
	return ref
}

// DocumentSchema returns the standalone JSON Schema of the three documents a
// collector may send, for publishing and for checking collector output.
func DocumentSchema() map[string]any {
	s := NewSchemaSet("#/$defs/")
	oneOf := []any{s.Ref(Report{}), s.Ref(ClientReport{}), s.Ref(Inventory{})}
	return map[string]any{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"$id":     "https://wsusfleet.github.io/schema/v1.json",
		"title":   "wsusfleet documents v1 (" + strings.Join([]string{SchemaReport, SchemaClientReport, SchemaInventory}, ", ") + ")",
		"oneOf":   oneOf,
		"$defs":   s.Defs(),
	}
}
