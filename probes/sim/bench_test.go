package sim

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkHandler measures the cost of one simulated answer, the unit of work
// when a demo fleet or the prober benchmark runs hundreds of servers.
func BenchmarkHandler(b *testing.B) {
	for _, bc := range []struct{ name, profile, path string }{
		{"help-page", Healthy, "/ClientWebService/client.asmx"},
		{"detailed-error", AnonDisabled, "/ClientWebService/client.asmx"},
		{"cab", Healthy, "/selfupdate/wuident.cab"},
		{"http-sys-503", PoolStopped, "/Content/"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h, err := NewHandler(Options{Profile: bc.profile})
			if err != nil {
				b.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodGet, "http://wsus01:8530"+bc.path, nil)
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
