package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/sim"
)

// TestProbePostWithoutName: an agent given only a URL asks the dashboard
// which server it is and posts under that name; a URL the dashboard does
// not know is refused asking for --name, and no phantom server named after
// the address appears.
func TestProbePostWithoutName(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "resolve.db")
	admin := lastLine(runCmd(t, "token", "create", "--name", "admin", "--scope", "admin", "--db", db))
	ingest := lastLine(runCmd(t, "token", "create", "--name", "agent", "--scope", "ingest", "--db", db))
	srv := startRun(t, "listening on ", "serve", "--db", db, "--addr", "127.0.0.1:0", "--log-level", "warn", "--probe-interval", "1h")
	known, err := sim.Start("127.0.0.1:0", sim.Options{Profile: sim.Healthy})
	if err != nil {
		t.Fatal(err)
	}
	defer known.Close()
	stranger, err := sim.Start("127.0.0.1:0", sim.Options{Profile: sim.Healthy})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	body, _ := json.Marshal(probes.Registration{Name: "wsus-east.corp.example", URL: known.URL()})
	if status, err := postJSON(context.Background(), srv.url+"/api/v1/servers", admin, body); err != nil || status != 201 {
		t.Fatalf("register: %d %v", status, err)
	}
	env := func(k string) string {
		if k == "WSUSFLEET_TOKEN" {
			return ingest
		}
		return ""
	}
	probe := func(url string) (error, string) {
		var out, errb bytes.Buffer
		err := run(context.Background(), []string{"probe", "--server", url, "--selfupdate-port", "-1", "--post", srv.url}, env, &out, &errb)
		return err, errb.String()
	}
	if err, stderr := probe(known.URL()); err != nil || !strings.Contains(stderr, "sent to") {
		t.Fatalf("a registered URL: %v\n%s", err, stderr)
	}
	var st probes.ServerState
	getJSON(t, srv.url+"/api/v1/servers/wsus-east.corp.example", &st)
	if len(st.VDirChecks) == 0 || st.VDirChecks[len(st.VDirChecks)-1].Vantage != probes.VantageRemote {
		t.Errorf("the agent's report did not land on wsus-east: %+v", st.VDirChecks)
	}
	err, stderr := probe(stranger.URL())
	msg := stderr
	if err != nil {
		msg += err.Error()
	}
	if code := exitCode(err, io.Discard); code != 2 || !strings.Contains(msg, "--name is required: the dashboard knows no server at "+stranger.URL()) {
		t.Errorf("an unknown URL: exit %d, %q; want 2 asking for --name", code, msg)
	}
	var list struct{ Servers []probes.ServerSummary }
	getJSON(t, srv.url+"/api/v1/servers", &list)
	if len(list.Servers) != 1 || list.Servers[0].Name != "wsus-east.corp.example" {
		t.Errorf("servers %+v: a phantom server appeared", list.Servers)
	}
	// --name is what it says: no question asked.
	var out bytes.Buffer
	err = run(context.Background(), []string{"probe", "--server", stranger.URL(), "--name", "wsus-dmz.corp.example", "--selfupdate-port", "-1", "--post", srv.url}, env, &out, io.Discard)
	if err != nil {
		t.Fatalf("with --name: %v", err)
	}
	if code := getJSON(t, srv.url+"/api/v1/servers/wsus-dmz.corp.example", &st); code != 200 {
		t.Errorf("with --name: %d", code)
	}
}
