package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/spf13/cobra"
)

func newDBCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "db", Short: "Create, check and back up the journal's database"}
	var checkProgress, backupProgress bool // --progress
	cmd.AddCommand(&cobra.Command{
		Use:     "migrate",
		Short:   "Create the database (mode 0600) or bring its schema up to date",
		Example: "  hotline --db /var/lib/hotline/hotline.db db migrate",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := journal.Open(cmd.Context(), a.dbPath, journal.Options{Logger: cmdLogger(cmd)})
			if err != nil {
				return err
			}
			defer s.Close()
			applied, err := s.Migrate(cmd.Context())
			if err != nil {
				return err
			}
			v, _ := s.SchemaVersion(cmd.Context())
			res := struct {
				Path    string            `json:"path"`
				Applied []journal.Applied `json:"applied"`
				Version int               `json:"version"`
			}{a.dbShown(), applied, v}
			return a.emit(cmd, res, func(w io.Writer) {
				printf(w, "%s: schema version %d (applied %d migrations)\n", a.dbShown(), v, len(applied))
				for _, m := range applied {
					if m.Note != "" {
						printf(w, "  %s: %s\n", m.Name, m.Note)
					}
				}
			})
		},
	}, &cobra.Command{
		Use:   "check",
		Short: "Run SQLite's integrity check and compare the schema version with this build",
		Long: `check exits 0 when the database is intact and current, 6 otherwise: damaged (restore a
backup), older than this hotline (run db migrate) or written by a newer hotline (upgrade).`,
		Example: "  hotline db check -o json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := a.requireJournal(); err != nil {
				return err
			}
			s, err := journal.Open(cmd.Context(), a.dbPath, journal.Options{ReadOnly: true, Logger: cmdLogger(cmd)})
			if err != nil {
				return err
			}
			defer s.Close()
			step, stop := stepProgress(cmd.ErrOrStderr(), checkProgress, "db check")
			rep, err := s.CheckWithProgress(cmd.Context(), step)
			stop()
			if err != nil {
				return err
			}
			if err := a.emit(cmd, rep, func(w io.Writer) {
				printf(w, "database\t%s\nintegrity\t%s\nforeign keys\t%d problems\nschema version\t%d (this hotline: %d)\njournal mode\t%s\n",
					rep.Path, rep.Integrity, rep.ForeignKeyErrs, rep.SchemaVersion, rep.LatestVersion, rep.JournalMode)
			}); err != nil {
				return err
			}
			switch {
			case rep.Integrity != "ok" || rep.ForeignKeyErrs != 0:
				return hotline.Errorf(hotline.EUNAVAILABLE, "the journal at %s is damaged (see above); restore it from a backup (`hotline db backup` makes them)", rep.Path)
			case rep.SchemaVersion > rep.LatestVersion:
				return hotline.Errorf(hotline.EUNAVAILABLE, "the journal at %s was written by a newer hotline (schema %d, this build knows %d): upgrade hotline; `db migrate` cannot go back",
					rep.Path, rep.SchemaVersion, rep.LatestVersion)
			case rep.SchemaVersion < rep.LatestVersion:
				return hotline.Errorf(hotline.EUNAVAILABLE, "the journal at %s has schema %d, this hotline needs %d: run `hotline db migrate --db %s`",
					rep.Path, rep.SchemaVersion, rep.LatestVersion, shellQuote(rep.Path))
			}
			return nil
		},
	}, &cobra.Command{
		Use:     "backup DEST",
		Short:   "Copy the live database to DEST with SQLite's online backup (safe while hotline serves)",
		Example: "  hotline db backup /var/backups/hotline/hotline-$(date +%F).db",
		Args:    exactArgs(1, "the backup file's path"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withReader(cmd, func(ctx context.Context, s *journal.Store) error {
				step, stop := stepProgress(cmd.ErrOrStderr(), backupProgress, "db backup")
				pages, err := s.BackupWithProgress(ctx, args[0], step)
				stop()
				if err != nil {
					return err
				}
				res := struct {
					Dest  string `json:"dest"`
					Pages int    `json:"pages"`
				}{args[0], pages}
				return a.emit(cmd, res, func(w io.Writer) { printf(w, "backed up %d pages to %s\n", pages, args[0]) })
			})
		},
	})
	for _, c := range cmd.Commands() {
		switch c.Name() {
		case "check":
			c.Flags().BoolVar(&checkProgress, "progress", false, "show the step and the time taken on standard error even when it is not a terminal")
		case "backup":
			c.Flags().BoolVar(&backupProgress, "progress", false, "show the step and the time taken on standard error even when it is not a terminal")
		}
	}
	cmd.AddCommand(newDBPhoneRegionCmd(a))
	cmd.AddCommand(newDBCopyCmd(a))
	return cmd
}

