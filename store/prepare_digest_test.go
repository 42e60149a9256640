package store

import (
	"encoding/json"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// checksAsRulesRead is what the inputs digest must tell apart: the checks as
// JSON with the latencies under the slow threshold and the connect times
// left out (the digest's first form, which marshalled them).
func checksAsRulesRead(t *testing.T, checks []probes.VDirCheck) string {
	seen := make([]probes.VDirCheck, len(checks))
	for i, c := range checks {
		if c.LatencyMS <= probes.SlowMS {
			c.LatencyMS = 0
		}
		c.ConnectMS = nil
		seen[i] = c
	}
	b, err := json.Marshal(seen)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mutations returns copies of v (a struct) with one field changed each,
// into the fields of structs it points to.
func mutations(v reflect.Value, path string) (out []reflect.Value, paths []string) {
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		var changed []reflect.Value
		fv := v.Field(i)
		switch {
		case f.Type == reflect.TypeOf(probes.Time{}):
			c := reflect.New(f.Type).Elem()
			c.Set(reflect.ValueOf(probes.TimeOf(fv.Interface().(probes.Time).Add(time.Hour))))
			changed = append(changed, c)
		case fv.Kind() == reflect.String:
			changed = append(changed, reflect.ValueOf(fv.String()+"x").Convert(f.Type))
		case fv.Kind() == reflect.Bool:
			changed = append(changed, reflect.ValueOf(!fv.Bool()))
		case fv.Kind() == reflect.Int || fv.Kind() == reflect.Int64:
			changed = append(changed, reflect.ValueOf(fv.Int()+1).Convert(f.Type))
		case fv.Kind() == reflect.Float64:
			for _, x := range []float64{fv.Float() + 1, probes.SlowMS + 1, probes.SlowMS + 2} {
				changed = append(changed, reflect.ValueOf(x))
			}
		case fv.Kind() == reflect.Slice:
			changed = append(changed, reflect.Append(fv, reflect.ValueOf("x")), reflect.Zero(f.Type))
		case fv.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct:
			inner, innerPaths := mutations(fv.Elem(), path+f.Name+".")
			for j, m := range inner {
				p := reflect.New(f.Type.Elem())
				p.Elem().Set(m)
				c := reflect.New(v.Type()).Elem()
				c.Set(v)
				c.Field(i).Set(p)
				out, paths = append(out, c), append(paths, innerPaths[j])
			}
			changed = append(changed, reflect.Zero(f.Type))
		case fv.Kind() == reflect.Pointer:
			p := reflect.New(f.Type.Elem())
			p.Elem().Set(reflect.ValueOf(1).Convert(f.Type.Elem()))
			if !fv.IsNil() && fv.Elem().Equal(p.Elem()) {
				p.Elem().Set(reflect.ValueOf(2).Convert(f.Type.Elem()))
			}
			changed = append(changed, p, reflect.Zero(f.Type))
		default:
			panic("mutations: no change for " + path + f.Name + " (" + f.Type.String() + "): add one")
		}
		for _, m := range changed {
			c := reflect.New(v.Type()).Elem()
			c.Set(v)
			c.Field(i).Set(m)
			out, paths = append(out, c), append(paths, path+f.Name)
		}
	}
	return out, paths
}

// The inputs digest tells two reports' checks apart exactly when the rules
// would read them differently: every field of a check and of its TLS
// session counts, except the connect time and a latency under the slow
// threshold. A field added to VDirCheck or TLSInfo that the digest does not
// write fails here.
func TestInputsDigestReadsEveryCheckField(t *testing.T) {
	now := time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)
	sub, win, connect := 2, int64(5), 3.5
	base := probes.VDirCheck{VDir: "ClientWebService", URL: "https://wsus01:8531/ClientWebService/client.asmx", Method: "GET",
		Status: 401, Substatus: &sub, Win32Status: &win, LatencyMS: 12, Error: "e", ErrorKind: "timeout",
		WWWAuthenticate: []string{"Negotiate"}, Server: "Microsoft-IIS/10.0", Location: "/x", DNS: []string{"10.0.0.1"},
		ConnectMS: &connect, TLS: &probes.TLSInfo{Version: "TLS 1.2", Subject: "CN=wsus01", Issuer: "CN=ca", SANs: []string{"wsus01"},
			NotAfter: probes.TimeOf(now.Add(90 * 24 * time.Hour)), ChainValid: true, NameMatches: true, Error: "t"},
		Verdict: probes.VerdictWarning, Reason: "r"}
	digest := func(c probes.VDirCheck) string {
		r := &probes.Report{ID: "r1", CollectedAt: probes.TimeOf(now), Server: probes.ServerInfo{Name: "wsus01", URL: "http://wsus01:8530"},
			VDirChecks: []probes.VDirCheck{c}}
		return (&preparedReport{r: r}).inputsDigest()
	}
	want, got := checksAsRulesRead(t, []probes.VDirCheck{base}), digest(base)
	if got == "" || got != digest(base) {
		t.Fatalf("digest %q: want one, the same every time", got)
	}
	changed, paths := mutations(reflect.ValueOf(base), "")
	for i, m := range changed {
		c := m.Interface().(probes.VDirCheck)
		rulesDiffer := checksAsRulesRead(t, []probes.VDirCheck{c}) != want
		if digestDiffers := digest(c) != got; digestDiffers != rulesDiffer {
			t.Errorf("%s changed: digest differs %v, want %v", paths[i], digestDiffers, rulesDiffer)
		}
	}
	if len(changed) < 20 {
		t.Fatalf("only %d changes tried", len(changed))
	}
}

// inputsDigest's buffers are pooled: digests computed at once, of reports
// large and small, are each the one computed alone.
func TestInputsDigestWithPooledBuffers(t *testing.T) {
	now := time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)
	report := func(i int) *preparedReport {
		r := &probes.Report{ID: "r1", CollectedAt: probes.TimeOf(now), Server: probes.ServerInfo{Name: "wsus01", URL: "http://wsus01:8530"}}
		for j := range 1 + (i%4)*100 { // up to 301 checks: some buffers outgrow the pool's bound
			r.VDirChecks = append(r.VDirChecks, probes.VDirCheck{VDir: "Content", URL: "http://wsus01:8530/Content/", Status: 200 + i + j})
		}
		p, err := prepareReport(r)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	const n = 16
	want := make([]string, n)
	for i := range want {
		want[i] = report(i).inputsDigest()
		if i > 0 && want[i] == want[i-1] {
			t.Fatalf("reports %d and %d share a digest", i-1, i)
		}
	}
	var wg sync.WaitGroup
	for range 4 {
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if got := report(i).inputsDigest(); got != want[i] {
					t.Errorf("report %d: digest %s, alone %s", i, got, want[i])
				}
			}()
		}
	}
	wg.Wait()
}
