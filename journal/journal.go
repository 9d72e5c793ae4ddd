// Package journal is the hotline's electronic case journal: operators, the topic catalogue,
// scripts, the phone directory, every call with its legs, the cases people open (with the calls
// attached to them, links and attachments), operators' presence, and an append-only history of
// every change, stored in one SQLite file. It is the only package that knows the schema: the call
// flow, the CLI and reports read and write through its Store, which applies the case rules (the
// domain package's) to every change.
//
// # Durability
//
// The file is opened in WAL mode with synchronous=FULL, so a commit returns only after the WAL
// is fsynced: a committed case survives kill -9 and power loss (see Open for every pragma and
// why). The one exception is the daemon's writer (package outbox): its writes are fsynced in its
// write-ahead spool before SQLite sees them, so its batches (BeginLoggedBatch) commit at
// synchronous=NORMAL, without an fsync of their own, and the spool keeps each file until
// SyncWrites (a checkpoint of the whole WAL, which SQLite fsyncs first) has made them durable here. SQLite has one writer, so the Store has one write connection; every write is one
// transaction on it, taken with BEGIN IMMEDIATE so that it never has to upgrade a read lock
// (which can fail with SQLITE_BUSY half-way). Reads run on a separate pool of query-only
// connections and see the last committed state, never a half-written one.
//
// # What the call flow uses
//
// The call flow (switchboard) declares the small interface it needs (switchboard.Journal, its
// writes as data: switchboard.Write); switchboard/journaladapter maps each write to one of these
// methods, each one transaction, each taking a context.Context. Calls are addressed by the caller's
// Asterisk channel id (hotline.Call.Channel, hotline.Leg.CallID). Calls and cases are apart: a call
// opens no case by arriving.
//
//   - StartCall(ctx, CallStart): file an arriving call and its first leg; say the active owner of
//     the caller's newest open case (for calls.returning_to_owner).
//   - SaveCallLeg(ctx, leg, outcome): update the call's newest leg; a transfer adds a leg; the
//     last leg's write ends the call with its outcome.
//   - KeyTopic(ctx, callID, operatorID, n): the handset's topic key: the operator's case for the
//     call, opened if there is none.
//   - OpenDelayedAnswer(ctx, callID, why, rule), GiveCallback, CallbackConnected: a voice message or
//     a callback request becomes «Отсроченный ответ» by the rule; a callback is given to the
//     operator who calls back, «В работе» when they talk.
//   - ForwardCall(ctx, Forwarded): «*26»: hand the call's case over, or forward it with notice.
//   - OpenLegs(ctx), WaitingCallbacks(ctx): what a restart reconciles and queues again.
//   - OpenCaseCounts(ctx): operators' cases in work, for their limits.
//   - Operators, RecommendedSpecialists, RecordPresence, LastPresence.
//
// Everything else (operators, catalogue, case rules, filters, caller history, backup, check) is
// what the administrator's CLI uses. Rules live in the root package (hotline.Case methods); this
// package loads, applies them, and stores the result together with a history event in one
// transaction.
package journal

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"
)

// Options tune Open; the zero value is what production uses.
type Options struct {
	// BusyTimeout is how long a statement waits for another process's lock before failing with
	// "database is locked". Default 5s: longer than any of our transactions, short enough that a
	// CLI user is not left staring at a hung command.
	BusyTimeout time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger; default slog.Default().
	Logger *slog.Logger
	// ReadOnly opens without a write connection (db check, reports, the CLI's lists); writes
	// return unavailable. It reads a journal the process may not write: a read-only file, or one
	// in a directory where SQLite cannot create the WAL's index; see Open.
	ReadOnly bool
	// PasswordHash is argon2id's cost for new password hashes; zero: DefaultHashParams. Tests
	// make it cheap.
	PasswordHash HashParams
	// IdleInTransaction, on PostgreSQL, has the server end a write session whose transaction
	// waits this long for the process (idle_in_transaction_session_timeout). A holder of the
	// journal's lease paused or cut off mid-write otherwise keeps the lease's row (the fence's
	// FOR SHARE) and the write lock until its connection is known dead, and the standby can
	// neither take the lease nor write. Zero: the server's setting. SQLite ignores it.
	IdleInTransaction time.Duration
}

