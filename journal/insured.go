package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// The register of insured persons: imported from the fund's extract in batches, searched by the
// prefix of any name part and the birth date (§5.1.3).
//
// A name search walks the key of insured_names (folded part, person id) from the prefix of the
// query's rarest word and checks the other words against the person's folded name: at most
// MaxInsuredResults+1 persons are read, whatever the register's size (BenchmarkInsured).

// MaxInsuredResults is how many persons a search shows (the manual: at most 10).
const MaxInsuredResults = 10

// maxQueryWords bounds the words of a name search: a full name has three, a double surname four.
const maxQueryWords = 6

// DefaultImportBatch is how many lines an import commits in one transaction: one fsync per
// batch; a failed batch loses only its own lines, which a re-run (idempotent) adds again.
const DefaultImportBatch = 10000

// importCacheKiB is the writer's page cache during an import: the policy, birth-date and name
// indexes take keys in random order, and a batch's changes that fit the cache are written once
// at its commit instead of spilling page by page (SQLite's default is 2 MB).
const importCacheKiB = 256 << 10

// MaxRejections is how many rejected lines an import report lists; the count goes on.
const MaxRejections = 1000

// InsuredLine is one line of a register extract as a reader made it: the person, or why the
// line could not be read (Err, set: the line is rejected with it).
type InsuredLine struct {
	Line   int
	Person hotline.Insured
	Err    error
}

// InsuredSource yields an extract's lines in order; io.EOF ends it. Any other error stops the
// import (the file cannot be read on): the batches before stay committed.
type InsuredSource interface {
	Next() (InsuredLine, error)
}

// Rejection is a line an import refused, and why.
type Rejection struct {
	Line   int    `json:"line"`
	Policy string `json:"policy_number,omitempty"`
	Reason string `json:"reason"`
}

// ImportReport is what an import did.
type ImportReport struct {
	ID         int64       `json:"id"`
	Lines      int         `json:"lines"` // persons' lines read so far (the header is not one)
	Added      int         `json:"added"`
	Updated    int         `json:"updated"`
	Unchanged  int         `json:"unchanged"`
	Rejected   int         `json:"rejected"`
	Rejections []Rejection `json:"rejections,omitempty"` // the first MaxRejections
	// Committed is the last line whose batch is committed: after a failure, the lines after it
	// were not written (run the import again: it is idempotent).
	Committed int `json:"committed_line"`
}

// ImportOptions tune ImportInsured.
type ImportOptions struct {
	Source    string // the file's name, for the import's record
	BatchSize int    // lines per transaction; default DefaultImportBatch
	// Progress is called after each committed batch with the report so far.
	Progress func(ImportReport)
}

// personRow is an insured row as stored.
type personRow struct {
	ID          int64          `db:"id"`
	Policy      string         `db:"policy_number"`
	FullName    string         `db:"full_name"`
	BirthDate   string         `db:"birth_date"`
	Sex         string         `db:"sex"`
	Address     string         `db:"address"`
	MOCode      sql.NullString `db:"mo_code"`
	MOName      sql.NullString `db:"mo_name"`
	HealthGroup string         `db:"health_group"`
	Diagnosis   string         `db:"diagnosis"`
	DispYear    int            `db:"disp_year"`
	DispMonth   int            `db:"disp_month"`
	Stage       int            `db:"stage"`
	ImportID    int64          `db:"import_id"`
	ImportLine  int            `db:"import_line"`
}

func (r personRow) insured() hotline.Insured {
	return hotline.Insured{ID: r.ID, PolicyNumber: r.Policy, FullName: r.FullName, BirthDate: r.BirthDate,
		Sex: hotline.Sex(r.Sex), Address: r.Address,
		Organisation: hotline.MedicalOrganisation{Code: r.MOCode.String, Name: r.MOName.String},
		HealthGroup:  r.HealthGroup, Diagnosis: r.Diagnosis, DispensaryYear: r.DispYear, DispensaryMonth: r.DispMonth, Stage: r.Stage}
}

