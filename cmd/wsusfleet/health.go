package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// cmdHealth checks /healthz; the container image has no shell or curl, so
// its HEALTHCHECK runs the binary itself.
func cmdHealth(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlags("health", "Exit 0 when the dashboard at --url answers its health check.", stderr)
	url := fs.String("url", "http://127.0.0.1:8080/healthz", "the health endpoint")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return usageError(fmt.Sprintf("--url: %v", err))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: %w", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("unhealthy: %s answered %s", *url, res.Status)
	}
	fmt.Fprintln(stdout, "healthy")
	return nil
}
