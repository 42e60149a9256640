//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/sim/demofleet"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// The documents are the ones the in-process benchmarks send
// (web/bench_test.go), built from the same fixtures, as wrk templates.

const (
	fleetServers    = 500
	clientsMachines = 20000 // client reports: 40 machines on each of the 500 servers
)

func serverName(i int) string { return fmt.Sprintf("wsus%03d.corp.example", i) }

// serverReportTemplate: a small server report (nine healthy vDir checks, two
// WSUS events, no clients) for server ${s}.
func serverReportTemplate(now time.Time) []byte {
	r := storetest.Report("${id}", "wsus${s}.corp.example", now)
	r.Events = []probes.Event{
		{ID: 12072, Source: "Windows Server Update Services", Level: "Error", Time: r.CollectedAt, Message: "The WSUS content directory is not accessible."},
		{ID: 364, Source: "Windows Server Update Services", Level: "Warning", Time: r.CollectedAt, Message: "Content file download failed."},
	}
	b, _ := json.Marshal(r)
	return b
}

// collectorReportTemplate: server ${s}'s report as the PowerShell collector
// on it sends it while nothing changes there (the demo fleet's healthy
// server, without its client list) with the nine vDir checks: vdir_config
// (~2.5 KB of JSON), the app pool, services, ACLs and sync.
func collectorReportTemplate(now time.Time) []byte {
	r := demofleet.Fleet()[0].Report("http://wsus${s}.corp.example:8530", now, 0)
	r.ID, r.Server.Name, r.Clients = "${id}", "wsus${s}.corp.example", nil
	r.VDirChecks = storetest.Report("", r.Server.Name, now).VDirChecks
	b, _ := json.Marshal(r)
	return b
}

// clientReportTemplate: machine ${m}'s own view (policy and the three vDir
// checks a logon script makes), in three variants: healthy, no port in
// WUServer, another server for statistics.
func clientReportTemplate(now time.Time) []byte {
	on, opt := true, 4
	base := "http://wsus${s}.corp.example:8530"
	variant := func(wu, status string) []byte {
		cr := probes.ClientReport{Schema: probes.SchemaClientReport, ID: "${id}", CollectedAt: probes.TimeOf(now),
			Collector: probes.Collector{Name: "Send-WsusFleetClientReport.ps1", Version: "1.0.0", Vantage: probes.VantageClient},
			Client: probes.ClientView{Name: "pc${m}.corp.example", WUServer: wu, WUStatusServer: status, UseWUServer: &on, AUOptions: &opt,
				SusClientID: "00000000-0000-4000-8000-${sus}"},
			VDirChecks: slices.DeleteFunc(storetest.HealthyChecks(wu), func(c probes.VDirCheck) bool {
				return c.VDir != "SelfUpdate" && c.VDir != "ClientWebService" && c.VDir != "SimpleAuthWebService"
			}),
		}
		b, _ := json.Marshal(cr)
		return b
	}
	return bytes.Join([][]byte{
		variant(base, base),
		variant("http://wsus${s}.corp.example", base),
		variant(base, "http://wsus${s1}.corp.example:8530"),
	}, []byte("\n@@@\n"))
}

// snapshotReport: a server report with a complete list of n clients, report
// ages spread over 20 days (as cmd/wsusfleet's memory benchmark sends).
func snapshotReport(id, server string, n int, now time.Time) []byte {
	r := storetest.Report(id, server, now)
	r.Clients = &probes.ClientList{Complete: true, Items: storetest.ClientRange(0, n, now, func(j int) time.Duration {
		return time.Duration(j%(20*24)) * time.Hour
	})}
	b, _ := json.Marshal(r)
	return b
}

// seedFleet posts one report per server (perServer clients each, distinct
// machines) over HTTP from a few posters, the way collectors would.
func seedFleet(ctx context.Context, base, token string, servers, perServer int, now time.Time) error {
	var wg sync.WaitGroup
	errs := make(chan error, servers)
	next := make(chan int)
	for range 4 {
		wg.Go(func() {
			for i := range next {
				r := storetest.Report(fmt.Sprintf("seed-%s-%d", nonce(), i), serverName(i), now)
				if perServer > 0 {
					r.Clients = &probes.ClientList{Complete: true, Items: storetest.ClientRange(i*perServer, perServer, now, func(j int) time.Duration {
						if j%97 == 0 {
							return -1
						}
						return time.Duration(j%(20*24)) * time.Hour
					})}
				}
				body, _ := json.Marshal(r)
				if status, _, err := post(ctx, http.DefaultClient, base+"/api/v1/reports", token, bytes.NewReader(body), int64(len(body)), ""); err != nil || status != http.StatusCreated {
					errs <- fmt.Errorf("seed %s: %d %v", serverName(i), status, err)
				}
			}
		})
	}
	for i := range servers {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	return <-errs
}

// post sends body and returns the status and the answer's first bytes.
func post(ctx context.Context, c *http.Client, u, token string, body io.Reader, size int64, encoding string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, body)
	if err != nil {
		return 0, "", err
	}
	req.ContentLength = size
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 2048))
	io.Copy(io.Discard, res.Body)
	return res.StatusCode, string(b), nil
}

