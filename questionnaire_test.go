package hotline

import (
	"errors"
	"strings"
	"testing"
)

func TestParseQuestions(t *testing.T) {
	for _, tc := range []struct {
		name     string
		text     string
		want     int // questions
		wantLine int // the error's line; 0 with want 0: an error not about a line
		wantErr  string
	}{
		{"two questions", "Прошли ли вы диспансеризацию?\n- Да\n- Нет\n\r\nКогда?\n-В этом месяце\n - Позже\n", 2, 0, ""},
		{"no questions", "\n  \n", 0, 0, "нет ни одного вопроса"},
		{"choice first", "- Да\nВопрос?\n- Да\n- Нет", 0, 1, "до первого вопроса"},
		{"one choice", "Вопрос?\n- Да\nДругой?\n- Да\n- Нет", 0, 1, "не менее двух"},
		{"last with one choice", "Вопрос?\n- Да\n- Нет\nДругой?\n- Да", 0, 4, "не менее двух"},
		{"empty choice", "Вопрос?\n- \n- Нет", 0, 2, "пустой вариант"},
		{"duplicate choice", "Вопрос?\n- Да\n- Да", 0, 3, "уже есть"},
		{"duplicate question", "Вопрос?\n- Да\n- Нет\nВопрос?\n- Да\n- Нет", 0, 4, "такой вопрос уже есть"},
		{"control character", "Вопрос?\x07\n- Да\n- Нет", 0, 1, "управляющий"},
		{"long question", strings.Repeat("я", MaxSurveyQuestionLen+1) + "\n- Да\n- Нет", 0, 1, "длиннее"},
		{"too many choices", "Вопрос?\n" + strings.Repeat("- x\n", 1) + func() string {
			var b strings.Builder
			for i := range MaxSurveyChoices {
				b.WriteString("- вариант " + string(rune('а'+i)) + "\n")
			}
			return b.String()
		}(), 0, MaxSurveyChoices + 2, "не более"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qs, err := ParseQuestions(tc.text)
			if tc.wantErr == "" {
				if err != nil || len(qs) != tc.want {
					t.Fatalf("got %d questions, %v", len(qs), err)
				}
				return
			}
			var qe *QuestionnaireError
			if !errors.As(err, &qe) || qe.Line != tc.wantLine || !strings.Contains(qe.Text, tc.wantErr) {
				t.Fatalf("got %v (%+v), want line %d: %q", err, qe, tc.wantLine, tc.wantErr)
			}
		})
	}
	qs, _ := ParseQuestions("Когда?\n-В этом месяце\n - Позже\n")
	if qs[0].Text != "Когда?" || qs[0].Choices[0] != "В этом месяце" || qs[0].Choices[1] != "Позже" {
		t.Errorf("parsed %+v", qs)
	}
}

func TestQuestionnaireValidate(t *testing.T) {
	good := Questionnaire{Kind: "checkup", Year: 2026, Questions: []SurveyQuestion{{Text: "Прошли?", Choices: []string{"Да", "Нет"}}}, RefusalReasons: []string{"Нет времени"}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(q *Questionnaire)
		want string
	}{
		{"journal", func(q *Questionnaire) { q.Kind = "poll" }, "unknown survey journal"},
		{"year", func(q *Questionnaire) { q.Year = 1999 }, "year"},
		{"a line break in a question", func(q *Questionnaire) { q.Questions[0].Text = "Прошли?\n- Да" }, "questions"},
		{"a question starting with -", func(q *Questionnaire) { q.Questions[0].Text = "- Прошли?" }, "questions"},
		{"no reasons", func(q *Questionnaire) { q.RefusalReasons = nil }, "refusal reasons"},
		{"a reason with a break", func(q *Questionnaire) { q.RefusalReasons = []string{"a\nb"} }, "refusal reasons"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := good
			q.Questions = []SurveyQuestion{{Text: "Прошли?", Choices: []string{"Да", "Нет"}}}
			tc.edit(&q)
			if err := q.Validate(); ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		a  SurveyAnswers
		ok bool
	}{{SurveyAnswers{1: 2}, true}, {SurveyAnswers{}, true}, {SurveyAnswers{2: 1}, false}, {SurveyAnswers{1: 3}, false}, {SurveyAnswers{0: 1}, false}, {SurveyAnswers{1: 0}, false}} {
		if err := good.CheckAnswers(tc.a); (err == nil) != tc.ok {
			t.Errorf("answers %v: %v", tc.a, err)
		}
	}
}

// FuzzParseQuestions: whatever is typed, the parsers answer questions (and refusal reasons) that
// Validate accepts and that read back the same, or a line-numbered error; they never panic.
func FuzzParseQuestions(f *testing.F) {
	f.Add("Прошли ли вы диспансеризацию?\n- Да\n- Нет\n")
	f.Add("- Да\n")
	f.Add("Вопрос\r\n-\r\n- \xff\n")
	f.Fuzz(func(t *testing.T, text string) {
		if rs, err := ParseRefusalReasons(text); err == nil {
			q := Questionnaire{Kind: "checkup", Year: 2026, Questions: []SurveyQuestion{{Text: "Прошли?", Choices: []string{"Да", "Нет"}}}, RefusalReasons: rs}
			if err := q.Validate(); err != nil {
				t.Fatalf("reasons %q parsed into %q that Validate refuses: %v", text, rs, err)
			}
		}
		qs, err := ParseQuestions(text)
		if err != nil {
			var qe *QuestionnaireError
			if !errors.As(err, &qe) || qe.Line < 0 || qe.Line > strings.Count(text, "\n")+1 {
				t.Fatalf("error %v for %q", err, text)
			}
			return
		}
		q := Questionnaire{Kind: "checkup", Year: 2026, Questions: qs, RefusalReasons: []string{"Нет времени"}}
		if err := q.Validate(); err != nil {
			t.Fatalf("parsed %q into %+v that Validate refuses: %v", text, qs, err)
		}
		again, err := ParseQuestions(FormatQuestions(qs))
		if err != nil || len(again) != len(qs) {
			t.Fatalf("round trip of %+v: %+v %v", qs, again, err)
		}
	})
}