const personColumns = `i.id, i.policy_number, i.full_name, i.birth_date, i.sex, i.address, i.mo_code, m.name AS mo_name,
	i.health_group, i.diagnosis, i.disp_year, i.disp_month, i.stage, i.import_id, i.import_line`

// nameFold folds a name or a query the way the register is searched: lower case by Unicode
// rules, ё as е (people type either).
func nameFold(s string) string { return searchFold(s) }

// nameParts are the folded parts of a full name a prefix search finds it by: each word, and the
// halves of a hyphenated one (Салтыков-Щедрин is found by «щед» too). No duplicates.
func nameParts(fullName string) []string {
	var parts []string
	add := func(p string) {
		p = strings.Trim(p, ".'’-")
		if p != "" && !slices.Contains(parts, p) {
			parts = append(parts, p)
		}
	}
	for _, w := range strings.Fields(nameFold(fullName)) {
		add(w)
		if strings.Contains(w, "-") {
			for _, h := range strings.Split(w, "-") {
				add(h)
			}
		}
	}
	return parts
}

// queryWords are a name search's words, folded: split at spaces and dots, so «Иванов И.П.» is
// «иванов», «и», «п», as initials are typed.
func queryWords(name string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(nameFold(name), func(r rune) bool { return r == '.' || unicode.IsSpace(r) }) {
		if w = strings.Trim(w, "'’-"); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// nameFoldColumn is insured.name_fold: the parts, each after a space.
func nameFoldColumn(parts []string) string { return " " + strings.Join(parts, " ") }

// prefixRange is the key range of the strings starting with p: [p, p+U+10FFFF). UTF-8 compares
// as code points, and no name holds U+10FFFF.
func prefixRange(p string) (string, string) { return p, p + "\U0010FFFF" }

// ImportInsured imports a register extract: each line a person, inserted or updated by policy
// number (an import is idempotent: the same file again changes nothing), BatchSize lines to a
// transaction. A line is rejected whole, with its number and the reason, when it does not read,
// does not validate, names a medical organisation by a code alone that neither the journal nor
// an earlier line of the file defines, or repeats a policy number of an earlier line. Only
// administrators import. On a failure (the database, ctx, the source) the report says how far the
// commits went.
func (s *Store) ImportInsured(ctx context.Context, by hotline.Actor, src InsuredSource, opt ImportOptions) (ImportReport, error) {
	var rep ImportReport
	if err := by.RequireAdministrator("import the register of insured persons"); err != nil {
		return rep, err
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = DefaultImportBatch
	}
	if s.w != nil && !s.pg { // SQLite's page cache; PostgreSQL's is the server's
		if _, err := s.w.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", importCacheKiB)); err != nil {
			return rep, s.dbError(err, "size the import's cache")
		}
		// Back to SQLite's default when the import ends: the daemon's writer needs no more.
		defer s.w.ExecContext(context.WithoutCancel(ctx), "PRAGMA cache_size = -2000")
	}
	orgs := map[string]string{}
	var known []hotline.MedicalOrganisation
	if err := s.r.SelectContext(ctx, &known, `SELECT code, name FROM medical_organisations`); err != nil {
		return rep, s.dbError(err, "read medical organisations")
	}
	for _, o := range known {
		orgs[o.Code] = o.Name
	}
	err := s.write(ctx, "start an import", func(tx *sqlx.Tx) error {
		res, err := insertReturningID(ctx, tx, `INSERT INTO insured_imports (started, source, actor) VALUES (?, ?, ?)`,
			s.now().UnixMilli(), opt.Source, by.Login)
		if err != nil {
			return err
		}
		rep.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return rep, err
	}
	batch := make([]InsuredLine, 0, opt.BatchSize)
	lastLine := 0
	for done := false; !done; {
		batch = batch[:0]
		for len(batch) < opt.BatchSize {
			l, err := src.Next()
			if errors.Is(err, io.EOF) {
				done = true
				break
			}
			if err != nil {
				return rep, fmt.Errorf("read the register after line %d: %w", lastLine, err)
			}
			rep.Lines++
			lastLine = l.Line
			batch = append(batch, l)
		}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		next := rep // the batch counts into a copy: a failed batch's counts are not the report's
		nextOrgs := map[string]string{}
		err := s.write(ctx, fmt.Sprintf("import lines %d–%d of the register", rep.Committed+1, lastLine), func(tx *sqlx.Tx) error {
			next = rep
			next.Rejections = slices.Clone(rep.Rejections)
			clear(nextOrgs)
			return s.importBatch(ctx, tx, by, batch, orgs, nextOrgs, &next, done)
		})
		if err != nil {
			return rep, err
		}
		rep = next
		maps.Copy(orgs, nextOrgs)
		rep.Committed = lastLine
		if opt.Progress != nil {
			opt.Progress(rep)
		}
	}
	return rep, nil
}

// importBatch writes one batch's lines in tx, counting into rep; orgs are the organisations
// committed before, newOrgs receives this batch's.
func (s *Store) importBatch(ctx context.Context, tx *sqlx.Tx, by hotline.Actor, batch []InsuredLine,
	orgs, newOrgs map[string]string, rep *ImportReport, last bool) error {
	region := s.PhoneRegion()
	today := s.now()
	nowMS := today.UnixMilli()
	reject := func(l InsuredLine, why string) {
		rep.Rejected++
		if len(rep.Rejections) < MaxRejections {
			rep.Rejections = append(rep.Rejections, Rejection{Line: l.Line, Policy: l.Person.PolicyNumber, Reason: why})
		}
	}
	for _, l := range batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		if l.Err != nil {
			reject(l, hotline.ErrorMessage(l.Err))
			continue
		}
		p := l.Person
		phones := make([]hotline.InsuredPhone, 0, len(p.Phones))
		badPhone := ""
		for _, ph := range p.Phones {
			n, ok := region.Normalize(ph.Number)
			if !ok {
				badPhone = ph.Number
				break
			}
			if !slices.ContainsFunc(phones, func(x hotline.InsuredPhone) bool { return x.Number == n }) {
				phones = append(phones, hotline.InsuredPhone{Number: n})
			}
		}
		if badPhone != "" {
			reject(l, fmt.Sprintf("invalid phone number %q", clip(badPhone)))
			continue
		}
		p.Phones = phones
		if err := p.Validate(today); err != nil {
			reject(l, hotline.ErrorMessage(err))
			continue
		}
		if code := p.Organisation.Code; code != "" {
			name, ok := newOrgs[code]
			if !ok {
				name, ok = orgs[code]
			}
			switch {
			case !ok && p.Organisation.Name == "":
				reject(l, fmt.Sprintf("unknown medical organisation %q: give its name (mo_name) on this or an earlier line", code))
				continue
			case p.Organisation.Name != "" && p.Organisation.Name != name:
				if _, err := tx.ExecContext(ctx, `INSERT INTO medical_organisations (code, name) VALUES (?, ?)
					ON CONFLICT (code) DO UPDATE SET name = excluded.name`, code, p.Organisation.Name); err != nil {
					return err
				}
				newOrgs[code] = p.Organisation.Name
			}
		}
		var old personRow
		err := tx.GetContext(ctx, &old, `SELECT `+personColumns+` FROM insured i LEFT JOIN medical_organisations m ON m.code = i.mo_code
			WHERE i.policy_number = ?`, p.PolicyNumber)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if err := insertInsured(ctx, tx, &p, rep.ID, l.Line, nowMS); err != nil {
				return err
			}
			rep.Added++
			continue
		case err != nil:
			return err
		}
		if old.ImportID == rep.ID {
			reject(l, fmt.Sprintf("policy number %s repeats line %d", p.PolicyNumber, old.ImportLine))
			continue
		}
		p.ID = old.ID
		changed, err := updateInsured(ctx, tx, old, &p, rep.ID, l.Line, nowMS)
		if err != nil {
			return err
		}
		if changed {
			rep.Updated++
		} else {
			rep.Unchanged++
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE insured_imports SET added = ?, updated = ?, unchanged = ?, rejected = ?, finished = ? WHERE id = ?`,
		rep.Added, rep.Updated, rep.Unchanged, rep.Rejected, sql.NullInt64{Int64: nowMS, Valid: last}, rep.ID); err != nil {
		return err
	}
	if !last {
		return nil
	}
	// One history event per import, with its figures: the register's rows are the fund's, not
	// the hotline's; who loaded which file when is what the history must answer.
	return s.record(ctx, tx, by, "insured_import", rep.ID, 0, "imported", []Change{
		{Field: "added", To: fmt.Sprint(rep.Added)}, {Field: "updated", To: fmt.Sprint(rep.Updated)},
		{Field: "unchanged", To: fmt.Sprint(rep.Unchanged)}, {Field: "rejected", To: fmt.Sprint(rep.Rejected)},
	})
}

func insertInsured(ctx context.Context, tx *sqlx.Tx, p *hotline.Insured, importID int64, line int, nowMS int64) error {
	parts := nameParts(p.FullName)
	res, err := insertReturningID(ctx, tx, `INSERT INTO insured (policy_number, full_name, name_fold, birth_date, sex, address, mo_code,
		health_group, diagnosis, disp_year, disp_month, stage, updated_at, import_id, import_line)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.PolicyNumber, p.FullName, nameFoldColumn(parts), p.BirthDate, string(p.Sex), p.Address, nullStr(p.Organisation.Code),
		p.HealthGroup, p.Diagnosis, p.DispensaryYear, p.DispensaryMonth, p.Stage, nowMS, importID, line)
	if err != nil {
		return err
	}
	if p.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	nf := nameFoldColumn(parts)
	for _, part := range parts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO insured_names (part, person_id, name_fold) VALUES (?, ?, ?)`, part, p.ID, nf); err != nil {
			return err
		}
	}
	for i, ph := range p.Phones {
		if _, err := tx.ExecContext(ctx, `INSERT INTO insured_phones (person_id, number, position) VALUES (?, ?, ?)`, p.ID, ph.Number, i); err != nil {
			return err
		}
	}
	return nil
}

// updateInsured brings a stored person to p; changed is false when the line says what the
// journal holds already. Phones the line repeats keep their «неверный номер» mark.
func updateInsured(ctx context.Context, tx *sqlx.Tx, old personRow, p *hotline.Insured, importID int64, line int, nowMS int64) (bool, error) {
	var numbers []string
	if err := tx.SelectContext(ctx, &numbers, `SELECT number FROM insured_phones WHERE person_id = ? ORDER BY position`, old.ID); err != nil {
		return false, err
	}
	newNumbers := make([]string, len(p.Phones))
	for i, ph := range p.Phones {
		newNumbers[i] = ph.Number
	}
	o := old.insured()
	same := o.FullName == p.FullName && o.BirthDate == p.BirthDate && o.Sex == p.Sex && o.Address == p.Address &&
		o.Organisation.Code == p.Organisation.Code && o.HealthGroup == p.HealthGroup && o.Diagnosis == p.Diagnosis &&
		o.DispensaryYear == p.DispensaryYear && o.DispensaryMonth == p.DispensaryMonth && o.Stage == p.Stage &&
		slices.Equal(numbers, newNumbers)
	if same {
		_, err := tx.ExecContext(ctx, `UPDATE insured SET import_id = ?, import_line = ? WHERE id = ?`, importID, line, old.ID)
		return false, err
	}
	parts := nameParts(p.FullName)
	if _, err := tx.ExecContext(ctx, `UPDATE insured SET full_name = ?, name_fold = ?, birth_date = ?, sex = ?, address = ?, mo_code = ?,
		health_group = ?, diagnosis = ?, disp_year = ?, disp_month = ?, stage = ?, updated_at = ?, import_id = ?, import_line = ?
		WHERE id = ?`, p.FullName, nameFoldColumn(parts), p.BirthDate, string(p.Sex), p.Address, nullStr(p.Organisation.Code),
		p.HealthGroup, p.Diagnosis, p.DispensaryYear, p.DispensaryMonth, p.Stage, nowMS, importID, line, old.ID); err != nil {
		return false, err
	}
	if old.FullName != p.FullName {
		for _, part := range nameParts(old.FullName) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM insured_names WHERE part = ? AND person_id = ?`, part, old.ID); err != nil {
				return false, err
			}
		}
		nf := nameFoldColumn(parts)
		for _, part := range parts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO insured_names (part, person_id, name_fold) VALUES (?, ?, ?)`, part, old.ID, nf); err != nil {
				return false, err
			}
		}
	}
	for _, n := range numbers {
		if !slices.Contains(newNumbers, n) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM insured_phones WHERE person_id = ? AND number = ?`, old.ID, n); err != nil {
				return false, err
			}
		}
	}
	for i, n := range newNumbers {
		if _, err := tx.ExecContext(ctx, `INSERT INTO insured_phones (person_id, number, position) VALUES (?, ?, ?)
			ON CONFLICT (person_id, number) DO UPDATE SET position = excluded.position`, old.ID, n, i); err != nil {
			return false, err
		}
	}
	return true, nil
}

