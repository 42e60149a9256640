// Package demofleet is the demo's simulated fleet: which WSUS servers it has,
// the fault each shows, and what their collectors, clients and directory
// inventory send. `wsusfleet demo` runs it; the browser tests judge it.
package demofleet

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/probes/sim"
)

// Server is one simulated WSUS server of the demo fleet: the fault its
// IIS shows the prober (Profile, a sim profile), and what its collector
// reports about it.
type Server struct {
	Name, Site string
	Profile    string
	Catalog    int // not-declined updates
	TLS        bool
	Clients    int
	Upstream   string // "" syncs from Microsoft Update
	Replica    bool
	// StaleSince: clients stopped reporting this long ago (the fault's age).
	StaleSince time.Duration
	sections   func(r *probes.Report, now time.Time)
}

// Fleet: an upstream at HQ, two autonomous downstreams, a replica of a
// broken downstream (its sync fails), a lab replica with an NTFS problem and
// a DMZ server whose certificate expired.
func Fleet() []Server {
	return []Server{
		{Name: "wsus-hq.corp.example", Site: "hq", Profile: sim.Healthy, Clients: 4000, Catalog: 5100},
		{Name: "wsus-east.corp.example", Site: "east", Profile: sim.AnonDisabledCWS, Clients: 3000, Catalog: 5100, Upstream: "wsus-hq.corp.example",
			StaleSince: 8 * 24 * time.Hour, sections: anonymousOffOnClientWebService},
		// An autonomous downstream whose catalog grew past 7,000 (scans hit the
		// pool's memory limit, rapid-fail stopped it) and its replica.
		{Name: "wsus-west.corp.example", Site: "west", Profile: sim.PoolStopped, Clients: 3500, Catalog: 7900, Upstream: "wsus-hq.corp.example",
			StaleSince: 9 * 24 * time.Hour, sections: poolStoppedAtMemoryLimit},
		{Name: "wsus-west-replica.corp.example", Site: "wrep", Profile: sim.Healthy, Clients: 1500, Catalog: 7900, Upstream: "wsus-west.corp.example",
			Replica: true, sections: syncFailsFromStoppedUpstream},
		{Name: "wsus-lab.corp.example", Site: "lab", Profile: sim.ContentACL, Clients: 800, Catalog: 5100, Upstream: "wsus-hq.corp.example",
			Replica: true, StaleSince: 12 * 24 * time.Hour, sections: contentACLBroken},
		{Name: "wsus-dmz.corp.example", Site: "dmz", Profile: sim.SSLCertExpired, TLS: true, Clients: 300, Catalog: 4800,
			StaleSince: 20 * 24 * time.Hour, sections: syncStale},
	}
}

// Report is what Send-WsusFleetReport.ps1 would send from the server.
func (d Server) Report(url string, now time.Time, scale float64) *probes.Report {
	ports := probes.ServerInfo{HTTPPort: 8530, HTTPSPort: 8531}
	notDeclined := d.Catalog
	r := &probes.Report{
		Schema: probes.SchemaReport, ID: probes.NewID(), CollectedAt: probes.TimeOf(now.Add(-2 * time.Minute)),
		Collector: probes.Collector{Name: "Send-WsusFleetReport.ps1", Version: "1.0.0", Host: strings.ToUpper(strings.Split(d.Name, ".")[0]), Vantage: probes.VantageServer},
		Server: probes.ServerInfo{Name: d.Name, URL: url, Version: "10.0.20348.1", HTTPPort: ports.HTTPPort, HTTPSPort: ports.HTTPSPort,
			SSL: d.TLS, ContentDir: `D:\WSUS\WsusContent`, Database: `\\.\pipe\MICROSOFT##WID\tsql\query`, NotDeclinedUpdates: &notDeclined, Targeting: "client"},
		VDirConfig: referenceVDirConfig(d.TLS),
		AppPool:    bestPracticePool(),
		Services: []probes.Service{{Name: "WsusService", State: "Running", StartType: "Automatic"}, {Name: "W3SVC", State: "Running", StartType: "Automatic"},
			{Name: "MSSQL$MICROSOFT##WID", State: "Running", StartType: "Automatic"}},
		ACLs:   referenceACLs(),
		Events: []probes.Event{},
		Sync:   d.sync(now),
	}
	r.Clients = &probes.ClientList{Complete: true, Items: d.population(now, int(float64(d.Clients)*scale))}
	if d.sections != nil {
		d.sections(r, now)
	}
	return r
}

