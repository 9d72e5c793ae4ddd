-- PostgreSQL twin of ../0007_presence_actor.sql (docs/journal.md: the conventions).
-- 0007: who changed an operator's presence. The login of the administrator or operator who asked
-- (the daemon's socket names them by their operating-system account; a feature code names the
-- operator at the handset), or 'system' for the daemon itself. Rows recorded before this
-- migration keep '' (unknown): the history is append-only, and nothing recorded who then.
ALTER TABLE operator_presence ADD COLUMN actor TEXT NOT NULL DEFAULT '';
