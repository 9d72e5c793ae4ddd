package hotline

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
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
	// QuestionnaireID is the questionnaire version Answers were given to (0: none).
	QuestionnaireID int64         `json:"questionnaire_id,omitempty"`
	Answers         SurveyAnswers `json:"answers,omitempty"`
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
	if len(s.Answers) > 0 && (s.Status != SurveyAnswered || s.QuestionnaireID == 0) {
		return Errorf(EINVALID, "answers are for an answered survey, with its questionnaire")
	}
	if err := checkLen("comment", s.Comment, MaxCommentLen); err != nil {
		return err
	}
	return checkLen("refusal reason", s.RefusalReason, MaxCommentLen)
}

// Questionnaires (§5.3.1 «Выбор ответов на вопросы», «Отказ от ответа с выбором причины отказа»):
// the administrator writes the questions, their answer choices and the refusal reasons of one
// survey journal for one year. Every save is a new version and the old ones are kept: a person's
// answers name the version they were given to, so they stay readable after the questions change.

// Bounds of a questionnaire.
const (
	MaxSurveyQuestions   = 30
	MaxSurveyChoices     = 12 // per question
	MaxRefusalReasons    = 20
	MaxSurveyQuestionLen = 500 // a question's text
	MaxSurveyChoiceLen   = 200 // a choice's or a refusal reason's text
)

// SurveyQuestion is one question and its answer choices, in the order shown.
type SurveyQuestion struct {
	Text    string   `json:"text"`
	Choices []string `json:"choices"`
}

// Questionnaire is one version of a survey journal's questions for a year.
type Questionnaire struct {
	ID             int64            `json:"id"`
	Kind           string           `json:"kind"` // checkup or observation
	Year           int              `json:"year"`
	Version        int              `json:"version"` // 1, 2, …: each save adds one
	Questions      []SurveyQuestion `json:"questions"`
	RefusalReasons []string         `json:"refusal_reasons"`
	CreatedAt      time.Time        `json:"created_at,omitzero"`
	CreatedBy      string           `json:"created_by,omitempty"`
}

// QuestionnaireError is a mistake in a questionnaire as the administrator typed it: Line is the
// line of the questions' text (0: not about one line). Its text is Russian: only the
// administrator's page shows it.
type QuestionnaireError struct {
	Field string // questions or refusal_reasons
	Line  int
	Text  string
}

func (e *QuestionnaireError) Error() string {
	if e.Line > 0 {
		return "строка " + strconv.Itoa(e.Line) + ": " + e.Text
	}
	return e.Text
}

