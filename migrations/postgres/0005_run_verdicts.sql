-- Each vDir run's checks reduced to their verdicts (vdir, url, status,
-- verdict) for the 24-hour history strips: decoding full checks for every
-- run of a day was most of a server page's time, and healthy runs reduce to
-- the same text. NULL for runs stored before: those are read in full.
ALTER TABLE vdir_runs ADD COLUMN verdicts TEXT;
