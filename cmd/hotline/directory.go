package main

import (
	"context"
	"io"
	"strings"

	"github.com/hotline-dev/hotline"

	"github.com/hotline-dev/hotline/journal"
	"github.com/spf13/cobra"
)

func newDirectoryCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "directory", Short: "The phone directory of operators and specialists"}
	cmd.AddCommand(&cobra.Command{
		Use:     "search TEXT",
		Short:   "Find operators and specialists by name, organisation or extension (at most 100 characters)",
		Example: "  hotline directory search Капитал\n  hotline directory search 20",
		Args:    exactArgs(1, "the text to search"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(args[0]) == "" {
				return hotline.Errorf(hotline.EINVALID, "the search TEXT is empty")
			}
			return a.withReader(cmd, func(ctx context.Context, s *journal.Store) error {
				ops, err := s.SearchDirectory(ctx, args[0])
				if err != nil {
					return err
				}
				return a.emit(cmd, ops, func(w io.Writer) {
					printf(w, "NAME\tORGANISATION\tEXT\tLEVEL\n")
					for _, o := range ops {
						printf(w, "%s\t%s\t%s\t%d\n", o.Name, orDash(o.Organisation), orDash(o.Extension), o.Level)
					}
				})
			})
		},
	})
	return cmd
}
