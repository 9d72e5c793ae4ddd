-- 0008: accounts of the workplace in the browser (issue 21). Nothing here is a secret in clear:
-- a password is kept as its argon2id hash (a PHC string that names its own parameters, so they
-- can be raised later without invalidating what is stored), a session as the SHA-256 of its
-- token.

-- An operator's password; no row: the operator cannot log in.
CREATE TABLE operator_passwords (
    operator_id INTEGER PRIMARY KEY REFERENCES operators(id),
    hash        TEXT NOT NULL,    -- $argon2id$v=19$m=...,t=...,p=...$salt$hash
    set_at      INTEGER NOT NULL, -- Unix ms
    set_by      TEXT NOT NULL     -- the login who set it (the history has the event too)
);

-- Server-side sessions. A session is valid while not revoked, before expires_at, and within
-- idle_ms of last_seen_at. Rows stay after they end, for the audit.
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    token_hash   BLOB NOT NULL UNIQUE, -- SHA-256 of the 256-bit token; the token is never stored
    operator_id  INTEGER NOT NULL REFERENCES operators(id),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    idle_ms      INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER,              -- logout, revocation, disabling, a new password
    revoked_why  TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    address      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_live_by_operator ON sessions(operator_id) WHERE revoked_at IS NULL;

-- Login attempts, for throttling and the audit. login_key is the SHA-256 of the login typed, not
-- the login itself: a password typed into the login field must not land here in clear.
CREATE TABLE login_attempts (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    login_key   TEXT NOT NULL,
    operator_id INTEGER REFERENCES operators(id), -- the operator the login names, if any
    address     TEXT NOT NULL,
    ok          INTEGER NOT NULL
);
CREATE INDEX login_attempts_by_login ON login_attempts(login_key, at);
CREATE INDEX login_attempts_by_address ON login_attempts(address, at);
