package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/iislog"
	"github.com/wsusfleet/wsusfleet/store"
)

const w3cHeader = "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: %s\r\n" +
	"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n"

// WSUSLogDay writes an IIS 10 W3C log of a WSUS site from start, one request
// every two minutes for the given span: scans and reports from eight
// clients, 401.2 on SimpleAuthWebService for two of them, and a console
// whose 401.1 on ClientWebService is followed by a 200 (a handshake) while
// another client's is not. IIS writes the directives again after a restart
// at 06:00.
func WSUSLogDay(start time.Time, span time.Duration) []byte {
	const wua = "Windows-Update-Agent/10.0.10011.16384+Client-Protocol/2.50"
	var b bytes.Buffer
	fmt.Fprintf(&b, w3cHeader, start.Format("2006-01-02 15:04:05"))
	line := func(at time.Time, method, stem, ip, ua string, status, sub, win32, ms int) {
		fmt.Fprintf(&b, "%s 10.0.0.5 %s %s - 8530 - %s %s - %d %d %d %d\r\n", at.Format("2006-01-02 15:04:05"), method, stem, ip, ua, status, sub, win32, ms)
	}
	restarted := false
	for i := 0; time.Duration(i)*2*time.Minute < span; i++ {
		at := start.Add(time.Duration(i) * 2 * time.Minute)
		if !restarted && at.Hour() >= 6 && start.Hour() < 6 {
			restarted = true
			fmt.Fprintf(&b, w3cHeader, at.Format("2006-01-02 15:04:05"))
		}
		ip := fmt.Sprintf("10.1.2.%d", 40+i%8)
		switch i % 8 {
		case 0, 1, 2:
			line(at, "POST", "/ClientWebService/client.asmx", ip, wua, 200, 0, 0, 140+i%50)
		case 3:
			line(at, "POST", "/ReportingWebService/ReportingWebService.asmx", ip, wua, 200, 0, 0, 30)
		case 4, 5:
			line(at, "POST", "/SimpleAuthWebService/SimpleAuth.asmx", ip, wua, 401, 2, 5, 2)
		case 6:
			line(at, "POST", "/ClientWebService/client.asmx", "10.1.9.9", wua, 401, 1, 1326, 3)
			line(at.Add(30*time.Second), "POST", "/ClientWebService/client.asmx", "10.1.9.9", wua, 200, 0, 0, 150)
		case 7:
			line(at, "POST", "/ClientWebService/client.asmx", "10.1.9.66", wua, 401, 1, 1326, 3)
		}
	}
	return b.Bytes()
}

// logChunk is the part of a log from byte from to byte to (both at line
// starts) as the server collector ships it: after the directives in effect
// there (the last block of them before it) unless it begins with its own.
func logChunk(log []byte, from, to int) []byte {
	part := log[from:to]
	if bytes.HasPrefix(part, []byte("#")) {
		return bytes.Clone(part)
	}
	var header, block []byte
	for _, l := range bytes.SplitAfter(log[:from], []byte("\n")) {
		switch {
		case bytes.HasPrefix(l, []byte("#")):
			block = append(block, l...)
		case len(l) > 0 && block != nil:
			header, block = block, nil
		}
	}
	if block != nil {
		header = block
	}
	return append(bytes.Clone(header), part...)
}

// lineStart is the offset of the first line that starts at or after n.
func lineStart(log []byte, n int) int {
	if n <= 0 {
		return 0
	}
	i := bytes.IndexByte(log[n-1:], '\n')
	if i < 0 {
		return len(log)
	}
	return n + i
}

// afterLine is the offset after the n-th line that contains text.
func afterLine(log []byte, n int, text string) int {
	at := 0
	for range n {
		i := bytes.Index(log[at:], []byte(text))
		if i < 0 {
			panic("no line " + text)
		}
		at += i + bytes.IndexByte(log[at+i:], '\n') + 1
	}
	return at
}

func countLines(log []byte, text string) int64 { return int64(bytes.Count(log, []byte(text))) }

