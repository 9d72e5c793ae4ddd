package register

import (
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// The survey journals' «Действия» file (docs/register.md, «Survey actions»): one fact a line,
// a notification sent to an insured person or a stage passed by the organisation's billing
// registers. Same conventions as the extract: UTF-8, «;», a header naming the columns.

// Columns of an actions file; all are required.
const (
	ColActJournal = "journal"
	ColActYear    = "year"
	ColAction     = "action"
	ColActDate    = "date"
	ColActDetail  = "detail"
)

// ActionColumns are the actions file's columns in the order the docs write them.
var ActionColumns = []string{ColPolicy, ColActJournal, ColActYear, ColAction, ColActDate, ColActDetail}

var actionAliases = map[string]string{
	"енп": ColPolicy, "номер полиса": ColPolicy, "полис": ColPolicy,
	"журнал": ColActJournal, "год": ColActYear, "действие": ColAction, "дата": ColActDate,
	"канал / этап": ColActDetail, "канал/этап": ColActDetail, "подробно": ColActDetail,
}

var actionWords = map[string]map[string]string{
	ColActJournal: {"checkup": "checkup", "диспансеризация": "checkup", "observation": "observation", "диспансерный учет": "observation", "диспансерный учёт": "observation"},
	ColAction:     {"notified": hotline.ActionNotified, "уведомление": hotline.ActionNotified, "уведомлен": hotline.ActionNotified, "stage": hotline.ActionStage, "этап": hotline.ActionStage},
}

var channelWords = map[string]string{
	"sms": "sms", "смс": "sms", "letter": "letter", "письмо": "letter", "call": "call", "звонок": "call",
	"messenger": "messenger", "мессенджер": "messenger", "email": "email", "e-mail": "email", "эл. почта": "email",
}

// ActionReader reads an actions file line by line; it is a journal.SurveyActionSource.
type ActionReader struct {
	csv  *csv.Reader
	cols map[string]int
	n    int
}

// NewActionReader reads the header of an actions file from r; a header that is not UTF-8, lacks
// a column or names one twice is refused with EINVALID.
func NewActionReader(r io.Reader) (*ActionReader, error) {
	t, err := openTable(r, table{what: "actions file", row: "an action", columns: ActionColumns, required: ActionColumns, aliases: actionAliases})
	if err != nil {
		return nil, err
	}
	return &ActionReader{csv: t.csv, cols: t.cols, n: t.n}, nil
}

// Next reads the next line: an action, or the line's number and why it is not one (Err); io.EOF
// at the end.
func (rd *ActionReader) Next() (journal.SurveyActionLine, error) {
	rec, err := rd.csv.Read()
	if errors.Is(err, io.EOF) {
		return journal.SurveyActionLine{}, io.EOF
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return journal.SurveyActionLine{Line: pe.StartLine, Err: hotline.Errorf(hotline.EINVALID, "not a CSV line: %v", pe.Err)}, nil
	}
	if err != nil {
		return journal.SurveyActionLine{}, err
	}
	line, _ := rd.csv.FieldPos(0)
	l := journal.SurveyActionLine{Line: line}
	if len(rec) != rd.n {
		l.Err = hotline.Errorf(hotline.EINVALID, "%d columns, the header has %d (a ; inside a field must be in double quotes)", len(rec), rd.n)
		return l, nil
	}
	for _, f := range rec {
		if !utf8.ValidString(f) {
			l.Err = hotline.Errorf(hotline.EINVALID, "not UTF-8 text (a windows-1251 line?)")
			return l, nil
		}
	}
	f := func(col string) string { return strings.TrimSpace(rec[rd.cols[col]]) }
	l.Policy = hotline.NormalizePolicyNumber(f(ColPolicy))
	l.Action, l.Err = readAction(f)
	if l.Err == nil && !hotline.ValidPolicyNumber(l.Policy) {
		l.Err = hotline.Errorf(hotline.EINVALID, "policy number %q is not a policy number: want 16 digits (ЕНП)", clip(l.Policy))
	}
	return l, nil
}

// readAction reads one line's action fields; the action's Validate checks the rest.
func readAction(f func(string) string) (hotline.SurveyAction, error) {
	var a hotline.SurveyAction
	word := func(col string) (string, error) {
		v := f(col)
		w, ok := actionWords[col][strings.ToLower(v)]
		if !ok {
			return "", hotline.Errorf(hotline.EINVALID, "unknown %s %q", col, clip(v))
		}
		return w, nil
	}
	var err error
	if a.Kind, err = word(ColActJournal); err != nil {
		return a, err
	}
	if a.Action, err = word(ColAction); err != nil {
		return a, err
	}
	y := f(ColActYear)
	if a.Year, err = strconv.Atoi(y); err != nil {
		return a, hotline.Errorf(hotline.EINVALID, "year %q is not a number", clip(y))
	}
	d := f(ColActDate)
	if a.On, err = ParseDate(d); err != nil || a.On == "" {
		return a, hotline.Errorf(hotline.EINVALID, "invalid date %q: want YYYY-MM-DD or DD.MM.YYYY", clip(d))
	}
	detail := strings.ToLower(f(ColActDetail))
	switch a.Action {
	case hotline.ActionNotified:
		if c, ok := channelWords[detail]; ok {
			detail = c
		}
	case hotline.ActionStage:
		detail = strings.TrimSpace(strings.TrimSuffix(detail, "этап"))
	}
	a.Detail = detail
	return a, nil
}
