-- 0003: operators' presence history. Every change of an operator's standing presence (login,
-- logout, pause with its reason, resume, handset unreachable), append-only: the switchboard
-- restores the last one after a restart, reports compute staffed and pause time from it, and a
-- supervisor reads who was on line when.
CREATE TABLE operator_presence (
	id          INTEGER PRIMARY KEY,
	operator_id INTEGER NOT NULL REFERENCES operators (id),
	at          INTEGER NOT NULL,
	presence    TEXT    NOT NULL CHECK (presence IN ('logged_out', 'available', 'paused', 'unreachable')),
	reason      TEXT    NOT NULL DEFAULT '',   -- pause reason code
	how         TEXT    NOT NULL CHECK (how IN ('feature_code', 'admin', 'handset', 'daemon_start', 'switchboard'))
);
-- One operator's history by time, and each operator's latest event (LastPresence).
CREATE INDEX operator_presence_operator ON operator_presence (operator_id, at, id);
-- Everyone's history over a period (reports).
CREATE INDEX operator_presence_at ON operator_presence (at);
CREATE TRIGGER operator_presence_no_update BEFORE UPDATE ON operator_presence BEGIN
	SELECT RAISE(ABORT, 'operator presence is append-only');
END;
CREATE TRIGGER operator_presence_no_delete BEFORE DELETE ON operator_presence BEGIN
	SELECT RAISE(ABORT, 'operator presence is append-only');
END;
