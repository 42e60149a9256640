package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
)

// A long client list prepared by several goroutines gets the keys, groups
// and digests one goroutine gives it.
func TestClientListPreparedInParallelAsInOnePass(t *testing.T) {
	items := make([]probes.Client, 10_000)
	for i := range items {
		items[i] = probes.Client{Name: fmt.Sprintf("pc%05d.corp.example", i), IP: fmt.Sprintf("10.0.%d.%d", i>>8, i&255)}
		if i%2 == 0 {
			items[i].ID = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
			items[i].Groups = []string{"Ring " + fmt.Sprint(i%5)}
		}
	}
	prev := runtime.GOMAXPROCS(1)
	one := newClientList(&probes.ClientList{Items: items})
	runtime.GOMAXPROCS(4)
	many := newClientList(&probes.ClientList{Items: items})
	runtime.GOMAXPROCS(prev)
	if !samePrepared(one, many) {
		t.Fatal("prepared differently by one goroutine and by several")
	}
	if one.keys[1] != items[1].Key() || one.groups[0] != `["Ring 0"]` || one.groups[1] != "[]" || one.digests[0] == one.digests[2] {
		t.Errorf("keys %q, groups %q %q, digests %d %d", one.keys[1], one.groups[0], one.groups[1], one.digests[0], one.digests[2])
	}
}

func samePrepared(a, b *clientList) bool {
	return reflect.DeepEqual(a.items, b.items) && reflect.DeepEqual(a.keys, b.keys) &&
		reflect.DeepEqual(a.groups, b.groups) && reflect.DeepEqual(a.digests, b.digests)
}

// Each target's groups are its own, encoded (a run of targets with the same
// groups shares one encoding), and its digest is digestRow of its row: the
// digests stored before must match those of the same facts now.
func TestClientListGroupsAndDigestsAsRowsHaveThem(t *testing.T) {
	at := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	groups := [][]string{nil, {"Ring 1"}, {"Ring 1"}, nil, {"Ring 1"}, {"Ring 1", "<b>&"}, {}, {"Ring 1", "<b>&"}, {"Ring 2"}, {"Ring 1"}}
	items := make([]probes.Client, 10_000)
	for i := range items {
		items[i] = probes.Client{Name: fmt.Sprintf("pc%05d.corp.example", i), Groups: groups[i%len(groups)], OS: "Windows 11",
			LastSyncResult: "Succeeded", RequestedGroup: fmt.Sprint("r", i%3)}
		if i%3 != 0 {
			items[i].ID = fmt.Sprintf("{00000000-0000-4000-8000-%012d}", i)
			items[i].LastReport = probes.TimeOf(at.Add(-time.Duration(i) * time.Minute))
		}
		if i%4 == 0 {
			items[i].LastSync = probes.TimeOf(at)
		}
	}
	l := newClientList(&probes.ClientList{Items: items})
	row := make([]any, len(clientColumnList))
	for i := range items {
		want := "[]"
		if len(items[i].Groups) > 0 {
			b, _ := json.Marshal(items[i].Groups)
			want = string(b)
		}
		if l.groups[i] != want {
			t.Fatalf("item %d: groups %s, want %s", i, l.groups[i], want)
		}
		if d := digestRow(l.row(i, row)[2:12]); l.digests[i] != d {
			t.Fatalf("item %d: digest %d, digestRow %d", i, l.digests[i], d)
		}
	}
	if l.digests[1] == l.digests[2] || l.digests[0] == l.digests[3] {
		t.Error("two targets' digests alike")
	}
}

// digestRow hashes a row's facts (strings, int64s and NULLs) with hash/fnv:
// the reference digestClient must agree with (what merges stored).
func digestRow(vals []any) int64 {
	h := fnv.New64a()
	var buf [9]byte
	for _, v := range vals {
		switch v := v.(type) {
		case string:
			buf[0] = 's'
			h.Write(buf[:1])
			h.Write([]byte(v))
			buf[0] = 0
			h.Write(buf[:1])
		case int64:
			buf[0] = 'i'
			binary.LittleEndian.PutUint64(buf[1:], uint64(v))
			h.Write(buf[:])
		default: // NULL
			buf[0] = 'n'
			h.Write(buf[:1])
		}
	}
	return int64(h.Sum64())
}
