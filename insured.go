package hotline

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The register of insured persons (реестр застрахованных лиц): the fund's extract, imported by
// `hotline insured import`, searched from the registration card (§5.1.3) and, later, the survey
// journals (§5.3) and the informing campaigns (§7.1) work through it.

// PolicyNumberLen is the length of a single policy number (ЕНП, единый номер полиса ОМС): 16
// digits.
const PolicyNumberLen = 16

// MaxInsuredPhones bounds the phones one person carries in the register.
const MaxInsuredPhones = 5

// Sex is an insured person's sex as the register holds it.
type Sex string

const (
	SexMale   Sex = "male"   // «м»
	SexFemale Sex = "female" // «ж»
)

// Valid reports whether x is a known sex.
func (x Sex) Valid() bool { return x == SexMale || x == SexFemale }

// ParseSex reads the register's spellings: «м»/«ж» (any case), M/F, and the federal register's
// codes 1 (male) and 2 (female).
func ParseSex(s string) (Sex, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "м", "муж", "мужской", "m", "male", "1":
		return SexMale, true
	case "ж", "жен", "женский", "f", "female", "2":
		return SexFemale, true
	}
	return "", false
}

// HealthGroups are the adult health groups assigned at a check-up (группа здоровья), as the
// register and the survey journal (§5.3.2) show them.
var HealthGroups = []string{"I", "II", "IIIа", "IIIб"}

// ParseHealthGroup reads a health group written as 1, 2, 3а, 3б or I, II, IIIа, IIIб (Latin or
// Cyrillic а/б, a/b, any case) into one of HealthGroups.
func ParseHealthGroup(s string) (string, bool) {
	g := strings.ToLower(strings.TrimSpace(s))
	g = strings.NewReplacer("a", "а", "b", "б").Replace(g) // Latin letters people type for Cyrillic
	switch g {
	case "1", "i":
		return "I", true
	case "2", "ii":
		return "II", true
	case "3а", "iiiа":
		return "IIIа", true
	case "3б", "iiiб":
		return "IIIб", true
	}
	return "", false
}

var icd10 = regexp.MustCompile(`^[A-Z][0-9]{2}(\.[0-9]{1,2})?$`)

// cyrillicLookalikes are the Cyrillic capitals that look like the Latin letters of ICD-10 codes:
// a diagnosis typed on a Russian keyboard («Е11.9») is the same code.
var cyrillicLookalikes = strings.NewReplacer("А", "A", "В", "B", "Е", "E", "К", "K", "М", "M", "Н", "H",
	"О", "O", "Р", "P", "С", "C", "Т", "T", "Х", "X")

// ParseDiagnosis reads an ICD-10 code (МКБ-10), e.g. I10, E11.9, «е11.9»: upper-cased, Cyrillic
// look-alike letters read as Latin.
func ParseDiagnosis(s string) (string, bool) {
	d := cyrillicLookalikes.Replace(strings.ToUpper(strings.TrimSpace(s)))
	if !icd10.MatchString(d) {
		return "", false
	}
	return d, true
}

// NormalizePolicyNumber removes the spaces and dashes people group a policy number's digits with.
func NormalizePolicyNumber(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\u00a0' {
			return -1
		}
		return r
	}, s)
}

