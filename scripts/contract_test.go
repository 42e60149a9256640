package scripts

import (
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/wsusfleet/wsusfleet/probes"
)

// collector is one script with the document type it emits.
type collector struct {
	File    string
	Root    reflect.Type // the document type: probes.Report, ClientReport or Inventory
	Regions []string     // shared regions the script must contain
	Main    string       // the function that collects and sends
}

var collectors = []collector{
	{"Send-WsusFleetReport.ps1", reflect.TypeFor[probes.Report](), []string{"preamble", "common", "windows-checks"}, "Invoke-WfServerReport"},
	{"Send-WsusFleetClientReport.ps1", reflect.TypeFor[probes.ClientReport](), []string{"preamble", "common", "windows-checks"}, "Invoke-WfClientReport"},
	{"Export-WsusFleetInventory.ps1", reflect.TypeFor[probes.Inventory](), []string{"preamble", "common"}, "Invoke-WfInventory"},
}

var (
	scriptCache sync.Map // file -> *psScript
	timeType    = reflect.TypeFor[probes.Time]()
)

func loadScript(tb testing.TB, file string) *psScript {
	tb.Helper()
	if s, ok := scriptCache.Load(file); ok {
		return s.(*psScript)
	}
	s := readScript(tb, file)
	scriptCache.Store(file, s)
	return s
}

// goField is one JSON property of a probes type.
type goField struct {
	Name     string
	Type     reflect.Type
	Required bool
	Enum     string // the enum of its `v:"enum=..."` tag, if any
}

// structTypes returns the struct types reachable from root by name
// (probes.Time is a value, not an object).
func structTypes(root reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t == timeType {
			return
		}
		if _, seen := out[t.Name()]; seen {
			return
		}
		out[t.Name()] = t
		for _, f := range jsonFields(t) {
			walk(f.Type)
		}
	}
	walk(root)
	return out
}

var reEnumTag = regexp.MustCompile(`(?:^|,)enum=(\w+)`)

// jsonFields lists the JSON properties of a struct type in declaration order.
func jsonFields(t reflect.Type) []goField {
	var out []goField
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if !sf.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		tag, _, _ := strings.Cut(sf.Tag.Get("v"), "each=")
		f := goField{Name: name, Type: sf.Type, Required: slices.Contains(strings.Split(tag, ","), "required")}
		if m := reEnumTag.FindStringSubmatch(tag); m != nil {
			f.Enum = m[1]
		}
		out = append(out, f)
	}
	return out
}

func fieldByName(t reflect.Type, name string) (goField, bool) {
	for _, f := range jsonFields(t) {
		if f.Name == name {
			return f, true
		}
	}
	return goField{}, false
}

// goEnumValues returns the values the dashboard accepts for an enum, read
// from the published JSON Schema of a field tagged with it.
func goEnumValues(tb testing.TB, enum string) []string {
	tb.Helper()
	schema := probes.DocumentSchema()
	defs := schema["$defs"].(map[string]any)
	for _, c := range collectors {
		for name, t := range structTypes(c.Root) {
			for _, f := range jsonFields(t) {
				if f.Enum != enum {
					continue
				}
				prop := defs[name].(map[string]any)["properties"].(map[string]any)[f.Name].(map[string]any)
				values, ok := prop["enum"].([]string)
				if !ok {
					tb.Fatalf("schema of %s.%s has no enum list", name, f.Name)
				}
				return values
			}
		}
	}
	tb.Fatalf("no probes field uses enum %q", enum)
	return nil
}

func TestScriptsAreASCII(t *testing.T) {
	// Windows PowerShell 5.1 reads a script without a BOM in the ANSI code
	// page of the machine: only ASCII means the same on every Windows.
	for _, c := range collectors {
		s := loadScript(t, c.File)
		for i, line := range strings.Split(s.Text, "\n") {
			for _, r := range line {
				if r > 0x7e || (r < 0x20 && r != '\t' && r != '\r') {
					t.Errorf("%s:%d: non-ASCII or control character %q", c.File, i+1, r)
					break
				}
			}
		}
	}
}

