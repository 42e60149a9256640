// Package apphost reads IIS 7+ applicationHost.config and resolves, for each
// WSUS virtual directory, the settings DESIGN §7.1 judges (authentication,
// SSL, client certificates, ASP.NET impersonation, app pool, physical path)
// and the WsusPool settings of §7.4, the way IIS itself would.
//
// Settings are inherited from the server level, the site's <location> and
// parent paths; the most specific location wins, attribute by attribute, and
// IIS schema defaults fill what the file leaves unsaid. Only
// applicationHost.config is read: a vDir's own web.config (where an
// administrator may also turn on impersonation) is not seen.
package apphost

import (
	"io"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// Options tune Parse.
type Options struct {
	// Site is the IIS site WSUS runs in. Empty: "WSUS Administration", or
	// else the site with a /ClientWebService application.
	Site string
}

// Config is what applicationHost.config says about one WSUS server: the
// report's vdir_config and app_pool sections.
type Config struct {
	Site    string              `json:"site"`               // the site the vDirs were found in
	VDirs   []probes.VDirConfig `json:"vdir_config"`        // in dashboard order; only vDirs present in the site
	AppPool *probes.AppPool     `json:"app_pool,omitempty"` // the pool ClientWebService runs in; nil when the file does not define it
	Missing []string            `json:"missing,omitempty"`  // canonical names of WSUS vDirs absent from the site
	Notes   []string            `json:"notes,omitempty"`    // things worth saying that are not errors
}

// Parse reads an applicationHost.config (at most MaxBytes; UTF-8, or UTF-16
// with a BOM) and resolves the WSUS site's settings. Problems with the file
// are a *probes.ValidationError whose message names the line; errors reading
// r are returned as they are. DTDs and entity declarations are refused.
func Parse(r io.Reader, opt Options) (*Config, error) {
	data, err := readInput(r)
	if err != nil {
		return nil, err
	}
	doc, err := walk(data)
	if err != nil {
		return nil, err
	}
	s, err := findSite(doc, opt.Site)
	if err != nil {
		return nil, err
	}
	cfg := &Config{Site: s.name, VDirs: []probes.VDirConfig{}}
	found := placeVDirs(doc, s)
	for _, p := range found {
		c, err := vdirConfig(doc, s.name, p)
		if err != nil {
			return nil, err
		}
		cfg.VDirs = append(cfg.VDirs, c)
	}
	for _, name := range probes.VDirNames() {
		if !hasVDir(cfg.VDirs, name) {
			cfg.Missing = append(cfg.Missing, name)
		}
	}
	poolName := "WsusPool"
	for _, c := range cfg.VDirs {
		if c.VDir == "ClientWebService" {
			poolName = c.AppPool
		}
	}
	if set := findPool(doc, poolName); set != nil {
		if cfg.AppPool, err = appPool(poolName, set); err != nil {
			return nil, err
		}
	} else {
		cfg.Notes = append(cfg.Notes, "the application pool "+quote(poolName)+" is not defined in <applicationPools>")
	}
	for _, c := range cfg.VDirs {
		if c.AppPool != poolName {
			cfg.Notes = append(cfg.Notes, c.VDir+" runs in the application pool "+quote(c.AppPool)+", not "+quote(poolName))
		}
	}
	if err := validate(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

func hasVDir(list []probes.VDirConfig, name string) bool {
	for _, c := range list {
		if c.VDir == name {
			return true
		}
	}
	return false
}

// validate checks the sections with the report's own rules (string bounds,
// numeric ranges) so what Parse returns is storable as is. It wraps them in
// a minimal report, the only public entry point of probes validation.
func validate(cfg *Config) error {
	r := probes.Report{
		Schema: probes.SchemaReport, ID: "apphost", CollectedAt: probes.TimeOf(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)),
		Collector:  probes.Collector{Name: "apphost", Vantage: probes.VantageServer},
		Server:     probes.ServerInfo{Name: "apphost"},
		VDirConfig: cfg.VDirs, AppPool: cfg.AppPool,
	}
	return r.Validate(time.Time{})
}
