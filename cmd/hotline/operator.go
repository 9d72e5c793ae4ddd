package main

import (
	"context"
	"io"
	"strings"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// operatorFlags are the fields add and update share.
type operatorFlags struct {
	name, login, role, org, ext, topics, langs string
	level, max, priority                       int
}

func (f *operatorFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.name, "name", "", "full name, as the directory shows it")
	fs.StringVar(&f.login, "login", "", "operating-system login that acts as this operator")
	fs.StringVar(&f.role, "role", "operator", "operator or administrator")
	fs.IntVar(&f.level, "level", 1, "1 (answers the hotline) or 2 (specialist)")
	fs.StringVar(&f.org, "org", "", "organisation of a level-2 specialist, e.g. an insurer")
	fs.StringVar(&f.ext, "ext", "", "handset extension (SIP endpoint), e.g. 1001")
	fs.StringVar(&f.topics, "topics", "", "comma-separated topic codes handled (empty: any)")
	fs.StringVar(&f.langs, "languages", "", "comma-separated languages, e.g. ru,en")
	fs.IntVar(&f.max, "max-concurrent", 0, "cases in work at once (0: no limit)")
	fs.IntVar(&f.priority, "priority", 0, "routing tier: lower is offered calls first")
}

// apply copies the flags the user set onto o.
func (f *operatorFlags) apply(fs *pflag.FlagSet, o *hotline.Operator) {
	set := map[string]func(){
		"name": func() { o.Name = strings.TrimSpace(f.name) }, "login": func() { o.Login = f.login },
		"role": func() { o.Role = hotline.Role(f.role) }, "level": func() { o.Level = hotline.Level(f.level) },
		"org": func() { o.Organisation = f.org }, "ext": func() { o.Extension = f.ext },
		"topics": func() { o.Topics = splitList(f.topics) }, "languages": func() { o.Languages = splitList(f.langs) },
		"max-concurrent": func() { o.MaxConcurrent = f.max }, "priority": func() { o.Priority = f.priority },
	}
	for name, fn := range set {
		if fs.Changed(name) {
			fn()
		}
	}
}

func operatorTable(w io.Writer, ops []hotline.Operator) {
	printf(w, "ID\tNAME\tLOGIN\tROLE\tLEVEL\tEXT\tORGANISATION\tTOPICS\tACTIVE\n")
	for _, o := range ops {
		printf(w, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%v\n", o.ID, o.Name, orDash(o.Login), o.Role, o.Level, orDash(o.Extension),
			orDash(o.Organisation), orDash(strings.Join(o.Topics, ",")), o.Active)
	}
}

// reloadNote ends the help of the commands that change operators.
const reloadNote = `

A running daemon (hotline serve, found at --socket) is told at once to reload its operators;
without one nothing is said. If the daemon cannot be told, a warning says so: the change is in
the journal and applies at the daemon's next start, or at 'hotline operator reload'.`

func newOperatorCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "operator", Short: "Manage operators and specialists (administrators only)"}

	var add operatorFlags
	var addSocket, updSocket, rmSocket string
	addCmd := &cobra.Command{
		Use:   "add",
		Short: "Add an operator or a level-2 specialist",
		Long:  "While the journal has no administrator, anyone may add the first one." + reloadNote,
		Example: `  hotline operator add --name "Иванова И.И." --login ivanova --ext 1001
  hotline operator add --name "Сидорова С.С." --level 2 --org "СК Капитал МС" --ext 2001 --topics clinic-refusal
  hotline operator add --name "Админова А.А." --login admin --role administrator`,
		Args: exactArgs(0, "no arguments (use flags)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var o hotline.Operator
			err := a.withStore(cmd, func(ctx context.Context, s *journal.Store) error {
				by, err := a.actor(ctx, s)
				if err != nil {
					return err
				}
				o = hotline.Operator{Role: hotline.RoleOperator, Level: hotline.Level1}
				add.apply(cmd.Flags(), &o)
				return s.AddOperator(ctx, by, &o)
			})
			if err != nil {
				return err
			}
			a.reloadDaemon(cmd, addSocket)
			return a.emit(cmd, o, func(w io.Writer) { operatorTable(w, []hotline.Operator{o}) })
		},
	}
	add.register(addCmd.Flags())
	socketFlag(addCmd, &addSocket)
	_ = addCmd.RegisterFlagCompletionFunc("role", fixed("operator", "administrator"))

	var (
		all   bool
		level int
		topic string
	)
	listCmd := &cobra.Command{
		Use:     "list",
		Short:   "List operators in service",
		Example: "  hotline operator list --level 2 --topic clinic-refusal\n  hotline operator list --all -o json",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withReader(cmd, func(ctx context.Context, s *journal.Store) error {
				ops, err := s.Operators(ctx, journal.OperatorFilter{IncludeRemoved: all, Level: hotline.Level(level), Topic: topic})
				if err != nil {
					return err
				}
				return a.emit(cmd, ops, func(w io.Writer) { operatorTable(w, ops) })
			})
		},
	}
	listCmd.Flags().BoolVar(&all, "all", false, "include operators removed from service")
	listCmd.Flags().IntVar(&level, "level", 0, "only this level (1 or 2)")
	listCmd.Flags().StringVar(&topic, "topic", "", "only operators handling this topic")

	showCmd := &cobra.Command{
		Use:     "show ID|LOGIN|EXT",
		Short:   "Show an operator and the history of changes to it",
		Example: "  hotline operator show ivanova",
		Args:    exactArgs(1, "an operator id, login or extension"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withReader(cmd, func(ctx context.Context, s *journal.Store) error {
				o, err := operatorRef(ctx, s, args[0])
				if err != nil {
					return err
				}
				evs, err := s.History(ctx, journal.HistoryFilter{Entity: "operator", EntityID: idStr(o.ID)})
				if err != nil {
					return err
				}
				res := struct {
					Operator hotline.Operator `json:"operator"`
					History  []journal.Event  `json:"history"`
				}{o, evs}
				return a.emit(cmd, res, func(w io.Writer) {
					operatorTable(w, []hotline.Operator{o})
					printf(w, "\nHISTORY\n")
					historyTable(w, evs)
				})
			})
		},
	}

	var (
		upd        operatorFlags
		reactivate bool
	)
	updateCmd := &cobra.Command{
		Use:     "update ID|LOGIN|EXT",
		Short:   "Change an operator's fields (only the flags given)",
		Long:    "update changes only the fields whose flags are given." + reloadNote,
		Example: "  hotline operator update ivanova --ext 1005 --max-concurrent 3\n  hotline operator update 4 --role administrator\n  hotline operator update petrov --reactivate",
		Args:    exactArgs(1, "an operator id, login or extension"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var o hotline.Operator
			err := a.withStore(cmd, func(ctx context.Context, s *journal.Store) error {
				by, err := a.actor(ctx, s)
				if err != nil {
					return err
				}
				if o, err = operatorRef(ctx, s, args[0]); err != nil {
					return err
				}
				o, err = s.UpdateOperator(ctx, by, o.ID, func(o *hotline.Operator) error {
					upd.apply(cmd.Flags(), o)
					if reactivate {
						o.Active = true
					}
					return nil
				})
				return err
			})
			if err != nil {
				return err
			}
			a.reloadDaemon(cmd, updSocket)
			return a.emit(cmd, o, func(w io.Writer) { operatorTable(w, []hotline.Operator{o}) })
		},
	}
	upd.register(updateCmd.Flags())
	socketFlag(updateCmd, &updSocket)
	updateCmd.Flags().BoolVar(&reactivate, "reactivate", false, "put a removed operator back in service")

	removeCmd := &cobra.Command{
		Use:     "remove ID|LOGIN|EXT",
		Short:   "Take an operator out of service (kept for the history of their cases)",
		Long:    "remove takes an operator out of service; their cases and history are kept. Logged in, they are logged out." + reloadNote,
		Example: "  hotline operator remove petrov",
		Args:    exactArgs(1, "an operator id, login or extension"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var o hotline.Operator
			err := a.withStore(cmd, func(ctx context.Context, s *journal.Store) error {
				by, err := a.actor(ctx, s)
				if err != nil {
					return err
				}
				if o, err = operatorRef(ctx, s, args[0]); err != nil {
					return err
				}
				return s.RemoveOperator(ctx, by, o.ID)
			})
			if err != nil {
				return err
			}
			o.Active = false
			a.reloadDaemon(cmd, rmSocket)
			return a.emit(cmd, o, func(w io.Writer) { printf(w, "operator %d (%s) removed from service\n", o.ID, o.Name) })
		},
	}
	socketFlag(removeCmd, &rmSocket)
	cmd.AddCommand(addCmd, listCmd, showCmd, updateCmd, removeCmd)
	return cmd
}
