-- 0014: offers of a call that were not answered (docs/reports.md): queue_log's RINGNOANSWER and
-- RINGCANCELED. Each belongs to the leg that was the call's newest when it was recorded. And the
-- bridge of a consultation (attended) transfer on the leg it ended: ATTENDEDTRANSFER's BRIDGE|<id>;
-- '' for a blind transfer and for legs recorded before.
CREATE TABLE ring_attempts (
    id          INTEGER PRIMARY KEY,
    leg_id      INTEGER NOT NULL REFERENCES legs (id),
    operator_id INTEGER NOT NULL REFERENCES operators (id),
    rang_at     INTEGER NOT NULL,
    stopped_at  INTEGER NOT NULL,
    why         TEXT NOT NULL CHECK (why IN ('timeout', 'declined', 'caller_gone', 'withdrawn', 'not_placed'))
);
CREATE INDEX ring_attempts_by_leg ON ring_attempts (leg_id);
ALTER TABLE legs ADD COLUMN transfer_bridge TEXT NOT NULL DEFAULT '';
