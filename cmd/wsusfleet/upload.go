package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/wsusfleet/wsusfleet/probes/evidence"
)

func cmdUpload(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	describeKinds := func(list []evidence.Kind) string {
		var out []string
		for _, k := range list {
			out = append(out, fmt.Sprintf("%s (%s)", k.Name, k.Description))
		}
		return strings.Join(out, "; ")
	}
	fs := newFlags("upload", "Send evidence files about a server or a client to the dashboard, zstd-compressed on the wire (gzip for a dashboard without zstd; uncompressed to a dashboard on this machine).\n\n"+
		"Server kinds (--server): "+describeKinds(evidence.Kinds())+".\n\nClient kinds (--client): "+describeKinds(evidence.ClientKinds())+".", stderr)
	server := fs.String("server", "", "the WSUS server the files are from, e.g. wsus01.corp.example")
	client := fs.String("client", "", "the Windows client the files are from (reg query output, WindowsUpdate.log), e.g. pc0042.corp.example")
	kind := fs.String("kind", evidence.Auto, "the kind of the files; auto reads it from their content")
	dashboard := fs.String("dashboard", "http://127.0.0.1:8080", "the dashboard's URL")
	token := fs.String("token", "", "an ingest token (or WSUSFLEET_TOKEN)")
	dateOrder := fs.String("date-order", "", "computers: dmy or mdy when the CSV's dates are ambiguous")
	partial := fs.Bool("partial", false, "computers: the CSV does not list every computer of the server")
	site := fs.String("site", "", "apphost: the IIS site of WSUS, if not WSUS Administration")
	offset := fs.String("utc-offset", "", "events, windowsupdatelog: the UTC offset the machine wrote local times in, e.g. +01:00")
	compress := fs.String("compress", "auto", "auto, zstd, gzip or none; auto is none for a dashboard on this machine (a loopback address), zstd otherwise")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	switch {
	case (*server == "") == (*client == ""):
		return usageError("give either --server (the WSUS server the files are from) or --client (the Windows client they are from)")
	case *token == "":
		return usageError("--token is required (or WSUSFLEET_TOKEN): an ingest token from wsusfleet token create")
	case fs.NArg() == 0:
		return usageError("give the files to upload after the flags")
	}
	lookup, base, name := evidence.Lookup, "/api/v1/servers", *server
	if *client != "" {
		lookup, base, name = evidence.LookupClient, "/api/v1/clients", *client
	}
	codecs, err := uploadCodecs(*compress, *dashboard)
	if err != nil {
		return usageError("--compress: " + err.Error())
	}
	k, err := lookup(*kind)
	if err != nil {
		return usageError("--kind: " + strings.TrimPrefix(err.Error(), "not found: "))
	}
	if *offset != "" {
		if _, err := evidence.ParseOffset(*offset); err != nil {
			return usageError(fmt.Sprintf("--utc-offset: %q is not an offset from UTC like +01:00, -05:00 or Z", *offset))
		}
	}
	for _, path := range fs.Args() {
		if st, err := os.Stat(path); err != nil || st.IsDir() {
			return usageError(fmt.Sprintf("%s: not a readable file", path))
		}
	}
	for _, path := range fs.Args() {
		q := url.Values{"file": {filepath.Base(path)}}
		if *dateOrder != "" {
			q.Set("date_order", *dateOrder)
		}
		if *partial {
			q.Set("partial", "true")
		}
		if *site != "" {
			q.Set("site", *site)
		}
		if *offset != "" {
			q.Set("utc_offset", *offset)
		}
		endpoint, err := url.JoinPath(*dashboard, base, url.PathEscape(name), "evidence", k.Name)
		if err != nil {
			return usageError("--dashboard: " + err.Error())
		}
		answer, err := uploadFile(ctx, endpoint+"?"+q.Encode(), *token, path, codecs, stderr)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		kindName, _ := answer["kind"].(string)
		if kindName == "" {
			kindName = k.Name
		}
		fmt.Fprintln(stdout, describeUpload(filepath.Base(path), kindName, answer))
	}
	return nil
}

