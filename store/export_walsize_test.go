package store

// SetWALSizeLimit changes what stores opened afterwards cut their WAL file
// back to (walSizeLimit); restore puts the default back.
func SetWALSizeLimit(n int64) (restore func()) {
	old := walSizeLimit
	walSizeLimit = n
	return func() { walSizeLimit = old }
}

// CheckpointNow runs the checkpointer's passive checkpoint at once.
func CheckpointNow(s *Store) error {
	_, err := s.ckpt.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
	return err
}
