package probes

import (
	"fmt"
	"net/url"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Time bounds for "not absurd" (DESIGN §5): not before 1990, not more than a day ahead.
var earliestTime = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)

const maxClockSkew = 24 * time.Hour

// pointer is the JSON pointer of the value being validated, kept as bytes
// and rendered only for a problem: a report of 100,000 clients has a million
// fields, nearly all of them fine.
type pointer struct{ b []byte }

// push appends a field's reference token (field.token: "/" and the name,
// escaped once per type rather than byte by byte per report) and returns
// the length to pop back to.
func (p *pointer) push(token string) int {
	n := len(p.b)
	p.b = append(p.b, token...)
	return n
}

func (p *pointer) pushIndex(i int) int {
	n := len(p.b)
	p.b = strconv.AppendInt(append(p.b, '/'), int64(i), 10)
	return n
}

func (p *pointer) pop(n int)      { p.b = p.b[:n] }
func (p *pointer) String() string { return string(p.b) }

// validateStruct checks v (a struct or pointer to one) against its field
// constraints and records every problem under ptr.
func validateStruct(v reflect.Value, ptr string, now time.Time, p *problems) {
	walkStruct(v, &pointer{b: []byte(ptr)}, now, p)
}

func walkStruct(v reflect.Value, ptr *pointer, now time.Time, p *problems) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	for _, f := range fieldsOf(v.Type()) {
		n := ptr.push(f.token)
		validateValue(v.FieldByIndex(f.index), ptr, f.c, now, p)
		ptr.pop(n)
	}
}

func validateValue(v reflect.Value, ptr *pointer, c constraint, now time.Time, p *problems) {
	if v.Type() == timeType {
		validateTime(v.Interface().(Time), ptr, c, now, p)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			if c.required {
				p.add(ptr.String(), "is required")
			}
			return
		}
		validateValue(v.Elem(), ptr, c, now, p)
	case reflect.Struct:
		walkStruct(v, ptr, now, p)
	case reflect.Slice:
		if c.required && v.IsNil() {
			p.add(ptr.String(), "is required")
		}
		if c.max != nil && float64(v.Len()) > *c.max {
			p.add(ptr.String(), "has %d items; at most %s allowed", v.Len(), num(*c.max))
			return // do not walk a million junk items
		}
		elem := constraint{}
		if c.each != nil {
			elem = *c.each
		}
		if v.Len() >= parallelItems && runtime.GOMAXPROCS(0) > 1 {
			validateItemsParallel(v, ptr, elem, now, p)
			return
		}
		for i := range v.Len() {
			n := ptr.pushIndex(i)
			validateValue(v.Index(i), ptr, elem, now, p)
			ptr.pop(n)
		}
	case reflect.String:
		validateString(v.String(), ptr, c, p)
	case reflect.Int, reflect.Int64, reflect.Int32:
		checkRange(float64(v.Int()), ptr, c, p)
	case reflect.Float64, reflect.Float32:
		checkRange(v.Float(), ptr, c, p)
	}
}

