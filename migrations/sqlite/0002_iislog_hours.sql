-- IIS log history: the hourly aggregates of each uploaded log file. Uploading
-- a file again (a log that grew) replaces that file's hours.
CREATE TABLE iislog_hours (
    server_id  INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    file       TEXT    NOT NULL,
    hour       INTEGER NOT NULL,   -- start of the UTC hour
    vdir       TEXT    NOT NULL,
    status     INTEGER NOT NULL,
    substatus  INTEGER NOT NULL,   -- -1 when the log has no sc-substatus
    win32      INTEGER NOT NULL,   -- -1 when the log has no sc-win32-status
    requests   INTEGER NOT NULL,
    clients    INTEGER NOT NULL,
    wua        INTEGER NOT NULL,
    other_ua   INTEGER NOT NULL,
    p50_ms     INTEGER,            -- NULL when no request logged a time-taken
    p95_ms     INTEGER,
    max_ms     INTEGER,
    PRIMARY KEY (server_id, file, hour, vdir, status, substatus, win32)
) WITHOUT ROWID;
CREATE INDEX iislog_hours_server_hour ON iislog_hours(server_id, hour);
