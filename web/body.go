package web

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// readBody reads a request body of at most limit bytes after decompression
// (Content-Encoding: gzip is accepted, so a gzip bomb meets the same limit).
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := bodyReader(w, r, limit)
	if err != nil {
		return nil, err
	}
	defer body.Close()
	// Sized by Content-Length when it is known and allowed: a 30 MB client
	// list read by growing a buffer leaves several times that behind.
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= limit && r.Header.Get("Content-Encoding") == "" {
		buf.Grow(int(n) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(body); err != nil {
		return nil, bodyError(err)
	}
	return buf.Bytes(), nil
}

// bodyReader returns the decompressed, size-limited request body.
func bodyReader(w http.ResponseWriter, r *http.Request, limit int64) (io.ReadCloser, error) {
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return http.MaxBytesReader(w, r.Body, limit), nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, errStatus(http.StatusBadRequest, "Content-Encoding is gzip but the body is not gzip data: %v", err)
		}
		return http.MaxBytesReader(w, struct {
			io.Reader
			io.Closer
		}{zr, r.Body}, limit), nil
	default:
		return nil, errStatus(http.StatusUnsupportedMediaType, "Content-Encoding %q is not supported; send the body plain or gzip", enc)
	}
}

// bodyError classifies a failed body read: too large, bad gzip, or cut off.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.Is(err, io.ErrUnexpectedEOF):
		return errStatus(http.StatusBadRequest, "the body is truncated or its gzip data is corrupt: %v", err)
	}
	return fmt.Errorf("read body: %w", err)
}
