-- PostgreSQL twin of ../0010_case_list.sql (docs/journal.md: the conventions).
-- 0010: the journal's list in the workplace (issue 21, §3, §6): a text search and the default
-- list of active cases, both paged by a cursor over (created_at, id).

-- What a text search matches: the person's full name, policy number and the description, folded
-- (lower case by Unicode rules, ё as е) by hotline when it writes the case; filled for the cases
-- already there by the migration's Go step (SQLite's lower() folds ASCII only).
ALTER TABLE cases ADD COLUMN search_fold TEXT NOT NULL DEFAULT '';

-- The default list: cases not yet approved, newest first. Partial: approved cases, most of a
-- journal's rows, are not in it.
CREATE INDEX cases_active ON cases (created_at) WHERE status <> 'approved';

-- An operator's cases in every status, newest first (cases_owner leads with the status too, so
-- without a status filter it would have to sort).
CREATE INDEX cases_owner_created ON cases (owner_id, created_at);

-- An operator's cases not yet approved, newest first: their worklist, and the list's owner filter.
CREATE INDEX cases_owner_active ON cases (owner_id, created_at) WHERE status <> 'approved';
