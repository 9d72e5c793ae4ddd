package journal_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/register"
)

// surveyFixture is a journal with 4 persons of organisation 260001 due in 2026 (the first two
// under observation, diagnosis I10) and one of 2025.
func surveyFixture(t *testing.T) (*fixture, []int64) {
	t.Helper()
	f := newFixture(t)
	var b strings.Builder
	b.WriteString(registerHeader)
	for i := range 4 {
		diag := ""
		if i < 2 {
			diag = "I10"
		}
		fmt.Fprintf(&b, "%016d;Смирнов Олег;1960-01-01;м;;;260001;Поликлиника № 1;II;%s;2026;3;\n", 100+i, diag)
	}
	b.WriteString("0000000000000200;Ким Ирина;1970-01-01;ж;;;260001;;;;2025;1;\n")
	if rep := f.importCSV(t, b.String(), 0); rep.Added != 5 {
		t.Fatalf("import %+v", rep)
	}
	var ids []int64
	for i := range 4 {
		p, err := f.s.InsuredByPolicy(context.Background(), fmt.Sprintf("%016d", 100+i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	return f, ids
}

func checkupQuestionnaire(questions ...string) hotline.Questionnaire {
	q := hotline.Questionnaire{Kind: "checkup", Year: 2026, RefusalReasons: []string{"Нет времени", "Не хочет говорить"}}
	for _, t := range questions {
		q.Questions = append(q.Questions, hotline.SurveyQuestion{Text: t, Choices: []string{"Да", "Нет", "Не помню"}})
	}
	return q
}

func TestQuestionnaireVersions(t *testing.T) {
	f, ids := surveyFixture(t)
	ctx := context.Background()
	if _, err := f.s.Questionnaire(ctx, journal.SurveyCheckup, 2026); hotline.ErrorCode(err) != hotline.ENOTFOUND {
		t.Fatalf("no questionnaire yet: %v", err)
	}
	q1 := checkupQuestionnaire("Прошли ли вы диспансеризацию?", "Довольны ли вы?")
	// Only administrators write questionnaires; a bad one is refused; nothing is written.
	wantCode(t, f.s.SaveQuestionnaire(ctx, f.op1, &q1, 0), hotline.EFORBIDDEN)
	bad := checkupQuestionnaire("Прошли?")
	bad.RefusalReasons = nil
	wantCode(t, f.s.SaveQuestionnaire(ctx, f.admin, &bad, 0), hotline.EINVALID)
	if err := f.s.SaveQuestionnaire(ctx, f.admin, &q1, 0); err != nil || q1.Version != 1 || q1.ID == 0 {
		t.Fatalf("first version: %+v %v", q1, err)
	}
	// A stale base version is a conflict.
	stale := checkupQuestionnaire("Другой вопрос?")
	wantCode(t, f.s.SaveQuestionnaire(ctx, f.admin, &stale, 0), hotline.ECONFLICT)

	// Answers to version 1.
	st := hotline.SurveyState{PersonID: ids[0], Year: 2026, Status: hotline.SurveyAnswered, QuestionnaireID: q1.ID, Answers: hotline.SurveyAnswers{1: 1, 2: 3}}
	if err := f.s.SaveSurveyState(ctx, f.op1, journal.SurveyCheckup, &st); err != nil {
		t.Fatal(err)
	}
	// Answered needs an answer; a choice the question has not; answers without a questionnaire.
	for _, tc := range []struct {
		st   hotline.SurveyState
		code string
	}{
		{hotline.SurveyState{PersonID: ids[1], Year: 2026, Status: hotline.SurveyAnswered, QuestionnaireID: q1.ID}, hotline.EINVALID},
		{hotline.SurveyState{PersonID: ids[1], Year: 2026, Status: hotline.SurveyAnswered, QuestionnaireID: q1.ID, Answers: hotline.SurveyAnswers{1: 4}}, hotline.EINVALID},
		{hotline.SurveyState{PersonID: ids[1], Year: 2026, Status: hotline.SurveyAnswered, QuestionnaireID: q1.ID, Answers: hotline.SurveyAnswers{3: 1}}, hotline.EINVALID},
		{hotline.SurveyState{PersonID: ids[1], Year: 2026, Status: hotline.SurveyAnswered, Answers: hotline.SurveyAnswers{1: 1}}, hotline.EINVALID},
	} {
		wantCode(t, f.s.SaveSurveyState(ctx, f.op1, journal.SurveyCheckup, &tc.st), tc.code)
	}
	if got, _ := f.s.SurveyState(ctx, journal.SurveyCheckup, 2026, ids[1]); got.Version != 0 {
		t.Fatalf("a refused save wrote %+v", got)
	}

	// Version 2 changes the questions: the old answers still name version 1, which is kept.
	q2 := checkupQuestionnaire("Прошли ли вы диспансеризацию?")
	if err := f.s.SaveQuestionnaire(ctx, f.admin, &q2, 1); err != nil || q2.Version != 2 {
		t.Fatalf("second version: %+v %v", q2, err)
	}
	got, err := f.s.SurveyState(ctx, journal.SurveyCheckup, 2026, ids[0])
	if err != nil || got.QuestionnaireID != q1.ID || got.Answers[2] != 3 {
		t.Fatalf("answers after a new version: %+v %v", got, err)
	}
	old, err := f.s.QuestionnaireVersion(ctx, got.QuestionnaireID)
	if err != nil || old.Version != 1 || len(old.Questions) != 2 || old.Questions[1].Choices[got.Answers[2]-1] != "Не помню" {
		t.Fatalf("version 1 read back: %+v %v", old, err)
	}
	latest, _ := f.s.Questionnaire(ctx, journal.SurveyCheckup, 2026)
	if latest.ID != q2.ID || len(latest.Questions) != 1 {
		t.Fatalf("latest %+v", latest)
	}
	// A card opened on version 1 and saved after version 2: a conflict, not answers to the wrong
	// questions.
	late := hotline.SurveyState{PersonID: ids[1], Year: 2026, Status: hotline.SurveyAnswered, QuestionnaireID: q1.ID, Answers: hotline.SurveyAnswers{1: 1}}
	wantCode(t, f.s.SaveSurveyState(ctx, f.op1, journal.SurveyCheckup, &late), hotline.ECONFLICT)
	// A refusal drops nothing it should not: no answers with it.
	ref := hotline.SurveyState{PersonID: ids[1], Year: 2026, Status: hotline.SurveyRefused, RefusalReason: "Нет времени"}
	if err := f.s.SaveSurveyState(ctx, f.op1, journal.SurveyCheckup, &ref); err != nil || ref.QuestionnaireID != 0 {
		t.Fatalf("refusal: %+v %v", ref, err)
	}
	vs, err := f.s.QuestionnaireVersions(ctx, journal.SurveyCheckup, 2026)
	if err != nil || len(vs) != 2 || vs[0].Version != 2 || vs[1].CreatedBy != "admin" {
		t.Fatalf("versions %+v %v", vs, err)
	}
	all, err := f.s.Questionnaires(ctx)
	if err != nil || len(all) != 1 || all[0].Version != 2 {
		t.Fatalf("list %+v %v", all, err)
	}
	// The survey's full history: the answers saved, by whom.
	h, err := f.s.SurveyHistory(ctx, journal.SurveyCheckup, 2026, ids[0])
	if err != nil || len(h) != 1 || h[0].Actor != "ivanova" || !hasChange(h[0], "answers", "1:1 2:3") || !hasChange(h[0], "questionnaire", "1") {
		t.Fatalf("history %+v %v", h, err)
	}
}

func hasChange(e journal.Event, field, to string) bool {
	for _, c := range e.Changes {
		if c.Field == field && c.To == to {
			return true
		}
	}
	return false
}

const actionsHeader = "policy_number;journal;year;action;date;detail\n"

func TestSurveyActionsImport(t *testing.T) {
	f, ids := surveyFixture(t)
	ctx := context.Background()
	text := actionsHeader +
		"0000000000000100;Диспансеризация;2026;уведомление;01.03.2026;СМС\n" + // 2
		"0000000000000100;checkup;2026;stage;2026-04-10;1\n" + // 3
		"0000000000000101;checkup;2026;stage;2026-04-11;2 этап\n" + // 4
		"0000000000000100;Диспансерный учет;2026;notified;2026-03-02;letter\n" + // 5
		"0000000000000102;observation;2026;notified;2026-03-02;letter\n" + // 6: no diagnosis: not in that journal
		"0000000000000999;checkup;2026;notified;2026-03-02;sms\n" + // 7: unknown policy
		"0000000000000100;checkup;2026;notified;31.02.2026;sms\n" + // 8: bad date
		"0000000000000100;checkup;2026;notified;2026-03-02;pigeon\n" + // 9: bad channel
		"0000000000000100;checkup;2026;stage;2026-03-02;3\n" + // 10: bad stage
		"0000000000000100;checkup;2026;notified;2026-12-31;sms\n" + // 11: in the future (clock: 2026-11-23)
		"0000000000000100;poll;2026;notified;2026-03-02;sms\n" + // 12: bad journal
		"0000000000000100;checkup;2026;notified\n" + // 13: short line
		"0000000000000100;Диспансеризация;2026;уведомление;01.03.2026;смс\n" // 14: repeats line 2
	imp := func(text string, by hotline.Actor) (journal.ActionImportReport, error) {
		rd, err := register.NewActionReader(strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		return f.s.ImportSurveyActions(ctx, by, rd, "billing.csv")
	}
	if _, err := imp(text, f.op1); hotline.ErrorCode(err) != hotline.EFORBIDDEN {
		t.Fatalf("an operator imports: %v", err)
	}
	rep, err := imp(text, f.admin)
	if err != nil || rep.Lines != 13 || rep.Added != 4 || rep.Unchanged != 1 || rep.Rejected != 8 {
		t.Fatalf("report %+v %v", rep, err)
	}
	wantLines := map[int]string{6: "not in the observation journal", 7: "unknown policy number", 8: "invalid date", 9: "unknown notification channel",
		10: "stage \"3\"", 11: "in the future", 12: "unknown journal", 13: "columns"}
	for _, r := range rep.Rejections {
		if w, ok := wantLines[r.Line]; !ok || !strings.Contains(r.Reason, w) {
			t.Errorf("line %d rejected: %s (want %q)", r.Line, r.Reason, w)
		}
	}
	// A file that fails to read half-way writes nothing, not even its good lines.
	rd, _ := register.NewActionReader(strings.NewReader(actionsHeader + "0000000000000103;checkup;2026;notified;2026-03-05;call\n"))
	if _, err := f.s.ImportSurveyActions(ctx, f.admin, failingSource{rd}, "broken.csv"); err == nil {
		t.Fatal("a failing file imported")
	}
	if acts, _ := f.s.SurveyActions(ctx, journal.SurveyCheckup, 2026, ids[3]); len(acts) != 0 {
		t.Fatalf("half imported: %+v", acts)
	}
	// Again: nothing added.
	again, err := imp(text, f.admin)
	if err != nil || again.Added != 0 || again.Unchanged != 5 {
		t.Fatalf("again %+v %v", again, err)
	}
	acts, err := f.s.SurveyActions(ctx, journal.SurveyCheckup, 2026, ids[0])
	if err != nil || len(acts) != 2 || acts[0].Action != hotline.ActionNotified || acts[0].Detail != "sms" || acts[1].Detail != "1" {
		t.Fatalf("actions %+v %v", acts, err)
	}
	if obs, _ := f.s.SurveyActions(ctx, journal.SurveyObservation, 2026, ids[0]); len(obs) != 1 || obs[0].Detail != "letter" {
		t.Fatalf("observation actions %+v", obs)
	}

	// Notes: with author and time, in the history; the list filters by action.
	n, err := f.s.AddSurveyNote(ctx, f.op2, journal.SurveyCheckup, 2026, ids[2], "  прошёл 1 этап в другой поликлинике ")
	if err != nil || n.CreatedBy != "petrov" || n.Text != "прошёл 1 этап в другой поликлинике" || n.CreatedAt.IsZero() {
		t.Fatalf("note %+v %v", n, err)
	}
	if _, err := f.s.AddSurveyNote(ctx, f.op2, journal.SurveyCheckup, 2026, ids[2], " "); hotline.ErrorCode(err) != hotline.EINVALID {
		t.Fatalf("empty note: %v", err)
	}
	if _, err := f.s.AddSurveyNote(ctx, f.op2, journal.SurveyCheckup, 2025, ids[2], "x"); hotline.ErrorCode(err) != hotline.ENOTFOUND {
		t.Fatalf("note outside the journal: %v", err)
	}
	notes, _ := f.s.SurveyNotes(ctx, journal.SurveyCheckup, 2026, ids[2])
	if len(notes) != 1 || notes[0].ID != n.ID {
		t.Fatalf("notes %+v", notes)
	}
	if h, _ := f.s.SurveyHistory(ctx, journal.SurveyCheckup, 2026, ids[2]); len(h) != 1 || h[0].Action != "noted" {
		t.Fatalf("note history %+v", h)
	}
	for _, tc := range []struct {
		action string
		want   []int64
	}{
		{"notified", ids[:1]}, {"not_notified", ids[1:]}, {"stage1", ids[:1]}, {"stage2", ids[1:2]},
		{"no_stage", ids[2:]}, {"noted", ids[2:3]}, {"", ids},
	} {
		p, err := f.s.SurveyPersons(ctx, journal.SurveyFilter{Kind: journal.SurveyCheckup, Code: "260001", Year: 2026, Action: tc.action})
		var got []int64
		for _, x := range p.Persons {
			got = append(got, x.ID)
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("action %q: %v %v, want %v", tc.action, got, err, tc.want)
		}
	}
	if p, _ := f.s.SurveyPersons(ctx, journal.SurveyFilter{Kind: journal.SurveyObservation, Code: "260001", Year: 2026, Action: "notified"}); len(p.Persons) != 1 {
		t.Errorf("observation notified: %d", len(p.Persons))
	}
	if _, err := f.s.SurveyPersons(ctx, journal.SurveyFilter{Kind: journal.SurveyCheckup, Code: "260001", Year: 2026, Action: "x"}); hotline.ErrorCode(err) != hotline.EINVALID {
		t.Errorf("unknown action filter: %v", err)
	}
}

// failingSource yields its reader's lines, then a read error instead of the end.
type failingSource struct{ rd *register.ActionReader }

func (s failingSource) Next() (journal.SurveyActionLine, error) {
	l, err := s.rd.Next()
	if err == io.EOF {
		return l, errors.New("disk read error")
	}
	return l, err
}
