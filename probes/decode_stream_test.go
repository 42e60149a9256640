package probes

import (
	"errors"
	"path/filepath"
	"reflect"
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
