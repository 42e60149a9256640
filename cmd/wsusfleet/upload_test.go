package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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
		answer, err := uploadFile(t.Context(), srv.URL, "t", file, io.Discard)
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
