package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/register"
	"github.com/spf13/cobra"
)

func newSurveyCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "survey", Short: "The survey journals (Диспансеризация, Диспансерный учет): import their «Действия»"}
	actions := &cobra.Command{Use: "actions", Short: "The «Действия» block: notifications sent and stages from the billing registers"}
	actions.AddCommand(&cobra.Command{
		Use:   "import FILE",
		Short: "Import notifications and stages (CSV, see docs/register.md); administrators only",
		Long: `Import the survey journals' «Действия»: a CSV file, columns separated by semicolons (;), UTF-8,
a header naming the columns policy_number;journal;year;action;date;detail (docs/register.md).
Each line is a notification sent to an insured person (action notified, detail the channel:
sms, letter, call, messenger, email) or a stage passed by the organisation's billing registers
(action stage, detail 1 or 2). The whole file is one transaction: a failure or Ctrl-C imports
nothing. A bad line (unreadable, unknown policy number, the person not in that journal for that
year) is rejected with its number and the reason; the others are imported. A line already
imported changes nothing: importing the same file again adds nothing.

Exit 0: every line imported; 2: some lines rejected (the others are imported) or the file is
unusable.`,
		Example: "  hotline survey actions import billing-2026-04.csv\n  hotline survey actions import -o json notified.csv > report.json",
		Args:    exactArgs(1, "the actions file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			f, err := openRegister(path)
			if err != nil {
				return err
			}
			defer f.Close()
			rd, err := register.NewActionReader(f)
			if err != nil {
				return fmt.Errorf("%w (%w)", hotline.Errorf(hotline.ErrorCode(err), "FILE %s: %s", quote(path), hotline.ErrorMessage(err)), err)
			}
			return a.withStore(cmd, func(ctx context.Context, s *journal.Store) error {
				by, err := a.actor(ctx, s)
				if err != nil {
					return err
				}
				rep, err := s.ImportSurveyActions(ctx, by, rd, filepath.Base(path))
				if err != nil {
					return err
				}
				if err := a.emit(cmd, rep, func(w io.Writer) {
					printf(w, "lines\t%d\nadded\t%d\nunchanged\t%d\nrejected\t%d\n", rep.Lines, rep.Added, rep.Unchanged, rep.Rejected)
					printRejections(w, rep.Rejections, rep.Rejected)
				}); err != nil {
					return err
				}
				if rep.Rejected > 0 {
					return hotline.Errorf(hotline.EINVALID, "FILE %s: %d of %d lines rejected (listed above); the others are imported", quote(path), rep.Rejected, rep.Lines)
				}
				return nil
			})
		},
	})
	cmd.AddCommand(actions)
	return cmd
}
