-- IIS log history: the hourly aggregates of each uploaded log file. Uploading
-- a file again (a log that grew) replaces that file's hours.
CREATE TABLE iislog_hours (
    server_id  BIGINT NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    file       TEXT    NOT NULL,
    hour       BIGINT NOT NULL,   -- start of the UTC hour
    vdir       TEXT    NOT NULL,
    status     BIGINT NOT NULL,
    substatus  BIGINT NOT NULL,   -- -1 when the log has no sc-substatus
    win32      BIGINT NOT NULL,   -- -1 when the log has no sc-win32-status
    requests   BIGINT NOT NULL,
    clients    BIGINT NOT NULL,
    wua        BIGINT NOT NULL,
    other_ua   BIGINT NOT NULL,
    p50_ms     BIGINT,            -- NULL when no request logged a time-taken
    p95_ms     BIGINT,
    max_ms     BIGINT,
    PRIMARY KEY (server_id, file, hour, vdir, status, substatus, win32)
);
CREATE INDEX iislog_hours_server_hour ON iislog_hours(server_id, hour);
