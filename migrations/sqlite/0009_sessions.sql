-- Dashboard sessions live on the server: the browser's cookie holds a random
-- id and only its SHA-256 is stored here, so a copy of the database signs
-- nobody in. A session ends at expires_at (absolute) or idle_until (pushed
-- forward on use, never past expires_at), when its browser signs out, or when
-- the token it was opened with is revoked (the rows are deleted).
CREATE TABLE sessions (
    id_hash    TEXT    PRIMARY KEY,
    via        TEXT    NOT NULL,                               -- token | oidc
    token_id   INTEGER REFERENCES tokens (id) ON DELETE CASCADE, -- via token; NULL for single sign-on
    user_name  TEXT    NOT NULL,
    subject    TEXT    NOT NULL DEFAULT '',                    -- oidc: "issuer|sub"
    scope      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    idle_ms    INTEGER NOT NULL,
    idle_until INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_token ON sessions (token_id);
CREATE INDEX sessions_idle_until ON sessions (idle_until);

-- Single sign-on attempts in flight: keyed by the hash of the state only the
-- starting browser holds, deleted by the first answer (single use).
CREATE TABLE signin_attempts (
    state_hash TEXT    PRIMARY KEY,
    nonce      TEXT    NOT NULL,
    verifier   TEXT    NOT NULL,
    next       TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX signin_attempts_expires ON signin_attempts (expires_at);
