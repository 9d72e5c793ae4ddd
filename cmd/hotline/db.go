package main

import (
	"context"
	"io"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/spf13/cobra"
)

func newDBCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "db", Short: "Create, check and back up the journal's database"}
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
			}{a.dbPath, applied, v}
			return a.emit(cmd, res, func(w io.Writer) {
				printf(w, "%s: schema version %d (applied %d migrations)\n", a.dbPath, v, len(applied))
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
			rep, err := s.Check(cmd.Context())
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
				pages, err := s.Backup(ctx, args[0])
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
	cmd.AddCommand(newDBPhoneRegionCmd(a))
	return cmd
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
