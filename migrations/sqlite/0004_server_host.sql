-- The host of each server's URL, kept beside it and indexed: a client's
-- WUServer finds its server by name or by this host without scanning the
-- fleet. Existing rows take it from the URL; writes keep it current.
ALTER TABLE servers ADD COLUMN host TEXT NOT NULL DEFAULT '';
UPDATE servers SET host = lower(substr(url, instr(url, '://') + 3)) WHERE instr(url, '://') > 0;
UPDATE servers SET host = substr(host, 1, instr(host, '/') - 1) WHERE instr(host, '/') > 0;
UPDATE servers SET host = substr(host, 1, instr(host, ':') - 1) WHERE instr(host, ':') > 0;
UPDATE servers SET host = rtrim(host, '.');
CREATE INDEX servers_host ON servers(host);

-- Servers waiting for diagnosis: every read of findings asks, so finding
-- none must cost an index probe, not a scan of the fleet.
CREATE INDEX servers_diagnose_due ON servers(id) WHERE diagnose_due IS NOT NULL;
