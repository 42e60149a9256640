package store

import (
	"encoding/json"
	"testing"

	"github.com/wsusfleet/wsusfleet/probes"
)

// checkViewsOf answers from its cache only for check lists whose views are
// the same bytes: each variant below differs from the base in one field
// the views read (or, last, in fields they do not read) and is asked for
// after the base, so a key missing that field would answer with the base's
// views.
func TestCheckViewsMatchFreshEncoding(t *testing.T) {
	sub, zero := 2, 0
	w32 := int64(5)
	base := func() []probes.VDirCheck {
		return []probes.VDirCheck{
			{VDir: "ClientWebService", URL: "http://wsus01:8530/ClientWebService/client.asmx", Status: 200, LatencyMS: 12, Verdict: probes.VerdictOK, Reason: "reachable"},
			{VDir: "SimpleAuthWebService", URL: "http://wsus01:8530/SimpleAuthWebService/SimpleAuth.asmx", Status: 401, Substatus: &sub, Verdict: probes.VerdictFault, Reason: "anonymous access is off"},
			{VDir: "Content", URL: "http://wsus01:8530/Content/", Status: 0, ErrorKind: "timeout", Verdict: probes.VerdictFault, Reason: "no answer"},
		}
	}
	variants := map[string]func(cs []probes.VDirCheck){
		"vdir":            func(cs []probes.VDirCheck) { cs[0].VDir = "SelfUpdate" },
		"url":             func(cs []probes.VDirCheck) { cs[0].URL = "https://wsus01:8531/ClientWebService/client.asmx" },
		"status":          func(cs []probes.VDirCheck) { cs[0].Status = 500 },
		"substatus":       func(cs []probes.VDirCheck) { cs[1].Substatus = &zero },
		"no substatus":    func(cs []probes.VDirCheck) { cs[1].Substatus = nil },
		"win32 status":    func(cs []probes.VDirCheck) { cs[1].Win32Status = &w32 },
		"verdict":         func(cs []probes.VDirCheck) { cs[2].Verdict = probes.VerdictWarning },
		"reason":          func(cs []probes.VDirCheck) { cs[2].Reason = "no answer in 30 s" },
		"one check fewer": func(cs []probes.VDirCheck) {},
		"unread fields": func(cs []probes.VDirCheck) {
			cs[0].LatencyMS, cs[0].Error, cs[0].Server = 900, "x", "Microsoft-IIS/10.0"
		},
	}
	check := func(name string, cs []probes.VDirCheck) {
		t.Helper()
		got, err := checkViewsOf(cs)
		if err != nil {
			t.Fatal(err)
		}
		cells, _ := json.Marshal(probes.Cells(cs))
		verdicts := make([]probes.VDirCheck, len(cs))
		for i, c := range cs {
			verdicts[i] = c.VerdictOnly()
		}
		v, _ := json.Marshal(verdicts)
		gotCells, err := unpackRun(string(got.cells))
		if err != nil {
			t.Fatal(err)
		}
		gotVerdicts, err := unpackRun(string(got.verdicts))
		if err != nil {
			t.Fatal(err)
		}
		if string(gotCells) != string(cells) || string(gotVerdicts) != string(v) {
			t.Errorf("%s: views\n%s\n%s\nwant\n%s\n%s", name, gotCells, gotVerdicts, cells, v)
		}
	}
	for name, change := range variants {
		check("base", base())
		cs := base()
		change(cs)
		if name == "one check fewer" {
			cs = cs[:2]
		}
		check(name, cs)
		check(name+" again", cs) // from the cache now
	}
}
