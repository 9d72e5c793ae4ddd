-- 0001: the journal's first schema. Times are INTEGER Unix milliseconds (UTC), NULL when unknown:
-- integers compare and index cheaply, and Go converts them without parsing. Text columns that are
-- searched by keyword have a *_fold twin filled by Go (lower-cased with Unicode rules; SQLite's
-- lower() folds ASCII only, and names here are Cyrillic).

CREATE TABLE operators (
	id             INTEGER PRIMARY KEY,
	name           TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	login          TEXT    UNIQUE,                       -- NULL: cannot act from the CLI
	role           TEXT    NOT NULL CHECK (role IN ('operator', 'administrator')),
	level          INTEGER NOT NULL CHECK (level IN (1, 2)),
	organisation   TEXT    NOT NULL DEFAULT '',
	extension      TEXT    NOT NULL DEFAULT '',
	topics         TEXT    NOT NULL DEFAULT '[]',        -- JSON array of topic codes
	languages      TEXT    NOT NULL DEFAULT '[]',        -- JSON array
	max_concurrent INTEGER NOT NULL DEFAULT 0 CHECK (max_concurrent >= 0),
	priority       INTEGER NOT NULL DEFAULT 0,
	active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
	created_at     INTEGER NOT NULL,
	search_fold    TEXT    NOT NULL DEFAULT ''           -- name, organisation, extension, login
);
-- One active handset per extension: the call flow finds the operator by the extension that rang.
CREATE UNIQUE INDEX operators_extension ON operators (extension) WHERE extension <> '' AND active = 1;

CREATE TABLE topics (
	code        TEXT    PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 64),
	number      INTEGER,                                 -- keyed on handsets; NULL: none
	type        TEXT    NOT NULL CHECK (type IN ('complaint', 'consultation', 'application', 'proposal', 'gratitude')),
	title       TEXT    NOT NULL,
	keywords    TEXT    NOT NULL DEFAULT '',             -- space separated
	search_fold TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX topics_number ON topics (number) WHERE number IS NOT NULL;

CREATE TABLE scripts (
	id          INTEGER PRIMARY KEY,
	topic       TEXT    NOT NULL REFERENCES topics (code),
	title       TEXT    NOT NULL,
	text        TEXT    NOT NULL,
	search_fold TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL
);
CREATE INDEX scripts_topic ON scripts (topic);

CREATE TABLE script_specialists (
	script_id   INTEGER NOT NULL REFERENCES scripts (id),
	operator_id INTEGER NOT NULL REFERENCES operators (id),
	position    INTEGER NOT NULL,
	PRIMARY KEY (script_id, operator_id)
) WITHOUT ROWID;

CREATE TABLE cases (
	id             INTEGER PRIMARY KEY,
	created_at     INTEGER NOT NULL,
	channel        TEXT    NOT NULL CHECK (channel IN ('phone', 'written', 'email', 'in_person')),
	caller_number  TEXT    NOT NULL DEFAULT '',
	full_name      TEXT    NOT NULL DEFAULT '',
	full_name_fold TEXT    NOT NULL DEFAULT '',
	birth_date     TEXT    NOT NULL DEFAULT '',
	policy_number  TEXT    NOT NULL DEFAULT '',
	address        TEXT    NOT NULL DEFAULT '',
	type           TEXT    NOT NULL DEFAULT '' CHECK (type IN ('', 'complaint', 'consultation', 'application', 'proposal', 'gratitude')),
	topic          TEXT    REFERENCES topics (code),
	description    TEXT    NOT NULL DEFAULT '',
	owner_id       INTEGER REFERENCES operators (id),
	due_at         INTEGER,
	status         TEXT    NOT NULL CHECK (status IN ('in_progress', 'delayed_answer', 'under_review', 'approved')),
	result         TEXT    NOT NULL DEFAULT '' CHECK (result IN ('', 'answered', 'measures_taken', 'forwarded_with_notice', 'on_control_extended')),
	comment        TEXT    NOT NULL DEFAULT '',
	forwarded_to   INTEGER REFERENCES operators (id),
	extend_to      INTEGER,
	review_note    TEXT    NOT NULL DEFAULT '',
	created_by     TEXT    NOT NULL,
	updated_at     INTEGER NOT NULL
);
-- The list filters: every one leads with its column and ends with created_at, the order of lists.
CREATE INDEX cases_created ON cases (created_at);
CREATE INDEX cases_status ON cases (status, created_at);
CREATE INDEX cases_owner ON cases (owner_id, status, created_at);
CREATE INDEX cases_caller ON cases (caller_number, created_at) WHERE caller_number <> '';
CREATE INDEX cases_topic ON cases (topic, created_at);
CREATE INDEX cases_type ON cases (type, created_at);
CREATE INDEX cases_policy ON cases (policy_number) WHERE policy_number <> '';
CREATE INDEX cases_name ON cases (full_name_fold) WHERE full_name_fold <> '';

CREATE TABLE legs (
	id               INTEGER PRIMARY KEY,
	case_id          INTEGER NOT NULL REFERENCES cases (id),
	call_id          TEXT    NOT NULL DEFAULT '',
	caller_number    TEXT    NOT NULL DEFAULT '',
	operator_id      INTEGER REFERENCES operators (id),
	arrived_at       INTEGER NOT NULL,
	greeting_end_at  INTEGER,
	queued_at        INTEGER,
	answered_at      INTEGER,
	ended_at         INTEGER,
	end_reason       TEXT    NOT NULL DEFAULT '' CHECK (end_reason IN ('', 'completed', 'abandoned', 'overflow', 'transferred', 'failed')),
	recording_name   TEXT    NOT NULL DEFAULT '',
	transferred_from INTEGER REFERENCES operators (id)
);
CREATE INDEX legs_case ON legs (case_id);
-- Legs still open: what the call flow reconciles with Asterisk after a restart.
CREATE INDEX legs_open ON legs (arrived_at) WHERE ended_at IS NULL;

CREATE TABLE case_links (
	case_id    INTEGER NOT NULL REFERENCES cases (id),
	linked_id  INTEGER NOT NULL REFERENCES cases (id),
	created_at INTEGER NOT NULL,
	PRIMARY KEY (case_id, linked_id),
	CHECK (case_id <> linked_id)
) WITHOUT ROWID;

CREATE TABLE attachments (
	id              INTEGER PRIMARY KEY,
	case_id         INTEGER NOT NULL REFERENCES cases (id),
	document_number TEXT    NOT NULL,
	registered_on   TEXT    NOT NULL,
	file_path       TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL
);
CREATE INDEX attachments_case ON attachments (case_id);

-- Every change, append-only: who, when, what (a JSON list of {field, from, to}).
CREATE TABLE history (
	id        INTEGER PRIMARY KEY,
	at        INTEGER NOT NULL,
	actor     TEXT    NOT NULL,
	entity    TEXT    NOT NULL,   -- case, leg, operator, topic, script
	entity_id TEXT    NOT NULL,
	case_id   INTEGER REFERENCES cases (id),
	action    TEXT    NOT NULL,
	changes   TEXT    NOT NULL DEFAULT '[]'
);
CREATE INDEX history_case ON history (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX history_entity ON history (entity, entity_id);
-- The database itself refuses to rewrite the past, whatever program holds the file.
CREATE TRIGGER history_no_update BEFORE UPDATE ON history BEGIN
	SELECT RAISE(ABORT, 'history is append-only');
END;
CREATE TRIGGER history_no_delete BEFORE DELETE ON history BEGIN
	SELECT RAISE(ABORT, 'history is append-only');
END;
