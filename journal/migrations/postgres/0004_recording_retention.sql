-- PostgreSQL twin of ../0004_recording_retention.sql (docs/journal.md: the conventions).
-- Recording retention: the daemon deletes recordings of legs that ended longer ago than
-- calls.recording_retention. This index keeps finding them cheap however large the journal grows:
-- only legs that still name a recording are in it.
CREATE INDEX legs_recorded ON legs (ended_at) WHERE recording_name <> '' AND ended_at IS NOT NULL;
