package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wneessen/go-mail"

	"github.com/wsusfleet/wsusfleet/probes"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the raw body,
// keyed with the webhook channel's secret.
const SignatureHeader = "X-Wsusfleet-Signature"

// Sign returns the signature header value of body.
func Sign(secret string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write(body)
	return "sha256=" + hex.EncodeToString(h.Sum(nil))
}

// Sender sends one message to one channel.
type Sender struct {
	HTTP    *http.Client
	TLS     *tls.Config // for SMTP (nil: the system's roots)
	Version string
	Timeout time.Duration
}

// answerBytes bounds how much of a receiver's answer is kept.
const answerBytes = 300

// Send delivers n to ch and says how it went: the receiver's answer, and
// whether a failure is worth retrying (network errors, 5xx, 408, 429).
func (s *Sender) Send(ctx context.Context, ch probes.NotifierConfig, n probes.Notification) probes.DeliveryResult {
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	switch ch.Kind {
	case probes.NotifierWebhook:
		body, err := json.Marshal(n)
		if err != nil {
			return probes.DeliveryResult{Answer: "encode: " + err.Error()}
		}
		h := http.Header{"X-Wsusfleet-Event": {n.Event}, "X-Wsusfleet-Id": {n.ID}}
		if ch.Secret != "" {
			h.Set(SignatureHeader, Sign(ch.Secret, body))
		}
		return s.post(ctx, ch.URL, body, h)
	case probes.NotifierTeams:
		body, err := teamsBody(n)
		if err != nil {
			return probes.DeliveryResult{Answer: "encode: " + err.Error()}
		}
		return s.post(ctx, ch.URL, body, nil)
	case probes.NotifierSlack:
		body, err := slackBody(n)
		if err != nil {
			return probes.DeliveryResult{Answer: "encode: " + err.Error()}
		}
		return s.post(ctx, ch.URL, body, nil)
	case probes.NotifierEmail:
		return s.email(ctx, ch, n)
	}
	return probes.DeliveryResult{Answer: "unknown channel kind " + ch.Kind}
}

func (s *Sender) post(ctx context.Context, target string, body []byte, h http.Header) probes.DeliveryResult {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return probes.DeliveryResult{Answer: "bad channel URL"}
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "wsusfleet/"+s.Version)
	res, err := s.HTTP.Do(req)
	if err != nil {
		// The URL may carry the channel's token: say what failed, never where.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return probes.DeliveryResult{Answer: "no answer: " + scrub(err.Error(), target), Retry: time.Now()}
	}
	defer res.Body.Close()
	text, _ := io.ReadAll(io.LimitReader(res.Body, answerBytes+1))
	io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	answer := res.Status
	if t := strings.TrimSpace(toValidUTF8(text)); t != "" {
		answer += ": " + clip(t, answerBytes)
	}
	r := probes.DeliveryResult{OK: res.StatusCode >= 200 && res.StatusCode < 300, Answer: answer}
	if !r.OK && (res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests || res.StatusCode == http.StatusRequestTimeout) {
		r.Retry = time.Now()
		if secs, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && secs > 0 && secs <= 3600 {
			r.Retry = time.Now().Add(time.Duration(secs) * time.Second)
		}
	}
	return r
}

func toValidUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "?")
}

// scrub removes a channel URL (and its path and query) from an error text.
func scrub(text, target string) string {
	if u, err := url.Parse(target); err == nil {
		for _, s := range []string{target, u.RawQuery, u.EscapedPath()} {
			if len(s) > 1 {
				text = strings.ReplaceAll(text, s, "…")
			}
		}
	}
	return text
}

// email sends n over SMTP: STARTTLS (required, never downgraded), implicit
// TLS, or none for a local relay; SMTP AUTH when a username is set.
func (s *Sender) email(ctx context.Context, ch probes.NotifierConfig, n probes.Notification) probes.DeliveryResult {
	e := ch.Email
	if e == nil {
		return probes.DeliveryResult{Answer: "the channel has no email settings"}
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.TLS != nil {
		tlsCfg = s.TLS.Clone()
	}
	tlsCfg.ServerName = e.Host
	opts := []mail.Option{mail.WithPort(e.SMTPPort()), mail.WithTimeout(s.Timeout), mail.WithTLSConfig(tlsCfg), mail.WithHELO(helo())}
	switch e.Security {
	case probes.SMTPTLS:
		opts = append(opts, mail.WithSSL())
	case probes.SMTPNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if e.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(e.Username), mail.WithPassword(e.Password))
	}
	c, err := mail.NewClient(e.Host, opts...)
	if err != nil {
		return probes.DeliveryResult{Answer: "SMTP settings: " + err.Error()}
	}
	m := mail.NewMsg()
	if err := m.From(e.From); err != nil {
		return probes.DeliveryResult{Answer: "from: " + err.Error()}
	}
	if err := m.To(e.To...); err != nil {
		return probes.DeliveryResult{Answer: "to: " + err.Error()}
	}
	m.Subject("wsusfleet " + n.Headline())
	m.SetMessageID()
	m.SetDate()
	m.SetUserAgent("wsusfleet/" + s.Version)
	m.SetGenHeader("X-Wsusfleet-Id", n.ID)
	m.SetGenHeader("X-Wsusfleet-Event", n.Event)
	m.SetBodyString(mail.TypeTextPlain, strings.Join(textLines(n), "\r\n")+"\r\n")
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		r := probes.DeliveryResult{Answer: scrubPassword(err.Error(), e.Password)}
		var se *mail.SendError
		if !errors.As(err, &se) || se.IsTemp() || isNetwork(err) {
			r.Retry = time.Now()
		}
		return r
	}
	return probes.DeliveryResult{OK: true, Answer: fmt.Sprintf("accepted by %s:%d for %d recipient(s)", e.Host, e.SMTPPort(), len(e.To))}
}

func isNetwork(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &ne) || errors.As(err, &oe) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF)
}

func scrubPassword(text, password string) string {
	if len(password) >= 3 {
		text = strings.ReplaceAll(text, password, "…")
	}
	return text
}

func helo() string {
	// The local host name is what relays expect; go-mail's default is "localhost".
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}
