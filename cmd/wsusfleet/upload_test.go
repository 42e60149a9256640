package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/zstd"

	"github.com/wsusfleet/wsusfleet/probes"
)

// TestUploadAutoAndClients: upload reads the kind from the content by
// default, sends client evidence with --client, and says what the dashboard
// understood.
func TestUploadAutoAndClients(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "upload.db")
	token := lastLine(runCmd(t, "token", "create", "--name", "uploader", "--scope", "ingest", "--db", db))
	srv := startRun(t, "listening on ", "serve", "--db", db, "--addr", "127.0.0.1:0", "--log-level", "warn")
	withToken := func(k string) string {
		if k == "WSUSFLEET_TOKEN" {
			return token
		}
		return ""
	}
	cases := []struct {
		args []string
		says string
	}{
		{[]string{"--server", "wsus01.corp.example", "../../probes/httperr/testdata/httperr1.utf16le.log"}, "httperr1.utf16le.log: httperr: 44 lines"},
		{[]string{"--server", "wsus01.corp.example", "--kind", "events", "../../probes/eventtext/testdata/viewer-copy-en.txt"}, "events: 2 events"},
		{[]string{"--server", "wsus01.corp.example", "../../probes/sdlog/testdata/SoftwareDistribution.log"}, "softwaredistributionlog: 15 entries, 6 kinds of problem"},
		{[]string{"--client", "pc0042.corp.example", "../../probes/regquery/testdata/reg-query-missing-port.txt"}, "regquery: reg query; policy judged"},
		{[]string{"--client", "pc0042.corp.example", "--utc-offset", "+01:00", "../../probes/wulog/testdata/windowsupdate-classic.log"}, "the agent used http://wsus01.corp.example:8530; 3 kinds of error"},
	}
	for _, tc := range cases {
		var out, errb bytes.Buffer
		args := append([]string{"upload", "--dashboard", srv.url}, tc.args...)
		if err := run(context.Background(), args, withToken, &out, &errb); err != nil || !strings.Contains(out.String(), tc.says) {
			t.Errorf("%v: %v\n%s%s\nwant %q", tc.args, err, out.String(), errb.String(), tc.says)
		}
	}
	var d probes.ClientDetail
	getJSON(t, srv.url+"/api/v1/clients/pc0042.corp.example", &d)
	if len(d.Evidence) != 2 || d.Report == nil || d.Report.Client.WUServer != "http://wsus01.corp.example" || d.Log == nil {
		t.Errorf("client evidence not stored: %+v", d)
	}
	var st probes.ServerState
	getJSON(t, srv.url+"/api/v1/servers/wsus01.corp.example", &st)
	if st.HTTPErr == nil || st.SDLog == nil || len(st.Events) != 2 {
		t.Errorf("server evidence not stored: httperr %v sdlog %v events %d", st.HTTPErr != nil, st.SDLog != nil, len(st.Events))
	}
	for _, bad := range []struct {
		args []string
		says string
	}{
		{[]string{"upload", "--server", "s", "--client", "c", "x.log"}, "either --server"},
		{[]string{"upload", "--client", "c", "--kind", "httperr", "x.log"}, "httperr is server evidence"},
		{[]string{"upload", "--client", "c", "--utc-offset", "CET", "x.log"}, "--utc-offset"},
		{[]string{"upload", "--client", "pc1", "--dashboard", srv.url, "../../probes/httperr/testdata/httperr1.log"}, "send it to /api/v1/servers/{name}/evidence/httperr"},
	} {
		var errb bytes.Buffer
		err := run(context.Background(), bad.args, withToken, io.Discard, &errb)
		msg := errb.String()
		if err != nil {
			msg += err.Error()
		}
		if err == nil || !strings.Contains(msg, bad.says) {
			t.Errorf("%v: %v; want an error saying %q", bad.args, msg, bad.says)
		}
	}
}

