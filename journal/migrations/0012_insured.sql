-- 0012: the register of insured persons (issue 25, §5.1.3): the fund's extract imported by
-- `hotline insured import`, searched by name parts and birth date from the registration card.

-- Medical organisations persons are attached to, by the fund's code.
CREATE TABLE medical_organisations (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

CREATE TABLE insured (
    id            INTEGER PRIMARY KEY,
    policy_number TEXT NOT NULL UNIQUE,          -- ЕНП, 16 digits: the import's key
    full_name     TEXT NOT NULL,
    -- The name's parts folded (lower case, ё as е), each after a space: " иванов иван иванович";
    -- a search narrowed by a birth date or by a rarer part matches the others here with LIKE '% part%'.
    name_fold     TEXT NOT NULL,
    birth_date    TEXT NOT NULL,                 -- YYYY-MM-DD
    sex           TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    address       TEXT NOT NULL DEFAULT '',
    mo_code       TEXT REFERENCES medical_organisations (code),
    health_group  TEXT NOT NULL DEFAULT '',
    diagnosis     TEXT NOT NULL DEFAULT '',      -- ICD-10
    disp_year     INTEGER NOT NULL DEFAULT 0,
    disp_month    INTEGER NOT NULL DEFAULT 0,
    stage         INTEGER NOT NULL DEFAULT 0,
    updated_at    INTEGER NOT NULL,              -- Unix ms of the import that last changed it
    -- The import that last saw the person and the line it was on: a policy number met twice in
    -- one file is refused with the line it first appeared on.
    import_id     INTEGER NOT NULL DEFAULT 0,
    import_line   INTEGER NOT NULL DEFAULT 0
);

-- A search by birth date alone, and a name search narrowed by one.
CREATE INDEX insured_birth ON insured (birth_date);
-- The survey journals' lists (§5.3): one organisation's persons due in a year, with a diagnosis
-- for «Диспансерный учет» (so that counting them reads the index alone).
CREATE INDEX insured_mo ON insured (mo_code, disp_year, diagnosis);

-- Each folded name part of each person («иванов», «иван», «иванович»; a hyphenated surname
-- gives its whole and each half), with the person's name_fold: a prefix search of any part is a
-- range of this table's key, and the query's other words are checked in the same row (LIKE on
-- name_fold), so a search reads consecutive rows and never the insured table until it has its
-- ten. No index by person: an import that renames someone deletes the old parts by this key (it
-- knows them from the old name), and persons are never deleted.
CREATE TABLE insured_names (
    part      TEXT NOT NULL,
    person_id INTEGER NOT NULL REFERENCES insured (id),
    name_fold TEXT NOT NULL,
    PRIMARY KEY (part, person_id)
) WITHOUT ROWID;

-- A person's phones; wrong is the «неверный номер» mark, kept when an import repeats the number.
CREATE TABLE insured_phones (
    person_id INTEGER NOT NULL REFERENCES insured (id),
    number    TEXT NOT NULL,                     -- E.164
    position  INTEGER NOT NULL,                  -- its order in the register
    wrong     INTEGER NOT NULL DEFAULT 0,
    wrong_at  INTEGER,                           -- Unix ms of the mark
    wrong_by  TEXT,                              -- who marked it
    PRIMARY KEY (person_id, number)
) WITHOUT ROWID;

-- One row per import run: what `hotline insured import` reported.
CREATE TABLE insured_imports (
    id        INTEGER PRIMARY KEY,
    started   INTEGER NOT NULL,
    finished  INTEGER,
    source    TEXT NOT NULL,
    actor     TEXT NOT NULL,
    added     INTEGER NOT NULL DEFAULT 0,
    updated   INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    rejected  INTEGER NOT NULL DEFAULT 0
);

-- The survey journals (§5.3): where each person's survey stands, per journal and year; its
-- changes are in the history. No row: not called yet.
CREATE TABLE survey_states (
    person_id      INTEGER NOT NULL REFERENCES insured (id),
    kind           TEXT NOT NULL CHECK (kind IN ('checkup', 'observation')),
    year           INTEGER NOT NULL,
    status         TEXT NOT NULL,
    comment        TEXT NOT NULL DEFAULT '',
    refusal_reason TEXT NOT NULL DEFAULT '',
    call_on        TEXT NOT NULL DEFAULT '',   -- YYYY-MM-DD, a rescheduled call
    updated_at     INTEGER NOT NULL,
    updated_by     TEXT NOT NULL,
    version        INTEGER NOT NULL,
    PRIMARY KEY (person_id, kind, year)
) WITHOUT ROWID;
