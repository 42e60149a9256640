-- Identity: every name a server is known by, so a client's WUServer, a
-- downstream's upstream or a prober's URL finds it whether it uses the full
-- name, the NetBIOS short name, a CNAME or an IP address.
CREATE TABLE server_names (
    server_id BIGINT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    name      TEXT   NOT NULL,  -- lower-case host name, short name or IP address
    kind      TEXT   NOT NULL,  -- name, url, alias, address or short (probes.NameKind*)
    PRIMARY KEY (server_id, name)
);
CREATE INDEX server_names_name ON server_names(name);
-- Existing servers by name, URL host and their short names; aliases and
-- addresses arrive with their next report (every report re-reads them).
INSERT INTO server_names (server_id, name, kind) SELECT id, name, 'name' FROM servers;
INSERT INTO server_names (server_id, name, kind) SELECT id, host, 'url' FROM servers WHERE host <> '' AND host <> name;
INSERT INTO server_names (server_id, name, kind)
    SELECT server_id, split_part(name, '.', 1), 'short' FROM server_names
    WHERE strpos(name, '.') > 1 AND strpos(name, ':') = 0 AND name ~ '[^0-9.]'
    ON CONFLICT DO NOTHING;

-- server_names holds the URL's host now.
DROP INDEX servers_host;
ALTER TABLE servers DROP COLUMN host;

-- The ports a server serves clients on and whether it is in SSL mode, from
-- its report (else its URL): what a client's WUServer is judged against.
ALTER TABLE servers ADD COLUMN http_port BIGINT;
ALTER TABLE servers ADD COLUMN https_port BIGINT;
ALTER TABLE servers ADD COLUMN ssl BOOLEAN;  -- SSL mode; NULL unknown

-- What the client's own report lets the dashboard judge: '' (a WSUS client),
-- 'windows_update' (every update class from Windows Update by policy) or
-- 'unread' (its collector could not run).
ALTER TABLE client_reports ADD COLUMN policy_scope TEXT NOT NULL DEFAULT '';

-- One count, one clock: a listed client in a gap category gets its
-- last-report histogram bucket with it, counted beside the categories, so the
-- stale and never counts, the histogram and the gap categories are the same
-- numbers. The old summary columns counted at another moment by another rule.
-- The clients in no category are the rest of the list; how many of them
-- reported within a day is recounted as time passes (clients_recount_at).
ALTER TABLE clients ADD COLUMN age_bucket TEXT;  -- probes.AgeBucket; NULL when in no category or not classified yet
CREATE TABLE age_counts (
    server_id BIGINT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    bucket    TEXT   NOT NULL,
    count     BIGINT NOT NULL,
    PRIMARY KEY (server_id, bucket)
);
ALTER TABLE servers DROP COLUMN clients_stale;
ALTER TABLE servers DROP COLUMN clients_never;
ALTER TABLE servers DROP COLUMN clients_ages;
ALTER TABLE servers ADD COLUMN clients_day BIGINT NOT NULL DEFAULT 0;  -- of those in no category, reported within a day
UPDATE servers SET gaps_due_at = 0;  -- every client gets its bucket at the next settle

-- Root cause first: the human title of the cause its stale clients are
-- attributed to, and the first open finding in causal order (JSON of a
-- probes.FindingHead, '' when none) for the fleet row.
ALTER TABLE servers ADD COLUMN gap_cause_title TEXT NOT NULL DEFAULT '';
ALTER TABLE servers ADD COLUMN root_cause TEXT NOT NULL DEFAULT '';
UPDATE servers SET diagnose_due = 0 WHERE diagnose_due IS NULL;
