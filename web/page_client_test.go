package web_test

import (
	"bytes"

	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/wsusfleet/wsusfleet/probes/rules"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// postForm sends the paste form as a browser does (multipart, fields in
// page order); file "" sends no file part.
func (e *env) postForm(t *testing.T, path, csrf, kind, text, fileName string, file []byte, cookies ...*http.Cookie) page {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, kv := range [][2]string{{"csrf", csrf}, {"kind", kind}, {"utc_offset", ""}, {"text", text}} {
		mw.WriteField(kv[0], kv[1])
	}
	fw, _ := mw.CreateFormFile("file", fileName)
	fw.Write(file)
	mw.Close()
	req := httptest.NewRequest("POST", path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "text/html")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	p := page{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		doc, err := goquery.NewDocumentFromReader(bytes.NewReader(p.body))
		if err != nil {
			t.Fatal(err)
		}
		p.doc = doc
	}
	return p
}

func TestClientPage(t *testing.T) {
	e := newEnvWith(t, web.Config{}, store.Options{Diagnose: rules.Diagnose})
	stoppedPool(t, e)
	if res := e.do("POST", "/api/v1/clients/pc0042.corp.example/evidence/windowsupdatelog", e.ingest, bytes.NewReader(sample(t, "wulog/testdata/windowsupdate-classic.log"))); res.status != 201 {
		t.Fatalf("%d %s", res.status, res.body)
	}
	p := e.page("GET", "/clients/PC0042.corp.example", nil)
	if p.status != 200 {
		t.Fatalf("%d %s", p.status, p.body)
	}
	checkSafeHTML(t, "client", p)
	if g := p.find(t, testid("client-gap")); g.AttrOr("data-gap", "") != "stale_report" {
		t.Errorf("gap badge %q", g.AttrOr("data-gap", ""))
	}
	if c := p.find(t, testid("client-cause")); !strings.Contains(c.Text(), "WsusPool is stopped") || c.Find(`a[href="/servers/wsus01.corp.example#findings"]`).Length() != 1 {
		t.Errorf("cause %q", c.Text())
	}
	row := p.find(t, testid("client-error")+`[data-code="0x80244022"]`)
	if row.Length() == 0 || !strings.Contains(row.Text(), "WU_E_PT_HTTP_STATUS_SERVICE_UNAVAIL") || row.Find(testid("client-error-explained")).Length() == 0 {
		t.Errorf("0x80244022 row %q", row.Text())
	}
	if fix := p.find(t, testid("client-fix")); !strings.Contains(fix.Text(), "WsusPool") || fix.Find(testid("command")).Length() == 0 {
		t.Errorf("fix %q", fix.Text())
	}
	if s := p.find(t, testid("client-log-server")).Text(); !strings.Contains(s, "http://wsus01.corp.example:8530") {
		t.Errorf("log server %q", s)
	}
	// Open reading: the form says how to sign in, and gives the command.
	if p.find(t, testid("evidence-signin")).Length() != 1 || p.find(t, testid("evidence-form-fields")).Length() != 0 ||
		!strings.Contains(p.find(t, testid("evidence-form")+" "+testid("command")).Text(), "wsusfleet upload --dashboard 'http://example.com' --client 'pc0042.corp.example'") {
		t.Errorf("form without a session: %s", p.find(t, testid("evidence-form")).Text())
	}
	// The server's client table and the gap list link here.
	if p := e.page("GET", "/servers/wsus01.corp.example", nil); p.find(t, testid("client-name")+` a[href="/clients/pc0042.corp.example"]`).Length() != 1 {
		t.Errorf("the client table does not link the client page")
	}
	if p := e.page("GET", "/gaps/stale_report", nil); p.find(t, testid("gap-client-link")+`[href="/clients/pc0042.corp.example"]`).Length() != 1 {
		t.Errorf("the gap list does not link the client page")
	}
	if p := e.page("GET", "/clients/nobody.corp.example", nil); p.status != 404 || p.find(t, testid("evidence-form")).Length() != 1 {
		t.Errorf("unknown client: %d", p.status)
	}
}

// The paste form: a signed-in admin pastes reg query output on a client
// page and sees what was understood, what changed, the gap and the fix.
func TestPasteClientEvidence(t *testing.T) {
	e := newEnvWith(t, web.Config{}, store.Options{Diagnose: rules.Diagnose})
	stoppedPool(t, e)
	session, _ := e.signIn(t, e.admin, "/")
	p := e.page("GET", "/clients/pc0042.corp.example", nil, session)
	csrf := p.find(t, testid("evidence-form-fields")+` input[name="csrf"]`).AttrOr("value", "")
	if csrf == "" {
		t.Fatalf("no form for a signed-in admin")
	}
	text := string(sample(t, "regquery/testdata/reg-query-markdown.txt"))
	if p := e.postForm(t, "/clients/pc0042.corp.example/evidence", "forged", "auto", text, "", nil, session); p.status != 403 {
		t.Errorf("a forged CSRF token: %d", p.status)
	}
	if p := e.postForm(t, "/clients/pc0042.corp.example/evidence", csrf, "auto", text, "", nil); p.status != 401 {
		t.Errorf("no session: %d", p.status)
	}
	p = e.postForm(t, "/clients/pc0042.corp.example/evidence", csrf, "auto", text, "", nil, session)
	if p.status != 201 {
		t.Fatalf("paste: %d %s", p.status, p.body)
	}
	checkSafeHTML(t, "client after paste", p)
	res := p.find(t, testid("evidence-result"))
	if res.AttrOr("data-kind", "") != "regquery" || !strings.Contains(res.Text(), "WUServer = http://wsus-old.corp.example:8530") ||
		!strings.Contains(p.find(t, testid("evidence-changed")).Text(), "gap: stale_report → wrong_server") {
		t.Errorf("result %q", res.Text())
	}
	if g := p.find(t, testid("client-gap")).AttrOr("data-gap", ""); g != "wrong_server" {
		t.Errorf("gap after the paste %q", g)
	}
	if fix := p.find(t, testid("client-fix-about")).Text(); !strings.Contains(fix, "its own policy (wrong_server)") {
		t.Errorf("fix %q", fix)
	}
	// A file instead of text; and again: a replay.
	file := sample(t, "regquery/testdata/windowsupdate-export.reg")
	if p := e.postForm(t, "/clients/pc0042.corp.example/evidence", csrf, "regquery", "", "WU.reg", file, session); p.status != 201 ||
		p.find(t, testid("client-gap")).AttrOr("data-gap", "") != "stale_report" {
		t.Errorf("file: %d gap %q", p.status, p.find(t, testid("client-gap")).AttrOr("data-gap", ""))
	}
	if p := e.postForm(t, "/clients/pc0042.corp.example/evidence", csrf, "regquery", "", "WU.reg", file, session); p.status != 200 ||
		!strings.Contains(p.find(t, testid("evidence-result")).Text(), "Already stored") {
		t.Errorf("the same file again: %d", p.status)
	}
	// A refusal keeps the text and names the line.
	p = e.postForm(t, "/clients/pc0042.corp.example/evidence", csrf, "regquery", "hello\r\nthis is not registry output\r\n", "", nil, session)
	if p.status != 422 || !strings.Contains(p.find(t, testid("evidence-error")).Text(), "line 1") ||
		!strings.Contains(p.find(t, testid("evidence-text")).Text(), "this is not registry output") {
		t.Errorf("refusal: %d %q", p.status, p.find(t, testid("evidence-error")).Text())
	}
	if p := e.postForm(t, "/clients/pc0042.corp.example/evidence", csrf, "auto", "", "", nil, session); p.status != 422 ||
		!strings.Contains(p.find(t, testid("evidence-error")).Text(), "nothing was pasted") {
		t.Errorf("empty form: %d", p.status)
	}
}

func TestPasteServerEvidence(t *testing.T) {
	e := newEnvWith(t, web.Config{}, store.Options{Diagnose: rules.Diagnose})
	mustPost(t, e, storetest.Report("ok", "wsus01.corp.example", storetest.T0))
	session, _ := e.signIn(t, e.admin, "/")
	p := e.page("GET", "/servers/wsus01.corp.example", nil, session)
	csrf := p.find(t, testid("evidence-form-fields")+` input[name="csrf"]`).AttrOr("value", "")
	if csrf == "" {
		t.Fatalf("no form on the server page")
	}
	p = e.postForm(t, "/servers/wsus01.corp.example/evidence", csrf, "auto", string(sample(t, "eventtext/testdata/viewer-copy-en.txt")), "", nil, session)
	if p.status != 201 {
		t.Fatalf("%d %s", p.status, p.body)
	}
	checkSafeHTML(t, "evidence page", p)
	if res := p.find(t, testid("evidence-result")); res.AttrOr("data-kind", "") != "events" || !strings.Contains(res.Text(), "12072 Windows Server Update Services") {
		t.Errorf("result %q", res.Text())
	}
	if ch := p.find(t, testid("evidence-changed")).Text(); !strings.Contains(ch, "new finding") {
		t.Errorf("changed %q", ch)
	}
	// One ingest path: the same text posted to the API is the same document
	// (200, nothing stored twice), and an IIS log uploaded by the API and
	// then pasted is too.
	events := sample(t, "eventtext/testdata/viewer-copy-en.txt")
	if res := e.do("POST", "/api/v1/servers/wsus01.corp.example/evidence/auto", e.ingest, bytes.NewReader(events)); res.status != 200 {
		t.Errorf("the pasted events posted to the API: %d %s", res.status, res.body)
	}
	if res := e.do("POST", "/api/v1/servers/wsus01.corp.example/evidence/iislog", e.ingest, strings.NewReader(wsusLog)); res.status != 201 {
		t.Fatalf("IIS log: %d %s", res.status, res.body)
	}
	p = e.postForm(t, "/servers/wsus01.corp.example/evidence", csrf, "iislog", wsusLog, "", nil, session)
	if p.status != 200 || p.find(t, testid("evidence-result")).AttrOr("data-kind", "") != "iislog" {
		t.Errorf("the uploaded IIS log pasted: %d %s", p.status, p.find(t, testid("evidence-result")).Text())
	}
	// Client evidence on a server page is refused with where to send it.
	p = e.postForm(t, "/servers/wsus01.corp.example/evidence", csrf, "auto", string(sample(t, "regquery/testdata/reg-query-s.txt")), "", nil, session)
	if p.status != 422 || !strings.Contains(p.find(t, testid("evidence-error")).Text(), "/api/v1/clients/{name}/evidence/regquery") {
		t.Errorf("client evidence on a server: %d %q", p.status, p.find(t, testid("evidence-error")).Text())
	}
}
