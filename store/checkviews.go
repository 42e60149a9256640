package store

import (
	"encoding/json"
	"sync"

	"github.com/wsusfleet/wsusfleet/probes"
)

// checkViews are the two reductions of a report's checks that are stored
// besides the checks themselves: the fleet strip's cells and the history's
// verdicts (VerdictOnly), as JSON packed for storing (packRun), once per
// cached view since a fleet repeats them.
type checkViews struct {
	cells, verdicts []byte // read-only: shared by every report with these views
}

// checkViewsOf encodes checks' views, or finds them encoded for an earlier
// report whose checks read the same: a fleet's servers report the same few
// verdicts over and over, and encoding the views afresh was ~15 µs of every
// report. The key holds every field the views read, length-prefixed
// (digestInput), so two check lists share it only when their views are the
// same bytes.
func checkViewsOf(checks []probes.VDirCheck) (checkViews, error) {
	k, put := borrowDigestInput()
	defer put()
	k.int(int64(len(checks)))
	for _, c := range checks {
		k.str(c.VDir)
		k.str(c.URL)
		k.status(c)
		k.str(c.Verdict)
		k.str(c.Reason)
	}
	viewMu.RLock()
	v, ok := viewCache[string(k.b)] // no copy of the key to look it up
	viewMu.RUnlock()
	if ok {
		return v, nil
	}
	cells, err := json.Marshal(probes.Cells(checks))
	if err != nil {
		return checkViews{}, err
	}
	verdicts := make([]probes.VDirCheck, len(checks))
	for i, c := range checks {
		verdicts[i] = c.VerdictOnly()
	}
	verdictsJSON, err := json.Marshal(verdicts)
	if err != nil {
		return checkViews{}, err
	}
	views := checkViews{cells: packRun(cells), verdicts: packRun(verdictsJSON)}
	viewMu.Lock()
	if len(viewCache) >= maxCheckViews {
		clear(viewCache)
	}
	viewCache[string(k.b)] = views
	viewMu.Unlock()
	return views, nil
}

// viewCache holds checkViewsOf's answers by key. It is emptied once it
// holds maxCheckViews (~1.5 KB each with its key): far more than a fleet's
// servers and vantages report while nothing changes, and views that vary
// (a slow check's reason names its time) only refill it.
var (
	viewMu    sync.RWMutex
	viewCache = map[string]checkViews{}
)

const maxCheckViews = 4096
