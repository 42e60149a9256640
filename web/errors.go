package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

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
	default:
		a.log.Error("request failed", "err", err, "method", r.Method, "path", r.URL.Path, "request_id", p.RequestID)
		p.Status, p.Detail = http.StatusInternalServerError, "internal error; the server log has the details under this request_id"
	}
	p.Title = http.StatusText(p.Status)
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
