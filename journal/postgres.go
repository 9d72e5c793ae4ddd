package journal

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
)

// The journal's SQL is written once, in the subset SQLite and PostgreSQL share: `?` placeholders,
// INSERT … ON CONFLICT, INSERT … RETURNING id, integers for times (Unix ms) and booleans (0/1).
// The few places where the engines differ ask the Store's dialect (dialect.go). On PostgreSQL
// every statement passes through pgConnector's connections, which number the placeholders ($1,
// $2, …) and pass booleans as the integers the schema stores, so no query knows which engine
// runs it.

// IsPostgresDSN reports whether a journal address names a PostgreSQL database rather than a
// SQLite file: a postgres:// or postgresql:// URL.
func IsPostgresDSN(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// RedactDSN is a DSN fit for messages and logs: the password, in the URL or as a parameter,
// replaced by "xxxxx". A string that does not parse is replaced whole: it may hold a password
// where we cannot find it.
func RedactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable PostgreSQL address)"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	// sslpassword unlocks the client's key: as secret as the password.
	q, hidden := u.Query(), false
	for _, k := range []string{"password", "sslpassword"} {
		if q.Has(k) {
			q.Set(k, "xxxxx")
			hidden = true
		}
	}
	if hidden {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// pgConnector opens pgx connections whose statements are rebound (placeholders numbered,
// booleans as integers) before pgx sees them.
type pgConnector struct{ inner driver.Connector }

func newPGConnector(dsn string, readOnly bool, idleInTx time.Duration) (driver.Connector, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors quote the DSN, password included: say what is wrong without it.
		return nil, fmt.Errorf("invalid PostgreSQL address %s", RedactDSN(dsn))
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	// Times are integers; the session's zone never shows. UTC keeps server-side now() readable.
	cfg.RuntimeParams["timezone"] = "UTC"
	if readOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	cfg.RuntimeParams["application_name"] = "hotline"
	if idleInTx > 0 {
		cfg.RuntimeParams["idle_in_transaction_session_timeout"] = strconv.FormatInt(max(idleInTx.Milliseconds(), 1), 10)
	}
	return pgConnector{inner: stdlib.GetConnector(*cfg)}, nil
}

func (c pgConnector) Driver() driver.Driver { return c.inner.Driver() }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(*stdlib.Conn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("pgx returned a %T, not its stdlib connection", conn)
	}
	return &pgConn{Conn: sc}, nil
}

// pgConn is pgx's connection with the journal's statements rebound.
type pgConn struct{ *stdlib.Conn }

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.Prepare(rebindDollar(query))
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebindDollar(query))
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) == 0 {
		// A migration's script: several statements, no placeholders; its comments may hold a ?.
		return c.Conn.ExecContext(ctx, query, args)
	}
	return c.Conn.ExecContext(ctx, rebindDollar(query), intBools(args))
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebindDollar(query), intBools(args))
}

// CheckNamedValue lets database/sql pass values as they are, as pgx's own connection does, and
// turns booleans into the integers the schema stores (a PostgreSQL integer column refuses a
// boolean, SQLite stores it as 0/1).
func (c *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	if b, ok := nv.Value.(bool); ok {
		nv.Value = boolInt(b)
		return nil
	}
	return c.Conn.CheckNamedValue(nv)
}

