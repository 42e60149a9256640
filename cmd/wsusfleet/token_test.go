package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// TestTokenCreateClientScope: the CLI makes client tokens (for Windows
// clients) and names --scope when the scope is wrong.
func TestTokenCreateClientScope(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "w.db")
	noEnv := func(string) string { return "" }
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "create", "--db", db, "--name", "clients", "--scope", "client"}, noEnv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "with scope client") {
		t.Errorf("create: %s", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"token", "list", "--db", db}, noEnv, &out, io.Discard); err != nil || !strings.Contains(out.String(), "clients  client") {
		t.Errorf("list: %v\n%s", err, out.String())
	}
	err := run(context.Background(), []string{"token", "create", "--db", db, "--name", "x", "--scope", "clients"}, noEnv, io.Discard, io.Discard)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(ee.msg, "--scope") || !strings.Contains(ee.msg, "client, ingest, read, admin") {
		t.Errorf("a wrong scope: %v", err)
	}
}
