package web_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

func sample(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile("../probes/" + path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wsusLog is a day of a WSUS server's IIS log where anonymous access broke
// at 10:00 on ClientWebService.
const wsusLog = "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2026-11-21 09:00:00\r\n" +
	"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n" +
	"2026-11-21 09:00:01 10.0.0.5 POST /ClientWebService/client.asmx - 8530 - 10.1.2.42 Windows-Update-Agent/10.0.10011.16384+Client-Protocol/2.71 - 200 0 0 31\r\n" +
	"2026-11-21 10:00:02 10.0.0.5 POST /clientwebservice/Client.asmx - 8530 - 10.1.2.43 Windows-Update-Agent/10.0.10011.16384+Client-Protocol/2.71 - 401 2 5 4\r\n" +
	"2026-11-21 10:00:03 10.0.0.5 POST /ClientWebService/client.asmx - 8530 - fe80::1%11 Windows-Update-Agent/10.0.10011.16384+Client-Protocol/2.71 - 401 2 5 3\r\n" +
	"2026-11-21 10:05:00 10.0.0.5 GET /iisstart.htm - 8530 - 10.1.2.50 Mozilla/5.0 - 200 0 0 1\r\n"

func TestEvidenceIISLog(t *testing.T) {
	e := newEnv(t, web.Config{})
	url := "/api/v1/servers/WSUS01.corp.example/evidence/iislog?file=u_ex261121.log"
	if res := e.do("POST", url, e.read, strings.NewReader(wsusLog)); res.status != 403 {
		t.Errorf("read token: %d", res.status)
	}
	res := e.do("POST", url, e.ingest, strings.NewReader(wsusLog))
	if res.status != 201 {
		t.Fatalf("%d %s", res.status, res.body)
	}
	var got map[string]any
	res.json(t, &got)
	want := map[string]any{"lines": 4.0, "skipped": 0.0, "first": "2026-11-21T09:00:01Z", "last": "2026-11-21T10:05:00Z", "other": 1.0,
		"server": "wsus01.corp.example", "kind": "iislog"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if vd, _ := json.Marshal(got["vdirs"]); string(vd) != `{"ClientWebService":{"200.0":1,"401.2":2}}` {
		t.Errorf("vdirs = %s", vd)
	}
	again := e.do("POST", url, e.ingest, strings.NewReader(wsusLog))
	if again.status != 200 || !bytes.Equal(again.body, res.body) {
		t.Errorf("same file again: %d, same body %v", again.status, bytes.Equal(again.body, res.body))
	}
	var st probes.ServerState
	e.do("GET", "/api/v1/servers/wsus01.corp.example", "", nil).json(t, &st)
	if st.IISLog == nil || st.IISLog.File != "u_ex261121.log" || len(st.IISLog.Totals) != 2 || st.IISLog.Totals[0].StatusText() != "401.2" ||
		st.IISLog.Totals[0].Requests != 2 || len(st.IISLog.TopClients) != 1 || st.IISLog.TopClients[0].Clients != 2 {
		t.Errorf("stored iislog = %+v", st.IISLog)
	}
	var hist web.IISLogHistory
	e.do("GET", "/api/v1/servers/wsus01.corp.example/iislog?since=2026-11-20T00:00:00Z", "", nil).json(t, &hist)
	if len(hist.Hours) != 2 || hist.Hours[1].StatusText() != "401.2" || hist.Hours[1].Requests != 2 {
		t.Errorf("history = %+v", hist.Hours)
	}
	// The same file grown: its hours are replaced, not added.
	grown := wsusLog + "2026-11-21 11:00:00 10.0.0.5 POST /ClientWebService/client.asmx - 8530 - 10.1.2.42 Windows-Update-Agent - 401 2 5 3\r\n"
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(grown))
	zw.Close()
	if res := e.do("POST", url, e.ingest, &gz, "Content-Encoding", "gzip"); res.status != 201 {
		t.Fatalf("grown log: %d %s", res.status, res.body)
	}
	e.do("GET", "/api/v1/servers/wsus01.corp.example/iislog?since=2026-11-20T00:00:00Z", "", nil).json(t, &hist)
	if len(hist.Hours) != 3 {
		t.Errorf("after the grown upload: %d hours, want 3 (replaced, not added)", len(hist.Hours))
	}

	other := "#Fields: date time cs-uri-stem c-ip sc-status sc-substatus sc-win32-status time-taken\n2026-11-21 09:00:00 /default.aspx 10.0.0.1 200 0 0 5\n"
	res = e.do("POST", "/api/v1/servers/web01/evidence/iislog", e.ingest, strings.NewReader(other))
	res.json(t, &got)
	if res.status != 201 || got["other"] != 1.0 || !strings.Contains(got["note"].(string), "no request to a WSUS vDir") {
		t.Errorf("a non-WSUS log: %d %s", res.status, res.body)
	}
}

// The server collector ships a log in chunks named <file>@<offset>, each
// after the directives in effect: the IIS log the rules read adds them up,
// and the log shipped again from its start counts once.
func TestEvidenceIISLogChunks(t *testing.T) {
	e := newEnv(t, web.Config{})
	header := wsusLog[:strings.Index(wsusLog, "2026-11-21 09:00:01")]
	next := "2026-11-21 11:00:00 10.0.0.5 POST /ClientWebService/client.asmx - 8530 - 10.1.2.44 Windows-Update-Agent - 401 2 5 3\r\n"
	post := func(file, body string) {
		t.Helper()
		if res := e.do("POST", "/api/v1/servers/wsus01/evidence/iislog?file="+file, e.ingest, strings.NewReader(body)); res.status != 201 {
			t.Fatalf("%s: %d %s", file, res.status, res.body)
		}
	}
	state := func() *probes.IISLogSummary {
		var st probes.ServerState
		e.do("GET", "/api/v1/servers/wsus01", "", nil).json(t, &st)
		return st.IISLog
	}
	post("u_ex261121.log@0", wsusLog)
	post("u_ex261121.log@"+strconv.Itoa(len(wsusLog)), header+next)
	l := state()
	if l == nil || l.File != "u_ex261121.log" || l.Lines != 5 || l.Totals[0].StatusText() != "401.2" || l.Totals[0].Requests != 3 ||
		len(l.TopClients) != 1 || l.TopClients[0].Clients != 3 {
		t.Fatalf("after two chunks: %+v", l)
	}
	post("u_ex261121.log@0", wsusLog+next) // the collector lost its state
	if l := state(); l.Lines != 5 || l.Totals[0].Requests != 3 {
		t.Errorf("the log shipped again from its start: %d lines, %d 401.2", l.Lines, l.Totals[0].Requests)
	}
}

func TestEvidenceOtherKinds(t *testing.T) {
	e := newEnv(t, web.Config{})
	res := e.do("POST", "/api/v1/servers/wsus01/evidence/procmon", e.ingest, bytes.NewReader(sample(t, "procmon/testdata/denied-capture.csv")))
	var got map[string]any
	res.json(t, &got)
	if res.status != 201 || got["kept"] == 0.0 {
		t.Fatalf("procmon: %d %s", res.status, res.body)
	}
	res = e.do("POST", "/api/v1/servers/wsus01/evidence/apphost", e.ingest, bytes.NewReader(sample(t, "apphost/testdata/wsus-2019.applicationHost.config")))
	if res.status != 201 {
		t.Fatalf("apphost: %d %s", res.status, res.body)
	}
	res = e.do("POST", "/api/v1/servers/wsus01/evidence/computers", e.ingest, bytes.NewReader(sample(t, "wsuscsv/testdata/computers-en-us.csv")))
	res.json(t, &got)
	if res.status != 201 || got["clients"].(float64) < 1 {
		t.Fatalf("computers: %d %s", res.status, res.body)
	}
	var st probes.ServerState
	e.do("GET", "/api/v1/servers/wsus01", "", nil).json(t, &st)
	if st.Denials == nil || len(st.Denials.Groups) == 0 || len(st.VDirConfig) != 9 || st.AppPool == nil || st.AppPool.Name != "WsusPool" ||
		st.ClientSummary.Total != int64(got["clients"].(float64)) {
		t.Errorf("stored: denials %v, %d vdir configs, pool %+v, clients %+v", st.Denials != nil, len(st.VDirConfig), st.AppPool, st.ClientSummary)
	}
}

func TestEvidenceRefusals(t *testing.T) {
	e := newEnv(t, web.Config{MaxEvidenceBytes: 1 << 20})
	var truncated bytes.Buffer
	zw := gzip.NewWriter(&truncated)
	zw.Write([]byte(wsusLog))
	zw.Close()
	cut := truncated.Bytes()[:truncated.Len()-10]
	bigGz := func() *bytes.Buffer {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(wsusLog))
		zw.Write(bytes.Repeat([]byte("2026-11-21 09:00:01 10.0.0.5 POST /ClientWebService/client.asmx - 8530 - 10.1.2.42 WUA - 200 0 0 31\n"), 20000))
		zw.Close()
		return &b
	}
	cases := []struct {
		name, path string
		body       []byte
		header     []string
		status     int
		detail     string
	}{
		{"KB excerpt without #Fields", "iislog", sample(t, "iislog/testdata/iis-kb2737219-excerpt.log"), nil, 400, "line 1: 13 fields"},
		{"binary junk", "iislog", []byte{0, 1, 2, 0xff, 0xfe, 0, 0, 9, 8}, nil, 400, ""},
		{"empty", "iislog", nil, nil, 400, ""},
		{"truncated gzip", "iislog", cut, []string{"Content-Encoding", "gzip"}, 400, "truncated or its gzip data is corrupt"},
		{"over the limit once decompressed", "iislog", bigGz().Bytes(), []string{"Content-Encoding", "gzip"}, 413, ""},
		{"procmon grid text", "procmon", sample(t, "procmon/testdata/procmon-w3wp-denied-excerpt.txt"), nil, 400, "no CSV header"},
		{"apphost with a DTD", "apphost", []byte(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><configuration/>`), nil, 400, ""},
		{"computers with a misspelled header", "computers", sample(t, "wsuscsv/testdata/export-csv-typed.csv"), nil, 0, "did you mean FullDomainName"},
		{"unknown kind", "pcap", []byte("x"), nil, 404, "iislog, procmon, apphost, computers"},
		{"unknown parameter", "iislog?fiel=x", []byte(wsusLog), nil, 422, ""},
		{"bad date order", "computers?date_order=ymd", []byte("x"), nil, 422, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do("POST", "/api/v1/servers/wsus01/evidence/"+tc.path, e.ingest, bytes.NewReader(tc.body), tc.header...)
			if (tc.status != 0 && res.status != tc.status) || res.status < 400 {
				t.Fatalf("%d, want %d: %s", res.status, tc.status, res.body)
			}
			p := res.problem(t)
			text, _ := json.Marshal(p)
			if tc.detail != "" && !strings.Contains(string(text), tc.detail) {
				t.Errorf("problem does not say %q: %s", tc.detail, text)
			}
		})
	}
	if n := e.serverCount(); n != 0 {
		t.Errorf("refused uploads stored %d servers", n)
	}
}

// The same file uploaded for two servers (cloned builds share their
// applicationHost.config) is stored for each: 201 with a receipt naming the
// server, and each server has the sections. Again for the same server (any
// case of its name) is a replay. Through the real HTTP API, on each dialect.
func TestEvidenceIdempotentPerServer(t *testing.T) {
	config := sample(t, "apphost/testdata/wsus-2019.applicationHost.config")
	for dialect, open := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			e := newEnvOn(t, web.Config{}, store.Options{}, open)
			var receipts []map[string]any
			for _, server := range []string{"wsus01.corp.example", "wsus02.corp.example", "WSUS01.corp.example"} {
				res := e.do("POST", "/api/v1/servers/"+server+"/evidence/apphost", e.ingest, bytes.NewReader(config))
				var got map[string]any
				res.json(t, &got)
				want := 201
				if len(receipts) == 2 {
					want = 200
				}
				if res.status != want || got["server"] != strings.ToLower(server) {
					t.Errorf("%s: %d, receipt for %v; want %d naming it", server, res.status, got["server"], want)
				}
				receipts = append(receipts, got)
			}
			if receipts[0]["id"] == receipts[1]["id"] || receipts[0]["id"] != receipts[2]["id"] {
				t.Errorf("ids %v %v %v: one per server, the same on replay", receipts[0]["id"], receipts[1]["id"], receipts[2]["id"])
			}
			for _, server := range []string{"wsus01.corp.example", "wsus02.corp.example"} {
				var st probes.ServerState
				e.do("GET", "/api/v1/servers/"+server, "", nil).json(t, &st)
				if len(st.VDirConfig) != 9 || st.AppPool == nil {
					t.Errorf("%s: %d vDir configs, pool %v: the upload was not stored for it", server, len(st.VDirConfig), st.AppPool)
				}
			}
		})
	}
}
