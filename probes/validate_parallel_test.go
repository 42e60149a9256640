package probes

import (
	"reflect"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// A long list validated by several goroutines gives the very problems, in
// the same order and with the same count left unlisted, as one pass does.
func TestLongListValidatedInParallelAsInOnePass(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	for _, every := range []int{997, 7} { // a few problems in every chunk; far more than are listed
		items := make([]Client, 3*parallelItems)
		for i := range items {
			items[i] = Client{Name: "pc" + strconv.Itoa(i) + ".corp.example", LastSyncResult: "Succeeded"}
			if i%every == 3 {
				items[i].Name = ""
			}
			if i%(every+2) == 5 {
				items[i].LastSyncResult = "fine"
			}
		}
		r, err := Decode[Report]([]byte(minimal("", "")), now)
		if err != nil {
			t.Fatal(err)
		}
		r.Clients = &ClientList{Complete: true, Items: items}
		prev := runtime.GOMAXPROCS(1)
		serial := r.Validate(now)
		runtime.GOMAXPROCS(4)
		parallel := r.Validate(now)
		runtime.GOMAXPROCS(prev)
		if serial == nil || !reflect.DeepEqual(serial, parallel) {
			t.Errorf("every %d: one pass %v\nparallel %v", every, serial, parallel)
		}
	}
}
