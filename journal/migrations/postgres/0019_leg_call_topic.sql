-- PostgreSQL twin of ../0019_leg_call_topic.sql (see there): each leg carries its call's topic,
-- the topic of the first case the call was filed in (case_calls by attached_at, then case_id),
-- kept by triggers on every write. A leg's own is set before it is written; filing a call in a
-- case, taking it out, or changing a case's topic sets its calls' legs'.
ALTER TABLE legs ADD COLUMN call_topic TEXT;

CREATE FUNCTION call_first_topic(ref BIGINT) RETURNS TEXT LANGUAGE sql STABLE AS $$
	SELECT k.topic FROM case_calls cc JOIN cases k ON k.id = cc.case_id
	WHERE cc.call_ref = ref ORDER BY cc.attached_at, cc.case_id LIMIT 1
$$;

UPDATE legs SET call_topic = call_first_topic(call_ref) WHERE call_ref IN (SELECT call_ref FROM case_calls);

CREATE FUNCTION legs_call_topic() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.call_topic := call_first_topic(NEW.call_ref);
	RETURN NEW;
END $$;
CREATE TRIGGER legs_call_topic BEFORE UPDATE OF call_ref OR INSERT ON legs
	FOR EACH ROW EXECUTE FUNCTION legs_call_topic();

CREATE FUNCTION case_calls_call_topic() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'INSERT' THEN
		UPDATE legs SET call_topic = call_first_topic(OLD.call_ref) WHERE call_ref = OLD.call_ref;
	END IF;
	IF TG_OP <> 'DELETE' THEN
		UPDATE legs SET call_topic = call_first_topic(NEW.call_ref) WHERE call_ref = NEW.call_ref;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER case_calls_call_topic AFTER UPDATE OR DELETE OR INSERT ON case_calls
	FOR EACH ROW EXECUTE FUNCTION case_calls_call_topic();

CREATE FUNCTION cases_call_topic() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE legs SET call_topic = call_first_topic(legs.call_ref)
	WHERE call_ref IN (SELECT call_ref FROM case_calls WHERE case_id = NEW.id);
	RETURN NULL;
END $$;
CREATE TRIGGER cases_call_topic AFTER UPDATE OF topic ON cases
	FOR EACH ROW WHEN (OLD.topic IS DISTINCT FROM NEW.topic) EXECUTE FUNCTION cases_call_topic();
