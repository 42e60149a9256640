package probes

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// clientItems are list items of every shape the fast decoder takes, and of
// shapes it must leave to encoding/json (valid or not).
var clientItems = []struct {
	item string
	fast bool // the fast path decodes it itself
}{
	{`{"id":"{B6A8C1B4-0000-4000-8000-000000000001}","name":"pc00001.corp.example","ip":"10.0.0.1","os":"Windows 11 Enterprise","client_version":"10.0.26100.1","groups":["Workstations","Ring 1"],"requested_group":"Ring 1","last_sync":"2026-11-21T08:00:00Z","last_sync_result":"Succeeded","last_report":"2026-11-21T08:00:30.5+01:00"}`, true},
	{`{}`, true},
	{` { "name" : "pc" , "groups" : [ "a" , "b" ] } `, true},
	{"{\t\"name\":\r\n\"pc\"}", true},
	{`{"name":"pc","groups":[]}`, true},
	{`{"name":"pc","groups":null,"last_sync":null,"last_report":null,"ip":null}`, true},
	{`{"name":"PC01.Corp.Example.","last_sync":"never","last_report":"0001-01-01T00:00:00"}`, true},
	{`{"name":"pc","last_sync":"","last_report":"yesterday"}`, true},
	{`{"name":"pçö-ü","os":"Windows 11 Профессиональная"}`, true},
	{`{"name":""}`, true},
	{`{"name":"pc","groups":["Workstations"]}`, true},
	// Left to encoding/json:
	{`{"Name":"pc"}`, false},                             // another case
	{`{"name":"a","name":"b"}`, false},                   // a duplicate: the last counts
	{`{"groups":["a"],"groups":["b","c"]}`, false},       // a duplicate list
	{`{"name":"p\u0063"}`, false},                        // an escape
	{`{"name":"p\"c"}`, false},                           // an escaped quote
	{`{"na\u006de":"pc"}`, false},                        // an escaped name
	{`{"last_sync":"2026-11-21T08:00:00\u005a"}`, false}, // an escaped time
	{`{"last_sync":1700000000}`, false},                  // a number for a time
	{`{"last_sync":{}}`, false},
	{`{"groups":[null]}`, false},
	{`{"groups":["a",null]}`, false},
	{`{"groups":"a"}`, false},
	{`{"groups":[1]}`, false},
	{`{"name":1}`, false},
	{`{"name":true}`, false},
	{`{"name":nul}`, false},
	{`{"name":nullx}`, false},
	{`{"name":"pc","extra":1}`, false}, // unknown
	{`{"name":"pc",}`, false},
	{`{"name":"pc"`, false},
	{`{"name":"pc"}}`, false},
	{`{"name":"pc"} {"name":"pd"}`, false},
	{`{"name" "pc"}`, false},
	{`{,"name":"pc"}`, false},
	{`{"groups":["a",]}`, false},
	{`{"groups":["a" "b"]}`, false},
	{`{"groups":["a"}`, false},
	{"{\"name\":\"p\tc\"}", false}, // a raw control character
	{`null`, false},
	{`[]`, false},
	{`"pc"`, false},
	{``, false},
	{`{"name":"pc"`, false},
}

// strictClient decodes an item as the list's strict decode does: encoding/json,
// unknown fields refused, exactly one value.
func strictClient(b []byte) (Client, bool) {
	var c Client
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if d.Decode(&c) != nil {
		return c, false
	}
	return c, d.InputOffset() == int64(len(b))
}

// The fast decoder accepts exactly what encoding/json accepts and decodes it
// the same; the shapes collectors send never reach encoding/json.
func TestClientDecoderMatchesEncodingJSON(t *testing.T) {
	for _, tc := range clientItems {
		var d clientDecoder // a refused item leaves encoding/json's decoder broken
		d.reset(1 << 10)
		b := trimJSONSpace([]byte(tc.item))
		var fast Client
		if got := d.fast(b, &fast); got != tc.fast {
			t.Errorf("%s: fast path took it: %v, want %v", tc.item, got, tc.fast)
		}
		var got Client
		ok := d.decode(b, &got)
		want, wantOK := strictClient(b)
		if ok != wantOK {
			t.Errorf("%s: accepted %v, encoding/json %v", tc.item, ok, wantOK)
			continue
		}
		if ok && !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %#v\nwant %#v", tc.item, got, want)
		}
		if tc.fast && !ok {
			t.Errorf("%s: refused", tc.item)
		}
	}
}

// Items decoded one after another share the decoder's buffers: each keeps
// its own strings and groups, and a strict item between fast ones leaves
// both paths in step.
func TestClientDecoderKeepsItemsApart(t *testing.T) {
	items := []string{`{"name":"a","groups":["x","y"]}`, `{"Name":"b","Groups":["z"]}`, `{"name":"c","groups":["w"]}`, `{"NAME":"d"}`, `{"name":"e"}`}
	var d clientDecoder
	d.reset(64)
	got := make([]Client, len(items))
	for i, it := range items {
		if !d.decode([]byte(it), &got[i]) {
			t.Fatalf("%s refused", it)
		}
	}
	got[0].Groups = append(got[0].Groups, "appended")
	want := []Client{{Name: "a", Groups: []string{"x", "y", "appended"}}, {Name: "b", Groups: []string{"z"}}, {Name: "c", Groups: []string{"w"}}, {Name: "d"}, {Name: "e"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func FuzzClientDecoder(f *testing.F) {
	for _, tc := range clientItems {
		f.Add(tc.item)
	}
	f.Fuzz(func(t *testing.T, item string) {
		b := trimJSONSpace([]byte(item))
		if !utf8.Valid(b) { // the body is refused before its items are decoded
			return
		}
		var d clientDecoder
		d.reset(len(b))
		var got Client
		ok := d.decode(b, &got)
		want, wantOK := strictClient(b)
		if ok != wantOK {
			t.Fatalf("%q: accepted %v, encoding/json %v", item, ok, wantOK)
		}
		if ok && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %#v\nwant %#v", item, got, want)
		}
		if strings.Contains(item, `\`) && d.fast(b, &Client{}) {
			t.Fatalf("%q: the fast path took an escape", item)
		}
	})
}
