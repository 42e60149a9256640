//go:build linux

package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/iislog"
)

// A wrk 4 summary as printed with --latency and post.lua's done().
const wrkOutput = `Running 10s test @ http://127.0.0.1:41233/api/v1/reports
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    73.02ms   40.11ms 322.48ms   71.06%
    Req/Sec   440.27    120.13   767.00     69.50%
  Latency Distribution
     50%   63.80ms
     75%   89.12ms
     90%  122.40ms
     99%  214.80ms
  8761 requests in 10.08s, 1.58MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:    869.17
Transfer/sec:    160.41KB
unexpected status: 7
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(wrkOutput)
	if err != nil {
		t.Fatal(err)
	}
	want := wrkResult{Requests: 8761, Seconds: 10.08, RPS: 869.17, P50: 63.8, P99: 214.8, Non2xx: 4, Unexpected: 7, SockErrs: 3}
	got := r
	got.Output = ""
	if got != want {
		t.Errorf("parseWrk:\n got %+v\nwant %+v", got, want)
	}
	if why := r.invalid(); !strings.Contains(why, "4 non-2xx") || !strings.Contains(why, "7 unexpected") || !strings.Contains(why, "3 socket errors") {
		t.Errorf("invalid() = %q, want all three problems named", why)
	}
	if _, err := parseWrk("unable to connect to 127.0.0.1:1 Connection refused"); err == nil {
		t.Error("output without a request count parsed")
	}
	if r, _ := parseWrk(strings.Replace(wrkOutput, "99%  214.80ms", "99%    1.20s", 1)); r.P99 != 1200 {
		t.Errorf("p99 in seconds: got %v ms, want 1200", r.P99)
	}
}

// fill does what post.lua does with a template variant for request n of
// thread tid (kept in step with request() there).
func fill(variant string, tid, n, machines, servers int) string {
	m := (n*7 + tid*4999) % machines
	s := m * servers / machines
	v := map[string]string{"id": fmt.Sprintf("run-%d-%d", tid, n), "m": fmt.Sprintf("%05d", m), "sus": fmt.Sprintf("%012d", m),
		"s": fmt.Sprintf("%03d", s), "s1": fmt.Sprintf("%03d", (s+1)%servers)}
	return regexp.MustCompile(`\$\{(\w+)\}`).ReplaceAllStringFunc(variant, func(k string) string { return v[k[2:len(k)-1]] })
}

// The documents wrk posts must be accepted by the server: filled in as
// post.lua fills them, they decode and validate.
func TestTemplatesAreValidDocuments(t *testing.T) {
	now := time.Now().UTC()
	for n := range 3 {
		doc := fill(string(serverReportTemplate(now)), 1, n, fleetServers, fleetServers)
		r, err := probes.DecodeReport([]byte(doc), now)
		if err != nil {
			t.Fatalf("server report: %v\n%s", err, doc)
		}
		if want := fmt.Sprintf("run-1-%d", n); r.ID != want || !strings.HasPrefix(r.Server.Name, "wsus") {
			t.Errorf("server report: id %q server %q", r.ID, r.Server.Name)
		}
	}
	for n := range 3 {
		doc := fill(string(collectorReportTemplate(now)), 1, n, fleetServers, fleetServers)
		r, err := probes.DecodeReport([]byte(doc), now)
		if err != nil {
			t.Fatalf("collector report: %v\n%s", err, doc)
		}
		if r.VDirConfig == nil || r.AppPool == nil || r.Sync == nil || r.Clients != nil || len(r.VDirChecks) != 9 || strings.Contains(doc, "${") {
			t.Errorf("collector report: not shaped as the collector's, or not filled in: %s", doc)
		}
	}
	variants := strings.Split(string(clientReportTemplate(now)), "\n@@@\n")
	if len(variants) != 3 {
		t.Fatalf("client report template: %d variants, want 3", len(variants))
	}
	for i, v := range variants {
		doc := fill(v, 0, 42, clientsMachines, fleetServers)
		cr, err := probes.DecodeClientReport([]byte(doc), now)
		if err != nil {
			t.Fatalf("client report variant %d: %v\n%s", i+1, err, doc)
		}
		if cr.Client.Name == "" || strings.Contains(doc, "${") {
			t.Errorf("client report variant %d not filled in: %s", i+1, doc)
		}
	}
	if !strings.Contains(variants[1], `"wu_server":"http://wsus${s}.corp.example"`) {
		t.Error("variant 2 should leave the port out of WUServer")
	}
}

// The generated IIS log is one the server's parser reads whole.
func TestIISLogParses(t *testing.T) {
	var b bytes.Buffer
	n, err := writeIISLog(&b, 2<<20)
	if err != nil {
		t.Fatal(err)
	}
	if n < 2<<20 || n > 2<<20+4096 || int64(b.Len()) != n {
		t.Fatalf("wrote %d bytes (buffer %d), want just over %d", n, b.Len(), 2<<20)
	}
	sum, err := iislog.Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Lines < 10000 || sum.Skipped != 0 {
		t.Errorf("parsed %d lines, skipped %d", sum.Lines, sum.Skipped)
	}
}

func TestSnapshotReportIsValid(t *testing.T) {
	now := time.Now().UTC()
	r, err := probes.DecodeReport(snapshotReport("snap-1", "wsus-big.corp.example", 1000, now), now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Clients == nil || !r.Clients.Complete || len(r.Clients.Items) != 1000 {
		t.Fatalf("clients: %+v", r.Clients)
	}
}

// TestBareAnswersWhatServeAnswered: the bare server sends the answer it was
// given (headers, coding, bytes) to any request, as fetchAnswer read it.
func TestBareAnswersWhatServeAnswered(t *testing.T) {
	body := bytes.Repeat([]byte("compressed bytes "), 100)
	serve := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", r.Header.Get("Accept-Encoding"))
		w.Header().Set("ETag", `"x-gz"`)
		w.Write(body)
	}))
	defer serve.Close()
	a, err := fetchAnswer(serve.URL, "Accept-Encoding", "gzip")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Body, body) || a.Header.Get("Content-Encoding") != "gzip" || a.Header.Get("Date") != "" {
		t.Fatalf("fetched %d bytes, Content-Encoding %q, Date %q", len(a.Body), a.Header.Get("Content-Encoding"), a.Header.Get("Date"))
	}
	bare := httptest.NewServer(bareHandler(a))
	defer bare.Close()
	got, err := fetchAnswer(bare.URL + "/api/v1/servers")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Body, body) || got.Header.Get("Content-Encoding") != "gzip" || got.Header.Get("ETag") != `"x-gz"` ||
		got.Header.Get("Content-Length") != strconv.Itoa(len(body)) {
		t.Errorf("bare answered %d bytes, headers %v", len(got.Body), got.Header)
	}
}
