-- The host of each server's URL, kept beside it and indexed: a client's
-- WUServer finds its server by name or by this host without scanning the
-- fleet. Existing rows take it from the URL; writes keep it current.
ALTER TABLE servers ADD COLUMN host TEXT NOT NULL DEFAULT '';
UPDATE servers SET host = rtrim(lower(split_part(split_part(split_part(url, '://', 2), '/', 1), ':', 1)), '.')
    WHERE strpos(url, '://') > 0;
CREATE INDEX servers_host ON servers(host);

-- Servers waiting for diagnosis: every read of findings asks, so finding
-- none must cost an index probe, not a scan of the fleet.
CREATE INDEX servers_diagnose_due ON servers(id) WHERE diagnose_due IS NOT NULL;
