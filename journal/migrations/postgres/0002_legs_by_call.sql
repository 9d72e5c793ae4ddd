-- PostgreSQL twin of ../0002_legs_by_call.sql (docs/journal.md: the conventions).
-- 0002: the call flow addresses legs by the caller's Asterisk channel id.
CREATE INDEX legs_call ON legs (call_id, id) WHERE call_id <> '';
