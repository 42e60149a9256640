package notify_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/wsusfleet/wsusfleet/notify"
	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/rules"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// receiver is a real HTTP receiver on loopback that records every request
// and answers with the statuses it is given, then 200.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []request
	answers []int
}

type request struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	rc := &receiver{answers: answers}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, request{r.Header.Clone(), body})
		status := http.StatusOK
		if len(rc.answers) > 0 {
			status, rc.answers = rc.answers[0], rc.answers[1:]
		}
		rc.mu.Unlock()
		w.WriteHeader(status)
		fmt.Fprintf(w, "answer %d", status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.got...)
}

// fleet is a real store with the real rules, fast retries and one cause
// fired (WsusPool stopped on wsus01, seen by two judgements).
func fleet(t *testing.T, channels ...probes.NotifierInput) *store.Store {
	t.Helper()
	s := storetest.OpenSQLite(t, store.Options{Diagnose: rules.Diagnose})
	ctx := context.Background()
	cfg := probes.DefaultAlertSettings()
	cfg.RetryAfter = "1s"
	if err := s.SaveAlertSettings(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	for _, c := range channels {
		if err := c.Validate(time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateNotifier(ctx, c, "test"); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		if _, _, err := s.SaveReport(ctx, storetest.PoolStoppedReport(fmt.Sprintf("r%d", i), "wsus01.corp.example", time.Now().Add(time.Duration(i-2)*time.Second), true, nil), ""); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Settle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// drainUntil runs the dispatcher until cond holds (retries fall due on the
// real clock, a second apart), failing after a generous deadline.
func drainUntil(t *testing.T, d *notify.Dispatcher, what string, cond func() bool) {
	t.Helper()
	storetest.WaitFor(t, what, 30*time.Second, func() bool {
		if cond() {
			return true
		}
		d.Drain(context.Background())
		return cond()
	})
}

// deliveryCounts scrapes reg as /metrics serves it and parses it with the
// Prometheus text parser: attempts by "channel/kind/outcome", and the
// latency histogram's count by "latency/kind".
func deliveryCounts(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	out := map[string]float64{}
	label := func(m *dto.Metric, name string) string {
		for _, l := range m.GetLabel() {
			if l.GetName() == name {
				return l.GetValue()
			}
		}
		return ""
	}
	for _, m := range fams["wsusfleet_notifier_deliveries_total"].GetMetric() {
		out[label(m, "channel")+"/"+label(m, "kind")+"/"+label(m, "outcome")] = m.GetCounter().GetValue()
	}
	for _, m := range fams["wsusfleet_notifier_delivery_seconds"].GetMetric() {
		out["latency/"+label(m, "kind")] = float64(m.GetHistogram().GetSampleCount())
	}
	return out
}

func TestWebhookSignedRetriedAfter500(t *testing.T) {
	rc := newReceiver(t, http.StatusInternalServerError)
	s := fleet(t, probes.NotifierInput{Name: "hook", Kind: probes.NotifierWebhook, URL: rc.URL + "/wsusfleet?token=abc", Secret: "topsecret"})
	reg := prometheus.NewRegistry()
	d := notify.New(s, notify.Options{PublicURL: "https://wsusfleet.corp.example/", Registerer: reg})
	drainUntil(t, d, "two attempts", func() bool { return len(rc.requests()) >= 2 })
	// The attempts in /metrics: one retried after the 500, one sent.
	if got := deliveryCounts(t, reg); got["hook/webhook/retry"] != 1 || got["hook/webhook/sent"] != 1 || got["latency/webhook"] != 2 {
		t.Errorf("delivery metrics %v", got)
	}
	reqs := rc.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	for i, r := range reqs {
		if got, want := r.header.Get(notify.SignatureHeader), notify.Sign("topsecret", r.body); got != want || !strings.HasPrefix(got, "sha256=") {
			t.Errorf("attempt %d: signature %q, want %q", i, got, want)
		}
	}
	if string(reqs[0].body) != string(reqs[1].body) {
		t.Errorf("a retry sends the same body:\n%s\n%s", reqs[0].body, reqs[1].body)
	}
	var n map[string]any
	if err := json.Unmarshal(reqs[1].body, &n); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema", "id", "event", "server", "severity", "rule", "title", "evidence", "fix", "explains", "url"} {
		if _, ok := n[k]; !ok {
			t.Errorf("the body lacks %q: %s", k, reqs[1].body)
		}
	}
	if n["schema"] != probes.SchemaNotification || n["event"] != "firing" || n["server"] != "wsus01.corp.example" || n["rule"] != "wsuspool_stopped" ||
		n["severity"] != "critical" || n["url"] != "https://wsusfleet.corp.example/servers/wsus01.corp.example" {
		t.Errorf("body: %s", reqs[1].body)
	}
	if fix, _ := n["fix"].(map[string]any); !strings.Contains(fmt.Sprint(fix["command"]), "start apppool") {
		t.Errorf("fix: %v", n["fix"])
	}
	if reqs[1].header.Get("X-Wsusfleet-Id") != n["id"] {
		t.Errorf("the id header names the event")
	}
	hist, _ := s.Deliveries(context.Background(), probes.DeliveryQuery{})
	if len(hist) != 1 || hist[0].State != probes.DeliverySent || hist[0].Attempts != 2 || !strings.Contains(hist[0].Answer, "200") {
		t.Errorf("history: %+v", hist)
	}
}

func TestWebhookRefusedIsNotRetriedAndURLNeverShown(t *testing.T) {
	rc := newReceiver(t, http.StatusNotFound)
	s := fleet(t, probes.NotifierInput{Name: "hook", Kind: probes.NotifierWebhook, URL: rc.URL + "/secret-path"})
	reg := prometheus.NewRegistry()
	d := notify.New(s, notify.Options{Registerer: reg})
	drainUntil(t, d, "one attempt", func() bool { return len(rc.requests()) == 1 })
	d.Drain(context.Background())
	if len(rc.requests()) != 1 {
		t.Errorf("a 404 is final, not retried: %d requests", len(rc.requests()))
	}
	if got := deliveryCounts(t, reg); got["hook/webhook/failed"] != 1 || got["hook/webhook/sent"] != 0 || got["hook/webhook/retry"] != 0 {
		t.Errorf("delivery metrics %v", got)
	}
	hist, _ := s.Deliveries(context.Background(), probes.DeliveryQuery{})
	if len(hist) != 1 || hist[0].State != probes.DeliveryFailed || !strings.Contains(hist[0].Answer, "404 Not Found: answer 404") {
		t.Errorf("history: %+v", hist)
	}
	// A receiver that is down: the answer says so without the URL.
	rc.Close()
	res := (&notify.Sender{HTTP: http.DefaultClient, Timeout: 5 * time.Second}).Send(context.Background(),
		probes.NotifierConfig{NotifierInput: probes.NotifierInput{Kind: probes.NotifierWebhook, URL: rc.URL + "/secret-path?token=t0k3n"}},
		probes.Notification{Event: probes.EventFiring})
	if res.OK || res.Retry.IsZero() || strings.Contains(res.Answer, "secret-path") || strings.Contains(res.Answer, "t0k3n") {
		t.Errorf("down receiver: %+v", res)
	}
}

func TestTeamsAndSlackCards(t *testing.T) {
	teams, slack := newReceiver(t, http.StatusAccepted), newReceiver(t)
	s := fleet(t,
		probes.NotifierInput{Name: "teams", Kind: probes.NotifierTeams, URL: teams.URL + "/workflows/abc?sig=x"},
		probes.NotifierInput{Name: "slack", Kind: probes.NotifierSlack, URL: slack.URL + "/services/T0/B0/XYZ"})
	d := notify.New(s, notify.Options{PublicURL: "https://wsusfleet.corp.example"})
	drainUntil(t, d, "both cards", func() bool { return len(teams.requests()) == 1 && len(slack.requests()) == 1 })
	var card struct {
		Type        string `json:"type"`
		Attachments []struct {
			ContentType string `json:"contentType"`
			Content     struct {
				Type    string           `json:"type"`
				Version string           `json:"version"`
				Body    []map[string]any `json:"body"`
				Actions []map[string]any `json:"actions"`
			} `json:"content"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(teams.requests()[0].body, &card); err != nil {
		t.Fatal(err)
	}
	if card.Type != "message" || len(card.Attachments) != 1 || card.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" ||
		card.Attachments[0].Content.Type != "AdaptiveCard" || len(card.Attachments[0].Content.Actions) != 1 {
		t.Fatalf("teams card: %s", teams.requests()[0].body)
	}
	text := string(teams.requests()[0].body)
	for _, want := range []string{"[critical] wsus01.corp.example: WsusPool is stopped", "First step: Start the application pool", "https://wsusfleet.corp.example/servers/wsus01.corp.example"} {
		if !strings.Contains(text, want) {
			t.Errorf("teams card lacks %q: %s", want, text)
		}
	}
	var sl struct {
		Text   string           `json:"text"`
		Blocks []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal(slack.requests()[0].body, &sl); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sl.Text, "[critical] wsus01.corp.example") || len(sl.Blocks) < 4 || sl.Blocks[0]["type"] != "header" {
		t.Errorf("slack: %s", slack.requests()[0].body)
	}
	if !strings.Contains(string(slack.requests()[0].body), "start apppool") {
		t.Errorf("slack message lacks the fix command: %s", slack.requests()[0].body)
	}
}

// A real SMTP server on loopback: STARTTLS (never downgraded) with AUTH, or
// implicit TLS; its answers decide retry or failure.
type smtpServer struct {
	addr   string
	mu     sync.Mutex
	mails  []mail
	reject *smtp.SMTPError
}

type mail struct {
	from, user string
	to         []string
	data       string
	tls        bool
}

type smtpSession struct {
	srv  *smtpServer
	conn *smtp.Conn
	m    mail
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "wsusfleet" || pass != "hunter22" {
			return smtp.ErrAuthFailed
		}
		s.m.user = user
		return nil
	}), nil
}
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error { s.m.from = from; return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	if s.srv.reject != nil {
		return s.srv.reject
	}
	s.m.to = append(s.m.to, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, s.m.tls = s.conn.TLSConnectionState()
	s.m.data = string(b)
	s.srv.mu.Lock()
	s.srv.mails = append(s.srv.mails, s.m)
	s.srv.mu.Unlock()
	return nil
}
func (s *smtpSession) Reset()        { s.m = mail{user: s.m.user} }
func (s *smtpSession) Logout() error { return nil }

func startSMTP(t *testing.T, cert tls.Certificate, implicit bool) *smtpServer {
	srv := &smtpServer{}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: srv, conn: c}, nil })
	s := smtp.NewServer(be)
	s.Domain = "127.0.0.1"
	s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if implicit {
		ln = tls.NewListener(ln, s.TLSConfig)
	}
	srv.addr = ln.Addr().String()
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return srv
}

func (s *smtpServer) received() []mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mail(nil), s.mails...)
}

func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func emailChannel(addr, security string) probes.NotifierInput {
	host, port, _ := net.SplitHostPort(addr)
	var p int
	fmt.Sscan(port, &p)
	return probes.NotifierInput{Name: "mail-" + security, Kind: probes.NotifierEmail, Email: &probes.EmailSettings{Host: host, Port: p, Security: security,
		Username: "wsusfleet", Password: "hunter22", From: "wsusfleet@corp.example", To: []string{"ops@corp.example", "oncall@corp.example"}}}
}

func TestEmailOverSTARTTLSAndImplicitTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	starttls, implicit := startSMTP(t, cert, false), startSMTP(t, cert, true)
	s := fleet(t, emailChannel(starttls.addr, probes.SMTPStartTLS), emailChannel(implicit.addr, probes.SMTPTLS))
	d := notify.New(s, notify.Options{TLS: &tls.Config{RootCAs: pool}, PublicURL: "https://wsusfleet.corp.example"})
	drainUntil(t, d, "two mails", func() bool { return len(starttls.received()) == 1 && len(implicit.received()) == 1 })
	for _, m := range append(starttls.received(), implicit.received()...) {
		if !m.tls || m.user != "wsusfleet" || m.from != "wsusfleet@corp.example" || len(m.to) != 2 {
			t.Errorf("mail: tls=%v user=%q from=%q to=%v", m.tls, m.user, m.from, m.to)
		}
		for _, want := range []string{"Subject: wsusfleet [critical] wsus01.corp.example: WsusPool is stopped", "First step: Start the application pool",
			"https://wsusfleet.corp.example/servers/wsus01.corp.example", "X-Wsusfleet-Id: "} {
			if !strings.Contains(m.data, want) {
				t.Errorf("the mail lacks %q:\n%s", want, m.data)
			}
		}
	}
	hist, _ := s.Deliveries(context.Background(), probes.DeliveryQuery{})
	for _, h := range hist {
		if h.State != probes.DeliverySent || !strings.Contains(h.Answer, "accepted by 127.0.0.1") {
			t.Errorf("history: %+v", h)
		}
	}
}

func TestEmailAnswersDecideRetry(t *testing.T) {
	cert, pool := selfSigned(t)
	srv := startSMTP(t, cert, false)
	sender := &notify.Sender{TLS: &tls.Config{RootCAs: pool}, Timeout: 10 * time.Second}
	ch := probes.NotifierConfig{NotifierInput: emailChannel(srv.addr, probes.SMTPStartTLS)}
	msg := probes.Notification{Event: probes.EventFiring, Severity: probes.SeverityWarning, Title: "t", Rule: "r", ID: "x"}
	srv.reject = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	if r := sender.Send(context.Background(), ch, msg); r.OK || r.Retry.IsZero() || !strings.Contains(r.Answer, "451") {
		t.Errorf("a 451 is retried: %+v", r)
	}
	srv.mu.Lock()
	srv.reject = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	srv.mu.Unlock()
	if r := sender.Send(context.Background(), ch, msg); r.OK || !r.Retry.IsZero() || !strings.Contains(r.Answer, "550") {
		t.Errorf("a 550 is final: %+v", r)
	}
	ch.Email.Password = "wrong-password"
	srv.mu.Lock()
	srv.reject = nil
	srv.mu.Unlock()
	if r := sender.Send(context.Background(), ch, msg); r.OK || strings.Contains(r.Answer, "wrong-password") {
		t.Errorf("bad credentials fail without showing the password: %+v", r)
	}
	// Without TLS trust, STARTTLS must fail rather than send in clear text.
	plain := &notify.Sender{Timeout: 10 * time.Second}
	ch.Email.Password = "hunter22"
	if r := plain.Send(context.Background(), ch, msg); r.OK {
		t.Errorf("an untrusted certificate must not be accepted: %+v", r)
	}
	if n := len(srv.received()); n != 0 {
		t.Errorf("%d mails got through", n)
	}
}

func TestSendTestShowsTheAnswer(t *testing.T) {
	rc := newReceiver(t, http.StatusForbidden)
	s := storetest.OpenSQLite(t, store.Options{})
	id, err := s.CreateNotifier(context.Background(), probes.NotifierInput{Name: "hook", Kind: probes.NotifierWebhook, URL: rc.URL}, "t")
	if err != nil {
		t.Fatal(err)
	}
	d := notify.New(s, notify.Options{})
	r, err := d.Test(context.Background(), id, "alice")
	if err != nil || r.OK || r.Answer != "403 Forbidden: answer 403" {
		t.Fatalf("test: %+v %v", r, err)
	}
	var body probes.Notification
	json.Unmarshal(rc.requests()[0].body, &body)
	if !body.Test || body.Event != probes.EventFiring || !strings.Contains(body.Title, "alice") {
		t.Errorf("test body: %+v", body)
	}
	r, _ = d.Test(context.Background(), id, "alice")
	if !r.OK {
		t.Errorf("second test: %+v", r)
	}
	hist, _ := s.Deliveries(context.Background(), probes.DeliveryQuery{})
	if len(hist) != 2 || !hist[0].Test || hist[0].State != probes.DeliverySent || hist[1].State != probes.DeliveryFailed {
		t.Errorf("tests are kept in the history: %+v", hist)
	}
	if _, err := d.Test(context.Background(), 999, "alice"); !errors.Is(err, probes.ErrNotFound) {
		t.Errorf("unknown channel: %v", err)
	}
}
