package hotline

import (
	"strings"
	"time"
)

// SurveyStatus is where a survey of one insured person stands (§5.3: the answer status of the
// survey journals' filter).
type SurveyStatus string

const (
	SurveyNotCalled   SurveyStatus = "not_called"   // «Не звонили»
	SurveyNoAnswer    SurveyStatus = "no_answer"    // «Нет ответа»
	SurveyAnswered    SurveyStatus = "answered"     // «Ответил»
	SurveyRefused     SurveyStatus = "refused"      // «Отказ от ответа», with a reason
	SurveyRescheduled SurveyStatus = "rescheduled"  // «Перенос звонка», to a date
	SurveyWrongNumber SurveyStatus = "wrong_number" // «Телефон указан неверно или принадлежит другому ЗЛ»
)

// SurveyStatuses lists every status in the order the journal's filter shows them.
var SurveyStatuses = []SurveyStatus{SurveyNotCalled, SurveyNoAnswer, SurveyAnswered, SurveyRefused, SurveyRescheduled, SurveyWrongNumber}

// Valid reports whether s is a known status.
func (s SurveyStatus) Valid() bool {
	for _, x := range SurveyStatuses {
		if s == x {
			return true
		}
	}
	return false
}

// SurveyState is one person's survey in one journal and year, as last saved.
type SurveyState struct {
	PersonID      int64        `json:"person_id"`
	Kind          string       `json:"kind"` // checkup or observation
	Year          int          `json:"year"`
	Status        SurveyStatus `json:"status"`
	Comment       string       `json:"comment,omitempty"`
	RefusalReason string       `json:"refusal_reason,omitempty"`
	CallOn        string       `json:"call_on,omitempty"` // YYYY-MM-DD: the rescheduled call's day
	UpdatedAt     time.Time    `json:"updated_at,omitzero"`
	UpdatedBy     string       `json:"updated_by,omitempty"`
	Version       int64        `json:"version"` // 0: never saved
}

// Validate checks a survey state to be saved on today: a known status, a refusal with its
// reason, a rescheduled call on a day from today on, texts within their limits.
func (s *SurveyState) Validate(today time.Time) error {
	if !s.Status.Valid() {
		return Errorf(EINVALID, "unknown survey status %q", clipText(string(s.Status)))
	}
	if s.Status == SurveyRefused && strings.TrimSpace(s.RefusalReason) == "" {
		return Errorf(EINVALID, "a refusal needs its reason")
	}
	if s.Status != SurveyRefused && s.RefusalReason != "" {
		return Errorf(EINVALID, "a refusal reason is for a refusal only")
	}
	switch {
	case s.Status == SurveyRescheduled && s.CallOn == "":
		return Errorf(EINVALID, "a rescheduled call needs its day")
	case s.Status != SurveyRescheduled && s.CallOn != "":
		return Errorf(EINVALID, "a call day is for a rescheduled call only")
	case s.CallOn != "":
		d, err := time.Parse(DateLayout, s.CallOn)
		if err != nil {
			return Errorf(EINVALID, "invalid call day %q: want YYYY-MM-DD", clipText(s.CallOn))
		}
		if y, m, dd := today.Date(); d.Before(time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)) {
			return Errorf(EINVALID, "the call day %s has passed", s.CallOn)
		}
	}
	if err := checkLen("comment", s.Comment, MaxCommentLen); err != nil {
		return err
	}
	return checkLen("refusal reason", s.RefusalReason, MaxCommentLen)
}
