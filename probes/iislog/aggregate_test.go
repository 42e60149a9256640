package iislog

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

func TestBuckets(t *testing.T) {
	log := header85 +
		line85("09:59:59", "/ClientWebService/client.asmx", "10.1.2.1", wua, "200 0 0", "10") +
		line85("09:00:00", "/ClientWebService/client.asmx", "10.1.2.2", wua, "200 0 0", "20") +
		line85("09:30:00", "/ClientWebService/client.asmx", "10.1.2.2", browser, "200 0 0", "30") +
		line85("10:00:00", "/ClientWebService/client.asmx", "10.1.2.1", wua, "200 0 0", "40") +
		line85("09:10:00", "/ClientWebService/client.asmx", "10.1.2.1", wua, "500 0 64", "50") +
		line85("09:10:00", "/ClientWebService/client.asmx", "10.1.2.1", wua, "500 0 1236", "60") +
		line85("09:20:00", "/ApiRemoting30/WebService.asmx", "10.0.0.5", browser, "401 2 5", "1")
	s, err := Parse(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	hour := func(h int) probes.Time { return probes.TimeOf(time.Date(2026, 11, 21, h, 0, 0, 0, time.UTC)) }
	zero, sub2 := 0, 2
	w0, w5, w64, w1236 := int64(0), int64(5), int64(64), int64(1236)
	lat := func(p50, p95, max, n int64) *Latency { return &Latency{P50: p50, P95: p95, Max: max, N: n} }
	want := []Bucket{
		{VDir: "ClientWebService", Hour: hour(9), Status: 200, Substatus: &zero, Win32Status: &w0, Requests: 3, Clients: 2, WUA: 2, OtherUA: 1, TimeTaken: lat(20, 30, 30, 3)},
		{VDir: "ClientWebService", Hour: hour(9), Status: 500, Substatus: &zero, Win32Status: &w64, Requests: 1, Clients: 1, WUA: 1, TimeTaken: lat(50, 50, 50, 1)},
		{VDir: "ClientWebService", Hour: hour(9), Status: 500, Substatus: &zero, Win32Status: &w1236, Requests: 1, Clients: 1, WUA: 1, TimeTaken: lat(60, 60, 60, 1)},
		{VDir: "ApiRemoting30", Hour: hour(9), Status: 401, Substatus: &sub2, Win32Status: &w5, Requests: 1, Clients: 1, OtherUA: 1, TimeTaken: lat(1, 1, 1, 1)},
		{VDir: "ClientWebService", Hour: hour(10), Status: 200, Substatus: &zero, Win32Status: &w0, Requests: 1, Clients: 1, WUA: 1, TimeTaken: lat(40, 40, 40, 1)},
	}
	if !reflect.DeepEqual(s.Buckets, want) {
		got, _ := json.MarshalIndent(s.Buckets, "", " ")
		t.Errorf("buckets = %s", got)
	}
	wantFaults := []FaultClients{
		{VDir: "ClientWebService", Status: 500, Substatus: &zero, Requests: 2, Clients: 1, Top: []ClientCount{{IP: "10.1.2.1", Requests: 2}}},
		{VDir: "ApiRemoting30", Status: 401, Substatus: &sub2, Requests: 1, Clients: 1, Top: []ClientCount{{IP: "10.0.0.5", Requests: 1}}},
	}
	if !reflect.DeepEqual(s.TopClients, wantFaults) {
		got, _ := json.MarshalIndent(s.TopClients, "", " ")
		t.Errorf("top clients = %s", got)
	}
}

func TestTopClients(t *testing.T) {
	var b strings.Builder
	b.WriteString(header85)
	// Client 10.1.0.i gets 401.2 i+1 times; 10.1.0.20 and 10.1.0.21 tie.
	for i := range 12 {
		n := i + 1
		ip := fmt.Sprintf("10.1.0.%d", i)
		if i >= 10 {
			ip, n = fmt.Sprintf("10.1.0.%d", i+10), 12
		}
		for range n {
			b.WriteString(line85("09:00:00", "/ClientWebService/client.asmx", ip, wua, "401 2 5", "1"))
		}
	}
	s, err := Parse(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	f := s.TopClients[0]
	var got []string
	for _, c := range f.Top {
		got = append(got, fmt.Sprintf("%s:%d", c.IP, c.Requests))
	}
	want := "10.1.0.20:12 10.1.0.21:12 10.1.0.9:10 10.1.0.8:9 10.1.0.7:8 10.1.0.6:7 10.1.0.5:6 10.1.0.4:5 10.1.0.3:4 10.1.0.2:3"
	if strings.Join(got, " ") != want || f.Clients != 12 || f.Requests != 79 {
		t.Errorf("top = %v, %d clients, %d requests\nwant %s, 12 clients, 79 requests", got, f.Clients, f.Requests, want)
	}
}

func TestMaxFaultClients(t *testing.T) {
	log := header85 +
		line85("09:00:00", "/Content/a", "10.1.0.1", wua, "401 3 5", "1") +
		line85("09:00:00", "/Content/a", "10.1.0.2", wua, "401 3 5", "1") +
		line85("09:00:00", "/Content/a", "10.1.0.1", wua, "401 3 5", "1") +
		line85("09:00:00", "/Content/a", "10.1.0.3", wua, "401 3 5", "1")
	s, err := ParseWith(strings.NewReader(log), Options{MaxFaultClients: 2})
	if err != nil {
		t.Fatal(err)
	}
	f := s.TopClients[0]
	if f.Requests != 4 || f.Clients != 2 || f.Untracked != 1 || len(f.Top) != 2 || f.Top[0].Requests != 2 {
		t.Errorf("fault = %+v", f)
	}
}

func TestMaxBuckets(t *testing.T) {
	log := header85 +
		line85("09:00:00", "/Content/a", "10.1.0.1", wua, "200 0 0", "1") +
		line85("10:00:00", "/Content/a", "10.1.0.1", wua, "200 0 0", "1") +
		line85("10:00:00", "/", "10.1.0.1", wua, "200 0 0", "1") + // other: no bucket
		line85("11:00:00", "/Content/a", "10.1.0.1", wua, "200 0 0", "1")
	_, err := ParseWith(strings.NewReader(log), Options{MaxBuckets: 2})
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Line != 8 || !strings.Contains(fe.Reason, "more than 2 distinct") {
		t.Errorf("ParseWith = %v; want line 8: more than 2 distinct ...", err)
	}
}

// TestSummaryJSON pins the contract of the upload API's answer.
func TestSummaryJSON(t *testing.T) {
	log := header85 +
		line85("09:15:02", "/ClientWebService/client.asmx", "10.1.2.42", wua, "200 0 0", "312") +
		line85("09:16:00", "/ClientWebService/client.asmx", "10.1.2.43", wua, "401 2 5", "2") +
		line85("09:17:00", "/", "10.1.2.43", wua, "200 0 0", "2")
	s, err := Parse(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	prefix := `{"lines":3,"skipped":0,"first":"2026-11-21T09:15:02Z","last":"2026-11-21T09:17:00Z",` +
		`"vdirs":{"ClientWebService":{"200.0":1,"401.2":1}},"other":1,"buckets":[{"vdir":"ClientWebService","hour":"2026-11-21T09:00:00Z",`
	if !strings.HasPrefix(string(b), prefix) {
		t.Errorf("JSON = %s\nwant prefix %s", b, prefix)
	}

	other, err := Parse(strings.NewReader(header85 + line85("09:17:00", "/", "10.1.2.43", wua, "200 0 0", "2")))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(other)
	if want := `"vdirs":{},"other":1,"buckets":[],"top_clients":[]}`; !strings.HasSuffix(string(b), want) {
		t.Errorf("JSON of a non-WSUS log = %s\nwant suffix %s", b, want)
	}
}

func TestDigest(t *testing.T) {
	s, err := Parse(strings.NewReader(header85 +
		line85("09:15:02", "/ClientWebService/client.asmx", "fe80::1%11", wua, "200 0 0", "312") +
		line85("09:16:00", "/ClientWebService/client.asmx", "10.1.2.43", wua, "401 2 5", "2") +
		line85("09:17:00", "/", "10.1.2.43", wua, "200 0 0", "2")))
	if err != nil {
		t.Fatal(err)
	}
	d := s.Digest()
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	if err := d.Validate(now); err != nil {
		t.Errorf("Validate: %v", err)
	}
	b, _ := json.Marshal(d)
	var back probes.IISLogDigest
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, d) {
		t.Errorf("digest does not survive JSON: %v\n%s", err, b)
	}

	d.Lines++
	d.Buckets[0].VDir = "clientwebservice"
	d.Buckets[0].WUA = 5
	err = d.Validate(now)
	var ve *probes.ValidationError
	if !errors.As(err, &ve) || len(ve.Errors) != 3 {
		t.Fatalf("Validate of a bad digest = %v; want 3 problems", err)
	}
	for i, ptr := range []string{"/buckets/0/vdir", "/buckets/0", "/lines"} {
		if ve.Errors[i].Pointer != ptr {
			t.Errorf("problem %d at %q, want %q", i, ve.Errors[i].Pointer, ptr)
		}
	}
}

func TestDigestValidateCrossFields(t *testing.T) {
	s, err := Parse(strings.NewReader(header85 +
		line85("09:15:02", "/ClientWebService/client.asmx", "10.1.2.1", wua, "200 0 0", "312") +
		line85("10:15:02", "/Content/a", "10.1.2.1", wua, "200 0 0", "312")))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		spoil func(d *probes.IISLogDigest)
		ptr   string
	}{
		{"last before first", func(d *probes.IISLogDigest) { d.Last = probes.TimeOf(d.First.Add(-time.Second)) }, "/last"},
		{"hour not on the hour", func(d *probes.IISLogDigest) { d.Buckets[0].Hour = probes.TimeOf(d.Buckets[0].Hour.Add(time.Minute)) }, "/buckets/0/hour"},
		{"hour outside first..last", func(d *probes.IISLogDigest) { d.Buckets[1].Hour = probes.TimeOf(d.Buckets[1].Hour.Add(time.Hour)) }, "/buckets/1/hour"},
		{"more timings than requests", func(d *probes.IISLogDigest) { d.Buckets[0].TimeTaken.N = 2 }, "/buckets/0/time_taken_ms/n"},
		{"unknown vDir", func(d *probes.IISLogDigest) { d.Buckets[0].VDir = "Default Web Site" }, "/buckets/0/vdir"},
		{"in the future", func(d *probes.IISLogDigest) { d.Last = probes.TimeOf(now.Add(48 * time.Hour)) }, "/last"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := s.Digest()
			d.Buckets = slices.Clone(d.Buckets)
			for i := range d.Buckets {
				if l := d.Buckets[i].TimeTaken; l != nil {
					c := *l
					d.Buckets[i].TimeTaken = &c
				}
			}
			tt.spoil(&d)
			var ve *probes.ValidationError
			if err := d.Validate(now); !errors.As(err, &ve) || ve.Errors[0].Pointer != tt.ptr {
				t.Errorf("Validate = %v; want a problem at %s", err, tt.ptr)
			}
		})
	}
}

