package store

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"
)

// checkpointEvery is how often the WAL is copied back into the database file.
const checkpointEvery = time.Second

// checkpointer moves SQLite's write-ahead log into the database file from its
// own connection, so the writer's commits only append to the WAL and fsync
// it: checkpoints inside commits made their latency swing. PASSIVE
// checkpoints never block the writer or readers.
type checkpointer struct {
	db   *sql.DB
	stop chan struct{}
	done chan struct{}
	log  *slog.Logger
}

func startCheckpointer(db *sql.DB, log *slog.Logger) *checkpointer {
	c := &checkpointer{db: db, stop: make(chan struct{}), done: make(chan struct{}), log: log}
	go c.loop()
	return c
}

func (c *checkpointer) loop() {
	defer close(c.done)
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
			if _, err := c.db.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
				c.log.Warn("sqlite checkpoint", "err", err)
			}
		}
	}
}

// close stops the loop and folds the whole WAL into the database file.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	_, err := c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(TRUNCATE)`)
	return errors.Join(err, c.db.Close())
}