// uploadCodecs are the codecs an upload tries in turn ("" sends the file as
// it is). Compressing saves the network; to a dashboard on this machine it
// only costs CPU (the compressor is slower than the dashboard's parser), so
// auto sends those files uncompressed. A dashboard older than zstd support
// answers 415 to it; the file then goes again, gzip-compressed.
func uploadCodecs(mode, dashboard string) ([]string, error) {
	switch mode {
	case "auto":
		u, err := url.Parse(dashboard)
		if err != nil {
			return nil, fmt.Errorf("--dashboard: %w", err)
		}
		if isLoopback(u.Hostname()) {
			return []string{""}, nil
		}
		return []string{"zstd", "gzip"}, nil
	case "zstd":
		return []string{"zstd", "gzip"}, nil
	case "gzip":
		return []string{"gzip"}, nil
	case "none":
		return []string{""}, nil
	}
	return nil, fmt.Errorf("%q is not one of auto, zstd, gzip, none", mode)
}

// isLoopback: localhost, or a loopback address (127.0.0.0/8, ::1).
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// uploadFile streams path in the first of codecs the dashboard accepts
// (re-reading the file on a retry), showing progress on a terminal.
func uploadFile(ctx context.Context, endpoint, token, path string, codecs []string, stderr io.Writer) (map[string]any, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	var sent atomic.Int64
	stop := showProgress(stderr, filepath.Base(path), st.Size(), &sent)
	defer stop()
	var answer map[string]any
	for _, codec := range codecs {
		err = sendWithRetry(ctx, "POST", endpoint, token, "application/octet-stream", func() (io.Reader, int64) {
			sent.Store(0)
			size := int64(-1)
			if codec == "" {
				size = st.Size()
			}
			return compressStream(path, codec, &sent), size
		}, codec, &answer)
		if err == nil || !strings.Contains(err.Error(), "Unsupported Media Type") || !strings.Contains(err.Error(), "Content-Encoding") {
			break
		}
	}
	return answer, err
}

// compressStream compresses a file into a pipe as the request reads it (""
// sends it as it is), at the codec's fastest level (compressing was what bounded an upload: Go's
// gzip at its default level does 70–90 MB/s, zstd's fastest level several
// times that, and it decodes about three times faster on the dashboard).
// The output is buffered so the request goes out in large chunks, not one
// per compressed block.
func compressStream(path, codec string, sent *atomic.Int64) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		f, err := os.Open(path)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		defer f.Close()
		bw := bufio.NewWriterSize(pw, 256<<10)
		in := io.TeeReader(f, counter{sent})
		switch codec {
		case "":
			_, err = io.Copy(bw, in)
		case "zstd":
			err = compressZstd(bw, in)
		default:
			var zw *gzip.Writer
			if zw, err = gzip.NewWriterLevel(bw, gzip.BestSpeed); err == nil {
				if _, err = io.Copy(zw, in); err == nil {
					err = zw.Close()
				}
			}
		}
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err) // nil: EOF for the reader
	}()
	return pr
}

// zstdWindow is the window upload compresses with. IIS logs, CSVs and
// event text repeat within a few thousand lines: a 512 KiB window gives
// the same ratio as the fastest level's default of 4 MiB, and the
// dashboard's decoder keeps it in cache (it decodes about 1.5 times as
// fast: it moves less history around).
const zstdWindow = 512 << 10

// compressZstd writes r to w as one zstd frame at the fastest level.
func compressZstd(w io.Writer, r io.Reader) error {
	zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(zstdWindow))
	if err != nil {
		return err
	}
	if _, err := io.Copy(zw, r); err != nil {
		zw.Close()
		return err
	}
	return zw.Close()
}

type counter struct{ n *atomic.Int64 }

func (c counter) Write(p []byte) (int, error) { c.n.Add(int64(len(p))); return len(p), nil }

