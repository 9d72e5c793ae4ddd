-- 0018: the journal's leases (issue 26, a standby daemon); the PostgreSQL twin of
-- ../0018_leases.sql (see there). Times are Unix ms.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    epoch       BIGINT NOT NULL,
    acquired_at BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
