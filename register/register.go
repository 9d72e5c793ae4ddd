// Package register reads the fund's extract of the register of insured persons, a CSV file
// (docs/register.md describes its columns), into the journal's import lines, and writes a
// synthetic one for the demo, the tests and the benchmark (Generate: generated names, never real
// people).
package register

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// Column names of the extract, as the header names them (Latin; the Russian names in aliases
// are read too). The order in the file is free; Required ones must be there.
const (
	ColPolicy      = "policy_number"
	ColFullName    = "full_name"
	ColBirthDate   = "birth_date"
	ColSex         = "sex"
	ColPhones      = "phones"
	ColAddress     = "address"
	ColMOCode      = "mo_code"
	ColMOName      = "mo_name"
	ColHealthGroup = "health_group"
	ColDiagnosis   = "diagnosis"
	ColDispYear    = "disp_year"
	ColDispMonth   = "disp_month"
	ColStage       = "stage"
)

// Columns are every column, in the order Generate writes them.
var Columns = []string{ColPolicy, ColFullName, ColBirthDate, ColSex, ColPhones, ColAddress, ColMOCode, ColMOName,
	ColHealthGroup, ColDiagnosis, ColDispYear, ColDispMonth, ColStage}

// Required are the columns without which no line is a person.
var Required = []string{ColPolicy, ColFullName, ColBirthDate, ColSex}

// aliases are the Russian headers of the fund's exports.
var aliases = map[string]string{
	"енп": ColPolicy, "номер полиса": ColPolicy, "полис": ColPolicy,
	"фио":           ColFullName,
	"дата рождения": ColBirthDate, "др": ColBirthDate,
	"пол":      ColSex,
	"телефоны": ColPhones, "телефон": ColPhones,
	"адрес":  ColAddress,
	"код мо": ColMOCode,
	"мо":     ColMOName, "медицинская организация": ColMOName,
	"группа здоровья": ColHealthGroup,
	"диагноз":         ColDiagnosis, "мкб-10": ColDiagnosis,
	"год": ColDispYear, "месяц": ColDispMonth, "этап": ColStage,
}

// Delimiter separates columns: a semicolon, as Russian Excel saves CSV. Phones within their
// column are separated by commas.
const Delimiter = ';'

// MaxLineBytes bounds one line: a person's fields are a few hundred bytes.
const MaxLineBytes = 8 << 10

