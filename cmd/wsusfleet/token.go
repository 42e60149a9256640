package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/wsusfleet/wsusfleet/store"
)

func cmdToken(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "Usage: wsusfleet token create --name NAME --scope client|ingest|read|admin | token list | token revoke --id ID")
		return usageError("token: give create, list or revoke")
	}
	switch args[0] {
	case "create":
		return tokenCreate(ctx, args[1:], getenv, stdout, stderr)
	case "list":
		return tokenList(ctx, args[1:], getenv, stdout, stderr)
	case "revoke":
		return tokenRevoke(ctx, args[1:], getenv, stdout, stderr)
	}
	return usageError(fmt.Sprintf("token: unknown action %q (create, list or revoke)", args[0]))
}

func tokenStore(ctx context.Context, db string) (*store.Store, error) {
	return openStore(ctx, db, store.Options{})
}

// tokenCreate prints the secret as the last line of its output, so scripts
// can take it with tail -n 1; only its SHA-256 is stored.
func tokenCreate(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlags("token create", "Create an API token; the secret is shown once, as the last line.", stderr)
	name := fs.String("name", "", "what the token is for, e.g. wsus01-collector (required)")
	scope := fs.String("scope", "", "client (Windows clients: their own reports only), ingest (collectors on WSUS servers), read (people, API readers) or admin (required)")
	db := fs.String("db", "sqlite:wsusfleet.db", "database: sqlite:PATH or postgres://user@host/db")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if *name == "" {
		return usageError("--name is required")
	}
	if *scope == "" {
		return usageError("--scope is required: client, ingest, read or admin")
	}
	st, err := tokenStore(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	secret, tok, err := st.CreateToken(ctx, *name, *scope)
	if err != nil {
		return usageError(fmt.Sprintf("--name/--scope: %v", err))
	}
	fmt.Fprintf(stdout, "created token %d %q with scope %s; store it now, it is not shown again:\n%s\n", tok.ID, tok.Name, tok.Scope, secret)
	return nil
}

func tokenList(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlags("token list", "List API tokens (never their secrets).", stderr)
	db := fs.String("db", "sqlite:wsusfleet.db", "database: sqlite:PATH or postgres://user@host/db")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	st, err := tokenStore(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	toks, err := st.Tokens(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSCOPE\tTOKEN\tCREATED\tLAST USED\tREVOKED")
	when := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format("2006-01-02 15:04Z")
	}
	for _, t := range toks {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Scope, t.Hint, when(&t.CreatedAt), when(t.LastUsedAt), when(t.RevokedAt))
	}
	return tw.Flush()
}

func tokenRevoke(ctx context.Context, args []string, getenv env, stdout, stderr io.Writer) error {
	fs := newFlags("token revoke", "Revoke an API token at once; dashboard sessions signed in with it end too.", stderr)
	id := fs.String("id", "", "the token's ID from token list (required)")
	db := fs.String("db", "sqlite:wsusfleet.db", "database: sqlite:PATH or postgres://user@host/db")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	n, err := strconv.ParseInt(*id, 10, 64)
	if err != nil || n <= 0 {
		return usageError(fmt.Sprintf("--id: %q is not a token ID (see wsusfleet token list)", *id))
	}
	st, err := tokenStore(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.RevokeToken(ctx, n); err != nil {
		return fmt.Errorf("--id %d: %w", n, err)
	}
	fmt.Fprintf(stdout, "revoked token %d\n", n)
	return nil
}
