package probes_test

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/rules"
)

var update = flag.Bool("update", false, "rewrite docs/client-errors.md from the catalogue")

// The codes issue 11 asks the catalogue to explain.
var required = []string{"0x80244019", "0x80244017", "0x8024401B", "0x8024401C", "0x8024401F", "0x80244021", "0x80244022", "0x80244007",
	"0x80244010", "0x8024402C", "0x8024402F", "0x80072EE2", "0x80072EFD", "0x80072EE7", "0x80072F8F", "0x800B0109", "0x800B0101",
	"0x800710DD", "0x80070422", "0x8024002E"}

func TestCatalogue(t *testing.T) {
	ruleIDs := map[string]bool{}
	for _, r := range rules.Catalogue() {
		ruleIDs[r.ID] = true
	}
	seen := map[string]bool{}
	for _, e := range probes.WUErrors() {
		if !probes.IsHRESULT(e.Code) || e.Code != "0x"+strings.ToUpper(e.Code[2:]) {
			t.Errorf("%s: not written 0x + upper-case hex", e.Code)
		}
		if seen[e.Code] {
			t.Errorf("%s: listed twice", e.Code)
		}
		seen[e.Code] = true
		if e.Name == "" || e.Meaning == "" || e.Cause == "" || e.Source == "" || len(e.Fix) == 0 {
			t.Errorf("%s: incomplete entry %+v", e.Code, e)
		}
		if !slices.Contains(probes.GapCategories(), e.Gap) {
			t.Errorf("%s: gap %q is not a category", e.Code, e.Gap)
		}
		if !slices.Contains([]string{probes.SideServer, probes.SideClient, probes.SideNetwork, probes.SideEither}, e.Side) {
			t.Errorf("%s: side %q", e.Code, e.Side)
		}
		for _, id := range e.Explains {
			if !ruleIDs[id] {
				t.Errorf("%s: explained by %q, which is no rule", e.Code, id)
			}
		}
		for _, s := range e.Fix {
			if strings.Contains(s.Command, "<") && !strings.Contains(s.Command, "<local>") || strings.Contains(s.Command, "%windir%") {
				t.Errorf("%s: command %q does not run as typed in PowerShell", e.Code, s.Command)
			}
			if strings.Contains(s.Text+s.Command+e.Source+e.Cause, "DESIGN") {
				t.Errorf("%s: admin text cites the design", e.Code)
			}
		}
	}
	for _, c := range required {
		if !seen[c] {
			t.Errorf("%s is not in the catalogue", c)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, in := range []string{"0x80244022", "80244022", "0X80244022", "-2145107934", " 0x80244022 "} {
		e, ok := probes.LookupWUError(in)
		if !ok || e.Code != "0x80244022" || e.HTTPStatus != 503 || !slices.Contains(e.Explains, "wsuspool_stopped") {
			t.Errorf("%q: %+v %v", in, e.Code, ok)
		}
	}
	for _, in := range []string{"", "0x8024402", "0x8024402G", "2145107934", "0x00000000"} {
		if _, ok := probes.LookupWUError(in); ok {
			t.Errorf("%q found", in)
		}
	}
	if c, ok := probes.NormalizeHRESULT("-2147024894"); !ok || c != "0x80070002" {
		t.Errorf("signed decimal: %q %v", c, ok)
	}
}

// TestClientErrorsDoc keeps docs/client-errors.md what the catalogue says
// (go test ./probes -run TestClientErrorsDoc -update rewrites it).
func TestClientErrorsDoc(t *testing.T) {
	var b strings.Builder
	b.WriteString(`# Client errors: what a Windows client's HRESULT says about WSUS

When a client cannot reach or use its WSUS server, its Windows Update agent logs an HRESULT — in
WindowsUpdate.log (or the output of ` + "`Get-WindowsUpdateLog`" + `), in the WindowsUpdateClient operational event log,
and in the client report's ` + "`update_errors`" + `. wsusfleet decodes each with this catalogue: what it means, where the cause
usually is, the client-reporting gap it supports, the server findings that explain it, and the fix. On a client's page an
error whose cause is an open finding of its server (a stopped WsusPool behind 0x80244022) is shown as explained by that
finding.

The commands run as typed in Windows PowerShell 5.1 or later. Client steps start by putting the client's WSUS URL in
` + "`$wsus`" + ` so the later commands need no editing. Codes not listed here are shown as logged.

This file is generated from ` + "`probes/wuerrors.go`" + `; a test keeps them equal (` + "`go test ./probes -run TestClientErrorsDoc -update`" + `).

| code | name | side | gap | explained by |
|---|---|---|---|---|
`)
	for _, e := range probes.WUErrors() {
		explains := strings.Join(e.Explains, ", ")
		if explains == "" {
			explains = "–"
		}
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s | %s |\n", e.Code, strings.ToLower(e.Code), e.Name, e.Side, e.Gap, explains)
	}
	for _, e := range probes.WUErrors() {
		fmt.Fprintf(&b, "\n## %s\n\n**%s**", e.Code, e.Name)
		if e.HTTPStatus != 0 {
			fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
		}
		fmt.Fprintf(&b, ". %s\n\n**Likely cause** (%s side): %s\n\n**Gap it supports:** `%s`.", e.Meaning, e.Side, e.Cause, e.Gap)
		if len(e.Explains) > 0 {
			fmt.Fprintf(&b, " **Explained by** the server findings %s.", "`"+strings.Join(e.Explains, "`, `")+"`")
		}
		b.WriteString("\n\n**Fix:**\n\n")
		for i, s := range e.Fix {
			fmt.Fprintf(&b, "%d. %s", i+1, s.Text)
			if s.Command != "" {
				fmt.Fprintf(&b, ":\n   ```powershell\n   %s\n   ```", s.Command)
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "\n**Source:** %s.\n", e.Source)
	}
	want := b.String()
	const path = "../docs/client-errors.md"
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s differs from the catalogue: run go test ./probes -run TestClientErrorsDoc -update", path)
	}
}