func TestNameTablesMatchGoTypes(t *testing.T) {
	for _, c := range collectors {
		s := loadScript(t, c.File)
		types := structTypes(c.Root)
		if _, ok := s.Names[c.Root.Name()]; !ok {
			t.Errorf("%s: $WfNames has no entry for its document type %s", c.File, c.Root.Name())
		}
		for typeName, names := range s.Names {
			gt, ok := types[typeName]
			if !ok {
				t.Errorf("%s: $WfNames.%s: no probes type of that name is part of a %s", c.File, typeName, c.Root.Name())
				continue
			}
			seen := map[string]bool{}
			for _, n := range names {
				if seen[n] {
					t.Errorf("%s: $WfNames.%s lists %q twice", c.File, typeName, n)
				}
				seen[n] = true
				if _, ok := fieldByName(gt, n); !ok {
					t.Errorf("%s: $WfNames.%s.%s: probes.%s has no json property %q (the dashboard would reject it)", c.File, typeName, n, typeName, n)
				}
			}
			for _, f := range jsonFields(gt) {
				if f.Required && !seen[f.Name] {
					t.Errorf("%s: $WfNames.%s lacks %q, which probes.%s requires", c.File, typeName, f.Name, typeName)
				}
			}
		}
	}
}

func TestCallSitesUseTableNames(t *testing.T) {
	reEnumValue := regexp.MustCompile(`^\(?Get-WfEnum\s+(\w+)`)
	for _, c := range collectors {
		s := loadScript(t, c.File)
		types := structTypes(c.Root)
		emitted := map[string]bool{} // "Type.name"
		checkValue := func(where, typeName, name, value string) {
			f, ok := fieldByName(types[typeName], name)
			if !ok {
				return // reported by the name check
			}
			m := reEnumValue.FindStringSubmatch(value)
			switch {
			case f.Enum != "" && m == nil:
				t.Errorf("%s: %s.%s is an enum (%s): its value must be a Get-WfEnum %s call; got %q", where, typeName, name, f.Enum, f.Enum, value)
			case f.Enum != "" && m[1] != f.Enum:
				t.Errorf("%s: %s.%s takes enum %s, but the value comes from Get-WfEnum %s", where, typeName, name, f.Enum, m[1])
			case f.Enum == "" && m != nil:
				t.Errorf("%s: %s.%s is not an enum, but its value comes from Get-WfEnum %s", where, typeName, name, m[1])
			}
		}
		inTable := func(where, typeName, name string) bool {
			names, ok := s.Names[typeName]
			if !ok {
				t.Errorf("%s: type %s is not in $WfNames", where, typeName)
				return false
			}
			if !slices.Contains(names, name) {
				t.Errorf("%s: %s.%s is not in $WfNames.%s (New-WfObject would throw)", where, typeName, name, typeName)
				return false
			}
			emitted[typeName+"."+name] = true
			return true
		}
		if len(s.Objects) == 0 {
			t.Fatalf("%s: no New-WfObject call found; has the scanner broken?", c.File)
		}
		for _, o := range s.Objects {
			where := c.File + ":" + strconv.Itoa(o.Line)
			dup := map[string]bool{}
			for _, k := range o.Keys {
				if dup[k.Name] {
					t.Errorf("%s: New-WfObject %s sets %q twice", where, o.Type, k.Name)
				}
				dup[k.Name] = true
				if inTable(c.File+":"+strconv.Itoa(k.Line), o.Type, k.Name) {
					checkValue(c.File+":"+strconv.Itoa(k.Line), o.Type, k.Name, k.Value)
				}
			}
			if len(o.Keys) == 0 {
				t.Errorf("%s: New-WfObject %s with no properties (scanner or script broken)", where, o.Type)
			}
		}
		for _, p := range s.Props {
			where := c.File + ":" + strconv.Itoa(p.Line)
			if inTable(where, p.Type, p.Name) && p.Value != "" {
				checkValue(where, p.Type, p.Name, p.Value)
			}
		}
		// Every name in the table is written somewhere: the table is exactly
		// what the script emits, no more.
		for typeName, names := range s.Names {
			for _, n := range names {
				if !emitted[typeName+"."+n] {
					t.Errorf("%s: $WfNames.%s.%s is never written by the script", c.File, typeName, n)
				}
			}
		}
	}
}