func intBools(args []driver.NamedValue) []driver.NamedValue {
	for i := range args {
		if b, ok := args[i].Value.(bool); ok {
			args[i].Value = boolInt(b)
		}
	}
	return args
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// rebindDollar numbers the ? placeholders of a query ($1, $2, …), leaving alone those inside
// string literals, quoted identifiers and comments.
func rebindDollar(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		ch := q[i]
		switch {
		case ch == '\'' || ch == '"':
			j := i + 1
			for j < len(q) {
				if q[j] == ch {
					if j+1 < len(q) && q[j+1] == ch { // a doubled quote inside
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(q) {
				j = len(q) - 1
			}
			b.WriteString(q[i : j+1])
			i = j
		case ch == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i - 1
			}
			b.WriteString(q[i : i+j+1])
			i += j
		case ch == '/' && i+1 < len(q) && q[i+1] == '*':
			j := strings.Index(q[i+2:], "*/")
			end := len(q) - 1
			if j >= 0 {
				end = i + 2 + j + 1
			}
			b.WriteString(q[i : end+1])
			i = end
		case ch == '?' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9':
			// SQLite's numbered ?NNN is PostgreSQL's $NNN.
			b.WriteByte('$')
		case ch == '?':
			n++
			b.WriteByte('$')
			b.WriteString(fmt.Sprint(n))
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// writeLockKey is the PostgreSQL advisory lock every write transaction takes first
// (pg_advisory_xact_lock, released at commit or rollback): the journal's writes are serialized
// across every process and connection, as SQLite's single writer serializes them, so the code's
// read-then-write steps (a case's version, a write mark's sequence, «who owns the caller's newest
// case») stay correct without retry loops. Advisory locks are per database: two journals on one
// server do not contend. The number is the bytes "hotlin", 0, "j".
const writeLockKey int64 = 0x686f746c696e_006a

// openPostgres opens the journal in the PostgreSQL database dsn names: one pool for writes and
// one of read-only sessions for reads, as on SQLite.
func openPostgres(ctx context.Context, dsn string, opt Options) (*Store, error) {
	s := &Store{path: RedactDSN(dsn), now: opt.Now, log: opt.Logger, hash: opt.PasswordHash, pg: true, fenced: make(chan struct{})}
	rc, err := newPGConnector(dsn, true, 0)
	if err != nil {
		return nil, hotline.Errorf(hotline.EINVALID, "%v", err)
	}
	s.r = sqlx.NewDb(sql.OpenDB(rc), "pgx")
	s.r.SetMaxOpenConns(4)
	s.r.SetConnMaxIdleTime(time.Minute)
	if !opt.ReadOnly {
		wc, err := newPGConnector(dsn, false, opt.IdleInTransaction)
		if err != nil {
			s.r.Close()
			return nil, hotline.Errorf(hotline.EINVALID, "%v", err)
		}
		s.w = sqlx.NewDb(sql.OpenDB(wc), "pgx")
		// One connection, as on SQLite: this process's writes queue in database/sql; the advisory
		// lock (writeLockKey) queues them against other processes'.
		s.w.SetMaxOpenConns(1)
		s.w.SetMaxIdleConns(1)
	}
	db := s.r
	if s.w != nil {
		db = s.w
	}
	if err := db.PingContext(ctx); err != nil {
		s.closeDBs()
		return nil, s.dbError(err, "connect to the journal")
	}
	if err := s.checkCollation(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	if s.w != nil {
		// The schema version's row: SQLite keeps it in the file's header (user_version). Under
		// the write lock: the two daemons of a standby pair may open an empty database at once
		// (CREATE TABLE IF NOT EXISTS races on the table's type name; the row could come twice).
		if err := s.schemaTable(ctx); err != nil {
			s.closeDBs()
			return nil, s.dbError(err, "create the schema version table")
		}
	}
	if err := s.loadSettings(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	return s, nil
}

// schemaTable creates the schema version's table and its one row, once, under the write lock.
func (s *Store) schemaTable(ctx context.Context) error {
	tx, err := s.w.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.lockWrites(ctx, tx, "create the schema version table"); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS journal_schema (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO journal_schema (version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM journal_schema)`); err != nil {
		return err
	}
	return tx.Commit()
}

// checkCollation refuses a database whose text does not sort by bytes (its collation not C): the
// journal's lists would order differently than on SQLite, and the register's name search, which
// reads a prefix as the range [p, p+U+10FFFF), could miss people under a linguistic collation.
func (s *Store) checkCollation(ctx context.Context) error {
	var coll string
	if err := s.r.GetContext(ctx, &coll, `SELECT datcollate FROM pg_database WHERE datname = current_database()`); err != nil {
		return s.dbError(err, "read the database's collation")
	}
	if byteOrderCollation(coll) {
		return nil
	}
	return hotline.Errorf(hotline.EINVALID, "the journal's database at %s has collation %q; the journal needs \"C\" "+
		"(text ordered by bytes, as SQLite orders it): create it with CREATE DATABASE <name> TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C' "+
		"and copy the journal into it (docs/journal.md, PostgreSQL)", s.path, coll)
}

// byteOrderCollation says whether a PostgreSQL collation orders text by bytes: C and POSIX, and
// glibc's C.UTF-8 (code point order, the same for UTF-8). Any language's collation does not.
func byteOrderCollation(name string) bool {
	switch strings.ToLower(name) {
	case "c", "posix", "c.utf8", "c.utf-8":
		return true
	}
	return false
}

// pgError turns PostgreSQL's failures into domain errors, as dbError does SQLite's.
func (s *Store) pgError(err error, what string) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		var ce *pgconn.ConnectError
		var ne net.Error
		// A connection lost mid-statement (reset, EOF, a timeout) is the server's or the network's
		// state, not the write's fault: unavailable, so the spool keeps the write and retries it.
		if errors.As(err, &ce) || pgconn.SafeToRetry(err) || errors.Is(err, driver.ErrBadConn) ||
			errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || pgconn.Timeout(err) {
			return fmt.Errorf("%w (%w)", hotline.Errorf(hotline.EUNAVAILABLE, "%s: cannot reach the journal's PostgreSQL at %s; is the server running and the address right?", what, s.path), err)
		}
		return fmt.Errorf("%s: %w", what, err)
	}
	var e *hotline.Error
	switch pe.Code {
	case "23503":
		e = hotline.Errorf(hotline.ENOTFOUND, "%s: refers to something that does not exist", what)
	case "23505":
		e = hotline.Errorf(hotline.ECONFLICT, "%s: already exists (%s)", what, pe.Message)
	case "23514", "23502", "22P02", "22001", "P0001":
		e = hotline.Errorf(hotline.EINVALID, "%s: %s", what, pe.Message)
	case "42P01":
		e = hotline.Errorf(hotline.EUNAVAILABLE, "%s: the journal at %s is not migrated; run `hotline db migrate`", what, s.path)
	case "25006":
		e = hotline.Errorf(hotline.EUNAVAILABLE, "%s: the journal at %s was opened read-only", what, s.path)
	case "40001", "40P01", "55P03", "57P01", "57P03", "53300":
		e = hotline.Errorf(hotline.EUNAVAILABLE, "%s: the journal's PostgreSQL is busy or shutting down (%s); try again", what, pe.Message)
	case "28P01", "28000", "3D000":
		e = hotline.Errorf(hotline.EUNAVAILABLE, "%s: cannot open the journal at %s: %s", what, s.path, pe.Message)
	}
	if e == nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%w (%w)", e, err)
}