// InsuredQuery is a search of the register (§5.1.3): any one field is enough.
type InsuredQuery struct {
	Name      string // the beginnings of any name parts, in any order: «иван петр», «Сидорова»
	BirthDate string // YYYY-MM-DD
}

// SearchInsured finds at most limit (at most MaxInsuredResults) persons whose name parts start
// with every word of q.Name (case and ё/е aside) and born on q.BirthDate when given, ordered by
// name; more is true when others match too (the operator should narrow the search).
func (s *Store) SearchInsured(ctx context.Context, q InsuredQuery, limit int) (found []hotline.Insured, more bool, err error) {
	if limit <= 0 || limit > MaxInsuredResults {
		limit = MaxInsuredResults
	}
	name := strings.TrimSpace(q.Name)
	date := strings.TrimSpace(q.BirthDate)
	if name == "" && date == "" {
		return nil, false, hotline.Errorf(hotline.EINVALID, "give a full name or a birth date to search the register")
	}
	if n := utf8.RuneCountInString(name); n > hotline.MaxNameLen || !utf8.ValidString(name) {
		return nil, false, hotline.Errorf(hotline.EINVALID, "the name searched is too long: %d characters, at most %d", n, hotline.MaxNameLen)
	}
	if date != "" {
		if _, err := time.Parse(hotline.DateLayout, date); err != nil {
			return nil, false, hotline.Errorf(hotline.EINVALID, "invalid birth date %q: want YYYY-MM-DD", clip(date))
		}
	}
	words := queryWords(name)
	if len(words) > maxQueryWords {
		return nil, false, hotline.Errorf(hotline.EINVALID, "the name searched has %d words: at most %d", len(words), maxQueryWords)
	}
	var ids []int64
	switch {
	case len(words) == 0 && date == "":
		return nil, false, hotline.Errorf(hotline.EINVALID, "the name searched %q has no letters", clip(name))
	case date != "":
		// A birth date is the narrowest key: a few dozen persons a day in a million.
		q, args := insuredByDateQuery(date, words, limit+1)
		err = s.r.SelectContext(ctx, &ids, q, args...)
	default:
		ids, err = s.searchByParts(ctx, words, limit+1)
	}
	if err != nil {
		return nil, false, s.dbError(err, "search the register")
	}
	if len(ids) > limit {
		ids, more = ids[:limit], true
	}
	found, err = s.insuredByIDs(ctx, ids)
	if err != nil {
		return nil, false, err
	}
	slices.SortFunc(found, func(a, b hotline.Insured) int {
		return strings.Compare(nameFold(a.FullName)+"\x00"+a.BirthDate, nameFold(b.FullName)+"\x00"+b.BirthDate)
	})
	return found, more, nil
}