// ParseQuestions reads the questions as the administrator's page writes them: a question on a
// line, its answer choices on the lines after it, each starting with «-»; blank lines are free.
//
//	Прошли ли вы диспансеризацию?
//	- Да
//	- Нет
func ParseQuestions(text string) ([]SurveyQuestion, error) {
	var qs []SurveyQuestion
	bad := func(line int, msg string) error {
		return &QuestionnaireError{Field: "questions", Line: line, Text: msg}
	}
	starts := map[int]int{} // question index → its line, for "too few choices"
	for i, raw := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		n := i + 1
		if !utf8.ValidString(raw) {
			return nil, bad(n, "текст не прочитан, введите строку заново")
		}
		line := strings.TrimSpace(raw)
		if line == "" {
			continue
		}
		if strings.ContainsFunc(line, unicode.IsControl) {
			return nil, bad(n, "строка содержит управляющий символ")
		}
		if c, ok := strings.CutPrefix(line, "-"); ok {
			c = strings.TrimSpace(c)
			if len(qs) == 0 {
				return nil, bad(n, "вариант ответа до первого вопроса: сначала напишите вопрос")
			}
			q := &qs[len(qs)-1]
			switch {
			case c == "":
				return nil, bad(n, "пустой вариант ответа")
			case utf8.RuneCountInString(c) > MaxSurveyChoiceLen:
				return nil, bad(n, "вариант ответа длиннее "+strconv.Itoa(MaxSurveyChoiceLen)+" символов")
			case slices.Contains(q.Choices, c):
				return nil, bad(n, "вариант «"+clipText(c)+"» у этого вопроса уже есть")
			case len(q.Choices) == MaxSurveyChoices:
				return nil, bad(n, "у вопроса не более "+strconv.Itoa(MaxSurveyChoices)+" вариантов ответа")
			}
			q.Choices = append(q.Choices, c)
			continue
		}
		if len(qs) > 0 && len(qs[len(qs)-1].Choices) < 2 {
			return nil, bad(starts[len(qs)-1], "у вопроса нужно не менее двух вариантов ответа (строки с «-»)")
		}
		switch {
		case len(qs) == MaxSurveyQuestions:
			return nil, bad(n, "не более "+strconv.Itoa(MaxSurveyQuestions)+" вопросов")
		case utf8.RuneCountInString(line) > MaxSurveyQuestionLen:
			return nil, bad(n, "вопрос длиннее "+strconv.Itoa(MaxSurveyQuestionLen)+" символов")
		case slices.ContainsFunc(qs, func(q SurveyQuestion) bool { return q.Text == line }):
			return nil, bad(n, "такой вопрос уже есть")
		}
		starts[len(qs)] = n
		qs = append(qs, SurveyQuestion{Text: line})
	}
	if len(qs) == 0 {
		return nil, bad(0, "нет ни одного вопроса")
	}
	if len(qs[len(qs)-1].Choices) < 2 {
		return nil, bad(starts[len(qs)-1], "у вопроса нужно не менее двух вариантов ответа (строки с «-»)")
	}
	return qs, nil
}

// FormatQuestions writes questions as ParseQuestions reads them.
func FormatQuestions(qs []SurveyQuestion) string {
	var b strings.Builder
	for i, q := range qs {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(q.Text + "\n")
		for _, c := range q.Choices {
			b.WriteString("- " + c + "\n")
		}
	}
	return b.String()
}

// ParseRefusalReasons reads the refusal reasons, one a line; blank lines are free.
func ParseRefusalReasons(text string) ([]string, error) {
	var rs []string
	for i, raw := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		n := i + 1
		bad := func(msg string) error { return &QuestionnaireError{Field: "refusal_reasons", Line: n, Text: msg} }
		r := strings.TrimSpace(raw)
		switch {
		case r == "":
			continue
		case !utf8.ValidString(r) || strings.ContainsFunc(r, unicode.IsControl):
			return nil, bad("текст не прочитан, введите строку заново")
		case utf8.RuneCountInString(r) > MaxSurveyChoiceLen:
			return nil, bad("причина длиннее " + strconv.Itoa(MaxSurveyChoiceLen) + " символов")
		case slices.Contains(rs, r):
			return nil, bad("такая причина уже есть")
		case len(rs) == MaxRefusalReasons:
			return nil, bad("не более " + strconv.Itoa(MaxRefusalReasons) + " причин отказа")
		}
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return nil, &QuestionnaireError{Field: "refusal_reasons", Text: "нужна хотя бы одна причина отказа"}
	}
	return rs, nil
}

// Validate checks a questionnaire to be saved: what ParseQuestions and ParseRefusalReasons accept.
func (q *Questionnaire) Validate() error {
	if q.Kind != "checkup" && q.Kind != "observation" {
		return Errorf(EINVALID, "unknown survey journal %q", clipText(q.Kind))
	}
	if q.Year < 2000 || q.Year > 2100 {
		return Errorf(EINVALID, "questionnaire year %d: want 2000 to 2100", q.Year)
	}
	qs, err := ParseQuestions(FormatQuestions(q.Questions))
	if err != nil {
		return Wrapf(EINVALID, err, "questions: %v", err)
	}
	if !slices.EqualFunc(qs, q.Questions, func(a, b SurveyQuestion) bool { return a.Text == b.Text && slices.Equal(a.Choices, b.Choices) }) {
		return Errorf(EINVALID, "questions: a text holds a line break, or spaces around it, or a choice starting with «-»")
	}
	rs, err := ParseRefusalReasons(strings.Join(q.RefusalReasons, "\n"))
	if err != nil {
		return Wrapf(EINVALID, err, "refusal reasons: %v", err)
	}
	if !slices.Equal(rs, q.RefusalReasons) {
		return Errorf(EINVALID, "refusal reasons: a reason holds a line break or spaces around it")
	}
	return nil
}

