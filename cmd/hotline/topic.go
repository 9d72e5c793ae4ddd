package main

import (
	"context"
	"io"
	"strings"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/spf13/cobra"
)

func topicTable(w io.Writer, ts []hotline.Topic) {
	printf(w, "CODE\tNUMBER\tTYPE\tTITLE\tKEYWORDS\n")
	for _, t := range ts {
		printf(w, "%s\t%d\t%s\t%s\t%s\n", t.Code, t.Number, t.Type, t.Title, strings.Join(t.Keywords, " "))
	}
}

func caseTypes() []string {
	var out []string
	for _, t := range hotline.CaseTypes {
		out = append(out, string(t))
	}
	return out
}

func newTopicCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "topic", Short: "The catalogue of case topics, per case type"}

	var (
		typ, title, keywords string
		number               int
	)
	addCmd := &cobra.Command{
		Use:     "add CODE",
		Short:   "Add a topic to the catalogue of a case type (administrators only)",
		Example: `  hotline topic add policy-replace --type consultation --title "Замена полиса ОМС" --number 11 --keywords "полис замена утеря"`,
		Args:    exactArgs(1, "the topic's code"),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case typ == "":
				return hotline.Errorf(hotline.EINVALID, "--type is required: %s", strings.Join(caseTypes(), ", "))
			case strings.TrimSpace(title) == "":
				return hotline.Errorf(hotline.EINVALID, "--title is required: the topic as operators read it")
			}
			return a.withStore(cmd, func(ctx context.Context, s *journal.Store) error {
				by, err := a.actor(ctx, s)
				if err != nil {
					return err
				}
				t := hotline.Topic{Code: args[0], Number: number, Type: hotline.CaseType(typ), Title: strings.TrimSpace(title), Keywords: strings.Fields(keywords)}
				if err := s.AddTopic(ctx, by, t); err != nil {
					return err
				}
				return a.emit(cmd, t, func(w io.Writer) { topicTable(w, []hotline.Topic{t}) })
			})
		},
	}
	addCmd.Flags().StringVar(&typ, "type", "", "case type: complaint, consultation, application, proposal, gratitude")
	addCmd.Flags().StringVar(&title, "title", "", "the topic as operators read it")
	addCmd.Flags().IntVar(&number, "number", 0, "the number operators key on the handset (0: none)")
	addCmd.Flags().StringVar(&keywords, "keywords", "", "space-separated search words")
	_ = addCmd.RegisterFlagCompletionFunc("type", fixed(caseTypes()...))

	var listType string
	listCmd := &cobra.Command{
		Use:     "list",
		Short:   "List the catalogue, of one case type or all",
		Example: "  hotline topic list --type complaint",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withReader(cmd, func(ctx context.Context, s *journal.Store) error {
				ts, err := s.Topics(ctx, hotline.CaseType(listType), "")
				if err != nil {
					return err
				}
				return a.emit(cmd, ts, func(w io.Writer) { topicTable(w, ts) })
			})
		},
	}
	listCmd.Flags().StringVar(&listType, "type", "", "only this case type")
	_ = listCmd.RegisterFlagCompletionFunc("type", fixed(caseTypes()...))

	var searchType string
	searchCmd := &cobra.Command{
		Use:     "search TEXT",
		Short:   "Find topics by keyword (code, title or keywords; case-insensitive; at most 100 characters)",
		Example: "  hotline topic search полис",
		Args:    exactArgs(1, "the text to search"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(args[0]) == "" {
				return hotline.Errorf(hotline.EINVALID, "the search TEXT is empty")
			}
			return a.withReader(cmd, func(ctx context.Context, s *journal.Store) error {
				ts, err := s.Topics(ctx, hotline.CaseType(searchType), args[0])
				if err != nil {
					return err
				}
				return a.emit(cmd, ts, func(w io.Writer) { topicTable(w, ts) })
			})
		},
	}
	searchCmd.Flags().StringVar(&searchType, "type", "", "only this case type")
	cmd.AddCommand(addCmd, listCmd, searchCmd)
	return cmd
}
