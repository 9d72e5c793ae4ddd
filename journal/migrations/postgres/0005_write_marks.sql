-- PostgreSQL twin of ../0005_write_marks.sql (docs/journal.md: the conventions).
-- 0005: exactly-once for writes that wait in the call flow's write-ahead spool. The spool (a file
-- beside the journal) keeps each write until the journal has applied it; after a crash it replays
-- them. The newest write applied from each spool generation is recorded here in the same
-- transaction as the write itself, so a replay of a write already committed is recognised and
-- skipped, never doubled. Only the current generation's row matters: older ones are deleted when
-- a newer generation's first write is applied (the older file is gone by then).
CREATE TABLE write_marks (
	spool      TEXT    PRIMARY KEY,   -- the spool file's generation
	seq        BIGINT NOT NULL,      -- the newest write of that generation applied
	applied_at BIGINT NOT NULL
);
