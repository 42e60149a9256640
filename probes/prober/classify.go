package prober

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/wsusfleet/wsusfleet/probes"
)

var errHeadTooLarge = errors.New("the response head is larger than 64 KiB")

// failure is why a check got no usable HTTP answer.
type failure struct {
	phase string // what the prober was doing: resolve, connect, TLS handshake, ...
	err   error
	kind  string // probes.Error*
	why   string // the message in an administrator's words, when clearer than err
}

func (f *failure) message() string {
	msg := f.why
	if msg == "" {
		msg = f.err.Error()
	}
	switch f.phase {
	case "resolve", "connect": // net's own messages already say "lookup ..." / "dial tcp ..."
		if f.why == "" {
			return msg
		}
	}
	return f.phase + ": " + msg
}

// classify turns an error in phase into a failure with the kind of §5's
// error_kind: the phase decides, except that running out of time anywhere
// after connecting is a timeout (the server accepted but did not answer).
func (p *Prober) classify(serverCtx context.Context, phase string, err error) *failure {
	f := &failure{phase: phase, err: err}
	if errors.Is(serverCtx.Err(), context.Canceled) {
		// The caller gave up, not the server: whatever the phase, no answer in time.
		f.kind, f.why = probes.ErrorTimeout, "probe cancelled"
		return f
	}
	switch phase {
	case "resolve":
		f.kind = probes.ErrorDNS
		return f
	case "connect":
		// A connect that times out means filtered or down: still "cannot connect".
		f.kind = probes.ErrorConnect
		if isTimeout(err) {
			f.why = p.timeoutText(serverCtx) + " (" + err.Error() + ")"
		}
		return f
	}
	switch {
	case isTimeout(err):
		f.kind, f.why = probes.ErrorTimeout, p.timeoutText(serverCtx)
	case phase == "TLS handshake":
		f.kind = probes.ErrorTLS
		var rh tls.RecordHeaderError
		if errors.As(err, &rh) && bytes.HasPrefix(rh.RecordHeader[:], []byte("HTTP/")) {
			f.why = "the port answers plain HTTP, not TLS (try http://)"
		}
	default:
		f.kind = probes.ErrorHTTP
		switch {
		case errors.Is(err, errHeadTooLarge):
			f.why = errHeadTooLarge.Error()
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			f.why = "the server closed the connection without a complete answer"
		case errors.Is(err, syscall.ECONNRESET):
			f.why = "the server reset the connection"
		}
	}
	return f
}

// timeoutText says which limit ran out.
func (p *Prober) timeoutText(serverCtx context.Context) string {
	switch {
	case serverCtx.Err() != nil:
		return fmt.Sprintf("gave up: the time budget for this server (%s) ran out", p.o.ServerTimeout)
	}
	return fmt.Sprintf("no answer within %s", p.o.RequestTimeout)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled) || (errors.As(err, &ne) && ne.Timeout())
}

// clean makes text from the network safe for a report: valid UTF-8, no
// control characters, at most max bytes.
func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// clip keeps at most n values, each cleaned to max bytes; nil when empty.
func clip(vs []string, n, max int) []string {
	if len(vs) == 0 {
		return nil
	}
	out := make([]string, 0, min(n, len(vs)))
	for _, v := range vs[:min(n, len(vs))] {
		out = append(out, clean(v, max))
	}
	return out
}