// rareProbe bounds how far a search counts a word's matches when it picks the rarest: counting
// reads consecutive keys, a few thousand a millisecond.
const rareProbe = 5000

// searchByParts finds persons by name words: it walks the key range of the word with the fewest
// matching parts (counted up to rareProbe) and checks the others in name_fold.
func (s *Store) searchByParts(ctx context.Context, words []string, limit int) ([]int64, error) {
	driver, best := 0, -1
	if len(words) > 1 {
		for i, w := range words {
			lo, hi := prefixRange(w)
			var n int
			if err := s.r.GetContext(ctx, &n, `SELECT count(*) FROM (SELECT 1 FROM insured_names WHERE part >= ? AND part < ? LIMIT ?) AS probe`,
				lo, hi, rareProbe); err != nil {
				return nil, err
			}
			if best < 0 || n < best {
				driver, best = i, n
			}
		}
	}
	q, args := insuredByPartQuery(words[driver], slices.Delete(slices.Clone(words), driver, driver+1), limit)
	var ids []int64
	err := s.r.SelectContext(ctx, &ids, q, args...)
	return ids, err
}

// insuredByPartQuery finds persons with a part starting with word whose name_fold has parts
// starting with each of others: a range of insured_names' key, nothing else read.
func insuredByPartQuery(word string, others []string, limit int) (string, []any) {
	lo, hi := prefixRange(word)
	where := `part >= ? AND part < ?`
	args := []any{lo, hi}
	if len(others) > 0 {
		w, a := likeWords(others, "name_fold")
		where += " AND " + w
		args = append(args, a...)
	}
	return `SELECT DISTINCT person_id FROM insured_names WHERE ` + where + ` LIMIT ?`, append(args, limit)
}