// TestVDirCache: the per-segment cache gives what probes.VDirOfPath gives.
func TestVDirCache(t *testing.T) {
	x := newVDirIndex()
	paths := []string{
		"/ClientWebService/client.asmx", "/clientwebservice/Client.asmx", "/CLIENTWEBSERVICE", "/ClientWebService/",
		"ClientWebService/client.asmx", "//ClientWebService/client.asmx", "/ClientWebServices/x", "/Content/AB/CD.cab",
		"/content", "/selfupdate/wuident.cab", "/SelfUpdate", "/ApiRemoting30/WebService.asmx", "/Inventory/",
		"/", "", "-", "/index.html", "/%43ontent/x", "/DssAuthWebService/DssAuthWebService.asmx",
		"/ServerSyncWebService/ServerSyncWebService.asmx", "/ReportingWebService/ReportingWebService.asmx",
		"/SimpleAuthWebService/SimpleAuth.asmx",
	}
	for range 2 { // the second pass is served from the cache
		for _, p := range paths {
			want := ""
			if v, ok := probes.VDirOfPath(p); ok {
				want = v.Name
			}
			got := ""
			if id := x.lookup([]byte(p)); id >= 0 {
				got = x.names[id]
			}
			if got != want {
				t.Errorf("lookup(%q) = %q, VDirOfPath = %q", p, got, want)
			}
		}
	}
}

