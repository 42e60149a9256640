-- Evidence admins send about a client (its registry policy, its
-- WindowsUpdate.log), kept per client: what each showed and what it changed.
-- The document id is claimed in reports, so the same content sent again for
-- the same client is a replay.
CREATE TABLE client_evidence (
    id           TEXT    PRIMARY KEY,   -- the document id (reports.id)
    name         TEXT    NOT NULL,      -- the client, normalised
    kind         TEXT    NOT NULL,      -- regquery, windowsupdatelog
    received_at  BIGINT  NOT NULL,
    collected_at BIGINT  NOT NULL,      -- the log's last line; when registry output was sent
    body         TEXT    NOT NULL       -- the probes.ClientEvidence (JSON)
);
CREATE INDEX client_evidence_name ON client_evidence(name, received_at);
CREATE INDEX client_evidence_received ON client_evidence(received_at);
