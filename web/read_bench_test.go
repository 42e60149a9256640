package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
	"github.com/wsusfleet/wsusfleet/web"
)

// BenchmarkCachedRead: GET /api/v1/servers with gzip answered from its read
// model (50 servers), through every middleware: what a read costs beside
// the answer's bytes (the request id, the access log, the security headers,
// the metrics). Reproduce: go test -run '^$' -bench CachedRead -benchmem ./web/
func BenchmarkCachedRead(b *testing.B) {
	st := storetest.OpenSQLite(b, store.Options{})
	now := time.Now().UTC()
	for i := range 50 {
		if _, _, err := st.SaveReport(b.Context(), storetest.Report(fmt.Sprintf("read-%d", i), benchServer(i), now), ""); err != nil {
			b.Fatal(err)
		}
	}
	h := web.New(st, web.Config{})
	req := httptest.NewRequest("GET", "/api/v1/servers", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	req.RemoteAddr = "127.0.0.1:50000"
	serve := func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %.200s", rec.Code, rec.Body.String())
		}
	}
	serve() // builds the read model and its gzip answer
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		serve()
	}
}