// Reader reads an extract line by line; it is a journal.InsuredSource.
type Reader struct {
	csv  *csv.Reader
	cols map[string]int // column name → index
	n    int            // columns in the header
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// NewReader reads the header of an extract from r (UTF-8, with or without a byte-order mark) and
// returns a Reader of its lines. A header that is not UTF-8 (a windows-1251 export), lacks a
// required column, or names one twice, is refused with EINVALID.
func NewReader(r io.Reader) (*Reader, error) {
	t, err := openTable(r, table{what: "register file", row: "a person", columns: Columns, required: Required, aliases: aliases})
	if err != nil {
		return nil, err
	}
	return &Reader{csv: t.csv, cols: t.cols, n: t.n}, nil
}

// table describes a CSV file the fund sends: what it is called in messages, what a line of it is,
// the columns hotline keeps, those it needs, and the Russian headers of each.
type table struct {
	what, row         string
	columns, required []string
	aliases           map[string]string
}

// openedTable is a table's CSV reader past its header, and where each kept column stands.
type openedTable struct {
	csv  *csv.Reader
	cols map[string]int
	n    int // the header's width
}

// openTable reads the header of table t from r (UTF-8, with or without a byte-order mark). A
// header that is not UTF-8 (a windows-1251 export), lacks a required column, or names one twice,
// is refused with EINVALID.
func openTable(r io.Reader, t table) (openedTable, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if head, err := br.Peek(3); err == nil && bytes.Equal(head, bom) {
		br.Discard(3)
	}
	first, err := br.Peek(MaxLineBytes)
	if len(first) == 0 && err != nil {
		if errors.Is(err, io.EOF) {
			return openedTable{}, hotline.Errorf(hotline.EINVALID, "the %s is empty: want a header line (%s) and %s a line", t.what, strings.Join(t.required, ";"), t.row)
		}
		return openedTable{}, hotline.Wrapf(hotline.EINVALID, err, "cannot read the %s: %v", t.what, err)
	}
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	} else if len(first) > utf8.UTFMax {
		first = first[:len(first)-utf8.UTFMax] // a character cut at the peek's end is not an error
	}
	if !utf8.Valid(first) {
		return openedTable{}, hotline.Errorf(hotline.EINVALID, "the %s is not UTF-8 text (a windows-1251 export?): save it as «CSV UTF-8 (разделители — точка с запятой)» and import again", t.what)
	}
	c := csv.NewReader(br)
	c.Comma = Delimiter
	c.FieldsPerRecord = -1 // checked per line, so that a short line is one rejection, not the end
	c.ReuseRecord = true
	header, err := c.Read()
	if err != nil {
		return openedTable{}, hotline.Wrapf(hotline.EINVALID, err, "cannot read the %s's header: %v", t.what, err)
	}
	o := openedTable{csv: c, cols: map[string]int{}, n: len(header)}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		if a, ok := t.aliases[name]; ok {
			name = a
		}
		if !slices.Contains(t.columns, name) {
			continue // a column hotline does not keep
		}
		if _, dup := o.cols[name]; dup {
			return openedTable{}, hotline.Errorf(hotline.EINVALID, "the %s's header names column %s twice", t.what, name)
		}
		o.cols[name] = i
	}
	for _, req := range t.required {
		if _, ok := o.cols[req]; !ok {
			if len(header) == 1 && strings.Contains(header[0], ",") {
				return openedTable{}, hotline.Errorf(hotline.EINVALID, "the %s's header has no %s column: its columns are separated by commas; want semicolons (;)", t.what, req)
			}
			return openedTable{}, hotline.Errorf(hotline.EINVALID, "the %s's header has no %s column (want at least %s; see docs/register.md)", t.what, req, strings.Join(t.required, ";"))
		}
	}
	return o, nil
}

// Next reads the next line: a person, or the line's number and why it is not one (Err). It
// returns io.EOF at the end.
func (rd *Reader) Next() (journal.InsuredLine, error) {
	rec, err := rd.csv.Read()
	if errors.Is(err, io.EOF) {
		return journal.InsuredLine{}, io.EOF
	}
	line, _ := rd.csv.FieldPos(0)
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return journal.InsuredLine{Line: pe.StartLine, Err: hotline.Errorf(hotline.EINVALID, "not a CSV line: %v", pe.Err)}, nil
	}
	if err != nil {
		return journal.InsuredLine{}, err
	}
	l := journal.InsuredLine{Line: line}
	if len(rec) != rd.n {
		l.Err = hotline.Errorf(hotline.EINVALID, "%d columns, the header has %d (a ; inside a field must be in double quotes)", len(rec), rd.n)
		return l, nil
	}
	for _, f := range rec {
		if !utf8.ValidString(f) {
			l.Err = hotline.Errorf(hotline.EINVALID, "not UTF-8 text (a windows-1251 line?)")
			return l, nil
		}
		if len(f) > MaxLineBytes {
			l.Err = hotline.Errorf(hotline.EINVALID, "a field of %d bytes", len(f))
			return l, nil
		}
	}
	l.Person, l.Err = rd.person(rec)
	return l, nil
}

func (rd *Reader) field(rec []string, col string) string {
	i, ok := rd.cols[col]
	if !ok {
		return ""
	}
	return strings.TrimSpace(rec[i])
}

