package procmon

import (
	"strings"

	"github.com/wsusfleet/wsusfleet/probes"
)

// desiredAccess returns the access list of a Detail column's "Desired
// Access:" field ("Read Data/List Directory, Synchronize"), or "". ProcMon
// writes the fields as "Name: value, value, Name: value", so the list ends
// at the next item that names a field.
func desiredAccess(detail string) string {
	const key = "desired access:"
	i := indexFold(detail, key)
	if i < 0 {
		return ""
	}
	rest := detail[i+len(key):]
	var items []string
	for item := range strings.SplitSeq(rest, ",") {
		item = strings.TrimSpace(item)
		if strings.Contains(item, ":") {
			break
		}
		if item != "" {
			items = append(items, item)
		}
	}
	return strings.Join(items, ", ")
}

func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// Access words, lower-case, by the right a grant needs to satisfy them. The
// NTFS ones are FILE_* and GENERIC_* as ProcMon prints them; the registry
// ones KEY_*.
var (
	fullAccess  = []string{"generic all", "all access", "write dac", "write owner", "access system security"}
	writeAccess = []string{"write", "append", "add file", "add subdirectory", "delete", "set value", "create sub key", "create link"}
)

// writeOperations change a file or key even when no access is logged.
var writeOperations = []string{"WriteFile", "SetInformationFile", "SetBasicInformationFile", "SetRenameInformationFile",
	"SetDispositionInformationFile", "SetEndOfFileInformationFile", "SetAllocationInformationFile", "CreateFileMapping",
	"RegSetValue", "RegCreateKey", "RegDeleteKey", "RegDeleteValue", "RegSetInfoKey"}

// accessRight is the right that satisfies what a denied row asked for: Full
// Control for ownership and ACL changes (or everything), Modify for writes
// (Full Control on a registry key, which has nothing between), read &
// execute (read for a key) otherwise.
func accessRight(access, operation string, registry bool) string {
	a := strings.ToLower(access)
	write := slicesContainsFold(writeOperations, operation)
	switch {
	case containsAny(a, fullAccess) || strings.EqualFold(operation, "SetSecurityFile"):
		return probes.RightFullControl
	case containsAny(a, writeAccess) || write:
		if registry {
			return probes.RightFullControl
		}
		return probes.RightModify
	case registry:
		return probes.RightReadKey
	}
	return probes.RightReadAndExecute
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
