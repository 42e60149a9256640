package rules

import (
	"fmt"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/iislog"
)

// iisHeader is what IIS 10 writes at the top of a W3C log (the default
// fields, in their real order).
const iisHeader = "#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2026-11-21 08:00:00\r\n" +
	"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n"

const (
	wuaAgent   = "Windows-Update-Agent/10.0.10011.16384+Client-Protocol/2.50"
	soapClient = "Mozilla/4.0+(compatible;+MSIE+6.0;+MS+Web+Services+Client+Protocol+4.0.30319.42000)"
)

// iisLine is one request in that field order, on 2026-11-21.
func iisLine(clock, method, stem, user, ip, ua, status string, timeTaken int) string {
	return fmt.Sprintf("2026-11-21 %s 10.0.0.5 %s %s - 8530 %s %s %s - %s %d\r\n", clock, method, stem, user, ip, ua, status, timeTaken)
}

// mustIISLog parses log lines with the real parser and keeps what a server's
// state keeps of them.
func mustIISLog(lines ...string) *probes.IISLogSummary {
	s, err := iislog.Parse(strings.NewReader(iisHeader + strings.Join(lines, "")))
	if err != nil {
		panic(err)
	}
	d := s.Digest()
	d.File = "u_ex261121.log"
	sum := d.Summary()
	return &sum
}

// scanStorm is n clients scanning; every third scan is answered 500 after
// about 95 s (the request timed out), the others succeed.
func scanStorm(n int) []string {
	var out []string
	for i := range n {
		clock := fmt.Sprintf("09:%02d:%02d", i/60, i%60)
		ip := fmt.Sprintf("10.1.%d.%d", i/200, i%200+1)
		if i%3 == 2 {
			out = append(out, iisLine(clock, "POST", "/ClientWebService/client.asmx", "-", ip, wuaAgent, "500 0 0", 95_000+i*37))
		} else {
			out = append(out, iisLine(clock, "POST", "/ClientWebService/client.asmx", "-", ip, wuaAgent, "200 0 0", 840+i))
		}
	}
	return out
}

func sdlog(issues ...probes.SDLogIssue) *probes.SDLogDigest {
	d := &probes.SDLogDigest{File: "SoftwareDistribution.log", Lines: 48211, First: at(48 * time.Hour), Last: at(time.Minute), Issues: issues}
	for _, i := range issues {
		if i.Last.After(d.Last.Time) {
			d.Last = i.Last
		}
	}
	return d
}

func sqlTimeouts(n int64) probes.SDLogIssue {
	return probes.SDLogIssue{Kind: probes.SDLogSQLTimeout, Component: "w3wp.12", Count: n, First: at(20 * time.Hour), Last: at(2 * time.Minute),
		Example: "System.Data.SqlClient.SqlException (0x80131904): Execution Timeout Expired.  The timeout period elapsed prior to completion of the operation or the server is not responding. ---> System.ComponentModel.Win32Exception (0x80004005): The wait operation timed out"}
}

func httperr(groups ...probes.HTTPErrGroup) *probes.HTTPErrDigest {
	d := &probes.HTTPErrDigest{File: "httperr1.log", Lines: 9000, First: at(24 * time.Hour), Last: at(time.Minute), Groups: groups}
	for _, g := range groups {
		if g.Last.After(d.Last.Time) {
			d.Last = g.Last
		}
	}
	return d
}

// wasEvent is a System log event of the Windows Process Activation Service.
func wasEvent(id int, level, msg string, ago time.Duration) probes.Event {
	return probes.Event{ID: id, Source: "Microsoft-Windows-WAS", Level: level, Time: at(ago), Message: msg}
}
