package register

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

func TestActionReader(t *testing.T) {
	for _, tc := range []struct {
		name, text, wantErr string
	}{
		{"empty", "", "empty"},
		{"cp1251", "\xc5\xcd\xcf;\xc6\xf3\xf0\xed\xe0\xeb\n", "not UTF-8"},
		{"a column missing", "policy_number;journal;year;action;date\n", "no detail column"},
		{"twice", "policy_number;ЕНП;journal;year;action;date;detail\n", "twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewActionReader(strings.NewReader(tc.text)); hotline.ErrorCode(err) != hotline.EINVALID || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got %v, want %q", err, tc.wantErr)
			}
		})
	}
	text := "\uFEFFЕНП;Журнал;Год;Действие;Дата;Канал / этап;лишняя\n" +
		"2650 0000 1234 5678;Диспансерный учёт;2026;Уведомление;17.03.2026;Эл. почта;x\n" +
		"2650000012345678;диспансеризация;2026;Этап;2026-04-01;2 этап;\n" +
		"\"2650000012345678;checkup;2026;stage;2026-04-01;1;\n" + // an unterminated quote: the rest is one bad record
		""
	rd, err := NewActionReader(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		l, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if l.Err != nil {
			got = append(got, "bad "+strconv.Itoa(l.Line))
			continue
		}
		got = append(got, strconv.Itoa(l.Line)+" "+l.Policy+" "+l.Action.Kind+" "+l.Action.Action+" "+l.Action.On+" "+l.Action.Detail)
	}
	want := []string{"2 2650000012345678 observation notified 2026-03-17 email", "3 2650000012345678 checkup stage 2026-04-01 2", "bad 4"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

// FuzzActionReader: any file gives a header error, or lines each either an error with a line
// number or an action whose fields Validate can judge; never a panic, never an endless read.
func FuzzActionReader(f *testing.F) {
	f.Add(actionsSample)
	f.Add("policy_number;journal;year;action;date;detail\n\"x;;\n")
	f.Add("\uFEFFЕНП;Журнал;Год;Действие;Дата;Канал / этап\n2650000012345678;Диспансеризация;2026;Этап;01.04.2026;1 этап\n")
	today := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, text string) {
		rd, err := NewActionReader(strings.NewReader(text))
		if err != nil {
			if hotline.ErrorCode(err) != hotline.EINVALID {
				t.Fatalf("header error %v", err)
			}
			return
		}
		for i := 0; ; i++ {
			if i > len(text)+1 {
				t.Fatalf("more lines than bytes in %q", text)
			}
			l, err := rd.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				t.Fatalf("read error %v", err)
			}
			if l.Line < 2 {
				t.Fatalf("line %d", l.Line)
			}
			if l.Err == nil {
				if !hotline.ValidPolicyNumber(l.Policy) {
					t.Fatalf("accepted policy %q", l.Policy)
				}
				_ = l.Action.Validate(today) // judged, never a panic
			} else if hotline.ErrorCode(l.Err) != hotline.EINVALID {
				t.Fatalf("line error %v", l.Err)
			}
		}
	})
}

const actionsSample = "policy_number;journal;year;action;date;detail\n2650000012345678;checkup;2026;notified;2026-03-01;sms\n"
