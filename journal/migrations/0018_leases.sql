-- 0018: the journal's leases (issue 26, a standby daemon). Two `hotline serve` on one journal:
-- the one holding the lease "serve" is the active one; the other waits and takes it once it
-- expires. epoch is the fencing token: it grows by one at every acquisition, and every write the
-- active daemon makes checks, in its own transaction, that the epoch is still the one it took
-- (journal.Store.Fence), so a daemon that lost the lease writes nothing more. Times are Unix ms.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,               -- the holding process: host, pid and a random part
    epoch       BIGINT NOT NULL,             -- the fencing token
    acquired_at BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL              -- renewed well before; another may take it after
);
