package storetest

import (
	"fmt"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Report returns a valid server report for server, collected at at, with a
// healthy vDir check of each of the nine vDirs.
func Report(id, server string, at time.Time) *probes.Report {
	base := "http://" + server + ":8530"
	return &probes.Report{
		Schema: probes.SchemaReport, ID: id, CollectedAt: probes.TimeOf(at),
		Collector:  probes.Collector{Name: "storetest", Version: "1", Host: "agent01", Vantage: probes.VantageRemote},
		Server:     probes.ServerInfo{Name: server, URL: base},
		VDirChecks: HealthyChecks(base),
	}
}

// HealthyChecks answers every vDir the way a healthy WSUS does (DESIGN §7.1).
func HealthyChecks(base string) []probes.VDirCheck {
	var out []probes.VDirCheck
	for _, v := range probes.VDirs() {
		c := probes.VDirCheck{VDir: v.Name, URL: base + v.Path, Method: "GET", Status: v.Healthy[0], LatencyMS: 12}
		if v.WindowsAuth {
			c.WWWAuthenticate = []string{"Negotiate", "NTLM"}
		}
		out = append(out, c)
	}
	return out
}

// Clients returns n computer targets named pcNNNNN.corp.example whose last
// status report is age(i) before at (a negative age means never reported).
func Clients(n int, at time.Time, age func(i int) time.Duration) []probes.Client {
	return ClientRange(0, n, at, age)
}

// ClientRange is Clients numbered from first: distinct machines for each
// server of a large fleet.
func ClientRange(first, n int, at time.Time, age func(i int) time.Duration) []probes.Client {
	out := make([]probes.Client, n)
	for j := range out {
		i := first + j
		c := probes.Client{
			ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Name: fmt.Sprintf("pc%05d.corp.example", i),
			IP: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), OS: "Windows 11 Enterprise",
			ClientVersion: "10.0.26100.1", Groups: []string{"Workstations"}, LastSyncResult: "Succeeded",
		}
		if d := age(i); d >= 0 {
			c.LastReport = probes.TimeOf(at.Add(-d))
			c.LastSync = probes.TimeOf(at.Add(-d))
		}
		out[j] = c
	}
	return out
}
