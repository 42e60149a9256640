package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

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
