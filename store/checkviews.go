package store

import (
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/wsusfleet/wsusfleet/probes"
)

// checkViews are the two reductions of a report's checks that are stored
// besides the checks themselves: the fleet strip's cells and the history's
// verdicts (VerdictOnly), as JSON.
type checkViews struct{ cells, verdicts string }

// checkViewsOf encodes checks' views, or finds them encoded for an earlier
// report whose checks read the same: a fleet's servers report the same few
// verdicts over and over, and encoding the views afresh was ~15 µs of every
// report. The key holds every field the views read, length-prefixed
// (digestInput), so two check lists share it only when their views are the
// same bytes.
func checkViewsOf(checks []probes.VDirCheck) (checkViews, error) {
	var k digestInput
	k.int(int64(len(checks)))
	for _, c := range checks {
		k.str(c.VDir)
		k.str(c.URL)
		k.status(c)
		k.str(c.Verdict)
		k.str(c.Reason)
	}
	key := string(k.b)
	if v, ok := viewCache.Load(key); ok {
		return v.(checkViews), nil
	}
	cells, err := json.Marshal(probes.Cells(checks))
	if err != nil {
		return checkViews{}, err
	}
	verdicts := make([]probes.VDirCheck, len(checks))
	for i, c := range checks {
		verdicts[i] = c.VerdictOnly()
	}
	v, err := json.Marshal(verdicts)
	if err != nil {
		return checkViews{}, err
	}
	views := checkViews{cells: owned(cells), verdicts: owned(v)}
	if viewCacheSize.Add(1) > maxCheckViews {
		viewCache.Clear() // approximate under races: it bounds, it never answers wrongly
		viewCacheSize.Store(0)
	}
	viewCache.Store(key, views)
	return views, nil
}

// viewCache holds checkViewsOf's answers by key. It is emptied once it has
// taken maxCheckViews answers (~2 KB each with its key): far more than a
// fleet's servers and vantages report while nothing changes, and views that
// vary (a slow check's reason names its time) only refill it.
var (
	viewCache     sync.Map
	viewCacheSize atomic.Int64
)

const maxCheckViews = 4096
