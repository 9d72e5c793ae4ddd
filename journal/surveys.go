package journal

import (
	"context"
	"strings"

	"github.com/hotline-dev/hotline"
)

// The survey journals' lists (§5.3), read from the register: who is due for the check-up
// («Диспансеризация»: a dispensary year) or under dispensary observation («Диспансерный учет»: a
// diagnosis too), grouped by medical organisation. The survey itself (questions, answers, refusals,
// reschedules) is not built yet.

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
	Next         int64 // the id to go on after; 0: the last page
}

// SurveyPageSize is how many persons a page shows.
const SurveyPageSize = 50

// SurveyPersons is a page of organisation code's persons in journal k for year (month 1–12
// narrows to one period; 0: the whole year), in the register's order, after person id after.
func (s *Store) SurveyPersons(ctx context.Context, k SurveyKind, code string, year, month int, after int64) (SurveyPage, error) {
	var p SurveyPage
	if !k.Valid() {
		return p, hotline.Errorf(hotline.EINVALID, "unknown survey journal %q", clip(string(k)))
	}
	if month < 0 || month > 12 {
		return p, hotline.Errorf(hotline.EINVALID, "period %d: want a month 1 to 12", month)
	}
	if err := s.r.GetContext(ctx, &p.Organisation, `SELECT code, name FROM medical_organisations WHERE code = ?`, code); err != nil {
		return p, s.dbError(err, "medical organisation "+clip(code))
	}
	q := `SELECT i.id FROM insured i WHERE i.mo_code = ? AND ` + k.where() + ` AND i.id > ?`
	args := []any{code, year, after}
	if month != 0 {
		q += ` AND i.disp_month = ?`
		args = append(args, month)
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
	}
	return p, nil
}