// saveLog parses data as an upload named file and saves it for server.
func saveLog(tb testing.TB, s *store.Store, server, file string, data []byte) *probes.IISLogDigest {
	tb.Helper()
	sum, err := iislog.Parse(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	d := sum.Digest()
	d.File = file
	r := Report("iislog-"+probes.Digest(append([]byte(server+file), data...))[:24], server, sum.Last)
	r.VDirChecks, r.IISLog = nil, &d
	if err := r.Validate(sum.Last.Add(time.Hour)); err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	mustSave(tb, s, r)
	return &d
}

// totals are a summary's requests per vDir and status.substatus.
func totals(l *probes.IISLogSummary) map[string]int64 {
	out := map[string]int64{}
	for _, t := range l.Totals {
		out[t.VDir+" "+t.StatusText()] += t.Requests
	}
	return out
}

func historyRequests(tb testing.TB, s *store.Store, server string) int64 {
	tb.Helper()
	hours, err := s.IISLogHistory(ctx(), server, time.Time{})
	if err != nil {
		tb.Fatal(err)
	}
	var n int64
	for _, h := range hours {
		n += h.Requests
	}
	return n
}

// sameWindow checks the iislog section against a whole log's own summary.
func sameWindow(tb testing.TB, got *probes.IISLogSummary, want probes.IISLogSummary) {
	tb.Helper()
	if got == nil {
		tb.Fatal("no iislog section")
	}
	if g, w := totals(got), totals(&want); !mapsEqual(g, w) {
		tb.Errorf("totals %v, want %v", g, w)
	}
	if got.Lines != want.Lines || !got.First.Equal(want.First.Time) || !got.Last.Equal(want.Last.Time) {
		tb.Errorf("lines %d %v..%v, want %d %v..%v", got.Lines, got.First, got.Last, want.Lines, want.First, want.Last)
	}
	if len(got.TopClients) != len(want.TopClients) {
		tb.Fatalf("top clients %+v, want %+v", got.TopClients, want.TopClients)
	}
	for i, w := range want.TopClients {
		g := got.TopClients[i]
		if g.VDir != w.VDir || g.StatusText() != w.StatusText() || g.Requests != w.Requests || g.Refused() != w.Refused() || g.Clients != w.Clients ||
			!slices.Equal(g.Top, w.Top) {
			tb.Errorf("fault clients %+v, want %+v", g, w)
		}
	}
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// testIISLogChunks: the iislog section is the recent window whether a log
// arrives whole or in the collector's chunks; nothing is counted twice.
func testIISLogChunks(t *testing.T, open Opener) {
	s, _ := fixed(t, open, store.Options{})
	const name = "u_ex261121.log"
	day := time.Date(2026, 11, 21, 0, 0, 4, 0, time.UTC)
	log := WSUSLogDay(day, 11*time.Hour+40*time.Minute)
	whole := func(n int) probes.IISLogSummary {
		sum, err := iislog.Parse(bytes.NewReader(log[:n]))
		if err != nil {
			t.Fatal(err)
		}
		d := sum.Digest()
		return d.Summary()
	}

	// The collector's chunks, one per hourly run, each from where the last
	// ended; the first run came between a console's 401.1 and its 200.
	a := afterLine(log, 7, "10.1.9.9 Windows-Update-Agent/10.0.10011.16384+Client-Protocol/2.50 - 401 1")
	b, c := lineStart(log, len(log)/2), lineStart(log, 3*len(log)/4)
	for _, cut := range [][2]int{{0, a}, {a, b}, {b, c}} {
		saveLog(t, s, "wsus01", fmt.Sprintf("%s@%d", name, cut[0]), logChunk(log, cut[0], cut[1]))
	}
	st := mustState(t, s, "wsus01")
	sameWindow(t, st.IISLog, whole(c))
	if st.IISLog.File != name || !slices.Equal(st.IISLog.Files, []string{name}) {
		t.Errorf("file %q %v, want %s", st.IISLog.File, st.IISLog.Files, name)
	}
	// The handshake the first chunk ends in is no refusal; the client whose
	// 401.1s are never followed is refused each time.
	for _, f := range st.IISLog.TopClients {
		if f.VDir == "ClientWebService" && f.StatusText() == "401.1" && (f.Unsettled != 1 || f.Refused() != countLines(log[:c], "10.1.9.66")) {
			t.Errorf("401.1 on ClientWebService: %+v, refused %d, want unsettled 1, refused %d", f, f.Refused(), countLines(log[:c], "10.1.9.66"))
		}
	}

	// The next run's chunk was stored but its answer lost; by the retry the
	// log grew, so the same offset comes again with more lines: it replaces
	// the first try.
	d := lineStart(log, c+(len(log)-c)/2)
	saveLog(t, s, "wsus01", fmt.Sprintf("%s@%d", name, c), logChunk(log, c, d))
	saveLog(t, s, "wsus01", fmt.Sprintf("%s@%d", name, c), logChunk(log, c, len(log)))
	st = mustState(t, s, "wsus01")
	sameWindow(t, st.IISLog, whole(len(log)))
	if n := historyRequests(t, s, "wsus01"); n != whole(len(log)).Lines {
		t.Errorf("history holds %d requests, the log %d", n, whole(len(log)).Lines)
	}

	// The collector lost its state: it ships the log again from its start
	// (here in one chunk), then the rest; nothing counts twice.
	saveLog(t, s, "wsus01", name+"@0", logChunk(log, 0, b))
	st = mustState(t, s, "wsus01")
	sameWindow(t, st.IISLog, whole(b))
	saveLog(t, s, "wsus01", fmt.Sprintf("%s@%d", name, b), logChunk(log, b, len(log)))
	st = mustState(t, s, "wsus01")
	sameWindow(t, st.IISLog, whole(len(log)))
	if n := historyRequests(t, s, "wsus01"); n != whole(len(log)).Lines {
		t.Errorf("after the resend the history holds %d requests, the log %d", n, whole(len(log)).Lines)
	}

	// The whole file uploaded by hand supersedes the chunks; uploaded again
	// it is a replay.
	saveLog(t, s, "wsus01", strings.ToUpper(name), log)
	saveLog(t, s, "wsus01", name, log)
	st = mustState(t, s, "wsus01")
	sameWindow(t, st.IISLog, whole(len(log)))
	if n := historyRequests(t, s, "wsus01"); n != whole(len(log)).Lines {
		t.Errorf("after the whole file the history holds %d requests, the log %d", n, whole(len(log)).Lines)
	}

	// A log of another server, and another log of this one, change nothing
	// of this log's parts.
	other := saveLog(t, s, "wsus02", name, log)
	if other.Lines != whole(len(log)).Lines {
		t.Fatal("wsus02's log differs")
	}
	sameWindow(t, mustState(t, s, "wsus01").IISLog, whole(len(log)))
}

// testIISLogWindow: the section spans the last 24 hours of the history
// across the day's files; an old log joins the history, not the window.
func testIISLogWindow(t *testing.T, open Opener) {
	s, _ := fixed(t, open, store.Options{})
	yesterday := WSUSLogDay(time.Date(2026, 11, 20, 0, 0, 4, 0, time.UTC), 24*time.Hour-5*time.Minute)
	today := WSUSLogDay(time.Date(2026, 11, 21, 0, 0, 4, 0, time.UTC), 2*time.Hour)
	saveLog(t, s, "wsus01", "u_ex261120.log", yesterday)
	saveLog(t, s, "wsus01", "u_ex261121.log@0", today)

	st := mustState(t, s, "wsus01")
	if !slices.Equal(st.IISLog.Files, []string{"u_ex261120.log", "u_ex261121.log"}) || st.IISLog.File != "u_ex261120.log and u_ex261121.log" {
		t.Errorf("files %v (%q)", st.IISLog.Files, st.IISLog.File)
	}
	both := append(bytes.Clone(yesterday), today[bytes.Index(today, []byte("\r\n2026"))+2:]...)
	sum, err := iislog.Parse(bytes.NewReader(both))
	if err != nil {
		t.Fatal(err)
	}
	d := sum.Digest()
	sameWindow(t, st.IISLog, d.Summary())

	// Three weeks old: into the history, not into what the rules read.
	saveLog(t, s, "wsus01", "u_ex261101.log", WSUSLogDay(time.Date(2026, 11, 1, 0, 0, 4, 0, time.UTC), 3*time.Hour))
	again := mustState(t, s, "wsus01")
	sameWindow(t, again.IISLog, d.Summary())
	if hours, _ := s.IISLogHistory(ctx(), "wsus01", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)); len(hours) == 0 || hours[0].Hour.Day() != 1 {
		t.Errorf("the old log is not in the history")
	}

	// A day later the collector ships tomorrow's first lines: yesterday's
	// file falls out of the window.
	tomorrow := WSUSLogDay(time.Date(2026, 11, 22, 0, 0, 4, 0, time.UTC), 3*time.Hour)
	saveLog(t, s, "wsus01", "u_ex261121.log@0", WSUSLogDay(time.Date(2026, 11, 21, 0, 0, 4, 0, time.UTC), 24*time.Hour-5*time.Minute))
	saveLog(t, s, "wsus01", "u_ex261122.log@0", tomorrow)
	st = mustState(t, s, "wsus01")
	if !slices.Equal(st.IISLog.Files, []string{"u_ex261121.log", "u_ex261122.log"}) {
		t.Errorf("files a day later: %v", st.IISLog.Files)
	}
	if !st.IISLog.First.Equal(time.Date(2026, 11, 21, 0, 0, 4, 0, time.UTC)) {
		t.Errorf("window starts %v", st.IISLog.First)
	}
}
