-- PostgreSQL twin of ../0013_leg_hangup.sql (docs/journal.md: the conventions).
-- 0009: what queue_log and CDR exports need of an answered leg (docs/reports.md): which side hung
-- up (app_queue's COMPLETEAGENT or COMPLETECALLER) and the operator's Asterisk channel id (CONNECT's
-- bridged channel uniqueid). Legs recorded before keep '' (unknown): nothing recorded them then.
ALTER TABLE legs ADD COLUMN hung_up_by TEXT NOT NULL DEFAULT '' CHECK (hung_up_by IN ('', 'caller', 'operator'));
ALTER TABLE legs ADD COLUMN operator_channel TEXT NOT NULL DEFAULT '';
