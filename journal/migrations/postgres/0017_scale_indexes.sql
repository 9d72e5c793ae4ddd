-- PostgreSQL twin of ../0017_scale_indexes.sql (docs/journal.md: the conventions).
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
-- The report's callbacks are the changes into and out of «Отсроченный ответ»: a few in a hundred
-- history events. Over a range of years (entity, at) still walks every case event (9 M at a
-- fund's scale); this index holds only the events that name the status (CaseStatusChanges).
CREATE INDEX history_delayed_answer ON history (at) WHERE instr(changes, '"delayed_answer"') > 0;
-- Every report lists the cases overdue as of its end, whenever registered (OverdueCases): without
-- an index every case of the journal was read, a second at a million cases even for a day's report.
-- Only cases with a due date not yet approved are in it.
CREATE INDEX cases_overdue ON cases (due_at) WHERE due_at IS NOT NULL AND status <> 'approved';
