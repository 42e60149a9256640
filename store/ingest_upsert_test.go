package store

import (
	"context"
	"path/filepath"
	"testing"
)

// upsertServer runs its upsert without RETURNING and reads the row back: it
// must still give each name one id, and say "repeat" exactly when the
// inputs digest is the one stored by the name's previous report.
func TestUpsertServerIDsAndRepeats(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "u.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name, inputs string
		wantRepeat   bool
	}{
		{"a.corp.example", "d1", false}, // new server
		{"b.corp.example", "d1", false}, // another new one: its own id
		{"a.corp.example", "d1", true},  // the same inputs again
		{"a.corp.example", "d1", true},
		{"a.corp.example", "d2", false}, // changed inputs
		{"a.corp.example", "", false},   // no digest never repeats
		{"a.corp.example", "", false},
		{"b.corp.example", "d1", true},
	}
	ids := map[string]int64{}
	for i, st := range steps {
		err := s.write(ctx, func(ctx context.Context, tx *wtx) error {
			id, repeat, err := upsertServer(ctx, tx, st.name, "http://"+st.name+":8530", int64(1000+i), st.inputs)
			if err != nil {
				return err
			}
			if want, ok := ids[st.name]; ok && id != want {
				t.Errorf("step %d: %s has id %d, earlier %d", i, st.name, id, want)
			}
			ids[st.name] = id
			if repeat != st.wantRepeat {
				t.Errorf("step %d (%s, %q): repeat %v, want %v", i, st.name, st.inputs, repeat, st.wantRepeat)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if ids["a.corp.example"] == ids["b.corp.example"] {
		t.Errorf("two servers share id %d", ids["a.corp.example"])
	}
	var last int64
	if err := s.db.QueryRowContext(ctx, `SELECT last_report_at FROM servers WHERE name = 'a.corp.example'`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	if last != 1006 {
		t.Errorf("last_report_at %d, want 1006", last)
	}
}
