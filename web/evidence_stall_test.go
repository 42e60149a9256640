package web_test

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/web"
)

// TestEvidenceRefusedWhileTheBodyStalls: a file that is not an IIS log is
// refused as soon as its start arrives, even while the rest of the body is
// outstanding (the upload's body is read ahead of its parser: the refusal
// must not wait for the client), and the connection is closed.
func TestEvidenceRefusedWhileTheBodyStalls(t *testing.T) {
	pace := web.BodyPace{Grace: time.Minute, MinRate: 1024} // far beyond the connection's 20 s deadline
	l := newLiveEnv(t, web.Config{Limits: web.Limits{EvidencePace: pace}})
	c := l.dial()
	start := strings.Repeat(`{"this": "is JSON, not an IIS log"}`+"\n", 100)
	if _, err := io.WriteString(c, head("/api/v1/servers/wsus01.corp.example/evidence/iislog", l.ingest, 1<<20)+start); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer while the body is outstanding: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode < 400 || res.StatusCode >= 500 || res.StatusCode == http.StatusRequestTimeout || !res.Close || !closed(t, br) {
		t.Errorf("%s, Connection: close %v (%s); want the file refused and the connection closed", res.Status, res.Close, b)
	}
}
