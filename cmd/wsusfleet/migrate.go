package main

import (
	"context"
	"fmt"
	"io"

	"github.com/wsusfleet/wsusfleet/store"
)

func cmdMigrate(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", "Apply the database migrations and exit (serve also migrates on start).", stderr)
	db := fs.String("db", "sqlite:wsusfleet.db", "database: sqlite:PATH or postgres://user@host/db")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if _, _, err := store.ParseDSN(*db); err != nil {
		return usageError(err.Error())
	}
	st, err := store.Open(ctx, *db, store.Options{})
	if err != nil {
		return fmt.Errorf("--db: %w", err)
	}
	defer st.Close()
	applied, err := st.Migrate(ctx)
	for _, name := range applied {
		fmt.Fprintln(stdout, "applied", name)
	}
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "database is up to date")
	}
	return nil
}
