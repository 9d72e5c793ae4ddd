package journal

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Where the journal's SQL must differ between SQLite and PostgreSQL, it asks here; everything
// else is written once (postgres.go says how).

// queryRower is a transaction or a pool.
type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// insertedID is an INSERT's result read from RETURNING id: PostgreSQL has no LastInsertId, and
// SQLite (3.35+) accepts RETURNING too, so both engines take the same statement.
type insertedID int64

func (id insertedID) LastInsertId() (int64, error) { return int64(id), nil }
func (id insertedID) RowsAffected() (int64, error) { return 1, nil }

// sqliteExecer is a transaction or a pool that says its driver (sqlx's).
type sqliteExecer interface {
	DriverName() string
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// insertReturningID runs an INSERT of one row into a table with an id key and returns its id as
// the Result's LastInsertId. On SQLite it runs the INSERT as it is and takes the rowid SQLite
// keeps: RETURNING there collects the rows in a temporary table first, which was a third of a
// case's INSERT (BenchmarkCaseWritesBatch).
func insertReturningID(ctx context.Context, q queryRower, insert string, args ...any) (sql.Result, error) {
	if x, ok := q.(sqliteExecer); ok && x.DriverName() == "sqlite3" {
		return x.ExecContext(ctx, insert, args...)
	}
	var id int64
	if err := q.QueryRowContext(ctx, insert+" RETURNING id", args...).Scan(&id); err != nil {
		return nil, err
	}
	return insertedID(id), nil
}

// stmtInsertReturningID is insertReturningID for a statement prepared with RETURNING id.
func stmtInsertReturningID(ctx context.Context, st *sql.Stmt, args ...any) (sql.Result, error) {
	var id int64
	if err := st.QueryRowContext(ctx, args...).Scan(&id); err != nil {
		return nil, err
	}
	return insertedID(id), nil
}

// jsonEach is a table of the elements of a JSON array of strings (column value): SQLite's
// json_each.
func (s *Store) jsonEach(expr string) string {
	if s.pg {
		return "json_array_elements_text(CAST(" + expr + " AS json)) AS elems (value)"
	}
	return "json_each(" + expr + ")"
}

// groupConcat is SQLite's group_concat(expr) (comma separated) in the Store's engine.
func (s *Store) groupConcat(expr string) string {
	if s.pg {
		return "string_agg(CAST(" + expr + " AS TEXT), ',')"
	}
	return "group_concat(" + expr + ")"
}

// isNoSuchTable reports whether err says a table is missing (a journal not migrated yet).
func isNoSuchTable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "42P01"
	}
	return err != nil && strings.Contains(err.Error(), "no such table")
}