func (d Server) sync(now time.Time) *probes.Sync {
	last := &probes.SyncRun{StartedAt: probes.TimeOf(now.Add(-3 * time.Hour)), FinishedAt: probes.TimeOf(now.Add(-3*time.Hour + 4*time.Minute)), Result: "Succeeded"}
	if d.Upstream == "" {
		return &probes.Sync{From: probes.SyncFromMicrosoftUpdate, Last: last}
	}
	return &probes.Sync{From: probes.SyncFromUpstream, Upstream: &probes.Upstream{Host: d.Upstream, Port: 8530, Replica: d.Replica}, Last: last}
}

// population makes n Clients: most reported within a day, a tail of older
// ones, a few never; once the server's fault began, its clients stopped.
func (d Server) population(now time.Time, n int) []probes.Client {
	rng := rand.New(rand.NewPCG(uint64(len(d.Name)), uint64(n)))
	oses := []string{"Windows 11 Enterprise", "Windows 10 Enterprise", "Windows Server 2022 Standard", "Windows Server 2019 Standard"}
	groups := []string{"Workstations", "Servers", "Pilot"}
	out := make([]probes.Client, n)
	for i := range out {
		c := probes.Client{
			ID:   fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), rng.IntN(1<<12), rng.Uint64()&(1<<48-1)),
			Name: fmt.Sprintf("%s-pc%04d.corp.example", d.Site, i), IP: fmt.Sprintf("10.%d.%d.%d", 10+len(d.Site), i/250, i%250+1),
			OS: oses[rng.IntN(len(oses))], ClientVersion: "10.0.26100.2454", Groups: []string{groups[rng.IntN(len(groups))]},
		}
		c.RequestedGroup = c.Groups[0]
		var age time.Duration
		switch p := rng.Float64(); {
		case p < 0.012:
			c.LastSyncResult = "NeverRun" // never reported
			out[i] = c
			continue
		case p < 0.80:
			age = time.Duration(rng.Float64() * 22 * float64(time.Hour))
		case p < 0.91:
			age = time.Duration((1 + rng.Float64()*6) * 24 * float64(time.Hour))
		case p < 0.96:
			age = time.Duration((7 + rng.Float64()*23) * 24 * float64(time.Hour))
		case p < 0.99:
			age = time.Duration((30 + rng.Float64()*60) * 24 * float64(time.Hour))
		default:
			age = time.Duration((90 + rng.Float64()*200) * 24 * float64(time.Hour))
		}
		if d.StaleSince > 0 && age < d.StaleSince && rng.Float64() < 0.9 {
			age = d.StaleSince + time.Duration(rng.Float64()*float64(time.Hour)) // stopped when the fault began
		}
		c.LastReport = probes.TimeOf(now.Add(-age))
		c.LastSync = probes.TimeOf(now.Add(-age + time.Minute))
		c.LastSyncResult = "Succeeded"
		out[i] = c
	}
	return out
}

