package sim

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// DefaultLatency is how long the slow profiles wait when Options.Latency is
// zero: above probes.SlowMS, so a prober with default timeouts sees a warning.
const DefaultLatency = 4 * time.Second

// Options configure a simulated server.
type Options struct {
	Profile string // fault profile (see Profiles); "" means healthy
	// TLS serves https with a certificate generated at start. Start turns it on
	// for profiles that only show over TLS. Ignored by NewHandler.
	TLS bool
	// Latency is how long the slow profiles (slow, catalog-bloat) make a
	// request wait; 0 means DefaultLatency.
	Latency time.Duration
	// CustomErrors answers errors with IIS's terse remote pages instead of
	// detailed ones, as IIS does for remote browsers by default: the
	// substatus is then invisible over the wire.
	CustomErrors bool
	// Logger gets one line per request; nil is silent.
	Logger *slog.Logger
}

// Handler answers WSUS vDir URLs as IIS 10 with the current profile.
// It is safe for concurrent use, including SetProfile.
type Handler struct {
	opts    Options
	profile atomic.Pointer[profile]
}

// NewHandler returns the simulator as a plain http.Handler, for embedding.
func NewHandler(opts Options) (*Handler, error) {
	p, err := lookupProfile(opts.Profile)
	if err != nil {
		return nil, err
	}
	if opts.Latency <= 0 {
		opts.Latency = DefaultLatency
	}
	h := &Handler{opts: opts}
	h.profile.Store(p)
	return h, nil
}

// SetProfile switches the fault profile; requests already waiting keep the
// answer they started with.
func (h *Handler) SetProfile(name string) error {
	p, err := lookupProfile(name)
	if err != nil {
		return err
	}
	h.profile.Store(p)
	return nil
}

// Profile returns the name of the current profile.
func (h *Handler) Profile() string { return h.profile.Load().Name }

func (h *Handler) current() *profile { return h.profile.Load() }

// ServeHTTP answers one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	p := h.current()
	rt := lookup(r.URL.Path)
	if p.delayed != nil && p.delayed(rt) && !sleep(r, h.opts.Latency) {
		return // the client went away
	}
	a, ok := answer{}, false
	if p.fault != nil {
		a, ok = p.fault(rt, r, &h.opts)
	}
	if !ok {
		a = healthy(rt, r, &h.opts)
	}
	a.write(w)
	if h.opts.Logger != nil {
		h.opts.Logger.Info("sim request", "profile", p.Name, "method", r.Method, "path", r.URL.Path,
			"status", a.status, "substatus", a.sub, "vdir", rt.vdir, "time_taken_ms", time.Since(start).Milliseconds())
	}
}

func sleep(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// answer is one response of the simulated server.
type answer struct {
	status, sub int // sub is what IIS would log as sc-substatus
	header      http.Header
	body        string
	httpSys     bool // sent by HTTP.sys, not IIS: no IIS headers
}

func (a answer) write(w http.ResponseWriter) {
	h := w.Header()
	if !a.httpSys {
		h.Set("Server", "Microsoft-IIS/10.0")
		h.Set("X-Powered-By", "ASP.NET")
	}
	for k, v := range a.header {
		h[http.CanonicalHeaderKey(k)] = v
	}
	h.Set("Content-Length", strconv.Itoa(len(a.body)))
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}
