package iislog

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// writeWSUSLog writes a realistic day of a busy WSUS server's IIS log: IIS
// 10 directives and default fields, 20,000 clients (a sixth on IPv6, some
// link-local with zone ids), the vDir mix of scans, reports and content
// downloads, a few faults (401.2 for one subnet, 500 with win32 64, a 503
// burst) and log-normal time-taken. Deterministic for a given n.
func writeWSUSLog(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
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
	for i := range n {
		sec := i * 86400 / n
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
				median = 900 // a full scan
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
				status, sub, win32 = 401, 2, 5 // Negotiate round trip
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
				status, sub, win32, median = 503, 0, 0, 1 // WsusPool stopped for ten minutes
			case client%97 == 3 && strings.HasSuffix(stem, ".asmx") && ua != soapUA:
				status, sub, win32 = 401, 2, 5 // one group of clients' anonymous auth problem
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
			return err
		}
	}
	return bw.Flush()
}
