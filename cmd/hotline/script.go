package main

import (
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/spf13/cobra"
)

func scriptTable(w io.Writer, scs []hotline.Script) {
	printf(w, "ID\tTOPIC\tTITLE\tRECOMMENDED\n")
	for _, sc := range scs {
		var ids []string
		for _, id := range sc.Recommended {
			ids = append(ids, idStr(id))
		}
		printf(w, "%d\t%s\t%s\t%s\n", sc.ID, sc.Topic, sc.Title, orDash(strings.Join(ids, ",")))
	}
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

func newScriptCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "script", Short: "Approved answers per topic, with the level-2 specialists they recommend"}

	var topic, title, text, file, recommend string
	addCmd := &cobra.Command{
		Use:   "add",
		Short: "Add an approved answer for a topic (administrators only)",
		Example: `  hotline script add --topic clinic-refusal --title "Отказ в приёме" --file answer.txt --recommend sidorova,2001
  hotline script add --topic policy-replace --title "Замена полиса" --text "Полис заменяется в пункте выдачи..."`,
		Args: exactArgs(0, "no arguments (use flags)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			// Everything given is checked before the journal is opened.
			switch {
			case strings.TrimSpace(topic) == "":
				return hotline.Errorf(hotline.EINVALID, "--topic is required: the code of the topic the answer is for")
			case strings.TrimSpace(title) == "":
				return hotline.Errorf(hotline.EINVALID, "--title is required: a short title")
			case !cmd.Flags().Changed("text") && !cmd.Flags().Changed("file"):
				return hotline.Errorf(hotline.EINVALID, "--text or --file is required: the answer's text")
			}
			if cmd.Flags().Changed("file") {
				if cmd.Flags().Changed("text") {
					return hotline.Errorf(hotline.EINVALID, "give --text or --file, not both")
				}
				b, err := readFile("--file", file, maxScriptFile)
				if err != nil {
					return err
				}
				text = string(b)
				if err := checkText("--file "+file, text, hotline.MaxScriptLen, true); err != nil {
					return err
				}
			}
			if strings.TrimSpace(text) == "" {
				return hotline.Errorf(hotline.EINVALID, "the answer's text (--text or --file) is empty")
			}
			return a.withStore(cmd, func(ctx context.Context, s *journal.Store) error {
				by, err := a.actor(ctx, s)
				if err != nil {
					return err
				}
				sc := hotline.Script{Topic: topic, Title: strings.TrimSpace(title), Text: text}
				given := map[int64]string{}
				for _, ref := range splitList(recommend) {
					o, err := operatorRef(ctx, s, ref)
					if err != nil {
						return forFlag("--recommend", err)
					}
					if first, ok := given[o.ID]; ok {
						return hotline.Errorf(hotline.EINVALID, "--recommend lists %s (operator %d) twice: as %s and as %s", o.Name, o.ID, quote(first), quote(ref))
					}
					given[o.ID] = ref
					sc.Recommended = append(sc.Recommended, o.ID)
				}
				if err := s.AddScript(ctx, by, &sc); err != nil {
					return err
				}
				return a.emit(cmd, sc, func(w io.Writer) { scriptTable(w, []hotline.Script{sc}) })
			})
		},
	}
	addCmd.Flags().StringVar(&topic, "topic", "", "the topic's code")
	addCmd.Flags().StringVar(&title, "title", "", "a short title")
	addCmd.Flags().StringVar(&text, "text", "", "the answer's text")
	addCmd.Flags().StringVar(&file, "file", "", "read the answer's text from this file (a regular file of at most 80000 bytes, 20000 characters)")
	addCmd.Flags().StringVar(&recommend, "recommend", "", "comma-separated level-2 specialists (id, login or extension), in order of preference")

	var listTopic string
	listCmd := &cobra.Command{
		Use:     "list",
		Short:   "List scripts, of one topic or all",
		Example: "  hotline script list --topic clinic-refusal",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withReader(cmd, func(ctx context.Context, s *journal.Store) error {
				scs, err := s.Scripts(ctx, listTopic)
				if err != nil {
					return err
				}
				return a.emit(cmd, scs, func(w io.Writer) { scriptTable(w, scs) })
			})
		},
	}
	listCmd.Flags().StringVar(&listTopic, "topic", "", "only this topic")

	showCmd := &cobra.Command{
		Use:     "show ID",
		Short:   "Show a script's text and its recommended specialists with their extensions",
		Example: "  hotline script show 3",
		Args:    exactArgs(1, "a script id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID("script id", args[0])
			if err != nil {
				return err
			}
			return a.withReader(cmd, func(ctx context.Context, s *journal.Store) error {
				sc, err := s.Script(ctx, id)
				if err != nil {
					return err
				}
				var ops []hotline.Operator
				for _, id := range sc.Recommended {
					o, err := s.Operator(ctx, id)
					if err != nil {
						return err
					}
					ops = append(ops, o)
				}
				res := struct {
					Script      hotline.Script     `json:"script"`
					Specialists []hotline.Operator `json:"specialists"`
				}{sc, ops}
				return a.emit(cmd, res, func(w io.Writer) {
					printf(w, "%s (topic %s)\n\n%s\n\nRECOMMENDED SPECIALISTS\n", sc.Title, sc.Topic, lines(sc.Text))
					operatorTable(w, ops)
				})
			})
		},
	}

	searchCmd := &cobra.Command{
		Use:     "search TEXT",
		Short:   "Find scripts by keyword in their title or text (case-insensitive; at most 100 characters)",
		Example: "  hotline script search полис",
		Args:    exactArgs(1, "the text to search"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(args[0]) == "" {
				return hotline.Errorf(hotline.EINVALID, "the search TEXT is empty")
			}
			return a.withReader(cmd, func(ctx context.Context, s *journal.Store) error {
				scs, err := s.SearchScripts(ctx, args[0])
				if err != nil {
					return err
				}
				return a.emit(cmd, scs, func(w io.Writer) { scriptTable(w, scs) })
			})
		},
	}
	cmd.AddCommand(addCmd, listCmd, showCmd, searchCmd)
	return cmd
}
