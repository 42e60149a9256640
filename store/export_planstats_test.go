package store

import "context"

// ScratchSizeAfterGaps stores n gap changes (for no existing client) the
// bulk way and returns the size on disk of the scratch table they went
// through, read in the same transaction right after.
func ScratchSizeAfterGaps(ctx context.Context, s *Store, n int) (size int64, err error) {
	changes := make([]gapChange, n)
	for i := range changes {
		changes[i] = gapChange{serverID: -1, key: string(rune('a' + i%26)), gap: "stale_report"}
	}
	err = s.write(ctx, func(ctx context.Context, t *wtx) error {
		if err := s.writeGaps(ctx, t, t.pipe(), changes); err != nil {
			return err
		}
		return t.QueryRowContext(ctx, `SELECT pg_relation_size('gap_changes')`).Scan(&size)
	})
	return size, err
}
