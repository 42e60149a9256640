package store_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/wsusfleet/wsusfleet/probes"
	"github.com/wsusfleet/wsusfleet/store"
	"github.com/wsusfleet/wsusfleet/store/storetest"
)

// TestUnavailable classifies real failures: a PostgreSQL nobody listens
// for, a read-only PostgreSQL session (what a standby answers), against the
// errors that are the request's own.
func TestUnavailable(t *testing.T) {
	st := storetest.OpenSQLite(t, store.Options{})
	for name, err := range map[string]error{
		"not found":  probes.ErrNotFound,
		"conflict":   probes.ErrConflict,
		"validation": probes.Invalid("/x", "bad"),
		"canceled":   context.Canceled,
		"other":      errors.New("something else"),
		"nil":        nil,
	} {
		if st.Unavailable(err) {
			t.Errorf("%s counted as an outage", name)
		}
	}
	if !st.Unavailable(context.DeadlineExceeded) {
		t.Errorf("a database that does not answer in time is unavailable")
	}

	// Nobody listens: connection refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = store.Open(ctx, "postgres://postgres@"+addr+"/test?sslmode=disable&connect_timeout=5", store.Options{})
	if err == nil || !st.Unavailable(err) {
		t.Errorf("PostgreSQL refusing connections: %v, want an outage", err)
	}

	if storetest.PostgresURL(t) == "" {
		return
	}
	// A read-only session on a migrated schema: reads work, writes are
	// refused with read_only_sql_transaction (25006), an outage.
	rw := storetest.PostgresSchemaURL(t)
	storetest.OpenDSN(t, rw, store.Options{})
	u, _ := url.Parse(rw)
	u.RawQuery += "&options=-c%20default_transaction_read_only%3Don" // pgx reads "+" literally
	ro, err := store.Open(ctx, u.String(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.ListServers(ctx); err != nil {
		t.Errorf("reading a read-only PostgreSQL: %v", err)
	}
	_, _, err = ro.CreateToken(ctx, "x", probes.ScopeRead)
	if err == nil || !ro.Unavailable(err) {
		t.Errorf("writing a read-only PostgreSQL: %v, want an outage", err)
	}
	if err := ro.Check(ctx); err == nil || !ro.Unavailable(err) {
		t.Errorf("Check on a read-only PostgreSQL: %v, want an outage", err)
	}
}
