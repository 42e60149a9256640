package store

import (
	"fmt"
	"reflect"
	"runtime"
	"testing"

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