// writeIISLog writes a realistic IIS log of a busy WSUS server of at least
// size bytes: one day, IIS 10 directives and default fields, 20,000 clients
// (a sixth on IPv6, some link-local with zone ids), the vDir mix of scans,
// reports and content downloads, a few faults and log-normal time-taken.
// The generator of probes/iislog's benchmark (gen_test.go), sized in bytes.
func writeIISLog(w io.Writer, size int64) (int64, error) {
	const avgLine = 163 // bytes, measured on this generator
	n := int(size/avgLine) + 1
	cw := &countingWriter{w: w}
	bw := bufio.NewWriterSize(cw, 1<<20)
	rng := rand.New(rand.NewPCG(2737219, uint64(n)))
	const clients = 20000
	ips := make([]string, clients)
	for i := range ips {
		switch {
		case i%12 == 0:
			ips[i] = fmt.Sprintf("2001:db8:%x:%x::%x", i>>12, (i>>4)&0xff, i&0xf+1)
		case i%60 == 1:
			ips[i] = fmt.Sprintf("fe80::%x:%x:%x:%x%%%d", rng.Uint32()&0xffff, rng.Uint32()&0xffff, rng.Uint32()&0xffff, i, 11+i%3)
		default:
			ips[i] = fmt.Sprintf("10.%d.%d.%d", 16+i>>16, (i>>8)&255, i&255)
		}
	}
	fmt.Fprintf(bw, "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2026-11-21 00:00:00\r\n"+
		"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n")
	const (
		wuaUA     = "Windows-Update-Agent/10.0.10011.16384+Client-Protocol/2.50"
		boltUA    = "Windows-Update-Agent/7.6.7601.24436+Client-Protocol/1.81"
		soapUA    = "Mozilla/4.0+(compatible;+MSIE+6.0;+MS+Web+Services+Client+Protocol+4.0.30319.42000)"
		bitsUA    = "Microsoft+BITS/7.8"
		doUA      = "Microsoft-Delivery-Optimization/10.0"
		consoleUA = "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36+(KHTML,+like+Gecko)+Chrome/120.0.0.0+Safari/537.36"
	)
	var buf []byte
	for i := 0; cw.n+int64(bw.Buffered()) < size; i++ {
		sec := min(i, n-1) * 86400 / n
		client := rng.IntN(clients)
		method, stem, query, ua := "POST", "", "-", wuaUA
		if client%5 == 0 {
			ua = boltUA
		}
		status, sub, win32 := 200, 0, 0
		median, sigma := 120.0, 1.2
		switch r := rng.IntN(1000); {
		case r < 350:
			stem = "/ClientWebService/client.asmx"
			if rng.IntN(4) == 0 {
				median = 900
			}
		case r < 650:
			method, ua, median = "GET", bitsUA, 40
			if r%3 == 0 {
				method, ua = "HEAD", doUA
			}
			stem = fmt.Sprintf("/Content/%02X/%016X%016X%08X.cab", rng.IntN(256), rng.Uint64(), rng.Uint64(), rng.Uint32())
			if rng.IntN(3) == 0 {
				status = 206
			}
		case r < 770:
			stem = "/ReportingWebService/ReportingWebService.asmx"
		case r < 850:
			stem = "/SimpleAuthWebService/SimpleAuth.asmx"
		case r < 890:
			method, stem, median = "GET", "/selfupdate/wuident.cab", 5
			if rng.IntN(2) == 0 {
				status = 304
			}
		case r < 920:
			stem, ua = "/ApiRemoting30/WebService.asmx", soapUA
			if rng.IntN(3) == 0 {
				status, sub, win32 = 401, 2, 5
			}
		case r < 930:
			stem = "/DssAuthWebService/DssAuthWebService.asmx"
		case r < 940:
			stem = "/ServerSyncWebService/ServerSyncWebService.asmx"
		case r < 950:
			method, stem, query, ua = "GET", "/Inventory/", "-", consoleUA
		default:
			method, ua = "GET", consoleUA
			stem = [...]string{"/", "/favicon.ico", "/iisstart.htm", "/aspnet_client/system_web/4_0_30319/"}[r%4]
			if r%4 != 0 {
				status, win32 = 404, 2
			}
		}
		if status == 200 || status == 206 || status == 304 {
			switch {
			case sec/3600 == 14 && sec%3600 < 600 && ua != consoleUA:
				status, sub, win32, median = 503, 0, 0, 1
			case client%97 == 3 && strings.HasSuffix(stem, ".asmx") && ua != soapUA:
				status, sub, win32 = 401, 2, 5
			case stem == "/ClientWebService/client.asmx" && rng.IntN(400) == 0:
				status, sub, win32 = 500, 0, 64
			}
		}
		timeTaken := int64(math.Exp(rng.NormFloat64()*sigma) * median)
		buf = buf[:0]
		buf = fmt.Appendf(buf, "2026-11-21 %02d:%02d:%02d 10.0.0.5 %s %s %s 8530 - %s %s - %d %d %d ",
			sec/3600, sec/60%60, sec%60, method, stem, query, ips[client], ua, status, sub, win32)
		buf = strconv.AppendInt(buf, timeTaken, 10)
		buf = append(buf, '\r', '\n')
		if _, err := bw.Write(buf); err != nil {
			return cw.n, err
		}
	}
	err := bw.Flush()
	return cw.n, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// stampLog makes a log file's content unique for run k without changing its
// size (the #Date directive's seconds), so an upload is never a replay.
func stampLog(path string, k int) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 256)
	if _, err := io.ReadFull(f, head); err != nil {
		return err
	}
	i := bytes.Index(head, []byte("#Date: 2026-11-21 00:00:"))
	if i < 0 {
		return fmt.Errorf("%s: no #Date directive to stamp", path)
	}
	_, err = f.WriteAt([]byte(fmt.Sprintf("%02d", k%60)), int64(i+len("#Date: 2026-11-21 00:00:")))
	return err
}
