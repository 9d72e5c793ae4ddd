package journal

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// CopiedTable is one table db copy moved: its rows read from the source and counted in the
// target afterwards.
type CopiedTable struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"`
}

// CopyReport is what `hotline db copy` says.
type CopyReport struct {
	From          string        `json:"from"`
	To            string        `json:"to"`
	SchemaVersion int           `json:"schema_version"`
	Tables        []CopiedTable `json:"tables"`
}

// copyBatch is how many rows one INSERT carries: PostgreSQL takes at most 65535 parameters.
const copyBatch = 200

// CopyTo copies this SQLite journal into dst, an empty PostgreSQL journal migrated to the same
// schema version: every table, in one transaction of dst (all or nothing), from one read snapshot
// of the source; then each identity sequence is set past the table's largest id and every
// table's rows are counted in the target against the source's. It refuses a target that is not
// PostgreSQL, not at the source's version, or holds anything (but the settings the migrations
// write, which the source's replace).
func (s *Store) CopyTo(ctx context.Context, dst *Store, progress func(step string)) (CopyReport, error) {
	if progress == nil {
		progress = func(string) {}
	}
	rep := CopyReport{From: s.path, To: dst.path}
	if s.pg || !dst.pg {
		return rep, hotline.Errorf(hotline.EINVALID, "db copy copies a SQLite journal into a PostgreSQL one")
	}
	sv, err := s.SchemaVersion(ctx)
	if err != nil {
		return rep, err
	}
	dv, err := dst.SchemaVersion(ctx)
	if err != nil {
		return rep, err
	}
	if sv != dv {
		return rep, hotline.Errorf(hotline.ECONFLICT, "the journal at %s has schema version %d, the target %s %d: migrate both with this hotline (`hotline db migrate`) first", s.path, sv, dst.path, dv)
	}
	rep.SchemaVersion = sv

	src, err := s.r.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true}) // one snapshot of the source
	if err != nil {
		return rep, s.dbError(err, "read the journal to copy")
	}
	defer src.Rollback()

	err = dst.write(ctx, "copy the journal", func(tx *sqlx.Tx) error {
		tables, err := pgTablesInOrder(ctx, tx)
		if err != nil {
			return err
		}
		for _, t := range tables {
			var n int64
			if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM `+quoteIdent(t)); err != nil {
				return err
			}
			if n > 0 && t != "settings" {
				return hotline.Errorf(hotline.ECONFLICT, "the target journal %s is not empty (table %s has %d rows): db copy fills an empty journal only", dst.path, t, n)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM settings`); err != nil {
			return err
		}
		rep.Tables = rep.Tables[:0]
		for i, t := range tables {
			progress(fmt.Sprintf("%s (%d of %d)", t, i+1, len(tables)))
			n, err := copyTable(ctx, src, tx, t)
			if err != nil {
				return fmt.Errorf("copy %s: %w", t, err)
			}
			rep.Tables = append(rep.Tables, CopiedTable{Table: t, Rows: n})
		}
		progress("verify")
		for _, ct := range rep.Tables {
			var got, want int64
			if err := tx.GetContext(ctx, &got, `SELECT count(*) FROM `+quoteIdent(ct.Table)); err != nil {
				return err
			}
			if err := src.GetContext(ctx, &want, `SELECT count(*) FROM `+quoteIdent(ct.Table)); err != nil {
				return err
			}
			if got != want || got != ct.Rows {
				return fmt.Errorf("table %s: %d rows in the source, %d copied, %d in the target: nothing was copied", ct.Table, want, ct.Rows, got)
			}
		}
		return nil
	})
	return rep, err
}

// pgTablesInOrder lists the journal's tables so that every table comes after those its foreign
// keys point at (a row is inserted after what it refers to).
func pgTablesInOrder(ctx context.Context, tx *sqlx.Tx) ([]string, error) {
	var tables []string
	if err := tx.SelectContext(ctx, &tables, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()
		AND tablename <> 'journal_schema' ORDER BY tablename`); err != nil {
		return nil, err
	}
	var deps []struct {
		From string `db:"from_table"`
		To   string `db:"to_table"`
	}
	if err := tx.SelectContext(ctx, &deps, `SELECT c.conrelid::regclass::text AS from_table, c.confrelid::regclass::text AS to_table
		FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace`); err != nil {
		return nil, err
	}
	needs := map[string][]string{}
	for _, d := range deps {
		if d.From != d.To {
			needs[d.From] = append(needs[d.From], d.To)
		}
	}
	var order []string
	done := map[string]bool{}
	for len(order) < len(tables) {
		progressed := false
		for _, t := range tables {
			if done[t] {
				continue
			}
			ready := true
			for _, n := range needs[t] {
				if !done[n] && slices.Contains(tables, n) {
					ready = false
				}
			}
			if ready {
				order, done[t], progressed = append(order, t), true, true
			}
		}
		if !progressed {
			return nil, fmt.Errorf("the journal's foreign keys form a cycle among %v", tables)
		}
	}
	return order, nil
}

// copyTable copies one table's rows, by the target's column names, in batches.
func copyTable(ctx context.Context, src, dst *sqlx.Tx, table string) (int64, error) {
	var cols []string
	if err := dst.SelectContext(ctx, &cols, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`, table); err != nil {
		return 0, err
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = quoteIdent(c)
	}
	list := strings.Join(quoted, ", ")
	rows, err := src.QueryContext(ctx, `SELECT `+list+` FROM `+quoteIdent(table))
	if err != nil {
		return 0, fmt.Errorf("read the source (is its schema this hotline's?): %w", err)
	}
	defer rows.Close()
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	var n int64
	batch := make([]any, 0, copyBatch*len(cols))
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		k := len(batch) / len(cols)
		q := `INSERT INTO ` + quoteIdent(table) + ` (` + list + `) VALUES ` + strings.TrimSuffix(strings.Repeat(one+", ", k), ", ")
		if _, err := dst.ExecContext(ctx, q, batch...); err != nil {
			return err
		}
		n += int64(k)
		batch = batch[:0]
		return nil
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		batch = append(batch, vals...)
		if len(batch) >= copyBatch*len(cols) {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	if err := flush(); err != nil {
		return n, err
	}
	if slices.Contains(cols, "id") {
		// Ids are copied as they are: the identity must continue after the largest.
		if _, err := dst.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence(?, 'id'), max(id)) FROM `+quoteIdent(table)+` HAVING max(id) IS NOT NULL`,
			table); err != nil {
			return n, fmt.Errorf("set the id sequence: %w", err)
		}
	}
	return n, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
