//go:build !linux

package web_test

import (
	"os"
	"testing"
)

// makeReadOnly makes a file impossible to write (as a user other than root).
func makeReadOnly(tb testing.TB, path string) {
	tb.Helper()
	if os.Geteuid() == 0 {
		tb.Skip("a read-only file is still writable for root here")
	}
	if err := os.Chmod(path, 0o444); err != nil {
		tb.Fatal(err)
	}
}
