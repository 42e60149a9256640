-- The clients' own vantage: what each client saw checking its WSUS URLs,
-- counted per server × vDir URL × status × verdict. A client report changes
-- the counts by the difference from its previous one, so a server page shows
-- the clients' view without reading every client's report.
ALTER TABLE client_reports ADD COLUMN checks TEXT NOT NULL DEFAULT ''; -- its checks as sorted key lines, for that difference
CREATE TABLE client_check_counts (
    server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    vdir      TEXT    NOT NULL,
    url       TEXT    NOT NULL,
    status    TEXT    NOT NULL,    -- status.substatus, "-" without an HTTP answer
    verdict   TEXT    NOT NULL,
    clients   INTEGER NOT NULL,    -- how many clients' latest report saw this
    example   TEXT    NOT NULL,    -- the client whose report last changed the count
    last_at   INTEGER NOT NULL,    -- when that report was collected
    PRIMARY KEY (server_id, vdir, url, status, verdict)
) WITHOUT ROWID;
