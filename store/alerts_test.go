package store_test

import (
	"testing"

	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// TestAlertConformance runs the alerting behaviours on every dialect.
func TestAlertConformance(t *testing.T) {
	for name, open := range storetest.Dialects(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			storetest.RunAlerts(t, open)
		})
	}
}