// insuredByDateQuery finds persons born on date whose names have parts starting with words (if
// any), through the birth-date index.
func insuredByDateQuery(date string, words []string, limit int) (string, []any) {
	where, args := `birth_date = ?`, []any{date}
	if len(words) > 0 {
		w, a := likeWords(words, "name_fold")
		where += " AND " + w
		args = append(args, a...)
	}
	return `SELECT id FROM insured WHERE ` + where + ` ORDER BY name_fold, id LIMIT ?`, append(args, limit)
}

// likeWords is the condition that column (a name_fold) has a part starting with each word.
func likeWords(words []string, column string) (string, []any) {
	conds := make([]string, len(words))
	args := make([]any, len(words))
	for i, w := range words {
		conds[i] = column + ` LIKE ? ESCAPE '\'`
		args[i] = "% " + escapeLike(w) + "%"
	}
	return strings.Join(conds, " AND "), args
}

// insuredByIDs loads persons with their phones, in no particular order.
func (s *Store) insuredByIDs(ctx context.Context, ids []int64) ([]hotline.Insured, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	q, args, err := sqlx.In(`SELECT `+personColumns+` FROM insured i LEFT JOIN medical_organisations m ON m.code = i.mo_code WHERE i.id IN (?)`, ids)
	if err != nil {
		return nil, err
	}
	var rows []personRow
	if err := s.r.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, s.dbError(err, "read insured persons")
	}
	q, args, err = sqlx.In(`SELECT person_id, number, wrong FROM insured_phones WHERE person_id IN (?) ORDER BY person_id, position`, ids)
	if err != nil {
		return nil, err
	}
	var phones []struct {
		PersonID int64  `db:"person_id"`
		Number   string `db:"number"`
		Wrong    bool   `db:"wrong"`
	}
	if err := s.r.SelectContext(ctx, &phones, q, args...); err != nil {
		return nil, s.dbError(err, "read insured persons' phones")
	}
	out := make([]hotline.Insured, len(rows))
	for i, r := range rows {
		out[i] = r.insured()
		for _, ph := range phones {
			if ph.PersonID == r.ID {
				out[i].Phones = append(out[i].Phones, hotline.InsuredPhone{Number: ph.Number, Wrong: ph.Wrong})
			}
		}
	}
	return out, nil
}

