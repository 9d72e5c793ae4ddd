-- 0016: the survey journals' questionnaires, answers, «Действия» (issue 25, §5.3).

-- Each save of a journal's questionnaire for a year is a new version; versions are never changed
-- or deleted, so answers given to an old one stay readable.
CREATE TABLE questionnaires (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('checkup', 'observation')),
    year            INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    questions       TEXT NOT NULL,   -- JSON: [{"text", "choices": [...]}]
    refusal_reasons TEXT NOT NULL,   -- JSON: ["..."]
    created_at      INTEGER NOT NULL,
    created_by      TEXT NOT NULL,
    UNIQUE (kind, year, version)
);

-- The answers of a survey and the questionnaire version they were given to.
ALTER TABLE survey_states ADD COLUMN questionnaire_id INTEGER REFERENCES questionnaires (id);
ALTER TABLE survey_states ADD COLUMN answers TEXT NOT NULL DEFAULT '';  -- JSON: {"question": choice}

-- «Действия» from the fund's data: notifications sent, stages from the organisation's billing
-- registers. `hotline survey actions import` adds them; a line seen again is the same row.
CREATE TABLE survey_actions (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES insured (id),
    kind       TEXT NOT NULL CHECK (kind IN ('checkup', 'observation')),
    year       INTEGER NOT NULL,
    action     TEXT NOT NULL CHECK (action IN ('notified', 'stage')),
    on_date    TEXT NOT NULL,              -- YYYY-MM-DD
    detail     TEXT NOT NULL DEFAULT '',   -- notified: the channel; stage: 1 or 2
    import_id  INTEGER NOT NULL,
    UNIQUE (person_id, kind, year, action, on_date, detail)
);

CREATE TABLE survey_action_imports (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    source    TEXT NOT NULL,
    actor     TEXT NOT NULL,
    added     INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    rejected  INTEGER NOT NULL
);

-- Representatives' notes on a person's survey (§5.3.1: «сведения … внесенные страховыми
-- представителями»): added, never edited.
CREATE TABLE survey_notes (
    id         INTEGER PRIMARY KEY,
    person_id  INTEGER NOT NULL REFERENCES insured (id),
    kind       TEXT NOT NULL CHECK (kind IN ('checkup', 'observation')),
    year       INTEGER NOT NULL,
    text       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX survey_notes_person ON survey_notes (person_id, kind, year);
