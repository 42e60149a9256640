package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README's flag table lists every flag of serve with its environment
// variable, and no flag serve does not have.
func TestReadmeListsEveryServeFlag(t *testing.T) {
	var help bytes.Buffer
	err := run(context.Background(), []string{"serve", "-h"}, func(string) string { return "" }, &help, &help)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("serve -h: %v", err)
	}
	flags := regexp.MustCompile(`(?m)^\s+-([a-z][a-z0-9-]*)`).FindAllStringSubmatch(help.String(), -1)
	if len(flags) < 20 {
		t.Fatalf("serve -h lists %d flags:\n%s", len(flags), help.String())
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	start := bytes.Index(readme, []byte("| flag (environment)"))
	end := bytes.Index(readme[start:], []byte("\n\n"))
	if start < 0 || end < 0 {
		t.Fatal("README.md has no flag table")
	}
	table := string(readme[start : start+end])
	serve := map[string]bool{}
	for _, f := range flags {
		serve[f[1]] = true
		if !strings.Contains(table, "`--"+f[1]+"`") || !strings.Contains(table, "`"+envName(f[1])+"`") {
			t.Errorf("README's flag table lacks --%s (%s)", f[1], envName(f[1]))
		}
	}
	for _, m := range regexp.MustCompile("`--([a-z][a-z0-9-]*)`").FindAllStringSubmatch(table, -1) {
		if !serve[m[1]] {
			t.Errorf("README's flag table lists --%s, which serve does not have", m[1])
		}
	}
}
