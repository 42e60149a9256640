package demofleet

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// seedClientViews sends what Send-WsusFleetClientReport.ps1 and
// Export-WsusFleetInventory.ps1 would: clients whose GPO lacks the port,
// whose statistics server differs, whose policy is off, cloned images,
// roamers pointing at a retired server, and an AD inventory with computers
// no server knows.
func seedClientViews(ctx context.Context, st Store, now time.Time) error {
	type view struct {
		name, wu, status, sus string
		policyOff             bool
	}
	var views []view
	for i := range 120 { // a GPO written without the port
		views = append(views, view{name: fmt.Sprintf("east-pc%04d.corp.example", i), wu: "http://wsus-east.corp.example", status: "http://wsus-east.corp.example"})
	}
	for i := range 40 { // the statistics server left pointing at the old name
		views = append(views, view{name: fmt.Sprintf("hq-pc%04d.corp.example", i), wu: "http://wsus-hq.corp.example:8530", status: "http://wsus-legacy.corp.example:8530"})
	}
	for i := 40; i < 65; i++ { // the GPO is not linked to their OU
		views = append(views, view{name: fmt.Sprintf("hq-pc%04d.corp.example", i), wu: "http://wsus-hq.corp.example:8530", status: "http://wsus-hq.corp.example:8530", policyOff: true})
	}
	for i := range 3 { // images cloned without Sysprep: two computers per SusClientId
		for _, n := range []string{fmt.Sprintf("lab-pc%04d.corp.example", i), fmt.Sprintf("lab-clone%d.corp.example", i)} {
			views = append(views, view{name: n, wu: "http://wsus-lab.corp.example:8530", status: "http://wsus-lab.corp.example:8530", sus: fmt.Sprintf("0d7c3a4e-0000-4000-8000-00000000c10%d", i)})
		}
	}
	for i := range 20 { // laptops still pointing at a retired server
		views = append(views, view{name: fmt.Sprintf("roam-pc%03d.corp.example", i), wu: "http://wsus-old.corp.example:8530", status: "http://wsus-old.corp.example:8530"})
	}
	on, off, opt := true, false, 4
	for i, v := range views {
		cv := probes.ClientView{Name: v.name, WUServer: v.wu, WUStatusServer: v.status, UseWUServer: &on, AUOptions: &opt, NoAutoUpdate: &off,
			SusClientID: v.sus, Services: &probes.ClientServices{WUAUServ: "Running", BITS: "Running", WUAUServStart: "Manual", BITSStart: "Manual"}, WinHTTPProxy: "direct"}
		if cv.SusClientID == "" {
			cv.SusClientID = fmt.Sprintf("0d7c3a4e-0000-4000-9000-%012d", i)
		}
		if v.policyOff {
			cv.UseWUServer = nil
		}
		cr := &probes.ClientReport{Schema: probes.SchemaClientReport, ID: probes.NewID(), CollectedAt: probes.TimeOf(now.Add(-time.Duration(i%50) * time.Minute)),
			Collector: probes.Collector{Name: "Send-WsusFleetClientReport.ps1", Version: "1.0.0", Host: v.name, Vantage: probes.VantageClient}, Client: cv,
			VDirChecks: clientChecks(v.wu, i)}
		if _, _, err := st.SaveClientReport(ctx, cr, ""); err != nil {
			return fmt.Errorf("seed client report %s: %w", v.name, err)
		}
	}
	inv := &probes.Inventory{Schema: probes.SchemaInventory, ID: probes.NewID(), CollectedAt: probes.TimeOf(now.Add(-time.Hour)),
		Collector: &probes.Collector{Name: "Export-WsusFleetInventory.ps1", Version: "1.0.0", Host: "DC01", Vantage: probes.VantageServer},
		Source:    "ad", Scope: "OU=Computers,DC=corp,DC=example", Complete: true}
	for i := range 60 { // in AD, in use, on no server's list
		inv.Items = append(inv.Items, probes.InventoryItem{Name: fmt.Sprintf("new-pc%04d.corp.example", i), Enabled: true,
			LastLogon: probes.TimeOf(now.Add(-time.Duration(1+i%5) * 24 * time.Hour)), OU: "OU=Workstations,OU=Computers,DC=corp,DC=example"})
	}
	for i := range 15 { // disabled accounts: not expected
		inv.Items = append(inv.Items, probes.InventoryItem{Name: fmt.Sprintf("old-pc%04d.corp.example", i), Enabled: false, OU: "OU=Disabled,DC=corp,DC=example"})
	}
	if _, _, err := st.SaveInventory(ctx, inv, ""); err != nil {
		return fmt.Errorf("seed inventory: %w", err)
	}
	_, _, err := st.Settle(ctx)
	return err
}

// clientChecks is what the client script's own checks of its WUServer see:
// the three URLs a client needs, answering as a healthy WSUS does, or no
// connection at all where the GPO left out the port (port 80 is closed).
func clientChecks(wuServer string, i int) []probes.VDirCheck {
	u, err := url.Parse(wuServer)
	if err != nil {
		return nil
	}
	var out []probes.VDirCheck
	for _, v := range probes.VDirs() {
		if v.Name != "SelfUpdate" && v.Name != "ClientWebService" && v.Name != "SimpleAuthWebService" {
			continue
		}
		c := probes.VDirCheck{VDir: v.Name, URL: wuServer + v.Path, Method: "GET", Status: v.Healthy[0], LatencyMS: float64(8 + i%40)}
		if u.Port() == "" {
			c.Status, c.ErrorKind, c.Error, c.LatencyMS = 0, probes.ErrorConnect, "connectex: No connection could be made because the target machine actively refused it.", 1
		}
		out = append(out, c)
	}
	return out
}
