package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestDemoPrintsAdminTokenAndDatabase: the demo's banner gives an admin
// token that opens the admin API (so the Tokens and Alerts pages can be
// tried) and says which database it uses.
func TestDemoPrintsAdminTokenAndDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	demo := startRun(t, "dashboard ", "demo", "--addr", "127.0.0.1:0", "--scale", "0.02", "--probe-interval", "1m")
	out := demo.stdout()
	m := regexp.MustCompile(`admin token\s+(\S+) \(sign in at (\S+)/signin`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no admin token in the banner:\n%s", out)
	}
	if m[2] != demo.url {
		t.Errorf("sign-in link on %s, dashboard on %s", m[2], demo.url)
	}
	if !regexp.MustCompile(`database\s+sqlite:\S+demo\.db \(temporary, deleted on exit\)`).MatchString(out) {
		t.Errorf("the banner does not say the database:\n%s", out)
	}
	for token, want := range map[string]int{m[1]: http.StatusOK, "not-a-token": http.StatusUnauthorized} {
		req, err := http.NewRequest("GET", demo.url+"/api/v1/notifiers", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET /api/v1/notifiers with %s: %d, want %d", strings.TrimSpace(token[:4]), res.StatusCode, want)
		}
	}
}
