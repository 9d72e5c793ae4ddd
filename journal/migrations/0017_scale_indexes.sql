-- 0017: indexes for a journal at a fund's scale (issue 23: a million cases, nine million history
-- events; docs/benchmark.md).
--
-- A report reads a range's status changes of cases from the history (journal.CaseStatusChanges:
-- callbacks into and out of «Отсроченный ответ»). Without an index on the time SQLite walked
-- history_entity over every case event whatever the range (8 s for a day at 1 M cases).
CREATE INDEX history_entity_at ON history (entity, at);
-- Reports and exports read the legs that arrived in a range (journal.CallRecords, RingAttempts):
-- without it every leg of the journal was read for a day's report.
CREATE INDEX legs_arrived ON legs (arrived_at);