// SurveyAnswers are a person's answers: question number → choice number, both from 1, of the
// questionnaire version the answers were given to.
type SurveyAnswers map[int]int

// CheckAnswers checks answers against the questionnaire: each a question it has and one of that
// question's choices.
func (q *Questionnaire) CheckAnswers(a SurveyAnswers) error {
	for qn, cn := range a {
		if qn < 1 || qn > len(q.Questions) {
			return Errorf(EINVALID, "question %d: the questionnaire has %d", qn, len(q.Questions))
		}
		if cn < 1 || cn > len(q.Questions[qn-1].Choices) {
			return Errorf(EINVALID, "question %d: choice %d is not one of its %d", qn, cn, len(q.Questions[qn-1].Choices))
		}
	}
	return nil
}

// «Действия» (§5.3.1): what the fund's data say about a person's check-up or observation,
// imported from the fund (`hotline survey actions import`), and representatives' notes.

// Survey action kinds.
const (
	ActionNotified = "notified" // the person was notified of the check-up («уведомление»)
	ActionStage    = "stage"    // a stage passed, by the organisation's billing registers («этап»)
)

// NotificationChannels are how the fund notifies a person, as the import reads them.
var NotificationChannels = []string{"sms", "letter", "call", "messenger", "email"}

// SurveyAction is one fact of the «Действия» block.
type SurveyAction struct {
	Kind   string `json:"kind"` // checkup or observation
	Year   int    `json:"year"`
	Action string `json:"action"` // ActionNotified or ActionStage
	On     string `json:"on"`     // YYYY-MM-DD
	// Detail is the notification's channel (one of NotificationChannels) or the stage ("1", "2").
	Detail string `json:"detail"`
}

// Validate checks an action to be imported on today: a known journal, year, kind and detail, a
// day not in the future.
func (a *SurveyAction) Validate(today time.Time) error {
	if a.Kind != "checkup" && a.Kind != "observation" {
		return Errorf(EINVALID, "unknown survey journal %q: want checkup (Диспансеризация) or observation (Диспансерный учет)", clipText(a.Kind))
	}
	if a.Year < 2000 || a.Year > 2100 {
		return Errorf(EINVALID, "year %d: want 2000 to 2100", a.Year)
	}
	d, err := time.Parse(DateLayout, a.On)
	if err != nil {
		return Errorf(EINVALID, "invalid date %q: want YYYY-MM-DD or DD.MM.YYYY", clipText(a.On))
	}
	if y, m, dd := today.Date(); d.After(time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)) {
		return Errorf(EINVALID, "the date %s is in the future", a.On)
	}
	switch a.Action {
	case ActionNotified:
		if !slices.Contains(NotificationChannels, a.Detail) {
			return Errorf(EINVALID, "unknown notification channel %q: want %s", clipText(a.Detail), strings.Join(NotificationChannels, ", "))
		}
	case ActionStage:
		if a.Detail != "1" && a.Detail != "2" {
			return Errorf(EINVALID, "stage %q: want 1 or 2", clipText(a.Detail))
		}
	default:
		return Errorf(EINVALID, "unknown action %q: want notified or stage", clipText(a.Action))
	}
	return nil
}

// SurveyNote is a representative's note on a person's survey, kept as written.
type SurveyNote struct {
	ID        int64     `json:"id"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
}
