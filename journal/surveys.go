package journal

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// The survey journals' lists (§5.3), read from the register: who is due for the check-up
// («Диспансеризация»: a dispensary year) or under dispensary observation («Диспансерный учет»: a
// diagnosis too), grouped by medical organisation. The survey itself (questions, answers, refusals,
// reschedules) keeps each person's state (SurveyState) with its history; the answers are to the
// journal's questionnaire for the year (questionnaires.go); «Действия» are in survey_actions.go.

// SurveyKind is one of the two survey journals.
type SurveyKind string

const (
	SurveyCheckup     SurveyKind = "checkup"     // «Диспансеризация»
	SurveyObservation SurveyKind = "observation" // «Диспансерный учет»
)

// Valid reports whether k is a known survey journal.
func (k SurveyKind) Valid() bool { return k == SurveyCheckup || k == SurveyObservation }

// where is the condition on insured rows (alias i) that puts a person in journal k.
func (k SurveyKind) where() string {
	if k == SurveyObservation {
		return `i.disp_year = ? AND i.diagnosis <> ''`
	}
	return `i.disp_year = ?`
}

// SurveyOrganisation is a row of a survey journal's main page: a medical organisation and how
// many of its persons the journal holds.
type SurveyOrganisation struct {
	Code    string `db:"code" json:"code"`
	Name    string `db:"name" json:"name"`
	Persons int    `db:"persons" json:"persons"`
}

// MaxSurveyOrganisationText bounds the organisation filter.
const MaxSurveyOrganisationText = 100

// SurveyOrganisations lists the organisations with persons in journal k for year, by name; name
// keeps those whose name or code contains it (case and ё aside).
func (s *Store) SurveyOrganisations(ctx context.Context, k SurveyKind, year int, name string) ([]SurveyOrganisation, error) {
	if !k.Valid() {
		return nil, hotline.Errorf(hotline.EINVALID, "unknown survey journal %q", clip(string(k)))
	}
	name = strings.TrimSpace(name)
	if len([]rune(name)) > MaxSurveyOrganisationText {
		return nil, hotline.Errorf(hotline.EINVALID, "the organisation searched is too long: at most %d characters", MaxSurveyOrganisationText)
	}
	var orgs []SurveyOrganisation
	if err := s.r.SelectContext(ctx, &orgs, `SELECT code, name, 0 AS persons FROM medical_organisations ORDER BY name, code`); err != nil {
		return nil, s.dbError(err, "list medical organisations")
	}
	// Counted per organisation through insured_mo (mo_code, disp_year): a range each, not a
	// grouping of the whole register.
	out := orgs[:0]
	for _, o := range orgs {
		if name != "" && !strings.Contains(searchFold(o.Name+" "+o.Code), searchFold(name)) {
			continue
		}
		if err := s.r.GetContext(ctx, &o.Persons, `SELECT count(*) FROM insured i WHERE i.mo_code = ? AND `+k.where(), o.Code, year); err != nil {
			return nil, s.dbError(err, "count an organisation's persons")
		}
		if o.Persons > 0 {
			out = append(out, o)
		}
	}
	return out, nil
}

// SurveyPage is a page of one organisation's persons in a survey journal.
type SurveyPage struct {
	Organisation hotline.MedicalOrganisation
	Persons      []hotline.Insured
	States       []hotline.SurveyState
	Next         int64 // the id to go on after; 0: the last page
}

// SurveyPageSize is how many persons a page shows.
const SurveyPageSize = 50

// SurveyFilter selects one organisation's persons in a survey journal.
type SurveyFilter struct {
	Kind   SurveyKind
	Code   string // the medical organisation
	Year   int
	Month  int                  // 1–12 narrows to one period; 0: the whole year
	Status hotline.SurveyStatus // "": any
	Action string               // one of SurveyActionFilters; "": any
	After  int64                // the page starts after this person id
}

// SurveyActionFilters are the list's filter by action («по действию», §5.3.1), each a condition
// on the person (alias i) in the journal's year (the query's st.kind and i.disp_year).
var SurveyActionFilters = []string{"notified", "not_notified", "stage1", "stage2", "no_stage", "noted"}

func actionCondition(a string) string {
	const act = `EXISTS (SELECT 1 FROM survey_actions a WHERE a.person_id = i.id AND a.kind = st_kind.k AND a.year = i.disp_year AND `
	switch a {
	case "notified":
		return act + `a.action = 'notified')`
	case "not_notified":
		return `NOT ` + act + `a.action = 'notified')`
	case "stage1":
		return act + `a.action = 'stage' AND a.detail = '1')`
	case "stage2":
		return act + `a.action = 'stage' AND a.detail = '2')`
	case "no_stage":
		return `NOT ` + act + `a.action = 'stage')`
	case "noted":
		return `EXISTS (SELECT 1 FROM survey_notes n WHERE n.person_id = i.id AND n.kind = st_kind.k AND n.year = i.disp_year)`
	}
	return ""
}

