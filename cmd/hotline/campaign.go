package main

import (
	"context"
	"strings"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/spf13/cobra"
)

// newCampaignCmd is `hotline campaign`: the informing campaigns of the module «ЕИР263»
// (docs/campaigns.md). The campaigns are saved and worked in the workplace (/campaigns); the CLI
// exports their report.
func newCampaignCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "campaign", Short: "The informing campaigns (ЕИР263): the report"}
	var mo string
	report := &cobra.Command{
		Use:   "report",
		Short: "The report per campaign and medical organisation, as CSV on standard output",
		Long: `The report of the informing campaigns, as CSV on standard output: one line per campaign (the
newest 200) with its organisation, type and period, and the counts total, with_phone, informed,
reached, refused, wrong_numbers and attempts; then one line per organisation («итого») with its
campaigns' sums. --mo keeps one organisation's campaigns.`,
		Example: "  hotline campaign report > eir263.csv\n  hotline campaign report --mo 260001",
		Args:    exactArgs(0, "no arguments (use --mo)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			mo = strings.TrimSpace(mo)
			if mo != "" {
				if err := (hotline.MedicalOrganisation{Code: mo}).Validate(); err != nil {
					return hotline.Errorf(hotline.EINVALID, "--mo: %s", hotline.ErrorMessage(err))
				}
			}
			return a.withReader(cmd, func(ctx context.Context, s *journal.Store) error {
				return s.WriteCampaignReport(ctx, cmd.OutOrStdout(), mo)
			})
		},
	}
	report.Flags().StringVar(&mo, "mo", "", "only this medical organisation's campaigns (its code)")
	cmd.AddCommand(report)
	return cmd
}