// The console's Windows authentication handshake on ApiRemoting30 is 401.2,
// 401.1 (win32 2148074254) and 200 from the same client within a second:
// those 401s are followed by success. 401.1 on an anonymous vDir that the
// client never gets past is not; nor is one answered only after the window.
func TestFollowedBySuccess(t *testing.T) {
	const console = "Mozilla/4.0+(compatible;+MSIE+6.0;+MS+Web+Services+Client+Protocol+4.0.30319.42000)"
	log := "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2026-11-21 09:00:00\r\n" +
		"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n" +
		"2026-11-21 09:00:01 10.0.0.5 POST /ApiRemoting30/WebService.asmx - 8530 - 10.0.0.20 " + console + " - 401 2 5 2\r\n" +
		"2026-11-21 09:00:01 10.0.0.5 POST /ApiRemoting30/WebService.asmx - 8530 - 10.0.0.20 " + console + " - 401 1 2148074254 1\r\n" +
		"2026-11-21 09:00:01 10.0.0.5 POST /ApiRemoting30/WebService.asmx - 8530 CORP\\admin 10.0.0.20 " + console + " - 200 0 0 31\r\n" +
		"2026-11-21 09:05:00 10.0.0.5 POST /ApiRemoting30/WebService.asmx - 8530 - 10.0.0.21 " + console + " - 401 2 5 2\r\n" +
		"2026-11-21 09:05:00 10.0.0.5 POST /ApiRemoting30/WebService.asmx - 8530 - 10.0.0.21 " + console + " - 401 1 2148074254 1\r\n" +
		// 10.0.0.21 succeeds only ten minutes later: its handshake failed.
		"2026-11-21 09:15:00 10.0.0.5 POST /ApiRemoting30/WebService.asmx - 8530 CORP\\admin 10.0.0.21 " + console + " - 200 0 0 30\r\n" +
		// A client whose anonymous identity is rejected, and whose success elsewhere does not count.
		"2026-11-21 09:20:00 10.0.0.5 POST /SimpleAuthWebService/SimpleAuth.asmx - 8530 - 10.1.2.3 " + wua + " - 401 1 1326 3\r\n" +
		"2026-11-21 09:20:01 10.0.0.5 POST /ClientWebService/client.asmx - 8530 - 10.1.2.3 " + wua + " - 200 0 0 45\r\n" +
		"2026-11-21 09:20:02 10.0.0.5 POST /SimpleAuthWebService/SimpleAuth.asmx - 8530 - 10.1.2.3 " + wua + " - 401 1 1326 2\r\n"
	s, err := Parse(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, f := range s.TopClients {
		got[f.VDir+" "+f.StatusText()] = f.Followed
		if f.Followed > f.Requests {
			t.Errorf("%s %s: followed %d > requests %d", f.VDir, f.StatusText(), f.Followed, f.Requests)
		}
	}
	want := map[string]int64{"ApiRemoting30 401.2": 0, "ApiRemoting30 401.1": 1, "SimpleAuthWebService 401.1": 0} // only 401.1 is followed
	if !maps.Equal(got, want) {
		t.Errorf("followed by success = %v, want %v", got, want)
	}
}

// The waiting 401s are bounded: a storm of distinct clients that never
// succeed does not grow memory past maxPending.
func TestFollowedBySuccessBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(header85)
	for i := range maxPending + 5000 {
		b.WriteString(line85(fmt.Sprintf("09:%02d:%02d", i/60%60, i%60), "/ClientWebService/client.asmx",
			fmt.Sprintf("10.%d.%d.%d", 1+i>>16, i>>8&255, i&255), wua, "401 1 1326", "3"))
	}
	p := &parser{agg: newAggregate(Options{MaxBuckets: defaultMaxBuckets, MaxFaultClients: defaultMaxFaultClients}), vdirs: newVDirIndex(), first: 1<<63 - 1, last: -1 << 63}
	for line := range strings.SplitSeq(b.String(), "\n") {
		if line != "" {
			if err := p.handle([]byte(line)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := len(p.agg.pend); n > maxPending {
		t.Errorf("%d waiting 401s kept, more than %d", n, maxPending)
	}
}

// A 401.1 in the last two minutes of a log that the client has not followed
// yet is unsettled: the next lines (a collector's next chunk) would tell.
// One answered within the log, or left waiting longer, is settled.
func TestUnsettledAtTheEnd(t *testing.T) {
	log := header85 +
		line85("09:00:00", "/ClientWebService/client.asmx", "10.1.2.3", wua, "401 1 1326", "3") +
		line85("09:40:00", "/ClientWebService/client.asmx", "10.1.2.4", wua, "401 1 1326", "3") +
		line85("09:40:01", "/ClientWebService/client.asmx", "10.1.2.4", wua, "200 0 0", "140") +
		line85("09:59:10", "/ClientWebService/client.asmx", "10.1.2.5", wua, "401 1 1326", "3") +
		line85("09:59:50", "/ClientWebService/client.asmx", "10.1.2.6", wua, "401 1 1326", "3") +
		line85("10:00:00", "/ReportingWebService/ReportingWebService.asmx", "10.1.2.7", wua, "200 0 0", "30")
	s, err := Parse(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.TopClients) != 1 {
		t.Fatalf("faults %+v", s.TopClients)
	}
	f := s.TopClients[0]
	if f.Requests != 4 || f.Followed != 1 || f.Unsettled != 2 || f.Refused() != 1 {
		t.Errorf("requests %d followed %d unsettled %d refused %d, want 4 1 2 1", f.Requests, f.Followed, f.Unsettled, f.Refused())
	}
	d := s.Digest()
	if err := d.Validate(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Error(err)
	}
	d.TopClients[0].Unsettled = 4
	if err := d.Validate(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)); err == nil || !strings.Contains(err.Error(), "/top_clients/0") {
		t.Errorf("followed and unsettled past requests: %v", err)
	}
}
