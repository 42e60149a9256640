package probes

import (
	"bytes"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The streaming decode of a report reads exactly what the strict decode
// does, client list included.
func TestStreamedReportMatchesStrictDecode(t *testing.T) {
	files, _ := filepath.Glob("../testdata/collectors/report-*.json")
	docs := map[string]string{
		"clients null":        minimal(`"server":{`, `"clients":null,"server":{`),
		"items null":          minimal(`"server":{`, `"clients":{"complete":false,"items":null},"server":{`),
		"clients last, mixed": minimal(`"server":{"name":"wsus01"}`, `"server":{"name":"wsus01"},"Clients":{"Complete":true,"items":[{"name":"a","groups":["x"]},{"id":"{B}","name":"b"}]}`),
	}
	for _, f := range files {
		docs[filepath.Base(f)] = string(readFile(t, f))
	}
	if len(files) == 0 {
		t.Fatal("no collector example reports found")
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			streamed, err := streamReport([]byte(doc))
			if err != nil {
				t.Fatalf("streaming decode refused it: %v", err)
			}
			var strict Report
			if err := decodeStrict([]byte(doc), &strict); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(streamed, &strict) {
				t.Errorf("streamed %+v\nstrict   %+v", streamed, &strict)
			}
		})
	}
	for _, bad := range []string{minimal("", "") + "{}", `{"clients":{"items":[{"name":"a"}]}`, `{"clients":[]}`} {
		if _, err := streamReport([]byte(bad)); err == nil {
			t.Errorf("the streaming decode accepted %.60q", strings.TrimSpace(bad))
		}
	}
}

