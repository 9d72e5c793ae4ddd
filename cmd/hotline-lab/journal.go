package main

import (
	"fmt"
	"os"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/spf13/cobra"
)

// newJournalCmd: `hotline-lab journal`, a synthetic journal at a fund's scale for the benchmarks
// of docs/benchmark.md (journal.GenerateSynthetic).
func newJournalCmd() *cobra.Command {
	var (
		o        journal.SyntheticOptions
		from, to string
	)
	cmd := &cobra.Command{
		Use:   "journal FILE",
		Short: "Write a synthetic journal (made-up people, calls and cases) for the journal benchmarks",
		Long: `journal creates FILE, migrates it, and fills it with made-up operators, topics, calls with their
legs, cases with their history, and operators' presence, spread over --from..--to, as the call flow
and the workplace write them (journal.GenerateSynthetic). Nothing in it is about a real person.
FILE must not exist. The default size is the issue's: 1,000,000 cases over three years, ~960,000
calls, ~8 history events a case.`,
		Example: "  hotline-lab journal --cases 1000000 /work/scale-data/journal.db\n  HOTLINE_SCALE_DB=/work/scale-data/journal.db go test ./cmd/hotline -run '^$' -bench Scale",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if from != "" {
				if o.From, err = time.Parse(time.DateOnly, from); err != nil {
					return hotline.Errorf(hotline.EINVALID, "--from %q: want YYYY-MM-DD", from)
				}
			}
			if to != "" {
				if o.To, err = time.Parse(time.DateOnly, to); err != nil {
					return hotline.Errorf(hotline.EINVALID, "--to %q: want YYYY-MM-DD", to)
				}
			}
			if o.Cases < 1 {
				return hotline.Errorf(hotline.EINVALID, "--cases must be at least 1")
			}
			if _, err := os.Stat(args[0]); err == nil {
				return hotline.Errorf(hotline.EINVALID, "%s exists: the synthetic journal goes into a new file", args[0])
			}
			ctx := cmd.Context()
			st, err := journal.Open(ctx, args[0], journal.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			if _, err := st.Migrate(ctx); err != nil {
				return err
			}
			start := time.Now()
			last := start
			o.Progress = func(done, total int) {
				if time.Since(last) > 2*time.Second || done == total {
					last = time.Now()
					fmt.Fprintf(cmd.ErrOrStderr(), "journal: %d of %d cases (%v)\n", done, total, time.Since(start).Round(time.Second))
				}
			}
			n, err := st.GenerateSynthetic(ctx, o)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d cases, %d calls, %d legs, %d ring attempts, %d history events, %d presence events in %v\n",
				args[0], n.Cases, n.Calls, n.Legs, n.Rings, n.History, n.Presence, time.Since(start).Round(time.Second))
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Cases, "cases", 1_000_000, "cases to register")
	f.StringVar(&from, "from", "", "first day, YYYY-MM-DD (default: three years before --to)")
	f.StringVar(&to, "to", "", "the day after the last, YYYY-MM-DD (default 2026-12-01)")
	f.Float64Var(&o.CallShare, "call-share", 0.96, "share of cases that came with a call")
	f.IntVar(&o.Operators, "operators", 60, "operators")
	f.Uint64Var(&o.Seed, "seed", 1, "pseudo-random seed (the same seed, the same journal)")
	return cmd
}
