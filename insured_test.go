package hotline

import (
	"strings"
	"testing"
	"time"
)

func TestInsuredValidate(t *testing.T) {
	today := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	ok := func() Insured {
		return Insured{PolicyNumber: "2650000000000001", FullName: "Иванов Иван Иванович", BirthDate: "1980-05-17", Sex: SexMale,
			Phones: []InsuredPhone{{Number: "+79121234567"}}, Organisation: MedicalOrganisation{Code: "260001", Name: "Поликлиника № 1"},
			HealthGroup: "IIIа", Diagnosis: "E11.9", DispensaryYear: 2026, DispensaryMonth: 3, Stage: StageFirst}
	}
	for _, tc := range []struct {
		name   string
		change func(*Insured)
		want   string // "" valid; else a word of the message
	}{
		{"valid", func(*Insured) {}, ""},
		{"double surname and apostrophe", func(p *Insured) { p.FullName = "Салтыков-Щедрин Д'Артаньян" }, ""},
		{"no phones, no organisation", func(p *Insured) { p.Phones, p.Organisation = nil, MedicalOrganisation{} }, ""},
		{"policy of 15 digits", func(p *Insured) { p.PolicyNumber = "265000000000000" }, "16 digits"},
		{"policy with a letter", func(p *Insured) { p.PolicyNumber = "265000000000000A" }, "16 digits"},
		{"no name", func(p *Insured) { p.FullName = " " }, "full name is missing"},
		{"digits in the name", func(p *Insured) { p.FullName = "Иванов 2" }, "full name"},
		{"markup for a name", func(p *Insured) { p.FullName = "<script>alert(1)</script>" }, "full name"},
		{"name too long", func(p *Insured) { p.FullName = strings.Repeat("я", MaxNameLen+1) }, "too long"},
		{"no birth date", func(p *Insured) { p.BirthDate = "" }, "birth date is missing"},
		{"31 February", func(p *Insured) { p.BirthDate = "1990-02-31" }, "invalid birth date"},
		{"Russian date order", func(p *Insured) { p.BirthDate = "17.05.1980" }, "invalid birth date"},
		{"born before 1900", func(p *Insured) { p.BirthDate = "1899-12-31" }, "not plausible"},
		{"born tomorrow", func(p *Insured) { p.BirthDate = "2026-12-07" }, "not plausible"},
		{"no sex", func(p *Insured) { p.Sex = "" }, "sex"},
		{"national phone", func(p *Insured) { p.Phones = []InsuredPhone{{Number: "89121234567"}} }, "phone"},
		{"six phones", func(p *Insured) { p.Phones = make([]InsuredPhone, 6) }, "at most 5"},
		{"organisation without a code", func(p *Insured) { p.Organisation.Code = "" }, "no code"},
		{"organisation code with a space", func(p *Insured) { p.Organisation.Code = "26 0001" }, "medical organisation code"},
		{"health group 4", func(p *Insured) { p.HealthGroup = "IV" }, "health group"},
		{"diagnosis not ICD-10", func(p *Insured) { p.Diagnosis = "диабет" }, "ICD-10"},
		{"month 13", func(p *Insured) { p.DispensaryMonth = 13 }, "month"},
		{"month without a year", func(p *Insured) { p.DispensaryYear = 0 }, "needs its year"},
		{"stage 3", func(p *Insured) { p.Stage = 3 }, "stage"},
		{"address too long", func(p *Insured) { p.Address = strings.Repeat("д", MaxAddressLen+1) }, "address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ok()
			tc.change(&p)
			err := p.Validate(today)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("err %v, want invalid naming %q", err, tc.want)
			}
		})
	}
}

func TestInsuredParsers(t *testing.T) {
	for in, want := range map[string]string{"1": "I", "ii": "II", "3а": "IIIа", "3a": "IIIа", "IIIб": "IIIб", "iiib": "IIIб"} {
		if g, ok := ParseHealthGroup(in); !ok || g != want {
			t.Errorf("ParseHealthGroup(%q) = %q %v, want %q", in, g, ok, want)
		}
	}
	if _, ok := ParseHealthGroup("4"); ok {
		t.Error("health group 4 read")
	}
	for in, want := range map[string]string{"i10": "I10", "Е11.9": "E11.9", " J45.0 ": "J45.0"} { // Е is Cyrillic
		if d, ok := ParseDiagnosis(in); !ok || d != want {
			t.Errorf("ParseDiagnosis(%q) = %q %v, want %q", in, d, ok, want)
		}
	}
	for _, in := range []string{"E1", "E11.999", "11.9", "ЖЖ1"} {
		if _, ok := ParseDiagnosis(in); ok {
			t.Errorf("ParseDiagnosis(%q) accepted", in)
		}
	}
	for in, want := range map[string]Sex{"м": SexMale, "Ж": SexFemale, "1": SexMale, "F": SexFemale} {
		if x, ok := ParseSex(in); !ok || x != want {
			t.Errorf("ParseSex(%q) = %q %v", in, x, ok)
		}
	}
	if got := NormalizePolicyNumber("2650 0000-0000 0001"); got != "2650000000000001" || !ValidPolicyNumber(got) {
		t.Errorf("NormalizePolicyNumber = %q", got)
	}
}
