-- Client-reporting gaps (DESIGN §6): each client's category, the clients'
-- own reports, the directory inventory, and counts kept at ingest.

ALTER TABLE clients ADD COLUMN gap TEXT;                            -- its category; NULL when none
ALTER TABLE clients ADD COLUMN gap_detail TEXT NOT NULL DEFAULT ''; -- why, in one line
ALTER TABLE clients ADD COLUMN gap_since BIGINT;                   -- since when in that category
ALTER TABLE clients ADD COLUMN renames BIGINT NOT NULL DEFAULT 0;  -- name changes (cloned images flip it)
-- Partial: most clients have no gap, and cost these indexes nothing.
CREATE INDEX clients_gap ON clients(server_id, gap, name) WHERE gap IS NOT NULL;
CREATE INDEX clients_gap_fleet ON clients(gap, name, server_id, key) WHERE gap IS NOT NULL;
CREATE INDEX clients_name ON clients(name);

ALTER TABLE servers ADD COLUMN gap_cause TEXT NOT NULL DEFAULT ''; -- the server-wide cause its stale clients are attributed to
ALTER TABLE servers ADD COLUMN diagnose_due BIGINT;                -- client reports changed its gaps: re-diagnose soon
ALTER TABLE servers ADD COLUMN gaps_due_at BIGINT;                 -- when its clients next change category as time passes

-- The latest report of each Windows client about itself.
CREATE TABLE client_reports (
    name          TEXT    PRIMARY KEY,
    report_id     TEXT    NOT NULL,
    collected_at  BIGINT NOT NULL,
    server_id     BIGINT REFERENCES servers(id) ON DELETE SET NULL, -- the fleet server its WUServer names
    sus_client_id TEXT    NOT NULL,
    policy_gap    TEXT    NOT NULL,  -- what its own policy says ('' when fine)
    policy_detail TEXT    NOT NULL,
    body          TEXT    NOT NULL   -- the client's view and its vDir checks (JSON)
);
CREATE INDEX client_reports_sus ON client_reports(sus_client_id);
CREATE INDEX client_reports_server ON client_reports(server_id);

-- Computers expected to use WSUS, from directory inventories (e.g. AD).
CREATE TABLE inventory (
    name       TEXT    PRIMARY KEY,
    source     TEXT    NOT NULL,
    scope      TEXT    NOT NULL,
    enabled    BOOLEAN NOT NULL,
    last_logon BIGINT,
    ou         TEXT    NOT NULL,
    snapshot   BIGINT NOT NULL
);
CREATE INDEX inventory_scope ON inventory(source, scope, snapshot);

-- One row per inventory source and scope: its last complete snapshot.
CREATE TABLE inventory_scopes (
    source       TEXT    NOT NULL,
    scope        TEXT    NOT NULL,
    snapshot     BIGINT NOT NULL,
    collected_at BIGINT NOT NULL,
    PRIMARY KEY (source, scope)
);

-- Computers that no server lists but should (or whose own report shows why
-- not), attributed to the server their policy names when there is one.
CREATE TABLE fleet_gaps (
    name      TEXT    PRIMARY KEY,
    category  TEXT    NOT NULL,
    detail    TEXT    NOT NULL,
    server_id BIGINT REFERENCES servers(id) ON DELETE SET NULL,
    since     BIGINT NOT NULL
);
CREATE INDEX fleet_gaps_server ON fleet_gaps(server_id, category, name);
CREATE INDEX fleet_gaps_category ON fleet_gaps(category, name);

-- Clients per server and category (server_key 0: no server), kept at ingest
-- so the fleet's gaps are read, never counted per request.
CREATE TABLE gap_counts (
    server_key BIGINT NOT NULL,
    category   TEXT    NOT NULL,
    count      BIGINT NOT NULL,
    PRIMARY KEY (server_key, category)
);
