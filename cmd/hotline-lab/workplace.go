package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/loadgen"
	"github.com/spf13/cobra"
)

// newWorkplaceCmd: `hotline-lab workplace`, logged-in users of the web workplace beside a
// loadgen run (docs/benchmark.md, session 15), and `workplace journal`, the journal they need.
func newWorkplaceCmd() *cobra.Command {
	var (
		o        loadgen.WorkplaceOptions
		jsonPath string
	)
	cmd := &cobra.Command{
		Use:   "workplace",
		Short: "Logged-in users of the web workplace (pages, event streams, heavy requests) for a while",
		Long: `workplace logs operators op1001… and the supervisor loadgen-admin in to the workplace at --url
(loopback only) with the password of a journal 'workplace journal' made, keeps each one's event
stream open and opens their pages in turn (--think apart), makes the heavy requests (--heavy)
one every --heavy-every, for --for, then prints each kind's latency and writes every request to
--json. The daemon is the one a loadgen run drives: a --hotline-bin wrapper copies the prepared
journal over the loadgen's and turns the web on (docs/benchmark.md, session 15).`,
		Example: "  hotline-lab workplace --url http://127.0.0.1:18086 --operators 20 --supervisor --heavy search,report,login --for 90s",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			res, err := loadgen.Workplace(cmd.Context(), o)
			if err != nil {
				return hotline.Errorf(hotline.EINVALID, "%v", err)
			}
			kinds := make([]string, 0, len(res.ByKind))
			for k := range res.ByKind {
				kinds = append(kinds, k)
			}
			sort.Strings(kinds)
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%-14s %5s %9s %9s %9s\n", "kind", "n", "p50 ms", "p99 ms", "max ms")
			for _, k := range kinds {
				p := res.ByKind[k]
				fmt.Fprintf(w, "%-14s %5d %9.1f %9.1f %9.1f\n", k, res.N[k], p.P50, p.P99, p.Max)
			}
			fmt.Fprintf(w, "errors %d, stream events %d (%d bytes)\n", res.Errors, res.Events, res.Bytes)
			if jsonPath != "" {
				b, err := json.MarshalIndent(res, "", " ")
				if err != nil {
					return err
				}
				return os.WriteFile(jsonPath, b, 0o644)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.URL, "url", "", "the workplace, http://127.0.0.1:PORT")
	f.IntVar(&o.Operators, "operators", 20, "operators op1001… with their /work page and its event stream")
	f.DurationVar(&o.Think, "think", 5*time.Second, "an operator's pause between two pages (±50 %)")
	f.BoolVar(&o.Supervisor, "supervisor", true, "the supervisor loadgen-admin on /live, its event stream and the board")
	f.StringSliceVar(&o.Heavy, "heavy", nil, fmt.Sprintf("heavy requests in turn, of %v", loadgen.WorkplaceHeavyKinds))
	f.DurationVar(&o.HeavyEvery, "heavy-every", 3*time.Second, "one heavy request every")
	f.DurationVar(&o.For, "for", 90*time.Second, "how long (at most 30m)")
	f.StringVar(&jsonPath, "json", "", "write every request and the figures to this file")
	_ = cmd.MarkFlagRequired("url")
	cmd.AddCommand(newWorkplaceJournalCmd())
	return cmd
}

func newWorkplaceJournalCmd() *cobra.Command {
	var (
		o         journal.SyntheticOptions
		operators int
		days      int
	)
	cmd := &cobra.Command{
		Use:   "journal FILE",
		Short: "Write the journal of a loadgen run with a workplace: its operators, passwords and a synthetic history",
		Long: `journal creates FILE as the loadgen seeds its journal for --operators operators (the same ids), adds
a synthetic history of --cases cases over the --days before today (hotline-lab journal's), and
gives every account the password 'workplace' logs in with.`,
		Example: "  hotline-lab workplace journal --operators 20 --cases 30000 --days 60 /tmp/workplace.db",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.To = time.Now().AddDate(0, 0, 1).Truncate(24 * time.Hour)
			o.From = o.To.AddDate(0, 0, -days)
			o.Progress = func(int, int) {}
			return loadgen.PrepareWorkplaceJournal(cmd.Context(), args[0], operators, o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&operators, "operators", 20, "the loadgen's --operators")
	f.IntVar(&o.Cases, "cases", 30_000, "synthetic cases")
	f.IntVar(&days, "days", 60, "spread over this many days before today")
	return cmd
}
