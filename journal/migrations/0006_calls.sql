-- 0006: calls apart from cases, as the fund's manual keeps them. A call is what Asterisk gives the
-- hotline (arrival, waits, legs, outcome, recordings); a case is what a person registers about one
-- or more calls. Until now every call filed or extended a case; from here the call flow writes
-- calls, and cases are opened by people (the card, the handset's topic key, the CLI) or by the
-- delayed-answer rule (a voice message, a callback asked for).
--
-- The migration, in one transaction:
--   1. each call of the old legs (by the caller's channel id; a leg without one is a call of its
--      own) becomes a row of calls, with its outcome derived from its legs;
--   2. legs belong to calls (call_ref) instead of cases;
--   3. each (case, call) pair the old legs made is kept in case_calls;
--   4. a voice message nobody answered becomes «Отсроченный ответ» (what a message opens now);
--   5. call-born cases no person touched (created by the system, no topic, type or result, not a
--      delayed answer, no event by anyone but the system, no link or attachment) are removed:
--      their calls stay. Their history events are kept (the past is not rewritten); only their
--      pointer to the removed case is cleared, and one event per removed case says why.
-- Caller numbers are brought to E.164 by Go right after this script (journal/migrate.go).

CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
-- The region whose national numbers the journal reads ("8 912 ..." is +7 912 ... in RU).
INSERT INTO settings (key, value) VALUES ('phone_region', 'RU');

CREATE TABLE calls (
	id              INTEGER PRIMARY KEY,
	channel         TEXT    NOT NULL UNIQUE CHECK (channel <> ''),  -- Asterisk's channel id of the caller
	caller_number   TEXT    NOT NULL DEFAULT '',   -- E.164 when caller_valid, else as Asterisk gave it
	caller_id       TEXT    NOT NULL DEFAULT '',   -- exactly as Asterisk gave it (dialling back uses it)
	caller_valid    INTEGER NOT NULL DEFAULT 0 CHECK (caller_valid IN (0, 1)),
	line            TEXT    NOT NULL DEFAULT '',   -- the hotline number dialled
	callback_for    TEXT    NOT NULL DEFAULT '',   -- a call hotline dialled back: the channel that asked
	arrived_at      INTEGER NOT NULL,
	greeting_end_at INTEGER,
	queued_at       INTEGER,
	rang_at         INTEGER,                           -- the answering operator's handset began to ring
	answered_at     INTEGER,
	ended_at        INTEGER,
	operator_id     INTEGER REFERENCES operators (id),  -- the first operator who answered
	outcome         TEXT    NOT NULL DEFAULT '' CHECK (outcome IN ('', 'answered', 'abandoned_greeting', 'abandoned_queue',
	                        'abandoned_overflow', 'overflow_message', 'overflow_callback', 'handed_over', 'failed')),
	ended_away      INTEGER NOT NULL DEFAULT 0 CHECK (ended_away IN (0, 1)),
	-- A caller who keyed 1 at overflow keeps a place in the queue until the callback is given to an
	-- operator at its turn: NULL while it waits (the call flow queues these again after a restart).
	callback_given_to INTEGER REFERENCES operators (id)
);
CREATE INDEX calls_callbacks ON calls (arrived_at) WHERE outcome = 'overflow_callback' AND callback_given_to IS NULL;
CREATE INDEX calls_arrived ON calls (arrived_at);
CREATE INDEX calls_caller ON calls (caller_number, arrived_at) WHERE caller_number <> '';
CREATE INDEX calls_operator ON calls (operator_id, arrived_at) WHERE operator_id IS NOT NULL;
CREATE INDEX calls_outcome ON calls (outcome, arrived_at);
-- Calls still going: what the call flow reconciles with Asterisk after a restart.
CREATE INDEX calls_open ON calls (arrived_at) WHERE ended_at IS NULL;

-- The cases a call belongs to (zero or more), and the calls of a case.
CREATE TABLE case_calls (
	case_id     INTEGER NOT NULL REFERENCES cases (id),
	call_ref    INTEGER NOT NULL REFERENCES calls (id),
	attached_at INTEGER NOT NULL,
	attached_by TEXT    NOT NULL,
	PRIMARY KEY (case_id, call_ref)
) WITHOUT ROWID;
CREATE INDEX case_calls_call ON case_calls (call_ref, case_id);

-- 1. Calls from the old legs.
CREATE TEMP TABLE m_legs AS
	SELECT l.*, CASE WHEN l.call_id = '' THEN 'leg-' || l.id ELSE l.call_id END AS channel FROM legs l;
CREATE INDEX temp.m_legs_channel ON m_legs (channel, id);

INSERT INTO calls (channel, caller_number, caller_id, caller_valid, arrived_at, greeting_end_at, queued_at, answered_at,
	ended_at, operator_id, outcome)
SELECT f.channel, f.caller_number, f.caller_number, 0, f.arrived_at, f.greeting_end_at, f.queued_at,
	(SELECT min(x.answered_at) FROM m_legs x WHERE x.channel = f.channel),
	CASE WHEN EXISTS (SELECT 1 FROM m_legs x WHERE x.channel = f.channel AND x.ended_at IS NULL) THEN NULL
		ELSE (SELECT max(x.ended_at) FROM m_legs x WHERE x.channel = f.channel) END,
	(SELECT x.operator_id FROM m_legs x WHERE x.channel = f.channel AND x.answered_at IS NOT NULL ORDER BY x.id LIMIT 1),
	CASE
		WHEN EXISTS (SELECT 1 FROM m_legs x WHERE x.channel = f.channel AND x.ended_at IS NULL) THEN ''
		WHEN EXISTS (SELECT 1 FROM m_legs x WHERE x.channel = f.channel AND x.answered_at IS NOT NULL) THEN 'answered'
		ELSE (SELECT CASE
			-- The old call flow set a greeting hang-up's queue time to the moment of hang-up.
			WHEN z.end_reason = 'abandoned' AND (z.queued_at IS NULL OR z.queued_at >= z.ended_at) THEN 'abandoned_greeting'
			WHEN z.end_reason = 'abandoned' THEN 'abandoned_queue'
			-- A message: its recording, or the history of its deletion by retention.
			WHEN z.end_reason = 'overflow' AND (z.recording_name <> '' OR EXISTS (SELECT 1 FROM history h
				WHERE h.entity = 'leg' AND h.entity_id = CAST(z.id AS TEXT) AND h.action = 'recording deleted'
				AND h.changes LIKE '%"message-%')) THEN 'overflow_message'
			-- A callback was asked on the case: by its newest call that overflowed (a case gathered
			-- many calls; the others just hung up at the overflow).
			WHEN z.end_reason = 'overflow' AND EXISTS (SELECT 1 FROM history h WHERE h.case_id = z.case_id
				AND h.entity = 'case' AND h.action = 'callback requested')
				AND NOT EXISTS (SELECT 1 FROM m_legs y WHERE y.case_id = z.case_id AND y.end_reason = 'overflow' AND y.id > z.id)
				THEN 'overflow_callback'
			WHEN z.end_reason = 'overflow' THEN 'abandoned_overflow'
			WHEN z.end_reason = 'completed' THEN 'answered'
			ELSE 'failed' END
			FROM m_legs z WHERE z.channel = f.channel ORDER BY z.id DESC LIMIT 1)
	END
FROM m_legs f
WHERE f.id = (SELECT min(x.id) FROM m_legs x WHERE x.channel = f.channel);

-- 2. Legs belong to calls.
CREATE TABLE legs_new (
	id               INTEGER PRIMARY KEY,
	call_ref         INTEGER NOT NULL REFERENCES calls (id),
	operator_id      INTEGER REFERENCES operators (id),
	arrived_at       INTEGER NOT NULL,
	greeting_end_at  INTEGER,
	queued_at        INTEGER,
	rang_at          INTEGER,                          -- the answering operator's handset began to ring (NULL before 0006)
	answered_at      INTEGER,
	ended_at         INTEGER,
	end_reason       TEXT    NOT NULL DEFAULT '' CHECK (end_reason IN ('', 'completed', 'abandoned', 'overflow', 'transferred', 'failed')),
	recording_name   TEXT    NOT NULL DEFAULT '',
	transferred_from INTEGER REFERENCES operators (id),
	ended_away       INTEGER NOT NULL DEFAULT 0 CHECK (ended_away IN (0, 1))
);
INSERT INTO legs_new (id, call_ref, operator_id, arrived_at, greeting_end_at, queued_at, answered_at, ended_at, end_reason,
	recording_name, transferred_from)
SELECT m.id, c.id, m.operator_id, m.arrived_at, m.greeting_end_at, m.queued_at, m.answered_at, m.ended_at, m.end_reason,
	m.recording_name, m.transferred_from
FROM m_legs m JOIN calls c ON c.channel = m.channel;
DROP TABLE legs;
ALTER TABLE legs_new RENAME TO legs;
CREATE INDEX legs_call ON legs (call_ref, id);
-- Recording retention finds the legs whose recordings are due cheaply however large the journal grows.
CREATE INDEX legs_recorded ON legs (ended_at) WHERE recording_name <> '' AND ended_at IS NOT NULL;

-- 3. Which calls each case had.
INSERT OR IGNORE INTO case_calls (case_id, call_ref, attached_at, attached_by)
SELECT m.case_id, c.id, min(m.arrived_at), 'system' FROM m_legs m JOIN calls c ON c.channel = m.channel
GROUP BY m.case_id, c.id;

-- A callback already given to an operator: the old case had an owner.
UPDATE calls SET callback_given_to = (SELECT c.owner_id FROM case_calls cc JOIN cases c ON c.id = cc.case_id
	WHERE cc.call_ref = calls.id AND c.owner_id IS NOT NULL ORDER BY c.id DESC LIMIT 1)
WHERE outcome = 'overflow_callback';

-- 4. A voice message nobody has answered was a case «В работе» without an owner, filed by the
-- system: it is what a message opens now, «Отсроченный ответ» in the administrators' queue, due a
-- day after the call.
CREATE TEMP TABLE m_msg AS
	SELECT DISTINCT k.id FROM cases k JOIN m_legs m ON m.case_id = k.id
	WHERE k.created_by = 'system' AND k.status = 'in_progress' AND k.owner_id IS NULL
		AND m.end_reason = 'overflow' AND m.recording_name LIKE 'message-%';
UPDATE cases SET status = 'delayed_answer', due_at = coalesce(due_at, created_at + 86400000)
WHERE id IN (SELECT id FROM m_msg);
INSERT INTO history (at, actor, entity, entity_id, case_id, action, changes)
SELECT CAST(strftime('%s', 'now') AS INTEGER) * 1000, 'system', 'case', id, id, 'migrated: a voice message awaits a delayed answer',
	json_array(json_object('field', 'status', 'from', 'in_progress', 'to', 'delayed_answer'))
FROM m_msg;
DROP TABLE m_msg;

-- 5. Call-born cases nobody touched. (The index makes "is it linked" a lookup both ways; without
-- it a journal with many links took hours here.)
CREATE INDEX case_links_linked ON case_links (linked_id);
CREATE TEMP TABLE m_drop AS
	SELECT id, created_at FROM cases c
	WHERE c.created_by = 'system' AND c.topic IS NULL AND c.type = '' AND c.result = '' AND c.status <> 'delayed_answer'
		AND c.full_name = '' AND c.policy_number = '' AND c.description = ''
		AND NOT EXISTS (SELECT 1 FROM history h WHERE h.case_id = c.id AND h.actor <> 'system')
		AND NOT EXISTS (SELECT 1 FROM case_links k WHERE k.case_id = c.id)
		AND NOT EXISTS (SELECT 1 FROM case_links k WHERE k.linked_id = c.id)
		AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.case_id = c.id);

DROP TRIGGER history_no_update;
UPDATE history SET case_id = NULL WHERE case_id IN (SELECT id FROM m_drop);
CREATE TRIGGER history_no_update BEFORE UPDATE ON history BEGIN
	SELECT RAISE(ABORT, 'history is append-only');
END;
INSERT INTO history (at, actor, entity, entity_id, case_id, action, changes)
SELECT CAST(strftime('%s', 'now') AS INTEGER) * 1000, 'system', 'case', d.id, NULL, 'removed: a call no one registered',
	json_array(json_object('field', 'calls', 'from', (SELECT group_concat(c.channel, ' ') FROM case_calls cc
		JOIN calls c ON c.id = cc.call_ref WHERE cc.case_id = d.id), 'to', ''))
FROM m_drop d;
DELETE FROM case_calls WHERE case_id IN (SELECT id FROM m_drop);
DELETE FROM cases WHERE id IN (SELECT id FROM m_drop);

DROP TABLE m_legs;
DROP TABLE m_drop;
