package probes

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Registry keys a client's Windows Update policy and identity live under
// (DESIGN §7.6), as evidence names them.
const (
	KeyPolicy   = `HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate`
	KeyPolicyAU = `HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU`
	KeyIdentity = `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate`
	KeyWUAUServ = `HKLM\SYSTEM\CurrentControlSet\Services\wuauserv`
	KeyBITS     = `HKLM\SYSTEM\CurrentControlSet\Services\BITS`
)

// PolicyKeys lists the keys in the order pages show them.
func PolicyKeys() []string {
	return []string{KeyPolicy, KeyPolicyAU, KeyIdentity, KeyWUAUServ, KeyBITS}
}

// PolicyValue is a registry value wsusfleet reads into a ClientView.
type PolicyValue struct {
	Key, Name string
	Number    bool // a REG_DWORD
	apply     func(v *ClientView, f PolicyFact) error
}

// policyValues are the values of DESIGN §7.6 and the policies that decide
// whether a client scans WSUS at all.
var policyValues = []PolicyValue{
	{KeyPolicy, "WUServer", false, func(v *ClientView, f PolicyFact) error { v.WUServer = f.Data; return nil }},
	{KeyPolicy, "WUStatusServer", false, func(v *ClientView, f PolicyFact) error { v.WUStatusServer = f.Data; return nil }},
	{KeyPolicy, "UpdateServiceUrlAlternate", false, func(v *ClientView, f PolicyFact) error { v.UpdateServiceAlternate = f.Data; return nil }},
	{KeyPolicy, "TargetGroup", false, func(v *ClientView, f PolicyFact) error { v.TargetGroup = f.Data; return nil }},
	{KeyPolicy, "TargetGroupEnabled", true, setBool(func(v *ClientView) **bool { return &v.TargetGroupEnabled })},
	{KeyPolicy, "SetProxyBehaviorForUpdateDetection", true, setInt(0, 10, func(v *ClientView) **int { return &v.SetProxyBehavior })},
	{KeyPolicy, "DoNotConnectToWindowsUpdateInternetLocations", true, setBool(func(v *ClientView) **bool { return &v.DoNotConnectToWUInternet })},
	{KeyPolicy, "DeferQualityUpdates", true, setBool(func(v *ClientView) **bool { return &dualScan(v).DeferQualityUpdates })},
	{KeyPolicy, "DeferFeatureUpdates", true, setBool(func(v *ClientView) **bool { return &dualScan(v).DeferFeatureUpdates })},
	{KeyPolicy, "DisableDualScan", true, setBool(func(v *ClientView) **bool { return &dualScan(v).DisableDualScan })},
	{KeyPolicy, "SetPolicyDrivenUpdateSourceForFeatureUpdates", true, setInt(0, 1, func(v *ClientView) **int { return &updateSource(v).FeatureUpdates })},
	{KeyPolicy, "SetPolicyDrivenUpdateSourceForQualityUpdates", true, setInt(0, 1, func(v *ClientView) **int { return &updateSource(v).QualityUpdates })},
	{KeyPolicy, "SetPolicyDrivenUpdateSourceForDriverUpdates", true, setInt(0, 1, func(v *ClientView) **int { return &updateSource(v).DriverUpdates })},
	{KeyPolicy, "SetPolicyDrivenUpdateSourceForOtherUpdates", true, setInt(0, 1, func(v *ClientView) **int { return &updateSource(v).OtherUpdates })},
	{KeyPolicyAU, "UseWUServer", true, setBool(func(v *ClientView) **bool { return &v.UseWUServer })},
	{KeyPolicyAU, "AUOptions", true, setInt(0, 10, func(v *ClientView) **int { return &v.AUOptions })},
	{KeyPolicyAU, "NoAutoUpdate", true, setBool(func(v *ClientView) **bool { return &v.NoAutoUpdate })},
	{KeyPolicyAU, "DetectionFrequency", true, setInt(0, 10000, func(v *ClientView) **int { return &v.DetectionFrequencyH })},
	{KeyPolicyAU, "DetectionFrequencyEnabled", true, nil}, // read with DetectionFrequency
	{KeyPolicyAU, "UseUpdateClassPolicySource", true, setBool(func(v *ClientView) **bool { return &updateSource(v).UseUpdateClassPolicySource })},
	{KeyIdentity, "SusClientId", false, func(v *ClientView, f PolicyFact) error {
		id := strings.Trim(f.Data, "{}")
		if len(id) > 64 || !isID(id) {
			return fmt.Errorf("is not a GUID")
		}
		v.SusClientID = id
		return nil
	}},
	{KeyWUAUServ, "Start", true, setStart(func(s *ClientServices) *string { return &s.WUAUServStart })},
	{KeyBITS, "Start", true, setStart(func(s *ClientServices) *string { return &s.BITSStart })},
}