// Store is the journal. It is safe for concurrent use.
type Store struct {
	path string
	w    *sqlx.DB // exactly one connection: SQLite's single writer; database/sql queues callers
	r    *sqlx.DB // query-only readers
	rDSN string   // how the readers were opened (ReaderDSN)
	now  func() time.Time
	log  *slog.Logger
	hash HashParams // argon2id's cost for new password hashes (accounts.go)

	region atomic.Value // hotline.PhoneRegion: the journal's settings.phone_region (settings.go)

	pg bool // PostgreSQL (postgres.go); path is then the DSN without its password

	markMu    sync.Mutex
	markSpool string // the spool generation whose write mark was last claimed (writemark.go)

	fence      atomic.Pointer[fence] // the lease every write must still hold (lease.go); nil: none
	fenced     chan struct{}         // closed at the first write the fence refused
	fencedOnce sync.Once
}

// Open opens (creating it mode 0600 if missing, unless ReadOnly) the journal at path. It does not
// migrate: call Migrate, or check SchemaVersion. It fails with a clear unavailable error when the
// file is locked, read-only, damaged or not a database, and an invalid one when path is a
// directory.
//
// ReadOnly opens the file read-only (SQLite's mode=ro). A WAL database needs its index (-shm)
// even to be read; where it cannot be created (the directory is not writable) and no -wal file
// exists, nothing has the journal open, so it is read as an immutable snapshot instead.
//
// A postgres:// (or postgresql://) URL opens the journal in that PostgreSQL database instead
// (postgres.go, docs/journal.md).
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.PasswordHash == (HashParams{}) {
		opt.PasswordHash = DefaultHashParams()
	}
	if IsPostgresDSN(path) {
		return openPostgres(ctx, path, opt)
	}
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, hotline.Errorf(hotline.EINVALID, "invalid database path %q (empty, or contains ? or #)", path)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, hotline.Errorf(hotline.EINVALID, "database path %s is a directory, not a journal file", path)
	}
	if opt.BusyTimeout == 0 {
		opt.BusyTimeout = 5 * time.Second
	}
	if !opt.ReadOnly {
		// The journal holds personal data (names, policy numbers, addresses): create the file
		// readable by its owner only, before SQLite does with the umask's mode. SQLite gives the
		// -wal and -shm files the database file's permissions.
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		switch {
		case err == nil:
			f.Close()
		case errors.Is(err, fs.ErrExist):
			if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
				opt.Logger.Warn("journal: the database holds personal data but others may read it; chmod 600 it",
					"path", path, "mode", st.Mode().Perm().String())
			}
		case errors.Is(err, fs.ErrNotExist):
			dir := filepath.Dir(path)
			return nil, hotline.Errorf(hotline.EUNAVAILABLE, "cannot create the journal at %s: its directory %s does not exist (create it: install -d -m 0700 %s)", path, dir, dir)
		default:
			return nil, hotline.Wrapf(hotline.EUNAVAILABLE, err, "cannot create the journal at %s: %v", path, err)
		}
	} else if _, err := os.Stat(path); err != nil {
		return nil, hotline.Wrapf(hotline.EUNAVAILABLE, err, "cannot open database file %s: %v", path, err)
	}

	// Pragmas in the DSN are applied by go-sqlite3 on every new connection, so no connection
	// ever runs without them:
	//   _journal_mode=WAL  readers do not block the writer nor the writer readers; a commit
	//                      appends to the WAL instead of rewriting pages in place.
	//   _synchronous=FULL  fsync the WAL at every commit. NORMAL in WAL mode survives a process
	//                      crash but may lose the last commits on power loss; a registered case
	//                      must survive both, and one fsync per commit is affordable at a
	//                      hotline's rate (batch writes when it is not: see CreateCases). The
	//                      daemon's writer, whose writes its spool holds, commits at NORMAL
	//                      (BeginLoggedBatch, batch.go).
	//   _foreign_keys=on   off by default in SQLite; legs, links and owners must point at rows
	//                      that exist.
	//   _busy_timeout      wait for another process's lock (the CLI next to `serve`) instead of
	//                      failing at once.
	//   _txlock=immediate  BEGIN IMMEDIATE: take the write lock when the transaction starts, so a
	//                      write never fails half-way trying to upgrade a read lock.
	//   _stmt_cache_size   keep each connection's last prepared statements: the call flow runs the
	//                      same few statements for every call; preparing them each time cost a
	//                      fifth of the journal's CPU (BenchmarkCallWrites).
	// Checkpoints: SQLite's automatic checkpoint (every 1000 WAL pages, after a commit) moves the
	// WAL back into the database, so the WAL stays a few MB; see Close for the last one.
	base := fmt.Sprintf("%s?_journal_mode=WAL&_synchronous=FULL&_foreign_keys=on&_stmt_cache_size=64&_busy_timeout=%d",
		path, opt.BusyTimeout.Milliseconds())
	s := &Store{path: path, now: opt.Now, log: opt.Logger, hash: opt.PasswordHash, fenced: make(chan struct{})}
	var err error
	readers := base + "&_query_only=on"
	if opt.ReadOnly {
		// Opened read-only, SQLite writes nothing, not even the journal mode. A file: URI decodes
		// %XX escapes in the path: a literal % stays one.
		readers = "file:" + strings.ReplaceAll(path, "%", "%25") + fmt.Sprintf("?mode=ro&_query_only=on&_busy_timeout=%d", opt.BusyTimeout.Milliseconds())
	}
	s.rDSN = readers
	if s.r, err = sqlx.Open("sqlite3", readers); err != nil {
		return nil, fmt.Errorf("open readers: %w", err)
	}
	s.r.SetMaxOpenConns(4)
	s.r.SetConnMaxIdleTime(time.Minute)
	if !opt.ReadOnly {
		s.w = sqlx.NewDb(sql.OpenDB(writerConnector(base+"&_txlock=immediate")), "sqlite3")
		s.w.SetMaxOpenConns(1)
		s.w.SetMaxIdleConns(1)
		s.w.SetConnMaxLifetime(0)
	} else if err := s.readSnapshotIfNeeded(ctx, readers); err != nil {
		s.r.Close()
		return nil, err
	}
	if err := s.verify(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	if err := s.loadSettings(ctx); err != nil {
		s.closeDBs()
		return nil, err
	}
	return s, nil
}