// TestUploadCodecs: upload sends zstd; a dashboard that answers 415 to zstd
// (one older than it) gets the file again as gzip. Either way what arrives
// decodes to the file.
func TestUploadCodecs(t *testing.T) {
	file := "../../probes/sdlog/testdata/SoftwareDistribution.log"
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, zstdOK := range []bool{true, false} {
		var got []string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			enc := r.Header.Get("Content-Encoding")
			got = append(got, enc)
			var body io.Reader
			switch {
			case enc == "zstd" && zstdOK:
				d, err := zstd.NewReader(r.Body)
				if err != nil {
					t.Error(err)
					return
				}
				defer d.Close()
				body = d
			case enc == "gzip":
				z, err := gzip.NewReader(r.Body)
				if err != nil {
					t.Error(err)
					return
				}
				body = z
			default:
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusUnsupportedMediaType)
				io.WriteString(w, `{"title":"Unsupported Media Type","status":415,"detail":"Content-Encoding \"zstd\" is not supported"}`)
				return
			}
			data, err := io.ReadAll(body)
			if err != nil || !bytes.Equal(data, want) {
				t.Errorf("%s body: %d bytes, %v; want the file's %d", enc, len(data), err, len(want))
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"kind":"softwaredistributionlog"}`)
		}))
		answer, err := uploadFile(t.Context(), srv.URL, "t", file, []string{"zstd", "gzip"}, io.Discard)
		srv.Close()
		wantEnc := []string{"zstd"}
		if !zstdOK {
			wantEnc = []string{"zstd", "gzip"}
		}
		if err != nil || answer["kind"] != "softwaredistributionlog" || !slices.Equal(got, wantEnc) {
			t.Errorf("zstd accepted %v: %v, %v, sent %v; want %v", zstdOK, answer, err, got, wantEnc)
		}
	}
}

// zstdFrames walks a zstd stream frame by frame (the frame header, its
// blocks, its checksum) and returns each frame's window.
func zstdFrames(t *testing.T, b []byte) []uint64 {
	t.Helper()
	var windows []uint64
	for len(b) > 0 {
		var h zstd.Header
		rest, err := h.DecodeAndStrip(b)
		if err != nil || h.Skippable {
			t.Fatalf("frame %d: %v (skippable %v)", len(windows), err, h.Skippable)
		}
		checksum := b[4]&4 != 0
		b = rest
		for last := false; !last; {
			if len(b) < 3 {
				t.Fatalf("frame %d: cut in a block header", len(windows))
			}
			bh := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
			size := int(bh >> 3)
			last = bh&1 == 1
			if bh>>1&3 == 1 { // RLE: one byte
				size = 1
			}
			if len(b) < 3+size {
				t.Fatalf("frame %d: cut in a block", len(windows))
			}
			b = b[3+size:]
		}
		if checksum {
			b = b[4:]
		}
		windows = append(windows, h.WindowSize)
	}
	return windows
}

// TestCompressZstd: upload's zstd decodes to the file, and asks for a window
// no larger than zstdWindow (what keeps the dashboard's decoder in cache);
// an empty file is one empty frame; a failed write or read fails it.
func TestCompressZstd(t *testing.T) {
	var file bytes.Buffer
	for i := 0; file.Len() < 3<<20; i++ {
		fmt.Fprintf(&file, "2026-11-21 09:%02d:%02d 10.0.0.5 POST /ClientWebService/client.asmx - 8530 - 10.1.%d.%d Windows-Update-Agent - %d 0 0 %d\r\n",
			i/60%60, i%60, i/250%250, i%250, []int{200, 200, 200, 401, 500}[i%5], i%997)
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderMaxWindow(zstdWindow))
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	for _, in := range [][]byte{file.Bytes(), file.Bytes()[:1000], nil} {
		var out bytes.Buffer
		if err := compressZstd(&out, bytes.NewReader(in)); err != nil {
			t.Fatalf("%d bytes: %v", len(in), err)
		}
		windows := zstdFrames(t, out.Bytes())
		if len(windows) != 1 || windows[0] > zstdWindow {
			t.Errorf("%d bytes: frames with windows %v; want one frame, its window at most %d", len(in), windows, zstdWindow)
		}
		got, err := dec.DecodeAll(out.Bytes(), nil)
		if err != nil || !bytes.Equal(got, in) {
			t.Errorf("%d bytes: decoded %d bytes, %v", len(in), len(got), err)
		}
	}

	broken := errors.New("broken pipe")
	if err := compressZstd(failingWriter{broken}, bytes.NewReader(file.Bytes())); !errors.Is(err, broken) {
		t.Errorf("a failed write: %v", err)
	}
	if err := compressZstd(io.Discard, io.MultiReader(bytes.NewReader(file.Bytes()), iotest.ErrReader(broken))); !errors.Is(err, broken) {
		t.Errorf("a failed read: %v", err)
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

// TestUploadCodecs: compressing only pays over a network, so a dashboard on
// this machine gets files as they are unless --compress says otherwise.
func TestUploadCodecChoice(t *testing.T) {
	for _, c := range []struct {
		mode, dashboard string
		want            []string
	}{
		{"auto", "http://127.0.0.1:8080", []string{""}},
		{"auto", "http://localhost:8080", []string{""}},
		{"auto", "https://[::1]:8443", []string{""}},
		{"auto", "https://wsusfleet.corp.example", []string{"zstd", "gzip"}},
		{"auto", "http://10.0.0.5:8080", []string{"zstd", "gzip"}},
		{"zstd", "http://127.0.0.1:8080", []string{"zstd", "gzip"}},
		{"gzip", "https://wsusfleet.corp.example", []string{"gzip"}},
		{"none", "https://wsusfleet.corp.example", []string{""}},
	} {
		got, err := uploadCodecs(c.mode, c.dashboard)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s to %s: %q, %v; want %q", c.mode, c.dashboard, got, err, c.want)
		}
	}
	if _, err := uploadCodecs("brotli", "http://127.0.0.1:8080"); err == nil || !strings.Contains(err.Error(), "auto, zstd, gzip, none") {
		t.Errorf("an unknown mode: %v", err)
	}
}

// TestUploadUncompressed: without a codec the file goes as it is, with its
// length and no Content-Encoding.
func TestUploadUncompressed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "SoftwareDistribution.log")
	want := bytes.Repeat([]byte("2026-11-21 10:00:00:000  1234  abcd Agent  * WARNING: Exit code = 0x8024401C\r\n"), 5000)
	if err := os.WriteFile(file, want, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := io.ReadAll(r.Body)
		if enc := r.Header.Get("Content-Encoding"); enc != "" || r.ContentLength != int64(len(want)) || err != nil || !bytes.Equal(data, want) {
			t.Errorf("Content-Encoding %q, length %d, %d bytes (%v); want the file's %d as it is", enc, r.ContentLength, len(data), err, len(want))
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"kind":"softwaredistributionlog"}`)
	}))
	defer srv.Close()
	answer, err := uploadFile(t.Context(), srv.URL, "t", file, []string{""}, io.Discard)
	if err != nil || answer["kind"] != "softwaredistributionlog" {
		t.Errorf("%v, %v", answer, err)
	}
}
