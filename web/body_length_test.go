package web_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// TestBodyReadToContentLength: a report read into a buffer of its
// Content-Length is stored whole, the body read to its end (the next
// request on the connection is answered); one cut short of its
// Content-Length is a 400, nothing stored.
func TestBodyReadToContentLength(t *testing.T) {
	l := newLiveEnv(t, web.Config{})
	r := storetest.Report("len-1", "wsus01.corp.example", storetest.T0)
	r.Clients = &probes.ClientList{Complete: true, Items: storetest.Clients(2000, storetest.T0, func(int) time.Duration { return time.Hour })}
	body, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	c := l.dial()
	br := bufio.NewReader(c)
	for i, want := range []int{201, 200} { // the second: a replay on the same connection
		io.WriteString(c, head("/api/v1/reports", l.ingest, int64(len(body))))
		c.Write(body)
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("request %d: %d, want %d", i+1, res.StatusCode, want)
		}
	}
	page, err := l.st.Clients(t.Context(), probes.ClientQuery{Server: "wsus01.corp.example"})
	if err != nil || page.Total != 2000 {
		t.Fatalf("%d clients stored, want 2000 (%v)", page.Total, err)
	}

	r.ID, r.Server.Name = "len-2", "wsus02.corp.example"
	body, _ = json.Marshal(r)
	c = l.dial()
	br = bufio.NewReader(c)
	io.WriteString(c, head("/api/v1/reports", l.ingest, int64(len(body))))
	c.Write(body[:len(body)/2])
	c.(*net.TCPConn).CloseWrite()
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(res.Body)
	if res.StatusCode != 400 || !strings.Contains(string(answer), "truncated") {
		t.Errorf("cut short: %d %s", res.StatusCode, answer)
	}
	if n := l.serverCount(); n != 1 {
		t.Errorf("%d servers stored, want 1", n)
	}
}
