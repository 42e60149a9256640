-- Alerts (issue 14): notification channels and what they get, the noise
-- control (silences, maintenance windows, settings), each root cause's
-- alert state, and the outbox of deliveries. Times are Unix milliseconds, UTC.
-- Keep in step with ../postgres/0011_alerts.sql.

-- Channels. settings holds the probes.NotifierInput as JSON, secrets
-- included (the webhook's signing secret, the SMTP password, Teams and Slack
-- URLs): never returned by the API or shown on a page.
CREATE TABLE notifiers (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    kind       TEXT    NOT NULL,
    settings   TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT    NOT NULL DEFAULT ''
);

-- A channel with routes gets what any of them matches; one without, everything.
CREATE TABLE alert_routes (
    id           INTEGER PRIMARY KEY,
    notifier_id  INTEGER NOT NULL REFERENCES notifiers(id) ON DELETE CASCADE,
    min_severity TEXT    NOT NULL,
    server       TEXT    NOT NULL DEFAULT '',  -- name or pattern; '' every server
    rule         TEXT    NOT NULL DEFAULT ''   -- rule id or pattern; '' every rule
);
CREATE INDEX alert_routes_notifier ON alert_routes(notifier_id);

CREATE TABLE alert_silences (
    id         INTEGER PRIMARY KEY,
    server     TEXT    NOT NULL DEFAULT '',
    rule       TEXT    NOT NULL DEFAULT '',
    until_at   INTEGER NOT NULL,
    reason     TEXT    NOT NULL,
    created_by TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX alert_silences_until ON alert_silences(until_at);

-- Recurring quiet times; schedule is the probes.MaintenanceWindow as JSON.
CREATE TABLE maintenance_windows (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    schedule   TEXT    NOT NULL,
    created_by TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

-- The fleet's alert settings (probes.AlertSettings as JSON); no row: the defaults.
CREATE TABLE alert_settings (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT    NOT NULL
);

-- One row per root cause's life (an "episode"): pending until the failure
-- threshold of consecutive judgements saw it, firing until the success
-- threshold did not, then resolved. At most one open alert per key.
CREATE TABLE alerts (
    id                INTEGER PRIMARY KEY,
    key               TEXT    NOT NULL,   -- server id | rule | subject, or fleet | rule
    server_id         INTEGER REFERENCES servers(id) ON DELETE CASCADE, -- NULL: fleet-wide
    rule              TEXT    NOT NULL,
    subject           TEXT    NOT NULL,
    severity          TEXT    NOT NULL,
    state             TEXT    NOT NULL,   -- pending, firing, resolved
    fails             INTEGER NOT NULL,   -- consecutive judgements that saw it
    oks               INTEGER NOT NULL,   -- consecutive judgements that did not (while firing)
    body              TEXT    NOT NULL,   -- the latest probes.Notification about it
    explained_clients INTEGER NOT NULL DEFAULT 0, -- clients it kept from reporting
    opened_at         INTEGER NOT NULL,
    last_judged_at    INTEGER NOT NULL,
    notified_at       INTEGER,            -- its firing was queued (NULL: not yet, e.g. muted)
    notified_severity TEXT    NOT NULL DEFAULT '',
    remind_at         INTEGER,
    acked_at          INTEGER,
    acked_by          TEXT    NOT NULL DEFAULT '',
    resolved_at       INTEGER
);
CREATE UNIQUE INDEX alerts_open ON alerts(key) WHERE state <> 'resolved';
CREATE INDEX alerts_server ON alerts(server_id, state);
CREATE INDEX alerts_state ON alerts(state, remind_at);
CREATE INDEX alerts_resolved ON alerts(resolved_at);

-- The outbox: one row per notification and channel, written in the
-- transaction of the state change that causes it, then delivered (retried
-- with back-off) by whichever instance claims it.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    event_id    TEXT    NOT NULL,   -- the message's stable id (same on every channel and retry)
    alert_id    INTEGER REFERENCES alerts(id) ON DELETE SET NULL,
    notifier_id INTEGER NOT NULL REFERENCES notifiers(id) ON DELETE CASCADE,
    event       TEXT    NOT NULL,   -- firing or resolved
    server      TEXT    NOT NULL,
    severity    TEXT    NOT NULL,
    rule        TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    body        TEXT    NOT NULL,   -- the probes.Notification, sent (and signed) as stored
    state       TEXT    NOT NULL,   -- pending, sending, sent, failed
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER NOT NULL,   -- pending: the next attempt; sending: the claim's end
    holder      TEXT    NOT NULL DEFAULT '',
    answer      TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    sent_at     INTEGER
);
CREATE UNIQUE INDEX notifications_once ON notifications(event_id, notifier_id);
CREATE INDEX notifications_due ON notifications(state, next_at);
CREATE INDEX notifications_created ON notifications(created_at);
