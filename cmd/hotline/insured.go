package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/register"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// maxGenerate bounds `insured generate`: ten times the register the benchmark searches.
const maxGenerate = 10_000_000

func newInsuredCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "insured", Short: "The register of insured persons: import the fund's extract, search it"}
	var batch int
	imp := &cobra.Command{
		Use:   "import FILE",
		Short: "Import the fund's extract of the register (CSV, see docs/register.md); administrators only",
		Long: `Import the fund's extract of the register of insured persons: a CSV file, columns separated by
semicolons (;), UTF-8 with or without a byte-order mark (a windows-1251 file is refused: save it as
«CSV UTF-8»), a header line naming the columns (docs/register.md). Each line is a person, added
or updated by policy number: importing the same file again changes nothing. A line that is not
a valid person is rejected whole, with its number and the reason; the others are imported.

Progress goes to standard error, the summary and the rejected lines to standard output. Exit 0:
every line imported; 2: some lines rejected (the others are imported) or the file is unusable;
130: interrupted (the batches committed before stay: run the import again).`,
		Example: "  hotline insured import register-2026-12.csv\n  hotline insured import -o json register.csv > report.json",
		Args:    exactArgs(1, "the register file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			f, err := openRegister(path)
			if err != nil {
				return err
			}
			defer f.Close()
			rd, err := register.NewReader(f)
			if err != nil {
				return fmt.Errorf("%w (%w)", hotline.Errorf(hotline.ErrorCode(err), "FILE %s: %s", quote(path), hotline.ErrorMessage(err)), err)
			}
			if batch < 0 {
				return hotline.Errorf(hotline.EINVALID, "--batch must be positive, not %d", batch)
			}
			return a.withStore(cmd, func(ctx context.Context, s *journal.Store) error {
				by, err := a.actor(ctx, s)
				if err != nil {
					return err
				}
				p := newImportProgress(cmd.ErrOrStderr())
				rep, err := s.ImportInsured(ctx, by, rd, journal.ImportOptions{Source: filepath.Base(path), BatchSize: batch, Progress: p.show})
				p.done(rep)
				if err != nil {
					if errors.Is(err, context.Canceled) {
						return fmt.Errorf("interrupted: lines up to %d are imported; run the import again: %w", rep.Committed, err)
					}
					return err
				}
				if err := a.emit(cmd, rep, func(w io.Writer) {
					printf(w, "lines\t%d\nadded\t%d\nupdated\t%d\nunchanged\t%d\nrejected\t%d\n", rep.Lines, rep.Added, rep.Updated, rep.Unchanged, rep.Rejected)
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
	}
	imp.Flags().IntVar(&batch, "batch", journal.DefaultImportBatch, "lines committed in one transaction")
	cmd.AddCommand(imp)

	var name, born string
	cmd.AddCommand(&cobra.Command{
		Use:     "search",
		Short:   "Find insured persons by the beginnings of their name parts and by birth date (at most 10)",
		Example: "  hotline insured search --name 'иванов ив'\n  hotline insured search --name петр --born 1980-05-17",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(name) == "" && strings.TrimSpace(born) == "" {
				return hotline.Errorf(hotline.EINVALID, "--name or --born is required (see --help)")
			}
			if born != "" {
				d, err := register.ParseDate(strings.TrimSpace(born))
				if err != nil {
					return forFlag("--born", err)
				}
				born = d
			}
			return a.withReader(cmd, func(ctx context.Context, s *journal.Store) error {
				found, more, err := s.SearchInsured(ctx, journal.InsuredQuery{Name: name, BirthDate: born}, journal.MaxInsuredResults)
				if err != nil {
					return forFlag("--name", err)
				}
				return a.emit(cmd, found, func(w io.Writer) {
					printf(w, "POLICY\tNAME\tBORN\tPHONES\tORGANISATION\n")
					for _, p := range found {
						var phones []string
						for _, ph := range p.Phones {
							if ph.Wrong {
								ph.Number += " (неверный)"
							}
							phones = append(phones, ph.Number)
						}
						printf(w, "%s\t%s\t%s\t%s\t%s\n", p.PolicyNumber, p.FullName, p.BirthDate, orDash(strings.Join(phones, ", ")), orDash(p.Organisation.Name))
					}
					if more {
						printf(w, "…\tmore match: give the full name or the birth date\n")
					}
				})
			})
		},
	})
	cmd.Commands()[len(cmd.Commands())-1].Flags().StringVar(&name, "name", "", "the beginnings of name parts, any order, e.g. 'иван петр'")
	cmd.Commands()[len(cmd.Commands())-1].Flags().StringVar(&born, "born", "", "birth date, YYYY-MM-DD or DD.MM.YYYY")

	var count int
	var seed uint64
	gen := &cobra.Command{
		Use:   "generate NEWFILE",
		Short: "Write a synthetic register (generated names, never real people) for demos and tests",
		Long: `Write a synthetic extract of the register: generated names from short lists of Russian names,
random birth dates, phones and policy numbers; nobody in it is a real person. The same --seed
writes the same persons. NEWFILE must not exist.`,
		Example:     "  hotline insured generate --count 5000 demo-register.csv",
		Args:        exactArgs(1, "the file to write"),
		Annotations: map[string]string{noOutputFormat: "insured generate writes a CSV file: -o/--output is not used here"},
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			if strings.TrimSpace(path) == "" {
				return hotline.Errorf(hotline.EINVALID, "NEWFILE is empty: give the file to write")
			}
			if count < 1 || count > maxGenerate {
				return hotline.Errorf(hotline.EINVALID, "--count must be 1 to %d, not %d", maxGenerate, count)
			}
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			switch {
			case errors.Is(err, fs.ErrExist):
				return hotline.Errorf(hotline.ECONFLICT, "NEWFILE %s exists: give a new file", quote(path))
			case err != nil:
				return hotline.Wrapf(hotline.EINVALID, err, "cannot create NEWFILE %s: %v", quote(path), unwrapPath(err))
			}
			err = register.Generate(cmd.Context(), f, seed, count)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(path) // half a register is no register
				if errors.Is(err, context.Canceled) {
					return err
				}
				return hotline.Wrapf(hotline.EUNAVAILABLE, err, "cannot write NEWFILE %s: %v", quote(path), err)
			}
			printf(cmd.OutOrStdout(), "%d synthetic persons written to %s\n", count, path)
			return nil
		},
	}
	gen.Flags().IntVar(&count, "count", 1000, "how many persons")
	gen.Flags().Uint64Var(&seed, "seed", 1, "the random seed: the same seed writes the same persons")
	cmd.AddCommand(gen)
	return cmd
}

// openRegister opens the extract to import: a regular file (not a FIFO or a device, which could
// be read forever or never).
func openRegister(path string) (*os.File, error) {
	if strings.TrimSpace(path) == "" {
		return nil, hotline.Errorf(hotline.EINVALID, "FILE is empty: give the register file")
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, hotline.Wrapf(hotline.EINVALID, err, "cannot read FILE %s: %v", quote(path), unwrapPath(err))
	}
	st, err := f.Stat()
	if err == nil && !st.Mode().IsRegular() {
		err = fmt.Errorf("%s", fileKind(st.Mode()))
	}
	if err != nil {
		f.Close()
		return nil, hotline.Wrapf(hotline.EINVALID, err, "cannot read FILE %s: not a regular file (%v)", quote(path), err)
	}
	return f, nil
}

// importProgress draws the import's progress on standard error: redrawn in place on a terminal at
// most every progressEvery, else a line at most every progressLineEvery (a log stays short).
type importProgress struct {
	w        io.Writer
	tty      bool
	start    time.Time
	last     time.Time
	drawn    bool
	interval time.Duration
}

const (
	progressEvery     = 250 * time.Millisecond
	progressLineEvery = 10 * time.Second
)

func newImportProgress(w io.Writer) *importProgress {
	p := &importProgress{w: w, start: time.Now(), interval: progressLineEvery}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty, p.interval = true, progressEvery
	}
	return p
}