// person reads one record's fields; Validate (in the journal's import) checks the rest.
func (rd *Reader) person(rec []string) (hotline.Insured, error) {
	f := func(col string) string { return rd.field(rec, col) }
	p := hotline.Insured{
		PolicyNumber: hotline.NormalizePolicyNumber(f(ColPolicy)),
		FullName:     strings.Join(strings.Fields(f(ColFullName)), " "),
		Address:      f(ColAddress),
		Organisation: hotline.MedicalOrganisation{Code: f(ColMOCode), Name: f(ColMOName)},
	}
	var err error
	if p.BirthDate, err = ParseDate(f(ColBirthDate)); err != nil {
		return p, err
	}
	if v := f(ColSex); v != "" {
		sex, ok := hotline.ParseSex(v)
		if !ok {
			return p, hotline.Errorf(hotline.EINVALID, "unknown sex %q: want м or ж", clip(v))
		}
		p.Sex = sex
	}
	for _, ph := range strings.Split(f(ColPhones), ",") {
		if ph = strings.TrimSpace(ph); ph != "" {
			p.Phones = append(p.Phones, hotline.InsuredPhone{Number: ph})
		}
	}
	if v := f(ColHealthGroup); v != "" {
		g, ok := hotline.ParseHealthGroup(v)
		if !ok {
			return p, hotline.Errorf(hotline.EINVALID, "unknown health group %q: want I, II, IIIа or IIIб (or 1, 2, 3а, 3б)", clip(v))
		}
		p.HealthGroup = g
	}
	if v := f(ColDiagnosis); v != "" {
		d, ok := hotline.ParseDiagnosis(v)
		if !ok {
			return p, hotline.Errorf(hotline.EINVALID, "diagnosis %q is not an ICD-10 code (e.g. I10, E11.9)", clip(v))
		}
		p.Diagnosis = d
	}
	for _, x := range []struct {
		col string
		to  *int
	}{{ColDispYear, &p.DispensaryYear}, {ColDispMonth, &p.DispensaryMonth}, {ColStage, &p.Stage}} {
		v := f(x.col)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, hotline.Errorf(hotline.EINVALID, "%s %q is not a number", x.col, clip(v))
		}
		*x.to = n
	}
	return p, nil
}

// ParseDate reads a birth date written YYYY-MM-DD or DD.MM.YYYY (as Russian Excel writes it)
// into YYYY-MM-DD; an empty one stays empty (Validate says it is missing).
func ParseDate(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	for _, layout := range []string{hotline.DateLayout, "02.01.2006"} {
		if d, err := time.Parse(layout, s); err == nil {
			return d.Format(hotline.DateLayout), nil
		}
	}
	return "", hotline.Errorf(hotline.EINVALID, "invalid birth date %q: want YYYY-MM-DD or DD.MM.YYYY", clip(s))
}

func clip(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:40]) + "…"
}

// Writer writes an extract: the header, then a person a line.
type Writer struct {
	w *csv.Writer
}

// NewWriter writes the header of an extract with every column to w.
func NewWriter(w io.Writer) (*Writer, error) {
	c := csv.NewWriter(w)
	c.Comma = Delimiter
	if err := c.Write(Columns); err != nil {
		return nil, err
	}
	return &Writer{w: c}, nil
}

// Write writes one person.
func (w *Writer) Write(p hotline.Insured) error {
	phones := make([]string, len(p.Phones))
	for i, ph := range p.Phones {
		phones[i] = ph.Number
	}
	num := func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	}
	sex := map[hotline.Sex]string{hotline.SexMale: "м", hotline.SexFemale: "ж"}[p.Sex]
	return w.w.Write([]string{p.PolicyNumber, p.FullName, p.BirthDate, sex, strings.Join(phones, ","), p.Address,
		p.Organisation.Code, p.Organisation.Name, p.HealthGroup, p.Diagnosis, num(p.DispensaryYear), num(p.DispensaryMonth), num(p.Stage)})
}

// Flush writes what is buffered and reports a write error.
func (w *Writer) Flush() error {
	w.w.Flush()
	if err := w.w.Error(); err != nil {
		return fmt.Errorf("register: write: %w", err)
	}
	return nil
}