// ValidPolicyNumber reports whether s is a single policy number: exactly 16 digits.
func ValidPolicyNumber(s string) bool {
	if len(s) != PolicyNumberLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MedicalOrganisation is a medical organisation insured persons are attached to (медицинская
// организация), by its code in the fund's register of organisations.
type MedicalOrganisation struct {
	Code string `json:"code"`
	Name string `json:"name,omitempty"`
}

// InsuredPhone is one of an insured person's phone numbers; Wrong is the «Телефон указан неверно
// или принадлежит другому ЗЛ» mark (§7.1): such a number is kept, shown marked, never dialled.
type InsuredPhone struct {
	Number string `json:"number"` // E.164
	Wrong  bool   `json:"wrong,omitempty"`
}

// Dispensary stages (этап диспансеризации) from the organisation's billing registers.
const (
	StageNone   = 0 // not started, or not known
	StageFirst  = 1 // «1 этап»
	StageSecond = 2 // «2 этап»
)

// Insured is one insured person of the register.
type Insured struct {
	ID           int64               `json:"id"`
	PolicyNumber string              `json:"policy_number"` // ЕНП, 16 digits
	FullName     string              `json:"full_name"`     // «Фамилия Имя Отчество»
	BirthDate    string              `json:"birth_date"`    // YYYY-MM-DD
	Sex          Sex                 `json:"sex"`
	Phones       []InsuredPhone      `json:"phones,omitempty"`
	Address      string              `json:"address,omitempty"`
	Organisation MedicalOrganisation `json:"organisation,omitzero"` // attached to
	HealthGroup  string              `json:"health_group,omitempty"`
	Diagnosis    string              `json:"diagnosis,omitempty"` // ICD-10
	// DispensaryYear and DispensaryMonth are when the person is due for the check-up
	// (диспансеризация) or dispensary observation: the survey journals' year and period.
	DispensaryYear  int `json:"dispensary_year,omitempty"`
	DispensaryMonth int `json:"dispensary_month,omitempty"` // 1..12; 0: the whole year
	Stage           int `json:"stage,omitempty"`            // StageNone, StageFirst, StageSecond
}

// Validate checks an insured person's fields, today being the date a birth date may not pass.
// Its messages name the field and the value, so an import can say what was wrong with a line.
func (p *Insured) Validate(today time.Time) error {
	if !ValidPolicyNumber(p.PolicyNumber) {
		return Errorf(EINVALID, "policy number %q is not a policy number: want 16 digits (ЕНП)", clipText(p.PolicyNumber))
	}
	if err := validPersonName(p.FullName); err != nil {
		return err
	}
	if p.BirthDate == "" {
		return Errorf(EINVALID, "birth date is missing")
	}
	d, err := time.Parse(DateLayout, p.BirthDate)
	if err != nil {
		return Errorf(EINVALID, "invalid birth date %q: want YYYY-MM-DD or DD.MM.YYYY", clipText(p.BirthDate))
	}
	if d.Year() < 1900 || (!today.IsZero() && d.After(today)) {
		return Errorf(EINVALID, "birth date %s is not plausible (before 1900 or in the future)", p.BirthDate)
	}
	if !p.Sex.Valid() {
		return Errorf(EINVALID, "unknown sex %q: want м or ж", clipText(string(p.Sex)))
	}
	if len(p.Phones) > MaxInsuredPhones {
		return Errorf(EINVALID, "%d phone numbers: at most %d", len(p.Phones), MaxInsuredPhones)
	}
	for _, ph := range p.Phones {
		if !ValidPhoneNumber(ph.Number) || !strings.HasPrefix(ph.Number, "+") {
			return Errorf(EINVALID, "invalid phone number %q: want a full number, e.g. +79121234567", clipText(ph.Number))
		}
	}
	if err := checkLen("address", p.Address, MaxAddressLen); err != nil {
		return err
	}
	if p.Organisation.Code != "" || p.Organisation.Name != "" {
		if err := p.Organisation.Validate(); err != nil {
			return err
		}
	}
	if p.HealthGroup != "" && !slices.Contains(HealthGroups, p.HealthGroup) {
		return Errorf(EINVALID, "unknown health group %q: want I, II, IIIа or IIIб", clipText(p.HealthGroup))
	}
	if p.Diagnosis != "" && !icd10.MatchString(p.Diagnosis) {
		return Errorf(EINVALID, "diagnosis %q is not an ICD-10 code (e.g. I10, E11.9)", clipText(p.Diagnosis))
	}
	if p.DispensaryYear != 0 && (p.DispensaryYear < 2000 || p.DispensaryYear > 2100) {
		return Errorf(EINVALID, "dispensary year %d is not plausible", p.DispensaryYear)
	}
	if p.DispensaryMonth < 0 || p.DispensaryMonth > 12 {
		return Errorf(EINVALID, "dispensary month %d: want 1 to 12", p.DispensaryMonth)
	}
	if p.DispensaryMonth != 0 && p.DispensaryYear == 0 {
		return Errorf(EINVALID, "a dispensary month needs its year")
	}
	if p.Stage < StageNone || p.Stage > StageSecond {
		return Errorf(EINVALID, "unknown stage %d: want 1 or 2 (or none)", p.Stage)
	}
	return nil
}

// Validate checks an organisation's code and name.
func (o MedicalOrganisation) Validate() error {
	if o.Code == "" {
		return Errorf(EINVALID, "medical organisation %q has no code", clipText(o.Name))
	}
	if err := checkLen("medical organisation code", o.Code, MaxShortLen); err != nil {
		return err
	}
	for _, r := range o.Code {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-' || r == '.' || r == '_') {
			return Errorf(EINVALID, "medical organisation code %q: want latin letters, digits and - . _", clipText(o.Code))
		}
	}
	if err := checkLen("medical organisation name", o.Name, MaxNameLen); err != nil {
		return err
	}
	if strings.ContainsFunc(o.Name, unicode.IsControl) {
		return Errorf(EINVALID, "medical organisation name holds a control character")
	}
	return nil
}

// validPersonName accepts a full name of letters, with spaces, hyphens, apostrophes and dots
// between them (Салтыков-Щедрин, Д'Артаньян, Ли Б.); digits and markup are not a name.
func validPersonName(s string) error {
	if strings.TrimSpace(s) == "" {
		return Errorf(EINVALID, "full name is missing")
	}
	if err := checkLen("full name", s, MaxNameLen); err != nil {
		return err
	}
	letters := 0
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			letters++
		case r == ' ', r == '-', r == '\'', r == '.', r == '’':
		default:
			return Errorf(EINVALID, "full name %q holds %q: want letters, spaces, hyphens", clipText(s), string(r))
		}
	}
	if letters == 0 {
		return Errorf(EINVALID, "full name %q has no letters", clipText(s))
	}
	return nil
}

// clipText shortens user input quoted in a message.
func clipText(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:40]) + "…"
}
