//go:build linux

package main

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"syscall"
	"time"
)

// settle flushes what earlier runs left to write before a measured run
// starts: PostgreSQL's dirty buffers (CHECKPOINT) and the kernel's dirty
// pages (sync). Left alone, a PostgreSQL run's checkpoint wrote for minutes
// beside the next run and slowed its fsyncs: SQLite pushes measured right
// after PostgreSQL ones ran ~20 % slower than the same binary alone.
var settleFailed sync.Once

func settle(ctx context.Context, pgBase string) {
	if pgBase != "" {
		if db, err := sql.Open("pgx", pgBase); err == nil {
			cctx, cancel := context.WithTimeout(ctx, time.Minute)
			if _, err := db.ExecContext(cctx, `CHECKPOINT`); err != nil {
				settleFailed.Do(func() { fmt.Println("   settle: no PostgreSQL CHECKPOINT before the runs:", err) })
			}
			cancel()
			db.Close()
		}
	}
	syscall.Sync()
}