func TestEnumValuesAreAccepted(t *testing.T) {
	for _, c := range collectors {
		s := loadScript(t, c.File)
		if len(s.Enums) == 0 {
			t.Fatalf("%s: no $WfEnums table", c.File)
		}
		for enum, values := range s.Enums {
			allowed := goEnumValues(t, enum)
			for _, v := range values {
				if !slices.Contains(allowed, v) {
					t.Errorf("%s: $WfEnums.%s has %q; the dashboard accepts %v", c.File, enum, v, allowed)
				}
			}
		}
		if len(s.EnumUses) == 0 {
			t.Fatalf("%s: no Get-WfEnum call found; has the scanner broken?", c.File)
		}
		for _, u := range s.EnumUses {
			values, ok := s.Enums[u.Enum]
			if !ok {
				t.Errorf("%s:%d: Get-WfEnum %s: not in $WfEnums", c.File, u.Line, u.Enum)
				continue
			}
			for _, lit := range u.Literals {
				if !slices.Contains(values, lit) {
					t.Errorf("%s:%d: Get-WfEnum %s %q: not one of %v", c.File, u.Line, u.Enum, lit, values)
				}
			}
		}
	}
}

func TestSharedRegionsAreIdentical(t *testing.T) {
	copies := map[string]map[string]string{} // region -> file -> text
	for _, c := range collectors {
		s := loadScript(t, c.File)
		for _, want := range c.Regions {
			if _, ok := s.Regions[want]; !ok {
				t.Errorf("%s: missing region shared: %s", c.File, want)
			}
		}
		for name, text := range s.Regions {
			if copies[name] == nil {
				copies[name] = map[string]string{}
			}
			copies[name][c.File] = text
		}
	}
	for name, byFile := range copies {
		files := make([]string, 0, len(byFile))
		for f := range byFile {
			files = append(files, f)
		}
		sort.Strings(files)
		for _, f := range files[1:] {
			if byFile[f] != byFile[files[0]] {
				t.Errorf("region shared: %s differs between %s and %s (%s); copy it unchanged", name, files[0], f, firstDiff(byFile[files[0]], byFile[f]))
			}
		}
	}
}

func TestVDirPathsMatchReference(t *testing.T) {
	want := probes.VDirs()
	for _, c := range collectors {
		s := loadScript(t, c.File)
		if !slices.Contains(c.Regions, "windows-checks") {
			continue
		}
		if len(s.VDirPaths) != len(want) {
			t.Fatalf("%s: $WfVDirPaths has %d vDirs; probes.VDirs has %d", c.File, len(s.VDirPaths), len(want))
		}
		for i, v := range want {
			if got := s.VDirPaths[i]; got[0] != v.Name || got[1] != v.Path {
				t.Errorf("%s: $WfVDirPaths[%d] = %s %s; want %s %s", c.File, i, got[0], got[1], v.Name, v.Path)
			}
		}
	}
}

// TestScannerFindsTheObviousMistakes guards the scanner itself: a typo in a
// property name, an enum literal the dashboard does not know, and a plain
// string where an enum belongs must each be reported.
func TestScannerFindsTheObviousMistakes(t *testing.T) {
	src := `
$script:WfNames = @{
    Service = @('name', 'state', 'start_type')
}
$script:WfEnums = @{
    service_state = @('Running')
}
# New-WfObject Service @{ nmae = 'in a comment, ignored' }
$x = New-WfObject Service @{
    nmae       = 'x'   # typo
    state      = 'Running'
    start_type = Get-WfEnum service_state 'Runing'
}`
	s := &psScript{}
	lines := strings.Split(src, "\n")
	s.Names, _ = parseListTable(lines, `$script:WfNames = @{`)
	s.Enums, _ = parseListTable(lines, `$script:WfEnums = @{`)
	if err := s.scanCode(stripComments(src)); err != nil {
		t.Fatal(err)
	}
	if len(s.Objects) != 1 {
		t.Fatalf("found %d objects, want 1 (the commented one must be ignored)", len(s.Objects))
	}
	var keys []string
	for _, k := range s.Objects[0].Keys {
		keys = append(keys, k.Name+"="+k.Value)
	}
	want := []string{"nmae='x'", "state='Running'", "start_type=Get-WfEnum service_state 'Runing'"}
	if !slices.Equal(keys, want) {
		t.Errorf("keys = %q; want %q", keys, want)
	}
	if len(s.EnumUses) != 1 || s.EnumUses[0].Enum != "service_state" || !slices.Equal(s.EnumUses[0].Literals, []string{"Runing"}) {
		t.Errorf("enum uses = %+v", s.EnumUses)
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return "first difference at region line " + strconv.Itoa(i+1)
		}
	}
	return "one is longer"
}
