package procmon

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/wsusfleet/wsusfleet/probes"
)

// The processes the guide looks at: the WsusPool worker, the WSUS service and
// SQL Server (also the Windows Internal Database).
var wsusProcesses = []string{"w3wp.exe", "WsusService.exe", "sqlservr.exe"}

// Memory bounds: groups and process names beyond these are only counted.
const (
	maxTrackedGroups = 50_000
	maxTrackedOthers = 10_000
	maxTimeBytes     = 40 // matches Denial.First/Last
	maxProcessBytes  = 256
	maxOperationByte = 64
	maxUserBytes     = 256 // matches Denial.User
	maxAccessBytes   = 256 // matches Denial.Access
)

// otherProcesses names the folded remainder of OtherProcesses.
const otherProcesses = "(other processes)"

// groupKey: process, user and path lower-cased (Windows names are
// case-insensitive); one grant answers one process, user and path.
type groupKey struct{ process, user, path, operation string }

type group struct {
	key                      groupKey
	process, path, operation string // as first seen, cleaned
	user                     string // as first seen, cleaned; "" when the capture has no User column
	access                   string // the first Desired Access logged, cleaned
	right                    string // the widest right any row asked for
	count                    int64
	first, last              string
}

// capturedRow is one data row of the capture, by column.
type capturedRow struct {
	process, operation, path, result, timeOfDay, user, detail string
}

type processCount struct {
	name  string
	count int64
}

// digester applies the guide's filter row by row and groups what it keeps.
type digester struct {
	rows, denied, kept int64
	untracked          int64 // kept rows of groups beyond maxTrackedGroups
	groups             map[groupKey]*group
	others             map[string]*processCount
	othersUntracked    int64
}

func newDigester() *digester {
	return &digester{groups: map[groupKey]*group{}, others: map[string]*processCount{}}
}

func (d *digester) add(r capturedRow) {
	d.rows++
	// The guide's ProcMon filter: Result contains DENIED, exclude Path contains CERTIFICATE.
	if !containsFold(r.result, "DENIED") || containsFold(r.path, "CERTIFICATE") {
		return
	}
	d.denied++
	process, operation, path, timeOfDay := strings.TrimSpace(r.process), r.operation, r.path, r.timeOfDay
	if !slices.ContainsFunc(wsusProcesses, func(p string) bool { return strings.EqualFold(p, process) }) {
		d.other(process)
		return
	}
	d.kept++
	user := strings.TrimSpace(r.user)
	key := groupKey{strings.ToLower(process), strings.ToLower(user), strings.ToLower(path), operation}
	g := d.groups[key]
	if g == nil {
		if len(d.groups) >= maxTrackedGroups {
			d.untracked++
			return
		}
		// Clone: the record's strings share one buffer per line.
		key = groupKey{strings.Clone(key.process), strings.Clone(key.user), strings.Clone(key.path), strings.Clone(key.operation)}
		g = &group{
			key:       key,
			process:   orDefault(clean(process, maxProcessBytes), "(no process name)"),
			path:      orDefault(clean(path, probes.MaxDenialPathBytes), "(no path)"),
			operation: orDefault(clean(operation, maxOperationByte), "(no operation)"),
			user:      clean(user, maxUserBytes),
			access:    clean(desiredAccess(r.detail), maxAccessBytes),
			first:     clean(timeOfDay, maxTimeBytes),
		}
		d.groups[key] = g
	}
	if right := accessRight(desiredAccess(r.detail), operation, probes.IsRegistryPath(path)); probes.RightRank(right) > probes.RightRank(g.right) {
		g.right = right
	}
	g.count++
	if g.count == 1 {
		g.last = g.first
	} else if timeOfDay != "" {
		g.last = clean(timeOfDay, maxTimeBytes)
	}
}

func (d *digester) other(process string) {
	key := strings.ToLower(process)
	if pc := d.others[key]; pc != nil {
		pc.count++
		return
	}
	if len(d.others) >= maxTrackedOthers {
		d.othersUntracked++
		return
	}
	d.others[strings.Clone(key)] = &processCount{name: orDefault(clean(process, maxProcessBytes), "(no process name)"), count: 1}
}

// digest sorts and bounds the groups and attaches the remediation of each
// listed one.
func (d *digester) digest() *probes.DenialDigest {
	out := &probes.DenialDigest{Rows: d.rows, Denied: d.denied, Kept: d.kept, Unlisted: d.untracked,
		OtherProcesses: []probes.ProcessCount{}, Groups: []probes.Denial{}}

	groups := make([]*group, 0, len(d.groups))
	for _, g := range d.groups {
		groups = append(groups, g)
	}
	slices.SortFunc(groups, func(a, b *group) int {
		return cmp.Or(cmp.Compare(b.count, a.count), cmp.Compare(a.key.process, b.key.process),
			cmp.Compare(a.key.path, b.key.path), cmp.Compare(a.key.operation, b.key.operation))
	})
	for i, g := range groups {
		if i >= probes.MaxDenialGroups {
			out.Unlisted += g.count
			continue
		}
		who, assumed := deniedUser(g.process, g.user)
		right, why, steps := "", "the row names no path: nothing to grant", []probes.Step{}
		if g.key.path != "" {
			right, why, steps = remedy(g.process, who, g.operation, g.path, g.right)
		}
		if assumed {
			why += "; the capture has no User column, so the account is " + who.Name + ", the usual identity of " + g.process
		}
		out.Groups = append(out.Groups, probes.Denial{
			Process: g.process, Path: g.path, Operation: g.operation, Count: g.count, First: g.first, Last: g.last,
			User: clean(who.Name, maxUserBytes), UserAssumed: assumed, Access: g.access,
			Right: right, Why: why, Remediation: steps,
		})
	}

	others := make([]*processCount, 0, len(d.others))
	for _, pc := range d.others {
		others = append(others, pc)
	}
	slices.SortFunc(others, func(a, b *processCount) int {
		return cmp.Or(cmp.Compare(b.count, a.count), cmp.Compare(a.name, b.name))
	})
	limit, rest := probes.MaxOtherProcesses, d.othersUntracked
	if len(others) > limit || rest > 0 {
		limit-- // room for the folded remainder
	}
	for i, pc := range others {
		if i >= limit {
			rest += pc.count
			continue
		}
		out.OtherProcesses = append(out.OtherProcesses, probes.ProcessCount{Process: pc.name, Count: pc.count})
	}
	if rest > 0 {
		out.OtherProcesses = append(out.OtherProcesses, probes.ProcessCount{Process: otherProcesses, Count: rest})
	}
	return out
}

// containsFold reports whether s contains the upper-case ASCII word sub,
// ignoring ASCII case, without allocating (it runs on every row).
func containsFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		j := 0
		for ; j < len(sub); j++ {
			c := s[i+j]
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == len(sub) {
			return true
		}
	}
	return false
}

// clean makes untrusted text storable: valid UTF-8, no control characters,
// at most max bytes (cut on a rune boundary, marked with …), and a copy.
func clean(s string, max int) string {
	s = strings.TrimSpace(s)
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if len(s) > max {
		cut := max - len("…")
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.Clone(s)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
