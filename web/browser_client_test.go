package web_test

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/rules"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// TestBrowserPasteRegQuery: an admin pastes reg query output into a client's
// page in a real browser and sees the gap and its fix appear.
func TestBrowserPasteRegQuery(t *testing.T) {
	path := chromiumPath(t)
	if testing.Short() {
		t.Skip("browser tests take a while")
	}
	st := storetest.OpenSQLite(t, store.Options{Diagnose: rules.Diagnose})
	now := time.Now().UTC()
	r := storetest.Report("wsus01", "wsus01.corp.example", now.Add(-time.Minute))
	r.Collector.Vantage = probes.VantageServer
	r.Server.HTTPPort, r.Server.HTTPSPort = 8530, 8531
	r.Clients = &probes.ClientList{Complete: true, Items: []probes.Client{{Name: "pc0042.corp.example", IP: "10.1.2.42", OS: "Windows 11 Enterprise",
		LastReport: probes.TimeOf(now.Add(-time.Hour)), LastSync: probes.TimeOf(now.Add(-time.Hour)), LastSyncResult: "Succeeded"}}}
	if _, _, err := st.SaveReport(t.Context(), r, ""); err != nil {
		t.Fatal(err)
	}
	admin, _, err := st.CreateToken(t.Context(), "browser-admin", probes.ScopeAdmin)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(st, web.Config{}))
	t.Cleanup(srv.Close)
	pasted, err := os.ReadFile("../probes/regquery/testdata/reg-query-missing-port.txt")
	if err != nil {
		t.Fatal(err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelTimeout()
	w := &watcher{}
	if err := chromedp.Listen(ctx, w.listen); err != nil {
		t.Fatal(err)
	}

	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		must(sel, err)
		return v
	}
	gapNow := func() string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`[data-testid="client-gap"]`), "data-gap"))
		must("gap", err)
		return v.Value
	}
	must("open the client page signed in", chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/signin?next=%2Fclients%2Fpc0042.corp.example"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="signin-token"]`), admin),
		chromedp.Click(chromedp.CSS(`[data-testid="signin-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="evidence-text"]`))))
	if gap := gapNow(); gap != "" {
		t.Fatalf("before the paste the client has gap %q", gap)
	}
	must("paste", chromedp.Do(ctx,
		// A textarea keeps line ends as LF; the browser sends CRLF, as a paste does.
		chromedp.SetValue(chromedp.CSS(`[data-testid="evidence-text"]`), strings.ReplaceAll(string(pasted), "\r\n", "\n")),
		chromedp.Click(chromedp.CSS(`[data-testid="evidence-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="evidence-result"]`))))
	gap, about, fix, result := gapNow(), text(`[data-testid="client-fix-about"]`), text(`[data-testid="client-fix"]`), text(`[data-testid="evidence-result"]`)
	if gap != probes.GapBadURL || !strings.Contains(about, "has no port") || !strings.Contains(fix, "http://wsus01.corp.example:8530") ||
		!strings.Contains(result, "WUServer = http://wsus01.corp.example") {
		t.Errorf("after the paste: gap %q\nfix about %q\nfix %q\nresult %q", gap, about, fix, result)
	}
	for _, p := range w.take() {
		t.Errorf("browser: %s", p)
	}
}
