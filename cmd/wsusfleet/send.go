package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// problem is the part of an application/problem+json answer worth printing.
type problem struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Errors []struct {
		Pointer   string `json:"pointer"`
		Parameter string `json:"parameter"`
		Line      int64  `json:"line"`
		Detail    string `json:"detail"`
	} `json:"errors"`
}

func (p problem) String() string {
	var b strings.Builder
	b.WriteString(p.Title)
	if p.Detail != "" {
		b.WriteString(": " + p.Detail)
	}
	for _, e := range p.Errors {
		loc := e.Pointer + e.Parameter
		if e.Line > 0 {
			loc = fmt.Sprintf("line %d", e.Line)
		}
		fmt.Fprintf(&b, "\n  %s: %s", loc, e.Detail)
	}
	return b.String()
}

// retryable reports answers worth sending again: the server may do better.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500
}

// sendWithRetry sends a request built by body (called again per attempt),
// decoding a 2xx JSON answer into out. Network errors and retryable answers
// are retried with backoff; other answers fail at once with the server's
// problem details.
func sendWithRetry(ctx context.Context, method, endpoint, token, contentType string, body func() (io.Reader, int64), encoding string, out any) error {
	var last error
	for attempt := range 4 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(1<<attempt) * time.Second):
			}
		}
		rd, size := body()
		req, err := http.NewRequestWithContext(ctx, method, endpoint, rd)
		if err != nil {
			return err
		}
		req.ContentLength = size
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", contentType)
		if encoding != "" {
			req.Header.Set("Content-Encoding", encoding)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			last = err
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		data, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		res.Body.Close()
		if res.StatusCode/100 == 2 {
			if out != nil {
				return json.Unmarshal(data, out)
			}
			return nil
		}
		var p problem
		if json.Unmarshal(data, &p) != nil || p.Title == "" {
			p.Title, p.Detail = res.Status, strings.TrimSpace(string(data))
		}
		last = fmt.Errorf("%s answered %s", endpoint, p)
		if !retryable(res.StatusCode) {
			return last
		}
	}
	return errors.Join(errors.New("giving up after 4 attempts"), last)
}