// A report under streamAbove is decoded in one pass, a larger one streamed:
// both give the same report, and both name a bad client by its pointer.
func TestDecodeReportEitherSide(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for _, n := range []int{3, streamAbove/30 + 100} {
		var items strings.Builder
		for i := range n {
			if i > 0 {
				items.WriteByte(',')
			}
			items.WriteString(`{"name":"pc` + strings.Repeat("0", 6) + itoa(i) + `.corp.example"}`)
		}
		doc := minimal(`"server":{`, `"clients":{"complete":true,"items":[`+items.String()+`]},"server":{`)
		if (len(doc) > streamAbove) != (n > 3) {
			t.Fatalf("%d clients: %d bytes, on the wrong side of %d", n, len(doc), streamAbove)
		}
		got, err := DecodeReport([]byte(doc), now)
		if err != nil {
			t.Fatalf("%d clients: %v", n, err)
		}
		want, err := Decode[Report]([]byte(doc), now)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) || len(got.Clients.Items) != n {
			t.Errorf("%d clients: decoded differently (%d items)", n, len(got.Clients.Items))
		}
		bad := strings.Replace(doc, `{"name":"pc0000002.corp.example"}`, `{"name":""}`, 1)
		var ve *ValidationError
		if _, err := DecodeReport([]byte(bad), now); !errors.As(err, &ve) || !strings.Contains(err.Error(), "/clients/items/2/name") {
			t.Errorf("%d clients, an empty name: %v", n, err)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// Items are split at their top-level commas only: commas, brackets, quotes
// and backslashes inside strings and nested values do not split them, and a
// list large enough for several decoding goroutines decodes as the strict
// decode does.
func TestStreamedItemsSplitOnlyBetweenItems(t *testing.T) {
	tricky := []string{
		`{"name":"a,b"}`, `{"name":"c},{\"d\":[1,2]"}`, `{"name":"e\\","groups":["x,y","]"]}`,
		"\n {\"name\":\"f\" , \"groups\" : [ \"[\" ] }\t",
	}
	var items []string
	for i := range 3 * itemsPerWorker {
		items = append(items, tricky[i%len(tricky)])
	}
	doc := minimal(`"server":{`, `"clients":{"complete":true,"items":[`+strings.Join(items, ",")+`]},"server":{`)
	streamed, err := streamReport([]byte(doc))
	if err != nil {
		t.Fatalf("streaming decode refused it: %v", err)
	}
	var strict Report
	if err := decodeStrict([]byte(doc), &strict); err != nil {
		t.Fatal(err)
	}
	if len(streamed.Clients.Items) != len(items) || !reflect.DeepEqual(streamed, &strict) {
		t.Fatalf("streamed %d items, strict %d; equal: %v", len(streamed.Clients.Items), len(strict.Clients.Items), reflect.DeepEqual(streamed, &strict))
	}
	if got := streamed.Clients.Items[1].Name; got != `c},{"d":[1,2]` {
		t.Errorf("item 1 name %q", got)
	}
	for _, bad := range []string{`[{"name":"a"},{"nope":1}]`, `{"name":"a"}`, `[{"name":"a"},3]`} {
		doc := minimal(`"server":{`, `"clients":{"complete":true,"items":`+bad+`},"server":{`)
		if _, err := streamReport([]byte(doc)); err == nil {
			t.Errorf("the streaming decode accepted items %s", bad)
		}
	}
}

// Whatever the streaming decode accepts, the strict decode accepts and reads
// the same (what it refuses goes to the strict decode anyway).
func FuzzStreamReport(f *testing.F) {
	for _, items := range []string{`[]`, `[{"name":"a,b"},{"name":"c\"]"}]`, `[{"name":"a"} , {"groups":["[",{}]}]`, `[1,]`, `[{"name":"x"}{"name":"y"}]`} {
		f.Add(minimal(`"server":{`, `"clients":{"complete":true,"items":`+items+`},"server":{`))
	}
	f.Fuzz(func(t *testing.T, doc string) {
		streamed, err := streamReport([]byte(doc))
		if err != nil {
			return
		}
		var strict Report
		if err := decodeStrict([]byte(doc), &strict); err != nil {
			t.Fatalf("streaming accepted what strict refuses (%v): %q", err, doc)
		}
		if !reflect.DeepEqual(streamed, &strict) {
			t.Fatalf("streaming and strict decoding differ for %q", doc)
		}
	})
}

// streamDoc is a report listing n clients (every third with an id and
// groups, names in mixed case), with item bad replaced by badItem.
func streamDoc(n, bad int, badItem string) string {
	var items strings.Builder
	for i := range n {
		if i > 0 {
			items.WriteByte(',')
		}
		switch {
		case i == bad:
			items.WriteString(badItem)
		case i%3 == 0:
			items.WriteString(`{"id":"{0000-` + itoa(i) + `}","name":"PC` + itoa(i) + `.Corp.Example","groups":["Ring ` + itoa(i%4) + `"],"last_report":"2026-11-20T09:30:00Z"}`)
		default:
			items.WriteString(`{"name":"pc` + itoa(i) + `.corp.example.","ip":"10.0.0.1"}`)
		}
	}
	return minimal(`"server":{`, `"clients":{"complete":true,"items":[`+items.String()+`]},"server":{`)
}

// A streamed list arrives in order, chunk by chunk, as the report
// DecodeReport gives and Normalize puts in its stored form.
func TestStreamedItemsArriveAsDecoded(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	n := 3*chunkItems + 17
	doc := []byte(streamDoc(n, -1, ""))
	got, err := DecodeReportStreamed(doc, now)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Clients.Streamed() {
		t.Fatal("a large list was not streamed")
	}
	next := 0
	for lo, hi := range got.Clients.Arrived() {
		if lo != next || hi <= lo {
			t.Fatalf("arrived [%d, %d) after %d", lo, hi, next)
		}
		next = hi
	}
	if err := got.Clients.Wait(); err != nil || next != n {
		t.Fatalf("%d of %d items arrived; %v", next, n, err)
	}
	want, err := DecodeReport(doc, now)
	if err != nil {
		t.Fatal(err)
	}
	want.Normalize()
	got.Normalize() // leaves the streamed names alone
	if !reflect.DeepEqual(got.Clients.Items, want.Clients.Items) {
		t.Error("the streamed items differ from the decoded and normalized ones")
	}
	got.Clients, want.Clients = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("streamed %+v\ndecoded  %+v", got, want)
	}
	small, err := DecodeReportStreamed([]byte(streamDoc(3, -1, "")), now)
	if err != nil || small.Clients.Streamed() || small.Clients.Wait() != nil {
		t.Errorf("a small report: streamed %v, %v", small.Clients.Streamed(), err)
	}
}

// An item with a problem, anywhere, refuses the streamed list: the chunks
// before it may arrive, its own never does, and DecodeReport names the
// problem. A problem outside the items is named at once.
func TestStreamedItemsRefused(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	n := 3*chunkItems + 17
	last := n - 1
	for name, c := range map[string]struct {
		at   int
		item string
		want string
	}{
		"empty name":    {last, `{"name":""}`, "/clients/items/" + itoa(last) + "/name"},
		"bad time":      {2 * chunkItems, `{"name":"x.corp.example","last_sync":"yesterday"}`, "/clients/items/" + itoa(2*chunkItems) + "/last_sync"},
		"duplicate":     {last, `{"name":"PC1.corp.example"}`, "/clients/items/" + itoa(last) + "/name"},
		"unknown field": {chunkItems + 5, `{"name":"x.corp.example","nope":1}`, "nope"},
		"not an object": {7, `3`, "clients"},
	} {
		t.Run(name, func(t *testing.T) {
			doc := []byte(streamDoc(n, c.at, c.item))
			r, err := DecodeReportStreamed(doc, now)
			if err != nil {
				t.Fatalf("refused before streaming: %v", err)
			}
			arrived := 0
			for _, hi := range r.Clients.Arrived() {
				arrived = hi
			}
			if err := r.Clients.Wait(); !errors.Is(err, ErrItemsRefused) || arrived > c.at {
				t.Fatalf("Wait: %v; items arrived up to %d, the bad one is %d", err, arrived, c.at)
			}
			if _, err := DecodeReport(doc, now); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("DecodeReport: %v, want a problem naming %s", err, c.want)
			}
		})
	}
	doc := []byte(strings.Replace(streamDoc(n, -1, ""), `"server":{"name":"wsus01"}`, `"server":{"name":""}`, 1))
	var ve *ValidationError
	if _, err := DecodeReportStreamed(doc, now); !errors.As(err, &ve) || !strings.Contains(err.Error(), "/server/name") {
		t.Errorf("a bad server name: %v", err)
	}
}

