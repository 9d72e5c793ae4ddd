package hotline

import (
	"strings"
	"testing"
	"time"
)

func TestSurveyStateValidate(t *testing.T) {
	today := time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		s    SurveyState
		want string
	}{
		{"answered", SurveyState{Status: SurveyAnswered, Comment: "прошёл 1 этап"}, ""},
		{"refused with a reason", SurveyState{Status: SurveyRefused, RefusalReason: "нет времени"}, ""},
		{"rescheduled today", SurveyState{Status: SurveyRescheduled, CallOn: "2026-12-06"}, ""},
		{"unknown status", SurveyState{Status: "maybe"}, "unknown survey status"},
		{"refused without a reason", SurveyState{Status: SurveyRefused, RefusalReason: " "}, "needs its reason"},
		{"a reason without a refusal", SurveyState{Status: SurveyAnswered, RefusalReason: "x"}, "refusal only"},
		{"rescheduled without a day", SurveyState{Status: SurveyRescheduled}, "needs its day"},
		{"rescheduled to yesterday", SurveyState{Status: SurveyRescheduled, CallOn: "2026-12-05"}, "has passed"},
		{"a bad day", SurveyState{Status: SurveyRescheduled, CallOn: "31.12.2026"}, "invalid call day"},
		{"a day without rescheduling", SurveyState{Status: SurveyNoAnswer, CallOn: "2026-12-24"}, "rescheduled call only"},
		{"comment too long", SurveyState{Status: SurveyAnswered, Comment: strings.Repeat("я", MaxCommentLen+1)}, "too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.s.Validate(today)
			if tc.want == "" && err != nil || tc.want != "" && (ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("err %v, want %q", err, tc.want)
			}
		})
	}
}
