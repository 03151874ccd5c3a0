-- Browser logins: a random cookie value stored as its SHA-256 (hex), valid until expires_at
-- (absolute: a stolen cookie does not live for ever) or until logout.
CREATE TABLE web_sessions (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    user_id     UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX web_sessions_by_expiry ON web_sessions(expires_at);
