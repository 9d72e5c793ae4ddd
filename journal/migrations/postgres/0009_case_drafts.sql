-- PostgreSQL twin of ../0009_case_drafts.sql (docs/journal.md: the conventions).
-- 0009: the registration card in the browser (issue 21).
--
-- cases.version counts the writes of a case: an edit carries the version its card showed, and
-- the journal refuses it when the case was written since (optimistic concurrency: two tabs on
-- one card, the second save is told, never a silent overwrite). updated_at cannot serve: two
-- writes in one millisecond leave it unchanged. Every existing case starts at 1.
ALTER TABLE cases ADD COLUMN version BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1);

-- What an operator has typed into a card and not saved yet, kept on the server so that nothing
-- is lost when the browser closes mid-edit. A draft is not a case: it writes no history, and only
-- its operator reads it. key is "call:<channel id>" (a new card for a call), "new" (a new written
-- card) or "case:<id>" (an edit); fields is a JSON object of the form's fields, bounded by the
-- journal (journal/drafts.go); version is the case version an edit was based on (0 for new).
CREATE TABLE case_drafts (
	operator_id BIGINT NOT NULL REFERENCES operators (id),
	key         TEXT    NOT NULL CHECK (length(key) BETWEEN 1 AND 256),
	fields      TEXT    NOT NULL CHECK (length(fields) <= 65536),
	version     BIGINT NOT NULL DEFAULT 0,
	updated_at  BIGINT NOT NULL,
	PRIMARY KEY (operator_id, key)
);
CREATE INDEX case_drafts_age ON case_drafts (updated_at);