// SurveyPersons is a page of an organisation's persons in a survey journal, in the register's
// order, with their survey states (States[i] is Persons[i]'s).
func (s *Store) SurveyPersons(ctx context.Context, f SurveyFilter) (SurveyPage, error) {
	var p SurveyPage
	k, code, year, month, after := f.Kind, f.Code, f.Year, f.Month, f.After
	if !k.Valid() {
		return p, hotline.Errorf(hotline.EINVALID, "unknown survey journal %q", clip(string(k)))
	}
	if month < 0 || month > 12 {
		return p, hotline.Errorf(hotline.EINVALID, "period %d: want a month 1 to 12", month)
	}
	if f.Status != "" && !f.Status.Valid() {
		return p, hotline.Errorf(hotline.EINVALID, "unknown survey status %q", clip(string(f.Status)))
	}
	if f.Action != "" && actionCondition(f.Action) == "" {
		return p, hotline.Errorf(hotline.EINVALID, "unknown action filter %q", clip(f.Action))
	}
	if err := s.r.GetContext(ctx, &p.Organisation, `SELECT code, name FROM medical_organisations WHERE code = ?`, code); err != nil {
		return p, s.dbError(err, "medical organisation "+clip(code))
	}
	q := `SELECT i.id FROM (SELECT ? AS k) st_kind CROSS JOIN insured i
		LEFT JOIN survey_states st ON st.person_id = i.id AND st.kind = st_kind.k AND st.year = i.disp_year
		WHERE i.mo_code = ? AND ` + k.where() + ` AND i.id > ?`
	args := []any{string(k), code, year, after}
	if f.Action != "" {
		q += ` AND ` + actionCondition(f.Action)
	}
	if month != 0 {
		q += ` AND i.disp_month = ?`
		args = append(args, month)
	}
	if f.Status != "" {
		q += ` AND coalesce(st.status, 'not_called') = ?`
		args = append(args, string(f.Status))
	}
	var ids []int64
	if err := s.r.SelectContext(ctx, &ids, q+` ORDER BY i.id LIMIT ?`, append(args, SurveyPageSize+1)...); err != nil {
		return p, s.dbError(err, "list an organisation's persons")
	}
	if len(ids) > SurveyPageSize {
		ids = ids[:SurveyPageSize]
		p.Next = ids[len(ids)-1]
	}
	persons, err := s.insuredByIDs(ctx, ids)
	if err != nil {
		return p, err
	}
	byID := make(map[int64]hotline.Insured, len(persons))
	for _, x := range persons {
		byID[x.ID] = x
	}
	for _, id := range ids {
		p.Persons = append(p.Persons, byID[id])
		st, err := s.SurveyState(ctx, k, year, id)
		if err != nil {
			return p, err
		}
		p.States = append(p.States, st)
	}
	return p, nil
}

type surveyRow struct {
	PersonID      int64         `db:"person_id"`
	Kind          string        `db:"kind"`
	Year          int           `db:"year"`
	Status        string        `db:"status"`
	Comment       string        `db:"comment"`
	RefusalReason string        `db:"refusal_reason"`
	CallOn        string        `db:"call_on"`
	UpdatedAt     int64         `db:"updated_at"`
	UpdatedBy     string        `db:"updated_by"`
	Version       int64         `db:"version"`
	Questionnaire sql.NullInt64 `db:"questionnaire_id"`
	Answers       string        `db:"answers"`
}

// SurveyState is person's survey in journal k for year: «не звонили», version 0, when nobody
// saved one.
func (s *Store) SurveyState(ctx context.Context, k SurveyKind, year int, person int64) (hotline.SurveyState, error) {
	return surveyState(ctx, s.r, k, year, person)
}

func surveyState(ctx context.Context, q sqlx.QueryerContext, k SurveyKind, year int, person int64) (hotline.SurveyState, error) {
	st := hotline.SurveyState{PersonID: person, Kind: string(k), Year: year, Status: hotline.SurveyNotCalled}
	var r surveyRow
	err := sqlx.GetContext(ctx, q, &r, `SELECT * FROM survey_states WHERE person_id = ? AND kind = ? AND year = ?`, person, string(k), year)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	st.Status, st.Comment, st.RefusalReason, st.CallOn = hotline.SurveyStatus(r.Status), r.Comment, r.RefusalReason, r.CallOn
	st.UpdatedAt, st.UpdatedBy, st.Version = time.UnixMilli(r.UpdatedAt).UTC(), r.UpdatedBy, r.Version
	st.QuestionnaireID = r.Questionnaire.Int64
	if r.Answers != "" {
		if err := json.Unmarshal([]byte(r.Answers), &st.Answers); err != nil {
			return st, fmt.Errorf("survey %s/%d/%d: answers: %w", k, year, person, err)
		}
	}
	return st, nil
}