// LookupPolicyValue finds the value name of key (as normalised by
// PolicyKey), case-insensitively; ok is false for values wsusfleet does not read.
func LookupPolicyValue(key, name string) (PolicyValue, bool) {
	for _, p := range policyValues {
		if p.Key == key && strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return PolicyValue{}, false
}

// PolicyValueByName finds a value by its name alone, for evidence that shows
// a value without its key (e.g. "UseWUServer : 1" pasted on its own). Start
// is ambiguous (two services) and is never found this way.
func PolicyValueByName(name string) (PolicyValue, bool) {
	var found []PolicyValue
	for _, p := range policyValues {
		if strings.EqualFold(p.Name, name) {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		return PolicyValue{}, false
	}
	return found[0], true
}

// PolicyKey normalises a registry key as evidence writes it (HKEY_LOCAL_MACHINE\…,
// HKLM:\…, Registry::HKLM\…, Microsoft.PowerShell.Core\Registry::…, \\PC\HKLM\…)
// to one of the Key* constants; ok is false for other keys.
func PolicyKey(key string) (string, bool) {
	k := strings.TrimSpace(key)
	if i := strings.Index(k, "::"); i >= 0 {
		k = k[i+2:]
	}
	if strings.HasPrefix(k, `\\`) { // a remote reg query: \\PC0042\HKLM\…
		if i := strings.Index(k[2:], `\`); i >= 0 {
			k = k[2+i+1:]
		}
	}
	k = strings.TrimRight(strings.ReplaceAll(k, "/", `\`), `\`)
	lower := strings.ToLower(k)
	for _, p := range []string{"hkey_local_machine", "hklm:", "hklm"} {
		if strings.HasPrefix(lower, p+`\`) {
			lower = "hklm" + lower[len(p):]
			break
		}
	}
	for _, want := range PolicyKeys() {
		if lower == strings.ToLower(want) {
			return want, true
		}
	}
	return "", false
}

// PolicyFact is one value as evidence showed it: set to Data, or known not
// to be set (its key was listed without it, or does not exist).
type PolicyFact struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Set  bool   `json:"set"`
	Data string `json:"data,omitempty"` // as shown: a URL, or a DWORD in decimal
	Line int64  `json:"line,omitempty"` // where the evidence shows it
}

// Key states: what evidence says of a whole key.
const (
	KeyListed  = "listed"  // every value of the key was shown: a value not shown is not set
	KeyPartial = "partial" // some values were shown (reg query /v, Select-Object): the others are unknown
	KeyAbsent  = "absent"  // the key does not exist: none of its values is set
)

// PolicyEvidence is what a piece of evidence (a reg query, a .reg export)
// tells of a client's policy: the values it shows and the keys it covers.
// A value of a key that is neither listed nor absent is unknown, never "not
// set": a paste that holds only the WindowsUpdate key says nothing of AU.
type PolicyEvidence struct {
	Keys  map[string]string `json:"keys"` // key → KeyListed, KeyPartial or KeyAbsent
	Facts []PolicyFact      `json:"facts"`
}

// Fact returns what the evidence says of one value; ok is false when it
// says nothing (the value is unknown).
func (p PolicyEvidence) Fact(key, name string) (PolicyFact, bool) {
	for _, f := range p.Facts {
		if f.Key == key && strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	switch p.Keys[key] {
	case KeyListed, KeyAbsent:
		return PolicyFact{Key: key, Name: name}, true
	}
	return PolicyFact{}, false
}

// Covers reports whether the evidence alone says enough to judge the
// policy as a client report is judged: UseWUServer, and when it is 1 both
// server URLs. missing names what it lacks.
func (p PolicyEvidence) Covers() (ok bool, missing []string) {
	use, known := p.Fact(KeyPolicyAU, "UseWUServer")
	if !known {
		return false, []string{`UseWUServer (in the AU subkey)`}
	}
	if !use.Set || use.Data != "1" {
		return true, nil // the policy is off whatever the URLs say
	}
	for _, name := range []string{"WUServer", "WUStatusServer"} {
		if _, known := p.Fact(KeyPolicy, name); !known {
			missing = append(missing, name)
		}
	}
	return len(missing) == 0, missing
}

// Empty reports whether the evidence shows nothing of the policy.
func (p PolicyEvidence) Empty() bool { return len(p.Facts) == 0 && len(p.Keys) == 0 }

// Apply writes what the evidence knows over v: values it shows are set,
// values it knows are not set are cleared, unknown ones are left as they
// are. It returns the values whose meaning changed, as "Name: old → new".
// Values that do not fit (AUOptions 99, a SusClientId that is no GUID) are
// left alone and reported in bad.
func (p PolicyEvidence) Apply(v *ClientView) (changed, bad []string) {
	// The nested policies are shared with the caller's copy: write to our own.
	v.DualScan, v.UpdateSource, v.Services = cloneDual(v.DualScan), cloneSource(v.UpdateSource), cloneServices(v.Services)
	before := *v
	before.DualScan, before.UpdateSource, before.Services = cloneDual(v.DualScan), cloneSource(v.UpdateSource), cloneServices(v.Services)
	for _, pv := range policyValues {
		if pv.apply == nil {
			continue
		}
		f, known := p.Fact(pv.Key, pv.Name)
		if !known {
			continue
		}
		old := describePolicy(before, pv)
		if pv.Name == "DetectionFrequency" {
			// Only in effect when DetectionFrequencyEnabled is 1.
			if en, ok := p.Fact(KeyPolicyAU, "DetectionFrequencyEnabled"); ok && (!en.Set || en.Data != "1") {
				f = PolicyFact{Key: f.Key, Name: f.Name}
			}
		}
		if err := pv.apply(v, f); err != nil {
			bad = append(bad, fmt.Sprintf("%s %q %v (line %d)", pv.Name, f.Data, err, f.Line))
			continue
		}
		if now := describePolicy(*v, pv); now != old {
			changed = append(changed, pv.Name+": "+old+" → "+now)
		}
	}
	if v.DualScan != nil && *v.DualScan == (DualScan{}) {
		v.DualScan = nil
	}
	if v.UpdateSource != nil && *v.UpdateSource == (UpdateSourcePolicy{}) {
		v.UpdateSource = nil
	}
	if v.Services != nil && *v.Services == (ClientServices{}) {
		v.Services = nil
	}
	return changed, bad
}

// describePolicy is one value of a view as people read it ("not set" for nil).
func describePolicy(v ClientView, pv PolicyValue) string {
	// A copy: reading a nested value through dualScan/updateSource allocates it.
	probe := v
	probe.DualScan, probe.UpdateSource = cloneDual(v.DualScan), cloneSource(v.UpdateSource)
	var s string
	switch pv.Name {
	case "WUServer":
		s = v.WUServer
	case "WUStatusServer":
		s = v.WUStatusServer
	case "UpdateServiceUrlAlternate":
		s = v.UpdateServiceAlternate
	case "TargetGroup":
		s = v.TargetGroup
	case "SusClientId":
		s = v.SusClientID
	case "Start":
		if v.Services != nil {
			if pv.Key == KeyWUAUServ {
				s = v.Services.WUAUServStart
			} else {
				s = v.Services.BITSStart
			}
		}
	default:
		// Numbers and flags: read them back through a fact of the current value.
		s = numberOf(&probe, pv)
	}
	if s == "" {
		return "not set"
	}
	return s
}

func numberOf(v *ClientView, pv PolicyValue) string {
	var b **bool
	var i **int
	switch pv.Name {
	case "TargetGroupEnabled":
		b = &v.TargetGroupEnabled
	case "DoNotConnectToWindowsUpdateInternetLocations":
		b = &v.DoNotConnectToWUInternet
	case "UseWUServer":
		b = &v.UseWUServer
	case "NoAutoUpdate":
		b = &v.NoAutoUpdate
	case "DeferQualityUpdates":
		b = &dualScan(v).DeferQualityUpdates
	case "DeferFeatureUpdates":
		b = &dualScan(v).DeferFeatureUpdates
	case "DisableDualScan":
		b = &dualScan(v).DisableDualScan
	case "UseUpdateClassPolicySource":
		b = &updateSource(v).UseUpdateClassPolicySource
	case "SetProxyBehaviorForUpdateDetection":
		i = &v.SetProxyBehavior
	case "AUOptions":
		i = &v.AUOptions
	case "DetectionFrequency":
		i = &v.DetectionFrequencyH
	case "SetPolicyDrivenUpdateSourceForFeatureUpdates":
		i = &updateSource(v).FeatureUpdates
	case "SetPolicyDrivenUpdateSourceForQualityUpdates":
		i = &updateSource(v).QualityUpdates
	case "SetPolicyDrivenUpdateSourceForDriverUpdates":
		i = &updateSource(v).DriverUpdates
	case "SetPolicyDrivenUpdateSourceForOtherUpdates":
		i = &updateSource(v).OtherUpdates
	}
	switch {
	case b != nil && *b != nil && **b:
		return "1"
	case b != nil && *b != nil:
		return "0"
	case i != nil && *i != nil:
		return strconv.Itoa(**i)
	}
	return ""
}

func setBool(field func(v *ClientView) **bool) func(v *ClientView, f PolicyFact) error {
	return func(v *ClientView, f PolicyFact) error {
		p := field(v)
		if !f.Set {
			*p = nil
			return nil
		}
		n, err := strconv.ParseInt(f.Data, 10, 64)
		if err != nil {
			return fmt.Errorf("is not a number")
		}
		b := n == 1 // the agent reads exactly 1 as enabled
		*p = &b
		return nil
	}
}

func setInt(lo, hi int, field func(v *ClientView) **int) func(v *ClientView, f PolicyFact) error {
	return func(v *ClientView, f PolicyFact) error {
		p := field(v)
		if !f.Set {
			*p = nil
			return nil
		}
		n, err := strconv.Atoi(f.Data)
		if err != nil {
			return fmt.Errorf("is not a number")
		}
		if n < lo || n > hi {
			return fmt.Errorf("is out of range (%d to %d)", lo, hi)
		}
		*p = &n
		return nil
	}
}

// startTypes are the service Start values (DESIGN §7.6's services).
var startTypes = map[string]string{"0": "Boot", "1": "System", "2": "Automatic", "3": "Manual", "4": "Disabled"}

func setStart(field func(s *ClientServices) *string) func(v *ClientView, f PolicyFact) error {
	return func(v *ClientView, f PolicyFact) error {
		if v.Services == nil {
			v.Services = &ClientServices{}
		}
		if !f.Set {
			*field(v.Services) = ""
			return nil
		}
		t, ok := startTypes[f.Data]
		if !ok {
			return fmt.Errorf("is not a service start type (0 to 4)")
		}
		*field(v.Services) = t
		return nil
	}
}

func dualScan(v *ClientView) *DualScan {
	if v.DualScan == nil {
		v.DualScan = &DualScan{}
	}
	return v.DualScan
}

func updateSource(v *ClientView) *UpdateSourcePolicy {
	if v.UpdateSource == nil {
		v.UpdateSource = &UpdateSourcePolicy{}
	}
	return v.UpdateSource
}

func cloneDual(d *DualScan) *DualScan {
	if d == nil {
		return nil
	}
	c := *d
	return &c
}

func cloneSource(u *UpdateSourcePolicy) *UpdateSourcePolicy {
	if u == nil {
		return nil
	}
	c := *u
	return &c
}

func cloneServices(s *ClientServices) *ClientServices {
	if s == nil {
		return nil
	}
	c := *s
	return &c
}

// SortFacts orders facts by key, then name, for stable answers.
func SortFacts(fs []PolicyFact) {
	slices.SortStableFunc(fs, func(a, b PolicyFact) int {
		ka, kb := slices.Index(PolicyKeys(), a.Key), slices.Index(PolicyKeys(), b.Key)
		if ka != kb {
			return ka - kb
		}
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
}