// newDBCopyCmd is `hotline db copy --to URL`: a SQLite journal (--db) into an empty PostgreSQL one.
func newDBCopyCmd(a *app) *cobra.Command {
	var to string
	var progress bool
	c := &cobra.Command{
		Use:   "copy --to postgres://USER@HOST/DB",
		Short: "Copy the SQLite journal (--db) into an empty PostgreSQL journal",
		Long: `copy moves every table of the SQLite journal into a PostgreSQL journal that is empty and
migrated to the same schema version (` + "`hotline --db postgres://… db migrate`" + ` makes it), in one
transaction: all of it or nothing. It prints the rows copied per table, counted again in the
target. Give the password in PGPASSWORD or ~/.pgpass rather than in the URL, which other users
can see in the process list. Stop ` + "`hotline serve`" + ` first: writes made during the copy stay behind.`,
		Example: "  PGPASSWORD=… hotline --db /var/lib/hotline/hotline.db db copy --to postgres://hotline@db.example/hotline",
		Args:    exactArgs(0, "no arguments (the target is --to)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !journal.IsPostgresDSN(to) {
				return hotline.Errorf(hotline.EINVALID, "--to must be a postgres:// URL of the target journal")
			}
			if journal.IsPostgresDSN(a.dbPath) {
				return hotline.Errorf(hotline.EINVALID, "--db must be the SQLite journal to copy, not a PostgreSQL one")
			}
			if err := a.requireJournal(); err != nil {
				return err
			}
			ctx := cmd.Context()
			src, err := journal.Open(ctx, a.dbPath, journal.Options{ReadOnly: true, Logger: cmdLogger(cmd)})
			if err != nil {
				return err
			}
			defer src.Close()
			if err := src.RequireCurrent(ctx); err != nil {
				return err
			}
			dst, err := journal.Open(ctx, to, journal.Options{Logger: cmdLogger(cmd)})
			if err != nil {
				return err
			}
			defer dst.Close()
			step, stop := stepProgress(cmd.ErrOrStderr(), progress, "db copy")
			rep, err := src.CopyTo(ctx, dst, step)
			stop()
			if err != nil {
				return err
			}
			return a.emit(cmd, rep, func(w io.Writer) {
				var total int64
				for _, t := range rep.Tables {
					printf(w, "%s\t%d rows\n", t.Table, t.Rows)
					total += t.Rows
				}
				printf(w, "copied %d rows in %d tables from %s to %s (schema version %d); the counts match\n",
					total, len(rep.Tables), rep.From, rep.To, rep.SchemaVersion)
			})
		},
	}
	c.Flags().StringVar(&to, "to", "", "the target PostgreSQL journal's postgres:// URL")
	c.Flags().BoolVar(&progress, "progress", false, "show the step and the time taken on standard error even when it is not a terminal")
	return c
}

// stepProgress shows a long maintenance command's step and the time it has taken on w (when w
// is a terminal, or always), refreshed every second: a check or a backup of a journal of
// gigabytes takes a minute or more. step sets the step; stop ends the line.
func stepProgress(w io.Writer, always bool, what string) (step func(string), stop func()) {
	if !always && !isTerminal(w) {
		return nil, func() {}
	}
	var mu sync.Mutex
	cur, start := "", time.Now()
	show := func() {
		fmt.Fprintf(w, "\r%s: %s, %s\x1b[K", what, cur, time.Since(start).Round(time.Second))
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				mu.Lock()
				show()
				mu.Unlock()
			}
		}
	}()
	step = func(s string) {
		mu.Lock()
		defer mu.Unlock()
		cur = s
		show()
	}
	stop = func() {
		close(done)
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		if cur != "" {
			cur = "done"
			show()
			fmt.Fprintln(w)
		}
	}
	return step, stop
}

// newDBPhoneRegionCmd shows or sets the region national numbers are read in.
func newDBPhoneRegionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "phone-region [CODE]",
		Short: "Show or set the region national phone numbers are read in (RU by default)",
		Long: `Numbers are stored in E.164 (+79121234567). A number written without a country code ("8 912 …",
"912 …") is read in this region, in every program that reads the journal. Setting it (administrators
only) changes how numbers are read from now on; numbers already stored keep their E.164 form. A
running hotline serve reads it when it starts: restart it after a change.`,
		Example: "  hotline db phone-region\n  hotline --as admin db phone-region KZ",
		Args:    rangeArgs(0, 1, "at most one ISO 3166 region code, e.g. RU"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd, func(ctx context.Context, s *journal.Store) error {
				if len(args) == 1 {
					by, err := a.actor(ctx, s)
					if err != nil {
						return err
					}
					if err := s.SetPhoneRegion(ctx, by, hotline.PhoneRegion(args[0])); err != nil {
						return err
					}
				}
				res := struct {
					Region string `json:"phone_region"`
				}{string(s.PhoneRegion())}
				return a.emit(cmd, res, func(w io.Writer) { printf(w, "%s\n", res.Region) })
			})
		},
	}
}