// SaveSurveyState saves a person's survey (the card's «Сохранить»): st.Version must be the
// version it was read at (ECONFLICT when someone saved it since); the change goes to the history.
// The person must be in the journal for that year.
func (s *Store) SaveSurveyState(ctx context.Context, by hotline.Actor, k SurveyKind, st *hotline.SurveyState) error {
	if !k.Valid() {
		return hotline.Errorf(hotline.EINVALID, "unknown survey journal %q", clip(string(k)))
	}
	st.Kind = string(k)
	if err := st.Validate(s.now()); err != nil {
		return err
	}
	return s.write(ctx, "save a survey", func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM insured i WHERE i.id = ? AND `+k.where(), st.PersonID, st.Year); err != nil {
			return err
		}
		if n == 0 {
			return hotline.Errorf(hotline.ENOTFOUND, "insured person %d is not in the %s journal for %d", st.PersonID, k, st.Year)
		}
		old, err := surveyState(ctx, tx, k, st.Year, st.PersonID)
		if err != nil {
			return err
		}
		if old.Version != st.Version {
			return hotline.Errorf(hotline.ECONFLICT, "the survey was saved by %s since you opened it (version %d, you have %d)", old.UpdatedBy, old.Version, st.Version)
		}
		if err := s.checkAnswers(ctx, tx, k, st); err != nil {
			return err
		}
		answers := ""
		if len(st.Answers) > 0 {
			b, err := json.Marshal(st.Answers)
			if err != nil {
				return err
			}
			answers = string(b)
		}
		st.Version++
		st.UpdatedAt, st.UpdatedBy = s.now().UTC(), by.Login
		if _, err := tx.ExecContext(ctx, `INSERT INTO survey_states (person_id, kind, year, status, comment, refusal_reason, call_on, updated_at, updated_by, version, questionnaire_id, answers)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (person_id, kind, year) DO UPDATE SET status = excluded.status, comment = excluded.comment,
			refusal_reason = excluded.refusal_reason, call_on = excluded.call_on, updated_at = excluded.updated_at,
			updated_by = excluded.updated_by, version = excluded.version, questionnaire_id = excluded.questionnaire_id,
			answers = excluded.answers`,
			st.PersonID, string(k), st.Year, string(st.Status), st.Comment, st.RefusalReason, st.CallOn, st.UpdatedAt.UnixMilli(), by.Login, st.Version,
			nullID(st.QuestionnaireID), answers); err != nil {
			return err
		}
		// The history names the questionnaire by its version, as the pages do.
		version := func(id int64) (string, error) {
			if id == 0 {
				return "", nil
			}
			var v int
			err := tx.GetContext(ctx, &v, `SELECT version FROM questionnaires WHERE id = ?`, id)
			return fmt.Sprint(v), err
		}
		oldQ, err := version(old.QuestionnaireID)
		if err != nil {
			return err
		}
		newQ, err := version(st.QuestionnaireID)
		if err != nil {
			return err
		}
		fields := func(x hotline.SurveyState, q string) map[string]string {
			return map[string]string{"status": string(x.Status), "comment": x.Comment, "refusal_reason": x.RefusalReason, "call_on": x.CallOn,
				"answers": formatAnswers(x.Answers), "questionnaire": q}
		}
		return s.record(ctx, tx, by, "survey", fmt.Sprintf("%s/%d/%d", k, st.Year, st.PersonID), 0, "updated", diff(fields(old, oldQ), fields(*st, newQ)))
	})
}

// checkAnswers checks a survey's answers in tx: given to the journal's latest questionnaire for
// the year (ECONFLICT when it changed since the card was opened), each a question and a choice
// it has. An answered survey of a journal with a questionnaire needs at least one answer.
func (s *Store) checkAnswers(ctx context.Context, tx *sqlx.Tx, k SurveyKind, st *hotline.SurveyState) error {
	latest, err := s.getQuestionnaire(ctx, tx, "", `kind = ? AND year = ? ORDER BY version DESC LIMIT 1`, string(k), st.Year)
	switch {
	case hotline.ErrorCode(err) == hotline.ENOTFOUND:
		if st.QuestionnaireID != 0 || len(st.Answers) > 0 {
			return hotline.Errorf(hotline.EINVALID, "the %s journal has no questionnaire for %d", k, st.Year)
		}
		return nil
	case err != nil:
		return err
	}
	if st.Status != hotline.SurveyAnswered {
		st.QuestionnaireID, st.Answers = 0, nil
		return nil
	}
	if st.QuestionnaireID != latest.ID {
		return hotline.Errorf(hotline.ECONFLICT, "the questionnaire changed since you opened the card (now version %d)", latest.Version)
	}
	if len(st.Answers) == 0 {
		return hotline.Errorf(hotline.EINVALID, "an answered survey needs at least one answer to the questionnaire")
	}
	return latest.CheckAnswers(st.Answers)
}

// formatAnswers writes answers for the history: "1:2 3:1", by question.
func formatAnswers(a hotline.SurveyAnswers) string {
	qs := make([]int, 0, len(a))
	for q := range a {
		qs = append(qs, q)
	}
	slices.Sort(qs)
	var b strings.Builder
	for i, q := range qs {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d:%d", q, a[q])
	}
	return b.String()
}

// SurveyHistory is the history of person's survey in journal k for year, oldest first.
func (s *Store) SurveyHistory(ctx context.Context, k SurveyKind, year int, person int64) ([]Event, error) {
	return s.History(ctx, HistoryFilter{Entity: "survey", EntityID: fmt.Sprintf("%s/%d/%d", k, year, person)})
}
