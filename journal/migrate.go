package journal

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// Migrations are numbered SQL files, NNNN_name.sql, applied in order. The applied version is
// SQLite's user_version, set in the same transaction as the migration: a crash leaves the schema
// either before or after a migration, never between.
//
// PostgreSQL's twins are migrations/postgres/NNNN_name.sql: the same numbers and names, the same
// schema in PostgreSQL's words (docs/journal.md has the conventions); the version is the single
// row of journal_schema.
//
//go:embed migrations/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) { return migrationsIn("migrations") }

// migrationsFor is the migrations of the Store's engine.
func (s *Store) migrationsFor() ([]migration, error) {
	if s.pg {
		return migrationsIn("migrations/postgres")
	}
	return migrationsIn("migrations")
}

func migrationsIn(dir string) ([]migration, error) {
	files, err := fs.Glob(migrationFS, dir+"/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, f := range files {
		base := strings.TrimPrefix(f, dir+"/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and _", f)
		}
		b, err := migrationFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: want version %d (no gaps)", m.name, i+1)
		}
	}
	return ms, nil
}

// LatestVersion is the schema version this build of hotline expects.
func LatestVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// SchemaVersion is the schema version of the open database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	q := "PRAGMA user_version"
	if s.pg {
		q = "SELECT version FROM journal_schema"
	}
	if err := s.r.GetContext(ctx, &v, q); err != nil {
		return 0, s.dbError(err, "read schema version")
	}
	return v, nil
}

// RequireCurrent fails with a clear error unless the database is migrated to LatestVersion.
func (s *Store) RequireCurrent(ctx context.Context) error {
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	switch latest := LatestVersion(); {
	case v < latest:
		return hotline.Errorf(hotline.EUNAVAILABLE, "database %s has schema version %d, this hotline needs %d: run `hotline db migrate`", s.path, v, latest)
	case v > latest:
		return hotline.Errorf(hotline.EUNAVAILABLE, "the journal at %s was written by a newer hotline (schema %d, this build knows %d): upgrade hotline", s.path, v, latest)
	}
	return nil
}

// Applied is one migration Migrate applied, with what it says it did (empty for most).
type Applied struct {
	Version int    `json:"version"`
	Name    string `json:"name"`
	Note    string `json:"note,omitempty"`
}

// afterMigration is Go work a migration needs in its own transaction, after its SQL: what SQL
// cannot do (parsing phone numbers), and its account of what it did.
var afterMigration = map[int]func(ctx context.Context, s *Store, tx *sqlx.Tx) (string, error){
	6:  afterCalls,
	10: afterCaseList,
}

// Migrate applies every migration newer than the database's version, each in its own
// transaction, and returns the migrations applied.
func (s *Store) Migrate(ctx context.Context) ([]Applied, error) {
	ms, err := s.migrationsFor()
	if err != nil {
		return nil, err
	}
	cur, err := s.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	if cur > len(ms) {
		return nil, hotline.Errorf(hotline.EUNAVAILABLE, "database %s has schema version %d, newer than this hotline (%d): upgrade hotline", s.path, cur, len(ms))
	}
	if !s.pg && s.w != nil && cur < len(ms) {
		// The writer keeps its temporary storage in memory (writerConnector); a migration's
		// temporary tables hold whole tables of an old journal: on disk while migrating.
		if _, err := s.w.ExecContext(ctx, "PRAGMA temp_store = FILE"); err != nil {
			return nil, s.dbError(err, "migrate")
		}
		defer func() {
			if _, err := s.w.ExecContext(context.WithoutCancel(ctx), "PRAGMA temp_store = MEMORY"); err != nil {
				s.log.Warn("journal: cannot set the writer's temp_store back to memory; writes cost more CPU until it reconnects", "err", err)
			}
		}()
	}
	var applied []Applied
	var names []string
	// One line for the whole run, also when a migration fails after others were applied: what
	// the database now is; a migration's note (what it moved) on its own line.
	defer func() {
		if len(applied) > 0 {
			s.log.Info("journal: migrated", "from_version", cur, "version", applied[len(applied)-1].Version, "applied", strings.Join(names, ","))
		}
	}()
	for _, m := range ms[cur:] {
		a := Applied{Version: m.version, Name: m.name}
		err := s.write(ctx, "migrate to "+m.name, func(tx *sqlx.Tx) error {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			if after := afterMigration[m.version]; after != nil {
				note, err := after(ctx, s, tx)
				if err != nil {
					return err
				}
				a.Note = note
			}
			if s.pg {
				_, err := tx.ExecContext(ctx, "UPDATE journal_schema SET version = ?", m.version)
				return err
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version))
			return err
		})
		if err != nil {
			return applied, err
		}
		if a.Note != "" {
			s.log.Info("journal: migrated", "version", m.version, "name", m.name, "note", a.Note)
		}
		applied = append(applied, a)
		names = append(names, m.name)
	}
	if len(applied) > 0 {
		if err := s.loadSettings(ctx); err != nil {
			return applied, err
		}
	}
	return applied, nil
}

