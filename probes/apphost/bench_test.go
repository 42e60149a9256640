package apphost

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func BenchmarkParseWSUSServer(b *testing.B) {
	data, err := os.ReadFile(fixture)
	if err != nil {
		b.Fatal(err)
	}
	bench(b, string(data))
}

// A shared IIS host: the WSUS site among 2,000 others, each with its own
// pool and location block (about 3 MB).
func BenchmarkParseLargeHost(b *testing.B) {
	data, err := os.ReadFile(fixture)
	if err != nil {
		b.Fatal(err)
	}
	var pools, sites, locs strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&pools, "<add name=\"Pool%04d\" managedRuntimeVersion=\"v4.0\"><processModel identityType=\"ApplicationPoolIdentity\" idleTimeout=\"00:10:00\" /></add>\r\n", i)
		fmt.Fprintf(&sites, "<site name=\"Site%04d\" id=\"%d\"><application path=\"/\" applicationPool=\"Pool%04d\"><virtualDirectory path=\"/\" physicalPath=\"D:\\sites\\%04d\" /></application><bindings><binding protocol=\"http\" bindingInformation=\"*:80:site%04d.corp.example\" /></bindings></site>\r\n", i, i+10, i, i, i)
		fmt.Fprintf(&locs, "<location path=\"Site%04d\"><system.webServer><security><authentication><anonymousAuthentication enabled=\"false\" /><windowsAuthentication enabled=\"true\" /></authentication></security></system.webServer></location>\r\n", i)
	}
	s := strings.Replace(string(data), "<add name=\"DefaultAppPool\" />", "<add name=\"DefaultAppPool\" />"+pools.String(), 1)
	s = strings.Replace(s, "<site name=\"Default Web Site\" id=\"1\">", sites.String()+"<site name=\"Default Web Site\" id=\"1\">", 1)
	s = strings.Replace(s, "</configuration>", locs.String()+"</configuration>", 1)
	bench(b, s)
}

func bench(b *testing.B, s string) {
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		cfg, err := Parse(strings.NewReader(s), Options{})
		if err != nil || len(cfg.VDirs) != 9 {
			b.Fatal(err)
		}
	}
}
