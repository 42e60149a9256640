-- wsusfleet schema v1 (SQLite). Times are integer Unix milliseconds, UTC.
-- Keep in step with ../postgres/0001_init.sql: same tables, same columns.

-- One row per WSUS server, with the summaries the fleet page reads, kept
-- current at ingest so listing 500 servers never scans their clients.
CREATE TABLE servers (
    id                 INTEGER PRIMARY KEY,
    name               TEXT    NOT NULL UNIQUE,  -- normalised: lower-case FQDN
    url                TEXT    NOT NULL DEFAULT '',
    registered         INTEGER NOT NULL DEFAULT 0, -- probed by the dashboard
    created_at         INTEGER NOT NULL,
    last_report_at     INTEGER,                  -- newest collected_at of any report
    severity           TEXT    NOT NULL DEFAULT 'ok', -- worst open finding
    clients_total      INTEGER NOT NULL DEFAULT 0,
    clients_stale      INTEGER NOT NULL DEFAULT 0,
    clients_never      INTEGER NOT NULL DEFAULT 0,
    clients_removed    INTEGER NOT NULL DEFAULT 0,
    clients_ages       TEXT    NOT NULL DEFAULT '{}', -- last-report age histogram (JSON)
    clients_recount_at INTEGER,                  -- when a count next changes as time passes
    clients_snapshot   INTEGER NOT NULL DEFAULT 0, -- sequence of the last complete snapshot
    clients_collected_at INTEGER,                -- collected_at of the last snapshot applied
    next_probe_at      INTEGER,                  -- prober schedule (registered servers)
    lease_holder       TEXT,
    lease_until        INTEGER
);

-- Every accepted document, for idempotency (the same id again is a replay).
CREATE TABLE reports (
    id           TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL,
    server_id    INTEGER REFERENCES servers(id) ON DELETE CASCADE,
    digest       TEXT    NOT NULL,   -- SHA-256 of the document: a replay must match it
    collected_at INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    vantage      TEXT    NOT NULL DEFAULT '',
    collector    TEXT    NOT NULL DEFAULT '',
    origin       TEXT    NOT NULL DEFAULT '',
    response     TEXT    NOT NULL    -- the JSON answered on 201, answered again on replay
) WITHOUT ROWID;  -- keyed by id alone: one B-tree, not two, per accepted document
CREATE INDEX reports_received ON reports(received_at);

-- The latest value of each section of each server, as JSON.
CREATE TABLE sections (
    server_id    INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    collected_at INTEGER NOT NULL,
    report_id    TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    PRIMARY KEY (server_id, name)
) WITHOUT ROWID;

-- vDir checks, one row per report ("run"): history, kept for the retention period ...
CREATE TABLE vdir_runs (
    id         INTEGER PRIMARY KEY,
    server_id  INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    report_id  TEXT    NOT NULL,
    checked_at INTEGER NOT NULL,
    vantage    TEXT    NOT NULL,
    origin     TEXT    NOT NULL,   -- the collector's host
    faults     INTEGER NOT NULL,
    warnings   INTEGER NOT NULL,
    body       TEXT    NOT NULL    -- the checks as a JSON array
);
CREATE INDEX vdir_runs_server_time ON vdir_runs(server_id, checked_at);

-- ... and the latest run from each vantage and origin: reachability from the
-- server itself and from a client subnet are different facts.
CREATE TABLE vdir_latest (
    server_id  INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    vantage    TEXT    NOT NULL,
    origin     TEXT    NOT NULL,
    checked_at INTEGER NOT NULL,
    report_id  TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    cells      TEXT    NOT NULL,   -- one verdict per vDir, for the fleet strip (JSON)
    PRIMARY KEY (server_id, vantage, origin)
) WITHOUT ROWID;

-- Computer targets per server, merged from snapshots: upserted, never
-- duplicated; a target missing from a complete snapshot gets removed_at.
CREATE TABLE clients (
    server_id        INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    key              TEXT    NOT NULL,   -- "id:<SusClientId>" or "name:<fqdn>"
    target_id        TEXT    NOT NULL,
    name             TEXT    NOT NULL,   -- normalised
    prev_name        TEXT,               -- the name before the last change (cloned images flip it)
    ip               TEXT    NOT NULL,
    os               TEXT    NOT NULL,
    client_version   TEXT    NOT NULL,
    groups           TEXT    NOT NULL,   -- JSON array
    requested_group  TEXT    NOT NULL,
    last_sync        INTEGER,
    last_sync_result TEXT    NOT NULL,
    last_report      INTEGER,
    first_seen       INTEGER NOT NULL,
    last_seen        INTEGER NOT NULL,
    removed_at       INTEGER,
    snapshot         INTEGER NOT NULL,
    PRIMARY KEY (server_id, key)
);
CREATE INDEX clients_server_name ON clients(server_id, name);

-- Diagnosed causes. At most one open finding per server, rule and subject.
CREATE TABLE findings (
    id          INTEGER PRIMARY KEY,
    server_id   INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    rule        TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    severity    TEXT    NOT NULL,
    body        TEXT    NOT NULL,   -- the finding as JSON (title, evidence, remediation)
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    resolved_at INTEGER
);
CREATE UNIQUE INDEX findings_open ON findings(server_id, rule, subject) WHERE resolved_at IS NULL;
CREATE INDEX findings_resolved ON findings(resolved_at);

-- Server status transitions (history, kept for the retention period).
CREATE TABLE status_history (
    server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,
    status    TEXT    NOT NULL,
    PRIMARY KEY (server_id, at)
);

-- API tokens: only the SHA-256 of the secret is stored.
CREATE TABLE tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    scope        TEXT    NOT NULL,
    hash         TEXT    NOT NULL UNIQUE,
    hint         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