// CheckReport is what `hotline db check` prints.
type CheckReport struct {
	Path           string `json:"path"`
	Integrity      string `json:"integrity"` // "ok" or SQLite's list of problems
	SchemaVersion  int    `json:"schema_version"`
	LatestVersion  int    `json:"latest_version"`
	ForeignKeyErrs int    `json:"foreign_key_errors"`
	JournalMode    string `json:"journal_mode"`
}

// OK reports whether the check found nothing wrong.
func (r CheckReport) OK() bool {
	return r.Integrity == "ok" && r.SchemaVersion == r.LatestVersion && r.ForeignKeyErrs == 0
}

// Check runs PRAGMA integrity_check and foreign_key_check and reads the schema version.
func (s *Store) Check(ctx context.Context) (CheckReport, error) { return s.CheckWithProgress(ctx, nil) }

// CheckWithProgress is Check telling progress, when not nil, each step as it begins: the
// integrity check of the whole file (one statement: SQLite says nothing until it ends), then the
// foreign keys table by table ("foreign keys: history (12 of 31)").
func (s *Store) CheckWithProgress(ctx context.Context, progress func(step string)) (CheckReport, error) {
	if progress == nil {
		progress = func(string) {}
	}
	rep := CheckReport{Path: s.path, LatestVersion: LatestVersion()}
	if s.pg {
		v, err := s.SchemaVersion(ctx)
		if err != nil {
			return rep, err
		}
		return rep, hotline.Errorf(hotline.EINVALID, "db check inspects a SQLite journal file; the journal at %s is PostgreSQL's (schema version %d of %d), "+
			"whose pages and foreign keys the server keeps: check it with pg_amcheck, back it up with pg_dump (docs/journal.md)", s.path, v, rep.LatestVersion)
	}
	var lines []string
	progress("integrity check")
	if err := s.r.SelectContext(ctx, &lines, "PRAGMA integrity_check"); err != nil {
		return rep, s.dbError(err, "integrity check")
	}
	rep.Integrity = strings.Join(lines, "; ")
	// Table by table, so that a long check says where it is; together they are the whole
	// foreign_key_check.
	var tables []string
	if err := s.r.SelectContext(ctx, &tables, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`); err != nil {
		return rep, s.dbError(err, "list tables")
	}
	for i, t := range tables {
		progress(fmt.Sprintf("foreign keys: %s (%d of %d)", t, i+1, len(tables)))
		rows, err := s.r.QueryContext(ctx, `PRAGMA foreign_key_check("`+strings.ReplaceAll(t, `"`, `""`)+`")`)
		if err != nil {
			return rep, s.dbError(err, "foreign key check")
		}
		for rows.Next() {
			rep.ForeignKeyErrs++
		}
		rows.Close()
	}
	var err error
	if rep.SchemaVersion, err = s.SchemaVersion(ctx); err != nil {
		return rep, err
	}
	if err := s.r.GetContext(ctx, &rep.JournalMode, "PRAGMA journal_mode"); err != nil {
		return rep, s.dbError(err, "read journal mode")
	}
	return rep, nil
}