// writerConnector opens the write connection (and any that replaces it) with what its DSN cannot
// say: temp_store=MEMORY. Every statement that writes in a transaction, and every write of a batch
// (its savepoint), keeps the pages it changes in a statement journal so that it can be undone
// alone; SQLite keeps that journal in memory up to 64 KiB only and then writes it to a temporary
// file, and a case write (a row in cases and its dozen indexes, the history row) passes 64 KiB:
// writing and rereading that file was three quarters of a case write's CPU (docs/benchmark.md,
// "Group commit"). In memory it is bounded by one write's pages: SQLite empties it when the write's
// statement or savepoint ends. Migrate sets temp_store back to FILE while it runs (its temporary
// tables may be large).
func writerConnector(dsn string) driver.Connector {
	return sqliteConnector{dsn: dsn, drv: &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec("PRAGMA temp_store = MEMORY", nil)
		return err
	}}}
}

// sqliteConnector is a driver.Connector for go-sqlite3, which has none: database/sql calls Connect
// for every connection it opens, so the driver's ConnectHook runs on each.
type sqliteConnector struct {
	dsn string
	drv *sqlite3.SQLiteDriver
}

func (c sqliteConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c sqliteConnector) Driver() driver.Driver                        { return c.drv }

// readSnapshotIfNeeded reopens the readers of a read-only Store as an immutable snapshot when
// SQLite cannot create the WAL's index (-shm) next to the file and no -wal exists: nothing has
// the journal open, and reading it needs no index.
func (s *Store) readSnapshotIfNeeded(ctx context.Context, readers string) error {
	var n int
	err := s.r.GetContext(ctx, &n, "SELECT count(*) FROM sqlite_master")
	var se sqlite3.Error
	if err == nil || !errors.As(err, &se) || (se.Code != sqlite3.ErrReadonly && se.Code != sqlite3.ErrCantOpen) {
		return nil // verify says what else is wrong
	}
	if _, werr := os.Stat(s.path + "-wal"); !errors.Is(werr, fs.ErrNotExist) {
		return nil
	}
	s.log.Debug("journal: the WAL index cannot be created here; reading the journal as a snapshot", "path", s.path)
	s.r.Close()
	r, err := sqlx.Open("sqlite3", readers+"&immutable=1")
	if err != nil {
		return fmt.Errorf("open readers: %w", err)
	}
	r.SetMaxOpenConns(4)
	r.SetConnMaxIdleTime(time.Minute)
	s.r, s.rDSN = r, readers+"&immutable=1"
	return nil
}

