package scripts

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/wsusfleet/wsusfleet/probes/pwshcheck"
)

// Every PowerShell block the README and the docs print parses with the
// grammar CI checks the collectors with: an admin copies them as typed.
func TestDocsPowerShellParses(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "README.md"))
	block := regexp.MustCompile("(?s)```(?:powershell|pwsh|ps1)\n(.*?)```")
	var scripts []pwshcheck.Script
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range block.FindAllStringSubmatch(string(b), -1) {
			scripts = append(scripts, pwshcheck.Script{From: filepath.Base(f) + " block " + strconv.Itoa(i+1), Text: m[1]})
		}
	}
	if len(scripts) < 50 {
		t.Fatalf("only %d PowerShell blocks found in the docs: the pattern lost them", len(scripts))
	}
	t.Logf("%d PowerShell blocks parsed", pwshcheck.Parse(t, "..", scripts))
}
