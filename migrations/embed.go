// Package migrations holds the numbered, plain-SQL schema migrations of each
// dialect. Both folders hold the same file names (a test checks); the store
// applies each file in one transaction and records it in schema_migrations.
package migrations

import "embed"

// FS holds sqlite/NNNN_name.sql and postgres/NNNN_name.sql.
//
//go:embed sqlite/*.sql postgres/*.sql
var FS embed.FS