// referenceVDirConfig is DESIGN §7.1 as IIS stores it on a healthy server.
func referenceVDirConfig(ssl bool) []probes.VDirConfig {
	var out []probes.VDirConfig
	for _, v := range probes.VDirs() {
		out = append(out, probes.VDirConfig{VDir: v.Name, Anonymous: v.Anonymous, WindowsAuth: v.WindowsAuth, RequireSSL: ssl && v.SSLInSSL,
			ClientCerts: "ignore", AppPool: "WsusPool", PhysicalPath: `C:\Program Files\Update Services\WebServices\` + v.Name})
	}
	return out
}

func i64(v int64) *int64 { return &v }
func bp(v bool) *bool    { return &v }

// bestPracticePool is WsusPool tuned per DESIGN §7.4.
func bestPracticePool() *probes.AppPool {
	return &probes.AppPool{Name: "WsusPool", State: "Started", Identity: "NetworkService", PrivateMemoryKB: i64(0), QueueLength: i64(2000),
		IdleTimeoutMin: i64(0), PingEnabled: bp(false), PeriodicRestartMin: i64(0), RapidFailProtection: bp(true)}
}

func referenceACLs() []probes.ACL {
	ns := `NT AUTHORITY\NETWORK SERVICE`
	return []probes.ACL{
		{Path: `D:\WSUS\WsusContent`, Principal: ns, Rights: []string{"FullControl"}},
		{Path: `C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files`, Principal: ns, Rights: []string{"FullControl"}},
		{Path: `C:\Windows\Temp`, Principal: ns, Rights: []string{"FullControl"}},
		{Path: `C:\Program Files\Update Services\WebServices`, Principal: ns, Rights: []string{"ReadAndExecute"}},
	}
}

func wsusEvent(id int, level, msg string, at time.Time) probes.Event {
	return probes.Event{ID: id, Source: "Windows Server Update Services", Level: level, Time: probes.TimeOf(at), Message: msg}
}

func anonymousOffOnClientWebService(r *probes.Report, now time.Time) {
	r.VDirConfig[0].Anonymous, r.VDirConfig[0].WindowsAuth = false, true
	r.Events = append(r.Events, wsusEvent(12022, "Error", "The Client Web Service is not working.", now.Add(-40*time.Minute)))
}

func poolStoppedAtMemoryLimit(r *probes.Report, now time.Time) {
	r.AppPool = &probes.AppPool{Name: "WsusPool", State: "Stopped", Identity: "NetworkService", PrivateMemoryKB: i64(1843200), QueueLength: i64(1000),
		IdleTimeoutMin: i64(20), PingEnabled: bp(true), PeriodicRestartMin: i64(1740), RapidFailProtection: bp(true)}
	for _, e := range []struct {
		id  int
		msg string
	}{{12002, "The Reporting Web Service is not working."}, {12012, "The API Remoting Web Service is not working."},
		{12022, "The Client Web Service is not working."}, {12032, "The Server Synchronization Web Service is not working."},
		{12042, "The SimpleAuth Web Service is not working."}, {12052, "The DSS Authentication Web Service is not working."}} {
		r.Events = append(r.Events, wsusEvent(e.id, "Error", e.msg, now.Add(-70*time.Minute)))
	}
}

func syncFailsFromStoppedUpstream(r *probes.Report, now time.Time) {
	r.Sync.Last = &probes.SyncRun{StartedAt: probes.TimeOf(now.Add(-50 * time.Minute)), FinishedAt: probes.TimeOf(now.Add(-49 * time.Minute)), Result: "Failed",
		Error: "WebException: The remote server returned an error: (503) Server Unavailable."}
}

func contentACLBroken(r *probes.Report, now time.Time) {
	r.ACLs[0] = probes.ACL{Path: `D:\WSUS\WsusContent`, Principal: `BUILTIN\Administrators`, Rights: []string{"FullControl"}}
	r.Events = append(r.Events, wsusEvent(12072, "Error", "The WSUS content directory is not accessible.\nSystem.Net.WebException: The remote server returned an error: (401) Unauthorized.", now.Add(-25*time.Minute)))
}

func syncStale(r *probes.Report, now time.Time) {
	r.Sync.Last = &probes.SyncRun{StartedAt: probes.TimeOf(now.Add(-5 * 24 * time.Hour)), FinishedAt: probes.TimeOf(now.Add(-5*24*time.Hour + 7*time.Minute)), Result: "Succeeded"}
}
