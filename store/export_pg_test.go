package store

import "database/sql"

// SQLDB is the store's pool (on PostgreSQL, writes' too), for tests that
// look at the schema.
func SQLDB(s *Store) *sql.DB { return s.db }