// Insured returns the person with id (ENOTFOUND when there is none).
func (s *Store) Insured(ctx context.Context, id int64) (hotline.Insured, error) {
	ps, err := s.insuredByIDs(ctx, []int64{id})
	if err != nil {
		return hotline.Insured{}, err
	}
	if len(ps) == 0 {
		return hotline.Insured{}, hotline.Errorf(hotline.ENOTFOUND, "no insured person %d in the register", id)
	}
	return ps[0], nil
}

// InsuredByPolicy returns the person with a policy number (ENOTFOUND when there is none).
func (s *Store) InsuredByPolicy(ctx context.Context, policy string) (hotline.Insured, error) {
	var id int64
	err := s.r.GetContext(ctx, &id, `SELECT id FROM insured WHERE policy_number = ?`, hotline.NormalizePolicyNumber(policy))
	if errors.Is(err, sql.ErrNoRows) {
		return hotline.Insured{}, hotline.Errorf(hotline.ENOTFOUND, "no insured person with policy number %q in the register", clip(policy))
	}
	if err != nil {
		return hotline.Insured{}, s.dbError(err, "find an insured person")
	}
	return s.Insured(ctx, id)
}

// CountInsured is how many persons the register holds.
func (s *Store) CountInsured(ctx context.Context) (int, error) {
	var n int
	if err := s.r.GetContext(ctx, &n, `SELECT count(*) FROM insured`); err != nil {
		return 0, s.dbError(err, "count insured persons")
	}
	return n, nil
}