func checkRange(n float64, ptr *pointer, c constraint, p *problems) {
	if c.min != nil && n < *c.min {
		p.add(ptr.String(), "must be at least %s", num(*c.min))
	}
	if c.max != nil && n > *c.max {
		p.add(ptr.String(), "must be at most %s", num(*c.max))
	}
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func validateString(s string, ptr *pointer, c constraint, p *problems) {
	if s == "" {
		if c.required {
			p.add(ptr.String(), "is required")
		}
		return
	}
	if c.max != nil && float64(len(s)) > *c.max {
		p.add(ptr.String(), "is %d bytes long; at most %s allowed", len(s), num(*c.max))
		return
	}
	if c.enum != "" {
		if allowed := enumValuesOnce(c.enum); !slices.Contains(allowed, s) {
			p.add(ptr.String(), "must be one of %s; got %q", strings.Join(allowed, ", "), s)
		}
		return
	}
	if i := controlAt(s, c.text); i >= 0 {
		p.add(ptr.String(), "contains a control character at byte %d", i)
		return
	}
	switch {
	case c.host:
		if err := CheckName(s); err != nil {
			p.add(ptr.String(), "%s", err.Error())
		}
	case c.id && !isID(s):
		p.add(ptr.String(), "may contain only letters, digits and - _ . : { }; got %q", s)
	case c.url:
		if err := checkHTTPURL(s); err != nil {
			p.add(ptr.String(), "%s", err.Error())
		}
	case c.hresult && !IsHRESULT(s):
		p.add(ptr.String(), "must be an HRESULT as 0x and 8 hex digits, e.g. 0x80244022; got %q", s)
	}
}

// enumMemo keeps each enum's values: validation asks once per field.
var enumMemo sync.Map // name -> []string

func enumValuesOnce(name string) []string {
	if v, ok := enumMemo.Load(name); ok {
		return v.([]string)
	}
	v := enumValues(name)
	enumMemo.Store(name, v)
	return v
}

// badRune reports control characters; free text may hold newlines and tabs.
func badRune(r rune, text bool) bool {
	if text && (r == '\n' || r == '\r' || r == '\t') {
		return false
	}
	return r < 0x20 || r == 0x7f
}

// controlAt is the byte index of s's first control character (badRune),
// or -1. Control characters are ASCII, and no byte of a multi-byte UTF-8
// sequence is below 0x80, so looking at bytes finds what decoding runes
// would, at a fraction of the cost: every string of every report is read.
func controlAt(s string, text bool) int {
	for i := range len(s) {
		if b := s[i]; (b < 0x20 || b == 0x7f) && !(text && (b == '\n' || b == '\r' || b == '\t')) {
			return i
		}
	}
	return -1
}

// isID reports whether s holds only ASCII letters, digits and - _ . : { }
// (ids such as SusClientId, with or without braces).
func isID(s string) bool {
	for i := range len(s) {
		b := s[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("-_.:{}", b) >= 0) {
			return false
		}
	}
	return true
}

// checkHTTPURL accepts absolute http and https URLs with a host.
func checkHTTPURL(s string) error {
	if _, ok := plainHTTPURL(s); ok {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("is not a valid URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("must be an http:// or https:// URL; got %q", s)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("must name a host; got %q", s)
	}
	return nil
}

// CheckServerURL validates a WSUS server URL as given at registration or in a
// report: http(s), a host, no path beyond "/", no query.
func CheckServerURL(s string) error {
	if path, ok := plainHTTPURL(s); ok && (path == "" || path == "/") {
		return nil
	}
	if err := checkHTTPURL(s); err != nil {
		return err
	}
	u, _ := url.Parse(s)
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("must be the server's base URL like http://wsus01:8530 (no path or query); got %q", s)
	}
	return nil
}

// plainHTTPURL recognises, without url.Parse (which allocates the URL and
// its parts, ten times in every small report), the URLs collectors send:
// "http://" or "https://", a host of letters, digits, dots and hyphens, an
// optional port of digits, then a path of characters that need no escaping
// and no query or fragment. url.Parse accepts every such URL with that scheme
// and host, and that path; anything else (ok false) is left to it.
func plainHTTPURL(s string) (path string, ok bool) {
	rest, found := strings.CutPrefix(s, "http://")
	if !found {
		if rest, found = strings.CutPrefix(s, "https://"); !found {
			return "", false
		}
	}
	i := 0
	for i < len(rest) && (isAlnum(rest[i]) || rest[i] == '.' || rest[i] == '-') {
		i++
	}
	if i == 0 {
		return "", false
	}
	if i < len(rest) && rest[i] == ':' {
		j := i + 1
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j == i+1 {
			return "", false
		}
		i = j
	}
	path = rest[i:]
	if path != "" && path[0] != '/' {
		return "", false
	}
	for k := 0; k < len(path); k++ {
		if c := path[k]; !isAlnum(c) && !strings.ContainsRune("-._~/!$&'()*+,;=:@", rune(c)) {
			return "", false
		}
	}
	return path, true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func validateTime(t Time, ptr *pointer, c constraint, now time.Time, p *problems) {
	if t.raw == "" && !t.sentinel && !t.IsZero() && !t.Before(earliestTime) && (c.future || now.IsZero() || !t.After(now.Add(maxClockSkew))) {
		return // the common case, without rendering the pointer
	}
	at := ptr.String()
	switch {
	case t.raw != "":
		p.add(at, "must be an RFC 3339 time with offset, like 2026-11-21T09:30:00Z; got %.64q", t.raw)
	case t.sentinel && !c.never:
		p.add(at, "is a WSUS 'never' value, which is not allowed here")
	case t.IsZero():
		if c.required {
			p.add(at, "is required")
		}
	case t.Before(earliestTime):
		p.add(at, "is before 1990 (%s); use null for never", t.Format(time.RFC3339))
	case !c.future && !now.IsZero() && t.After(now.Add(maxClockSkew)):
		p.add(at, "is more than a day in the future (%s); check the collector's clock", t.Format(time.RFC3339))
	}
}

// IsHRESULT reports whether s is written 0x followed by 8 hex digits.
func IsHRESULT(s string) bool {
	if len(s) != 10 || (s[:2] != "0x" && s[:2] != "0X") {
		return false
	}
	for _, r := range s[2:] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// parallelItems is the length from which a list's items are validated by
// one goroutine per CPU (a report of 100,000 clients spent a fifth of a
// second here, alone on one CPU, before the writer could start on it).
const parallelItems = 4096

// validateItemsParallel validates the items of v in contiguous chunks, each
// into problems of its own, then adds them to p in item order: the same
// problems, listed and dropped, as one pass over the items records.
func validateItemsParallel(v reflect.Value, ptr *pointer, elem constraint, now time.Time, p *problems) {
	workers := runtime.GOMAXPROCS(0)
	found := make([]problems, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := &pointer{b: append([]byte(nil), ptr.b...)}
			for i := w * v.Len() / workers; i < (w+1)*v.Len()/workers; i++ {
				n := own.pushIndex(i)
				validateValue(v.Index(i), own, elem, now, &found[w])
				own.pop(n)
			}
		}()
	}
	wg.Wait()
	for _, f := range found {
		for _, e := range f.list {
			if len(p.list) >= maxFieldErrors {
				p.dropped++
				continue
			}
			p.list = append(p.list, e)
		}
		p.dropped += f.dropped
	}
}
