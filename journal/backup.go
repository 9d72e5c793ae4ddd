package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/hotline-dev/hotline"
	"github.com/mattn/go-sqlite3"
)

// Backup copies the live database to dest with SQLite's online backup API: a consistent snapshot
// taken page by page while the journal keeps serving (unlike copying the file, which can catch a
// half-checkpointed WAL). dest must not exist; it is created mode 0600 and fsynced.
func (s *Store) Backup(ctx context.Context, dest string) (pages int, err error) {
	return s.BackupWithProgress(ctx, dest, nil)
}

// BackupWithProgress is Backup telling progress, when not nil, each step as it begins: the
// copy (one step of SQLite's backup, for the reason below: it says nothing until it ends), then
// the integrity check of the copy.
func (s *Store) BackupWithProgress(ctx context.Context, dest string, progress func(step string)) (pages int, err error) {
	if progress == nil {
		progress = func(string) {}
	}
	if s.pg {
		return 0, hotline.Errorf(hotline.EINVALID, "db backup copies a SQLite journal file; the journal at %s is PostgreSQL's: back it up with pg_dump (docs/journal.md)", s.path)
	}
	if _, err := os.Stat(dest); err == nil {
		return 0, hotline.Errorf(hotline.ECONFLICT, "backup file %s already exists; choose a new name", dest)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, hotline.Wrapf(hotline.EUNAVAILABLE, err, "backup file %s: %v", dest, err)
	}
	f, err := os.OpenFile(dest, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600) // personal data
	if err != nil {
		return 0, hotline.Wrapf(hotline.EUNAVAILABLE, err, "cannot create backup file %s: %v", dest, err)
	}
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(dest) // no half-written backup left behind to be trusted later
		}
	}()

	// The destination is a plain (rollback journal) database: a single file to carry away.
	destDB, err := sql.Open("sqlite3", dest+"?_synchronous=FULL")
	if err != nil {
		return 0, fmt.Errorf("open backup file: %w", err)
	}
	defer destDB.Close()
	dconn, err := destDB.Conn(ctx)
	if err != nil {
		return 0, s.dbError(err, "open backup file")
	}
	defer dconn.Close()
	sconn, err := s.r.Conn(ctx)
	if err != nil {
		return 0, s.dbError(err, "open database for backup")
	}
	defer sconn.Close()

	err = dconn.Raw(func(dc any) error {
		return sconn.Raw(func(sc any) error {
			d, ok1 := dc.(*sqlite3.SQLiteConn)
			src, ok2 := sc.(*sqlite3.SQLiteConn)
			if !ok1 || !ok2 {
				return fmt.Errorf("backup: driver connections are not go-sqlite3")
			}
			b, err := d.Backup("main", src, "main")
			if err != nil {
				return err
			}
			// All pages in one step, inside one read transaction. In WAL mode that read does not
			// block the writer, and it is the only way to finish under load: a backup taken in
			// several steps restarts from the first page whenever another connection writes
			// between steps, and a busy hotline writes all the time.
			if st, err := os.Stat(s.path); err == nil {
				progress(fmt.Sprintf("copying %d MB", st.Size()>>20))
			} else {
				progress("copying")
			}
			done, err := b.Step(-1)
			pages = b.PageCount()
			if ferr := b.Finish(); err == nil {
				err = ferr
			}
			if err == nil && !done {
				err = fmt.Errorf("backup stopped before the last page")
			}
			return err
		})
	})
	if err != nil {
		return 0, s.dbError(err, "backup")
	}
	var res string
	progress("checking the copy")
	if err := dconn.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return 0, s.dbError(err, "check the backup")
	}
	if res != "ok" {
		// What was copied is what the journal holds: the journal is damaged.
		problems := strings.Join(strings.Fields(strings.ReplaceAll(res, "*** in database main ***", "")), " ")
		if len(problems) > 160 {
			problems = problems[:160] + "…"
		}
		return 0, hotline.Errorf(hotline.EUNAVAILABLE, "the journal at %s is damaged: its copy fails SQLite's integrity check (%s); "+
			"no backup was kept: restore an earlier one, and see `hotline db check`", s.path, problems)
	}
	return pages, nil
}
