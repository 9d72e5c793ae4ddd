-- PostgreSQL twin of ../0011_case_creator.sql (docs/journal.md: the conventions).
-- 0011: who registered a case, by operator id (issue 21): the documents' rule
-- (hotline.Case.MayReadDocuments) compares people, not login names, which an administrator may
-- change or give to someone else. The cases already there take the operator whose login they
-- were registered under; the system's and unknown logins stay NULL.
ALTER TABLE cases ADD COLUMN created_by_id BIGINT REFERENCES operators (id);
UPDATE cases SET created_by_id = (SELECT o.id FROM operators o WHERE o.login = cases.created_by)
	WHERE created_by <> 'system';
