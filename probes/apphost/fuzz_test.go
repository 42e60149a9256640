package apphost

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/wsusfleet/wsusfleet/probes"
)

// FuzzParse: any input gives settings that validate or a
// *probes.ValidationError, never a panic or a hang.
func FuzzParse(f *testing.F) {
	b, err := os.ReadFile(fixture)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`<configuration><system.applicationHost><applicationPools><add name="WsusPool" queueLength="2000"><processModel idleTimeout="1.00:00:30"/></add></applicationPools>` +
		`<sites><site name="WSUS Administration"><application path="/"><virtualDirectory path="/Content" physicalPath="D:\c"/></application></site></sites></system.applicationHost>` +
		`<location path="WSUS Administration" inheritInChildApplications="false"><system.webServer><security><access sslFlags="Ssl,SslNegotiateCert"/></security></system.webServer></location></configuration>`))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><configuration>&a;</configuration>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(strings.NewReader(string(data)), Options{})
		if err != nil {
			var v *probes.ValidationError
			if !errors.As(err, &v) || len(v.Errors) == 0 || v.Errors[0].Detail == "" {
				t.Fatalf("unexpected error %T %v", err, err)
			}
			return
		}
		if err := validate(cfg); err != nil {
			t.Fatalf("result does not validate: %v", err)
		}
		if len(cfg.VDirs)+len(cfg.Missing) != len(probes.VDirNames()) {
			t.Fatalf("%d vDirs + %d missing", len(cfg.VDirs), len(cfg.Missing))
		}
	})
}
