-- 0019: each leg carries its call's topic (issue 23, the whole-range report). A report counts every
-- leg under the topic of the first case its call was filed in (case_calls by attached_at, then
-- case_id: journal.CallRecords); looked up for each leg that was three index searches, four fifths
-- of the SQL of a report over three years (a million legs). call_topic is that topic, NULL when
-- the call is in no case or its first case has none; the triggers below keep it so on every
-- write, whichever code makes it (the call flow, the case card, db copy, the synthetic generator):
-- a leg inserted, a call filed in a case or taken out of one, a case's topic changed.
ALTER TABLE legs ADD COLUMN call_topic TEXT;

UPDATE legs SET call_topic = (SELECT k.topic FROM case_calls cc JOIN cases k ON k.id = cc.case_id
	WHERE cc.call_ref = legs.call_ref ORDER BY cc.attached_at, cc.case_id LIMIT 1)
WHERE call_ref IN (SELECT call_ref FROM case_calls);

CREATE TRIGGER legs_call_topic_insert AFTER INSERT ON legs
	WHEN EXISTS (SELECT 1 FROM case_calls WHERE call_ref = NEW.call_ref)
BEGIN
	UPDATE legs SET call_topic = (SELECT k.topic FROM case_calls cc JOIN cases k ON k.id = cc.case_id
		WHERE cc.call_ref = NEW.call_ref ORDER BY cc.attached_at, cc.case_id LIMIT 1) WHERE id = NEW.id;
END;
CREATE TRIGGER legs_call_topic_call AFTER UPDATE OF call_ref ON legs
BEGIN
	UPDATE legs SET call_topic = (SELECT k.topic FROM case_calls cc JOIN cases k ON k.id = cc.case_id
		WHERE cc.call_ref = NEW.call_ref ORDER BY cc.attached_at, cc.case_id LIMIT 1) WHERE id = NEW.id;
END;
CREATE TRIGGER case_calls_topic_insert AFTER INSERT ON case_calls
BEGIN
	UPDATE legs SET call_topic = (SELECT k.topic FROM case_calls cc JOIN cases k ON k.id = cc.case_id
		WHERE cc.call_ref = NEW.call_ref ORDER BY cc.attached_at, cc.case_id LIMIT 1) WHERE call_ref = NEW.call_ref;
END;
CREATE TRIGGER case_calls_topic_delete AFTER DELETE ON case_calls
BEGIN
	UPDATE legs SET call_topic = (SELECT k.topic FROM case_calls cc JOIN cases k ON k.id = cc.case_id
		WHERE cc.call_ref = OLD.call_ref ORDER BY cc.attached_at, cc.case_id LIMIT 1) WHERE call_ref = OLD.call_ref;
END;
CREATE TRIGGER case_calls_topic_update AFTER UPDATE ON case_calls
BEGIN
	UPDATE legs SET call_topic = (SELECT k.topic FROM case_calls cc JOIN cases k ON k.id = cc.case_id
		WHERE cc.call_ref = legs.call_ref ORDER BY cc.attached_at, cc.case_id LIMIT 1)
	WHERE call_ref IN (OLD.call_ref, NEW.call_ref);
END;
CREATE TRIGGER cases_call_topic AFTER UPDATE OF topic ON cases
	WHEN OLD.topic IS NOT NEW.topic
BEGIN
	UPDATE legs SET call_topic = (SELECT k.topic FROM case_calls cc JOIN cases k ON k.id = cc.case_id
		WHERE cc.call_ref = legs.call_ref ORDER BY cc.attached_at, cc.case_id LIMIT 1)
	WHERE call_ref IN (SELECT call_ref FROM case_calls WHERE case_id = NEW.id);
END;