// ReaderDSN is how the Store's readers open the file, for a package that queries the journal's
// tables itself (the reports): read-only, and as a snapshot where the Store reads one.
func (s *Store) ReaderDSN() string { return s.rDSN }

// verify touches the file so that a corrupt, locked or read-only one fails at Open with a clear
// error rather than at the first write, and checks the pragmas actually took.
func (s *Store) verify(ctx context.Context) error {
	db := s.r
	if s.w != nil {
		db = s.w
	}
	var mode string
	if err := db.GetContext(ctx, &mode, "PRAGMA journal_mode"); err != nil {
		return s.dbError(err, "open database")
	}
	var n int
	if err := db.GetContext(ctx, &n, "SELECT count(*) FROM sqlite_master"); err != nil {
		return s.dbError(err, "read database schema")
	}
	if s.w != nil && !strings.EqualFold(mode, "wal") {
		return hotline.Errorf(hotline.EUNAVAILABLE, "database %s is in %s journal mode, not WAL: is the file or its directory read-only?", s.path, mode)
	}
	if s.w != nil {
		var sync int
		if err := s.w.GetContext(ctx, &sync, "PRAGMA synchronous"); err != nil {
			return s.dbError(err, "read synchronous pragma")
		}
		if sync != 2 { // FULL
			return fmt.Errorf("synchronous is %d, want 2 (FULL)", sync)
		}
	}
	return nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes every connection. It first runs a PASSIVE checkpoint, which copies what it can
// from the WAL into the database without waiting for other processes (a CLI closing next to a
// running `serve` must not stall); when the last connection to the file closes, SQLite itself
// checkpoints fully and deletes the WAL, so a stopped journal is a single file.
func (s *Store) Close() error {
	if s.w != nil && !s.pg {
		if _, err := s.w.Exec("PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
			s.log.Warn("journal: checkpoint on close failed; the WAL is replayed on the next open", "err", err)
		}
	}
	return s.closeDBs()
}

func (s *Store) closeDBs() error {
	var errs []error
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	errs = append(errs, s.r.Close())
	return errors.Join(errs...)
}

// write runs fn in one write transaction on the single writer: all of it commits, or none. A
// write mark on ctx (WithWriteMark) is claimed in the same transaction.
func (s *Store) write(ctx context.Context, what string, fn func(tx *sqlx.Tx) error) error {
	if s.w == nil {
		return hotline.Errorf(hotline.EUNAVAILABLE, "the journal was opened read-only; cannot %s", what)
	}
	if b := batchFrom(ctx, s); b != nil {
		return s.writeInBatch(ctx, b, what, fn) // group commit (batch.go)
	}
	tx, err := s.w.BeginTxx(ctx, nil)
	if err != nil {
		return s.dbError(err, what)
	}
	defer tx.Rollback() // no-op after Commit
	if err := s.lockWrites(ctx, tx, what); err != nil {
		return err
	}
	if err := s.checkFence(ctx, tx, what); err != nil {
		return err
	}
	if err := s.claimWriteMark(ctx, tx); err != nil {
		if errors.Is(err, ErrAlreadyApplied) {
			return err
		}
		return s.dbError(err, what)
	}
	if err := fn(tx); err != nil {
		return s.dbError(err, what)
	}
	if err := tx.Commit(); err != nil {
		return s.dbError(err, what+": commit")
	}
	return nil
}

// lockWrites makes tx the journal's one writer: SQLite's write transactions are that already
// (BEGIN IMMEDIATE); on PostgreSQL it takes the journal's advisory lock (writeLockKey says why).
func (s *Store) lockWrites(ctx context.Context, tx *sqlx.Tx, what string) error {
	if !s.pg {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, writeLockKey); err != nil {
		return s.dbError(err, what)
	}
	return nil
}

// dbError turns SQLite's failures into domain errors that say what to do; what names the
// operation. Domain errors and context errors pass through, wrapped.
func (s *Store) dbError(err error, what string) error {
	if err == nil {
		return nil
	}
	var he *hotline.Error
	if errors.As(err, &he) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, hotline.Errorf(hotline.ENOTFOUND, "%s: not found", what))
	}
	if s.pg {
		return s.pgError(err, what)
	}
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("%s: %w", what, err)
	}
	var e *hotline.Error
	switch se.Code {
	case sqlite3.ErrBusy, sqlite3.ErrLocked:
		e = hotline.Errorf(hotline.EUNAVAILABLE, "%s: database %s is locked by another process; try again, or stop the process holding it", what, s.path)
	case sqlite3.ErrReadonly:
		e = hotline.Errorf(hotline.EUNAVAILABLE, "%s: database %s is read-only; check the permissions of the file and its directory", what, s.path)
	case sqlite3.ErrCorrupt, sqlite3.ErrNotADB:
		e = Damaged(s.path, se)
	case sqlite3.ErrCantOpen, sqlite3.ErrPerm, sqlite3.ErrAuth:
		e = hotline.Errorf(hotline.EUNAVAILABLE, "%s: cannot open database %s; check that it and its directory exist and are accessible", what, s.path)
	case sqlite3.ErrFull, sqlite3.ErrIoErr:
		e = hotline.Errorf(hotline.EUNAVAILABLE, "%s: disk error on %s (%v); nothing was written", what, s.path, se)
	case sqlite3.ErrConstraint:
		switch se.ExtendedCode {
		case sqlite3.ErrConstraintForeignKey:
			e = hotline.Errorf(hotline.ENOTFOUND, "%s: refers to something that does not exist", what)
		case sqlite3.ErrConstraintUnique, sqlite3.ErrConstraintPrimaryKey:
			e = hotline.Errorf(hotline.ECONFLICT, "%s: already exists (%v)", what, se)
		default:
			e = hotline.Errorf(hotline.EINVALID, "%s: %v", what, se)
		}
	case sqlite3.ErrError:
		if strings.Contains(se.Error(), "no such table") {
			e = hotline.Errorf(hotline.EUNAVAILABLE, "%s: database %s is not migrated; run `hotline db migrate`", what, s.path)
		}
	}
	if e == nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%w (%w)", e, err)
}

// Damaged is the error for a journal file SQLite finds corrupt or not a database at all, cause
// being SQLite's own words; whoever reads the file (the report's loader too) says it this way.
func Damaged(path string, cause error) *hotline.Error {
	return hotline.Errorf(hotline.EUNAVAILABLE, "the journal at %s is damaged (corrupt, or not a hotline journal: %v); restore it from a backup "+
		"(`hotline db backup` makes them, `hotline db check` shows the damage)", path, cause)
}

// ms converts a time to the stored Unix milliseconds; the zero time is NULL.
func ms(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// fromMS converts stored Unix milliseconds back; NULL is the zero time.
func fromMS(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64).UTC()
}

// nullID stores 0 as NULL (no operator, no topic).
func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

func nullStr(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// fold is how searched text is stored and searched: lower-cased by Unicode rules.
func fold(parts ...string) string { return strings.ToLower(strings.Join(parts, " ")) }

// likeArg makes a keyword a LIKE pattern matching it anywhere, with % and _ taken literally.
func likeArg(q string) string {
	return "%" + escapeLike(fold(strings.TrimSpace(q))) + "%"
}