// showProgress draws a progress line on stderr when it is a terminal.
func showProgress(w io.Writer, name string, size int64, sent *atomic.Int64) (stop func()) {
	f, ok := w.(*os.File)
	if !ok {
		return func() {}
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			n := sent.Load()
			pct := 100.0
			if size > 0 {
				pct = 100 * float64(n) / float64(size)
			}
			bar := strings.Repeat("█", int(pct/5)) + strings.Repeat("░", 20-int(pct/5))
			fmt.Fprintf(f, "\r%s %s %5.1f%% %s / %s", name, bar, pct, mb(n), mb(size))
			select {
			case <-done:
				fmt.Fprintln(f)
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// describeUpload is one line per file saying what the dashboard found in it.
func describeUpload(file, kind string, a map[string]any) string {
	n := func(k string) string { return fmt.Sprint(a[k]) }
	var what string
	switch kind {
	case "iislog":
		what = fmt.Sprintf("%s lines (%s skipped) from %s to %s; %s", n("lines"), n("skipped"), n("first"), n("last"), vdirCounts(a["vdirs"]))
		if note, ok := a["note"].(string); ok {
			what += "; " + note
		}
	case "procmon":
		what = fmt.Sprintf("%s rows, %s denied, %s of them w3wp.exe/WsusService.exe/sqlservr.exe", n("rows"), n("denied"), n("kept"))
	case "apphost":
		pool := "no WsusPool found"
		if p, ok := a["app_pool"].(map[string]any); ok {
			pool = fmt.Sprint("app pool ", p["name"])
		}
		vd, _ := a["vdir_config"].([]any)
		what = fmt.Sprintf("site %s: %d vDirs, %s", n("site"), len(vd), pool)
	case "computers":
		what = fmt.Sprintf("%s computers (%s never reported)", n("clients"), n("never_reported"))
	case "httperr":
		what = fmt.Sprintf("%s lines (%s skipped) from %s to %s; %s", n("lines"), n("skipped"), n("first"), n("last"), httperrGroups(a["groups"]))
	case "events":
		what = fmt.Sprintf("%s events (%v)", n("events"), a["sources"])
	case "softwaredistributionlog":
		issues, _ := a["issues"].([]any)
		what = fmt.Sprintf("%s entries, %d kinds of problem", n("lines"), len(issues))
	case "regquery", "windowsupdatelog":
		what = describeClientEvidence(a)
	}
	what = kind + ": " + what
	b, _ := json.Marshal(a["id"])
	return fmt.Sprintf("%s: %s [stored as %s]", file, what, b)
}

func vdirCounts(v any) string {
	m, _ := v.(map[string]any)
	if len(m) == 0 {
		return "no WSUS vDir requests"
	}
	var parts []string
	for vdir, codes := range m {
		cm, _ := codes.(map[string]any)
		var cs []string
		for code, count := range cm {
			cs = append(cs, fmt.Sprintf("%s×%v", code, count))
		}
		sort.Strings(cs)
		parts = append(parts, vdir+" "+strings.Join(cs, " "))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

func httperrGroups(v any) string {
	groups, _ := v.([]any)
	var parts []string
	for i, g := range groups {
		if i == 3 {
			parts = append(parts, "…")
			break
		}
		m, _ := g.(map[string]any)
		parts = append(parts, fmt.Sprintf("%v %v %v ×%v", m["status"], m["reason"], m["queue"], m["count"]))
	}
	if len(parts) == 0 {
		return "nothing answered by HTTP.sys itself"
	}
	return strings.Join(parts, "; ")
}

// describeClientEvidence says what client evidence did: the policy judged
// and the gap, or what it lacked; a log's server and last results.
func describeClientEvidence(a map[string]any) string {
	what := fmt.Sprint(a["format"])
	if judged, _ := a["judged"].(bool); judged {
		what += "; policy judged"
		if ch, _ := a["changed"].([]any); len(ch) > 0 {
			what += fmt.Sprintf(" (%d values changed)", len(ch))
		}
	} else if missing, _ := a["missing"].([]any); len(missing) > 0 {
		what += fmt.Sprintf("; policy not judged: the output lacks %v", missing)
	}
	if log, ok := a["log"].(map[string]any); ok {
		if srv, ok := log["wsus_server"].(map[string]any); ok {
			what += fmt.Sprintf("; the agent used %v", srv["value"])
		}
		if errs, _ := log["errors"].([]any); len(errs) > 0 {
			what += fmt.Sprintf("; %d kinds of error", len(errs))
		}
	}
	if gap, _ := a["gap"].(string); gap != "" {
		what += fmt.Sprintf("; gap %s: %v", gap, a["gap_detail"])
	} else {
		what += "; no gap"
	}
	return what
}
