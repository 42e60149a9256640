package apphost

import (
	"strconv"
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// IIS schema defaults of an application pool (DESIGN §7.4 lists the WSUS
// best practice next to them). WSUS setup itself writes a Private Memory
// Limit of 1,843,200 KB; IIS's default is 0 (no limit).
const (
	defaultQueueLength     = 1000
	defaultIdleTimeout     = "00:20:00"
	defaultPingingEnabled  = true
	defaultIdentityType    = "ApplicationPoolIdentity"
	defaultPrivateMemoryKB = 0
	defaultPeriodicRestart = "1.05:00:00" // 1740 minutes
	defaultRapidFail       = true
	defaultAutoStart       = true
)

// findPool returns the settings of the named pool merged over
// <applicationPoolDefaults>, or nil when the file does not define it.
func findPool(doc *document, name string) attrs {
	for _, p := range doc.pools {
		if eq(p.name, name) {
			set := attrs{}
			for k, v := range doc.poolDefaults {
				set[k] = v
			}
			for k, v := range p.set {
				set[k] = v
			}
			return set
		}
	}
	return nil
}

// appPool resolves the pool settings. State comes from autoStart: IIS
// Manager writes autoStart="false" when a pool is stopped, so a pool that
// starts with IIS reports no state (the file cannot say it is running).
func appPool(name string, set attrs) (*probes.AppPool, error) {
	p := &probes.AppPool{Name: name}
	var err error
	num := func(key string, def int64) *int64 {
		if err != nil {
			return nil
		}
		var n int64
		n, err = intAttr(set, key, def)
		return &n
	}
	minutes := func(key, def string) *int64 {
		if err != nil {
			return nil
		}
		var n int64
		n, err = timeSpanAttr(set, key, def)
		return &n
	}
	flag := func(key string, def bool) *bool {
		if err != nil {
			return nil
		}
		var b bool
		b, err = boolAttr(set, key, def)
		return &b
	}
	p.QueueLength = num("queueLength", defaultQueueLength)
	p.PrivateMemoryKB = num("recycling/periodicRestart/privateMemory", defaultPrivateMemoryKB)
	p.IdleTimeoutMin = minutes("processModel/idleTimeout", defaultIdleTimeout)
	p.PeriodicRestartMin = minutes("recycling/periodicRestart/time", defaultPeriodicRestart)
	p.PingEnabled = flag("processModel/pingingEnabled", defaultPingingEnabled)
	p.RapidFailProtection = flag("failure/rapidFailProtection", defaultRapidFail)
	autoStart := flag("autoStart", defaultAutoStart)
	if err != nil {
		return nil, err
	}
	if !*autoStart {
		p.State = "Stopped"
	}
	p.Identity = defaultIdentityType
	if v, ok := set["processModel/identityType"]; ok && strings.TrimSpace(v.s) != "" {
		p.Identity = strings.TrimSpace(v.s)
	}
	if eq(p.Identity, "SpecificUser") {
		if u := strings.TrimSpace(set["processModel/userName"].s); u != "" {
			p.Identity = u // never the password
		}
	}
	return p, nil
}

func intAttr(set attrs, key string, def int64) (int64, error) {
	v, ok := set[key]
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v.s), 10, 64)
	if err != nil || n < 0 {
		return 0, invalid(false, "line %d: %s=%.40q is not a whole number", v.line, describe(key), v.s)
	}
	return n, nil
}

func timeSpanAttr(set attrs, key, def string) (int64, error) {
	v, ok := set[key]
	if !ok {
		v = value{s: def}
	}
	n, ok := timeSpanMinutes(v.s)
	if !ok {
		return 0, invalid(false, "line %d: %s=%.40q is not a time span like 00:20:00 or 1.05:00:00", v.line, describe(key), v.s)
	}
	return n, nil
}

// timeSpanMinutes reads a .NET TimeSpan "[d.]hh:mm[:ss[.fffffff]]" as whole
// minutes, rounding to the nearest minute but never a non-zero span to 0,
// which would read as "disabled".
func timeSpanMinutes(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	var days int64
	if dot, colon := strings.IndexByte(s, '.'), strings.IndexByte(s, ':'); dot >= 0 && (colon < 0 || dot < colon) {
		d, ok := number(s[:dot], 10_675_199) // TimeSpan.MaxValue days
		if !ok {
			return 0, false
		}
		days, s = d, s[dot+1:]
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	h, okH := number(parts[0], 23)
	m, okM := number(parts[1], 59)
	if !okH || !okM {
		return 0, false
	}
	var sec float64
	if len(parts) == 3 {
		whole, frac, _ := strings.Cut(parts[2], ".")
		w, ok := number(whole, 59)
		if !ok || (frac != "" && strings.Trim(frac, "0123456789") != "") {
			return 0, false
		}
		sec, _ = strconv.ParseFloat(strconv.FormatInt(w, 10)+"."+frac+"0", 64)
	}
	total := days*24*60 + h*60 + m + int64(sec/60+0.5)
	if total == 0 && sec > 0 {
		total = 1
	}
	return total, true
}

// number reads unsigned decimal digits up to max.
func number(s string, max int64) (int64, bool) {
	if s == "" || len(s) > 19 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n <= max
}

// describe names a settings key the way the file writes it: "processModel idleTimeout".
func describe(key string) string {
	i := strings.LastIndexByte(key, '/')
	if i < 0 {
		return "add " + key
	}
	return key[:i] + " " + key[i+1:]
}