// MarkInsuredPhone sets or clears the «Телефон указан неверно или принадлежит другому ЗЛ» mark of
// one of a person's numbers (§7.1, and the survey journals' cards), with its history: a number
// marked wrong is never dialled again (package informing skips it). Re-imports keep the mark.
func (s *Store) MarkInsuredPhone(ctx context.Context, by hotline.Actor, personID int64, number string, wrong bool) error {
	if by.Login == "" {
		return hotline.Errorf(hotline.EINVALID, "marking a phone without an actor: who marks it must be known")
	}
	n, ok := s.PhoneRegion().Normalize(number)
	if !ok {
		return hotline.Errorf(hotline.EINVALID, "invalid phone number %q", clip(number))
	}
	return s.write(ctx, "mark an insured person's phone", func(tx *sqlx.Tx) error {
		return s.markPhone(ctx, tx, by, personID, n, wrong)
	})
}

// markPhone is MarkInsuredPhone in tx, for the E.164 number n.
func (s *Store) markPhone(ctx context.Context, tx *sqlx.Tx, by hotline.Actor, personID int64, n string, wrong bool) error {
	var was bool
	if err := tx.GetContext(ctx, &was, `SELECT wrong FROM insured_phones WHERE person_id = ? AND number = ?`, personID, n); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return hotline.Errorf(hotline.ENOTFOUND, "insured person %d has no phone %s", personID, n)
		}
		return err
	}
	if was == wrong {
		return nil
	}
	at := sql.NullInt64{}
	by2 := sql.NullString{}
	if wrong {
		at, by2 = sql.NullInt64{Int64: s.now().UnixMilli(), Valid: true}, sql.NullString{String: by.Login, Valid: true}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE insured_phones SET wrong = ?, wrong_at = ?, wrong_by = ? WHERE person_id = ? AND number = ?`,
		wrong, at, by2, personID, n); err != nil {
		return err
	}
	return s.record(ctx, tx, by, "insured_phone", fmt.Sprintf("%d/%s", personID, n), 0, "marked",
		[]Change{{Field: "wrong", From: fmt.Sprint(was), To: fmt.Sprint(wrong)}})
}
