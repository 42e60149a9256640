package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// Unavailable reports whether err means the database cannot serve right now
// — unreachable, restarting, out of connections, read-only, busy, out of
// disk — rather than that the request was wrong: the caller should answer
// "try again later" (503), not "internal error".
func (s *Store) Unavailable(err error) bool { return unavailable(err) }

func unavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, errClosed) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.EROFS) || errors.Is(err, syscall.ENOSPC) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true // any network failure between us and the database
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || pgconn.Timeout(err) || errors.Is(err, pgconn.ErrConnClosed) { // a pooled connection the database dropped
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"): // connection exception
			return true
		case strings.HasPrefix(pe.Code, "53"): // insufficient resources: disk full, out of memory, too many connections
			return true
		}
		switch pe.Code {
		case "57P01", "57P02", "57P03", // admin shutdown, crash shutdown, cannot connect now
			"25006",          // read-only transaction (a standby, or default_transaction_read_only)
			"40001", "40P01", // still conflicting after the retries
			"55P03", "57014": // lock not available, statement timeout
			return true
		}
		return false
	}
	var le *sqlite.Error
	if errors.As(err, &le) {
		switch le.Code() & 0xff { // the primary result code
		case 5, 6, // SQLITE_BUSY, SQLITE_LOCKED: another process holds the database
			7,  // SQLITE_NOMEM
			8,  // SQLITE_READONLY: the file or its folder cannot be written
			10, // SQLITE_IOERR: the disk failed under it
			13, // SQLITE_FULL: no space left
			14: // SQLITE_CANTOPEN
			return true
		}
	}
	return false
}

// Check tells whether the database serves both reads and writes right now:
// Ready, then a harmless write (clearing ended sessions and sign-in
// attempts), so a database that answers but cannot be written — a
// read-only file or standby — is not taken for a healthy one.
func (s *Store) Check(ctx context.Context) error {
	if err := s.Ready(ctx); err != nil {
		return err
	}
	if err := s.write(ctx, sweepSessions); err != nil {
		return fmt.Errorf("database not writable: %w", err)
	}
	return nil
}
