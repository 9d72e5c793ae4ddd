-- 0015: the informing campaigns of the module «ЕИР263» (issue 25, §7.1): a level-2
-- representative's choice of organisation, type and period, the persons of the register it
-- selected, each person's dialling and result, and every attempt.

CREATE TABLE campaigns (
    id          INTEGER PRIMARY KEY,
    mo_code     TEXT NOT NULL REFERENCES medical_organisations (code),
    kind        TEXT NOT NULL CHECK (kind IN ('checkup', 'observation', 'second_stage')),
    period_from TEXT NOT NULL,                  -- YYYY-MM
    period_to   TEXT NOT NULL,                  -- YYYY-MM
    created_at  INTEGER NOT NULL,               -- Unix ms
    created_by  TEXT NOT NULL,
    operator_id INTEGER NOT NULL DEFAULT 0      -- the representative who saved it
);

-- The campaign's persons, selected from the register when it is saved (a later import does not
-- change who the campaign informs). status: informing.Person's (hotline.InformingStatus).
CREATE TABLE campaign_persons (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    person_id   INTEGER NOT NULL REFERENCES insured (id),
    position    INTEGER NOT NULL,               -- the order they are dialled in
    status      TEXT NOT NULL DEFAULT 'pending',
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER NOT NULL DEFAULT 0,     -- Unix ms: not dialled before (a back-off)
    claimed_by  INTEGER NOT NULL DEFAULT 0,     -- the representative dialling them
    claimed_at  INTEGER NOT NULL DEFAULT 0,
    number      TEXT NOT NULL DEFAULT '',       -- the number last dialled
    call_id     TEXT NOT NULL DEFAULT '',       -- the answered call the result belongs to
    reached     INTEGER NOT NULL DEFAULT 0,     -- answered at least once
    result      TEXT NOT NULL DEFAULT '',       -- hotline.InformingResult, as saved
    comment     TEXT NOT NULL DEFAULT '',
    updated_at  INTEGER NOT NULL DEFAULT 0,
    updated_by  TEXT NOT NULL DEFAULT '',
    version     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, person_id)
) WITHOUT ROWID;

-- The dialler walks a campaign's persons in order.
CREATE INDEX campaign_persons_order ON campaign_persons (campaign_id, position);

-- Every dialling attempt and how it ended (hotline.DialOutcome), with the call when answered.
CREATE TABLE campaign_attempts (
    id          INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
    person_id   INTEGER NOT NULL,
    operator_id INTEGER NOT NULL,
    number      TEXT NOT NULL,
    at          INTEGER NOT NULL,               -- Unix ms: dialled
    ended_at    INTEGER NOT NULL,               -- Unix ms: answered, or given up
    outcome     TEXT NOT NULL,
    call_id     TEXT NOT NULL DEFAULT '',
    cause       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX campaign_attempts_person ON campaign_attempts (campaign_id, person_id);
