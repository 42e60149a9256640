// Package pwshcheck is a test helper: it runs PowerShell text through the
// grammar CI checks the collectors with (.ci/pwsh-syntax/check.js), so the
// commands the dashboard shows and the docs print are checked the same way.
package pwshcheck

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Script is one piece of PowerShell and where it came from (for messages).
type Script struct {
	From string
	Text string
}

// Parse writes each distinct script to its own .ps1 file and runs the
// grammar check over them, failing tb for each that does not parse. root
// is the repository's root. Outside CI it skips when node or the grammar is
// missing; in CI (CI=true) that is a failure. It returns how many distinct
// scripts were checked.
func Parse(tb testing.TB, root string, scripts []Script) int {
	tb.Helper()
	dir, err := filepath.Abs(filepath.Join(root, ".ci", "pwsh-syntax"))
	if err != nil {
		tb.Fatal(err)
	}
	node, nodeErr := exec.LookPath("node")
	_, gramErr := os.Stat(filepath.Join(dir, "node_modules", "tree-sitter-powershell"))
	if nodeErr != nil || gramErr != nil {
		msg := fmt.Sprintf("the PowerShell grammar is not installed (node: %v; grammar: %v): run .ci/pwsh-syntax/run once to install it", nodeErr, gramErr)
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	tmp := tb.TempDir()
	seen := map[string]int{}
	var from, texts []string
	for _, s := range scripts {
		if _, dup := seen[s.Text]; dup {
			continue
		}
		seen[s.Text] = len(texts)
		from, texts = append(from, s.From), append(texts, s.Text)
		if err := os.WriteFile(filepath.Join(tmp, fmt.Sprintf("cmd%04d.ps1", len(texts)-1)), []byte(s.Text+"\n"), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	cmd := exec.Command(node, filepath.Join(dir, "check.js"), tmp)
	cmd.Dir = tmp
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		tb.Fatalf("the grammar check did not run: %v\n%s", err, out)
	}
	failed := 0
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := sc.Text()
		path, rest, ok := strings.Cut(line, ".ps1:")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(path), "cmd"))
		if err != nil || n < 0 || n >= len(texts) {
			continue
		}
		failed++
		tb.Errorf("%s: PowerShell does not parse %q: %s", from[n], texts[n], rest)
	}
	if !strings.Contains(string(out), fmt.Sprintf("%d of %d scripts parse cleanly", len(texts)-failed, len(texts))) {
		tb.Errorf("the grammar check's summary is missing or disagrees:\n%s", out)
	}
	return len(texts)
}