// A large report that is not UTF-8 (checked beside its decoding) is
// refused as one of any size is, whether its items would decode or not.
func TestLargeReportNotUTF8(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	var items strings.Builder
	n := streamAbove/30 + 100
	for i := range n {
		if i > 0 {
			items.WriteByte(',')
		}
		items.WriteString(`{"name":"pc` + strings.Repeat("0", 6) + itoa(i) + `.corp.example"}`)
	}
	doc := minimal(`"server":{`, `"clients":{"complete":true,"items":[`+items.String()+`]},"server":{`)
	for _, bad := range []string{
		strings.Replace(doc, `pc0000007.corp`, "pc\xfc000007.corp", 1),              // in an item
		strings.Replace(doc, `pc0000007.corp`, "pc\xfc000007.corp\"},{", 1),         // and its item broken
		strings.Replace(doc, `"complete":true`, "\"complete\":true,\"x\xe9\":1", 1), // outside the items
	} {
		want := checkUTF8([]byte(bad))
		if want == nil || len(bad) <= streamAbove {
			t.Fatal("the test's document is UTF-8 or small")
		}
		if _, err := DecodeReport([]byte(bad), now); err == nil || err.Error() != want.Error() {
			t.Errorf("DecodeReport: %v, want %v", err, want)
		}
		if r, err := DecodeReportStreamed([]byte(bad), now); err == nil || err.Error() != want.Error() {
			t.Errorf("DecodeReportStreamed: %v (%v), want %v", err, r, want)
		}
	}
}

// splitArrayByteByByte is splitArray as it was before it jumped over
// strings: the reference it must agree with.
func splitArrayByteByByte(b []byte) (spans [][]byte, end int, ok bool) {
	depth, start, inString, escaped := 0, 0, false, false
	for i, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case (c == '}' || c == ']') && depth > 0:
			depth--
		case c == ']':
			last := trimJSONSpace(b[start:i])
			if len(last) > 0 || len(spans) > 0 {
				spans = append(spans, last)
			}
			return spans, i, true
		case c == '}':
			return nil, 0, false
		case c == ',' && depth == 0:
			spans = append(spans, trimJSONSpace(b[start:i]))
			start = i + 1
		}
	}
	return nil, 0, false
}

// The items array is split where reading it byte by byte splits it:
// quotes escaped by odd runs of backslashes, commas and brackets inside
// strings, unterminated strings. (go test -fuzz FuzzSplitArray explores more.)
func FuzzSplitArray(f *testing.F) {
	for _, s := range []string{
		`]`, ` ] ,`, `1,2]`, `"a,b","c]"] tail`, `"\"",1]`, `"\\",1]`, `"\\\"",2]`, `"\\\\"]`,
		`{"a":"x\\\"y,"},{"b":[1,"]",2]}]`, `"unterminated]`, `"ends in a backslash\`, `{"a":"}"}]`,
		`{"n":"pc\u0022,x"} , {"m":null}]`, `"\\\\\"],"]`, `},1]`, `[[1,2],[3]],4]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		spans, end, ok := splitArray(b)
		want, wantEnd, wantOK := splitArrayByteByByte(b)
		if ok != wantOK || end != wantEnd || !slices.EqualFunc(spans, want, bytes.Equal) {
			t.Errorf("splitArray(%q) = %q, %d, %v; byte by byte %q, %d, %v", b, spans, end, ok, want, wantEnd, wantOK)
		}
	})
}