func (p *importProgress) text(r journal.ImportReport) string {
	el := time.Since(p.start)
	rate := 0.0
	if el > 0 {
		rate = float64(r.Lines) / el.Seconds()
	}
	return fmt.Sprintf("import: line %d, %d added, %d updated, %d unchanged, %d rejected, %.0f lines/s, %s",
		r.Lines, r.Added, r.Updated, r.Unchanged, r.Rejected, rate, el.Round(time.Second))
}

func (p *importProgress) show(r journal.ImportReport) {
	if time.Since(p.last) < p.interval {
		return
	}
	p.last = time.Now()
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s", p.text(r))
		p.drawn = true
		return
	}
	fmt.Fprintln(p.w, p.text(r))
}

// done ends the importProgress line with the final figures.
func (p *importProgress) done(r journal.ImportReport) {
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s\n", p.text(r))
		return
	}
	if !p.last.IsZero() {
		fmt.Fprintln(p.w, p.text(r))
	}
}

// printRejections lists an import's rejected lines (the first of them, as the journal keeps them)
// and how many more there were.
func printRejections(w io.Writer, listed []journal.Rejection, rejected int) {
	if len(listed) == 0 {
		return
	}
	printf(w, "\nLINE\tPOLICY\tREASON\n")
	for _, r := range listed {
		printf(w, "%d\t%s\t%s\n", r.Line, orDash(r.Policy), r.Reason)
	}
	if rejected > len(listed) {
		printf(w, "…\t\t%d more\n", rejected-len(listed))
	}
}
