package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// handlerFunc is an HTTP handler that returns its error; handle maps errors
// to responses in one place.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail,omitempty"`
	Instance  string              `json:"instance,omitempty"`
	RequestID string              `json:"request_id,omitempty"`
	Errors    []probes.FieldError `json:"errors,omitempty"`
}

// httpError is an error with a chosen status and a message safe to show.
type httpError struct {
	status int
	detail string
	header map[string]string
}

func (e *httpError) Error() string { return e.detail }

func errStatus(status int, format string, args ...any) error {
	return &httpError{status: status, detail: fmt.Sprintf(format, args...)}
}

func (a *app) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.fail(w, r, err)
		}
	}
}

// fail answers err as problem+json, or as an HTML page to a page request. Only validation details and messages
// written for users reach the client; anything else is logged and answered
// with a generic 500.
func (a *app) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := Problem{Type: "about:blank", Instance: r.URL.Path, RequestID: requestID(r.Context())}
	var ve *probes.ValidationError
	var he *httpError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ve):
		p.Status, p.Errors = http.StatusUnprocessableEntity, ve.Errors
		p.Detail = "the request has invalid fields; each is listed in errors"
		if ve.Syntax {
			p.Status, p.Detail = http.StatusBadRequest, ve.Errors[0].String()
		}
	case errors.As(err, &mbe):
		p.Status, p.Detail = http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than the limit of %d bytes", mbe.Limit)
	case errors.As(err, &he):
		p.Status, p.Detail = he.status, he.detail
		for k, v := range he.header {
			w.Header().Set(k, v)
		}
	case errors.Is(err, probes.ErrNotFound):
		p.Status, p.Detail = http.StatusNotFound, err.Error()
	case errors.Is(err, probes.ErrConflict):
		p.Status, p.Detail = http.StatusConflict, err.Error()
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		return // the client went away; nobody to answer
	case failedRead(r, err) != nil:
		// Reading the body failed: the client's doing, never an outage.
		p.Status, p.Detail = http.StatusBadRequest, "the body could not be read to its end"
		if errors.Is(err, os.ErrDeadlineExceeded) {
			p.Status, p.Detail = http.StatusRequestTimeout, "the body arrived too slowly; send it again over a faster link"
		}
	case a.store.Unavailable(err):
		a.outage.begin(a, err, p.RequestID)
		p.Status, p.Detail = http.StatusServiceUnavailable, "the database is unavailable right now; try again shortly"
		w.Header().Set("Retry-After", retryAfter(retryOutage))
	default:
		a.log.Error("request failed", "err", err, "method", r.Method, "path", r.URL.Path, "request_id", p.RequestID)
		p.Status, p.Detail = http.StatusInternalServerError, "internal error; the server log has the details under this request_id"
	}
	p.Title = http.StatusText(p.Status)
	if unreadBody(r) {
		// Refused before the body was read (401, 403, 413, 429, 503...):
		// close rather than read the rest of it to keep the connection,
		// and do not wait for it after answering either.
		w.Header().Set("Connection", "close")
		http.NewResponseController(w).SetReadDeadline(time.Now())
	}
	if wantsHTML(r) {
		a.failPage(w, r, p)
		return
	}
	writeProblem(w, p)
}

func writeProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// writeJSON renders v fully before writing, so an encoding failure is still
// a clean 500 and never half a body.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
	return nil
}

// retryOutage is the Retry-After of a 503 while the database is unavailable.
const retryOutage = 10 * time.Second

// outage remembers a database outage in progress, so it is logged once when
// it begins and once when it ends, not once per refused request.
type outage struct {
	mu      sync.Mutex
	since   time.Time // zero: no outage
	refused int64
}

// begin notes a request refused for the outage; the first one logs it and
// starts watching for the database to come back.
func (o *outage) begin(a *app, err error, requestID string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refused++
	if !o.since.IsZero() {
		return
	}
	o.since = time.Now()
	a.log.Error("database unavailable: answering 503 until it is back", "err", err, "request_id", requestID)
	go o.watch(a)
}

// watch checks the database with growing pauses until it answers again.
func (o *outage) watch(a *app) {
	pause := 250 * time.Millisecond
	for {
		time.Sleep(pause)
		pause = min(2*pause, 5*time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := a.store.Check(ctx)
		cancel()
		if err != nil && a.store.Unavailable(err) {
			continue
		}
		o.mu.Lock()
		since, refused := o.since, o.refused
		o.since, o.refused = time.Time{}, 0
		o.mu.Unlock()
		if err != nil { // no longer an outage but something else (the store was closed): stop watching
			a.log.Warn("database check stopped", "err", err)
			return
		}
		a.log.Info("database available again", "after", time.Since(since).Round(time.Millisecond).String(), "refused", refused)
		return
	}
}

// down reports whether an outage is in progress.
func (o *outage) down() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return !o.since.IsZero()
}
