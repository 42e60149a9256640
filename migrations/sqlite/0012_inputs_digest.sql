-- Diagnose only when what the rules read changed (issue 15). inputs_digest
-- is the digest of the last report's content as the rules read it (its
-- sections, vDir checks, vantage, origin and URL; not its id or collection
-- time); NULL when the last write cannot be summarised so (a client list, an
-- IIS log) or something else the judgement reads changed. A report with the
-- same digest marks the server judge_due instead of diagnose_due: the next
-- judgement re-counts its open alerts and moves its findings' last_seen
-- without running the rules, unless the last full diagnosis (diagnosed_at) is
-- older than the refresh interval, so what time alone changes is re-derived.
-- Keep in step with ../postgres/0012_inputs_digest.sql.
ALTER TABLE servers ADD COLUMN inputs_digest TEXT;
ALTER TABLE servers ADD COLUMN judge_due INTEGER;
ALTER TABLE servers ADD COLUMN diagnosed_at INTEGER;
-- How many reports in a row repeated the digest: a repeat also skips what
-- only a change needs (the server's names follow its URL and server section).
ALTER TABLE servers ADD COLUMN inputs_repeats INTEGER NOT NULL DEFAULT 0;
CREATE INDEX servers_judge_due ON servers(id) WHERE judge_due IS NOT NULL;
