package main

import (
	"context"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/spf13/cobra"
)

// newCallCmd: calls as the journal keeps them, apart from cases. A call is what Asterisk gave the
// hotline; a case is what a person registered about one or more calls.
func newCallCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "call",
		Short: "List the calls the hotline took, and register them as cases",
		Long: `A call is filed by hotline serve when it arrives; it opens no case. Outcomes: answered,
abandoned_greeting, abandoned_queue, abandoned_overflow, overflow_message, overflow_callback,
handed_over (sent to the dialplan's fallback while hotline stopped), failed. A call is given by its
id (42) or its Asterisk channel id. Caller numbers are stored in E.164 (+79121234567); a caller id
that is not a phone number (an extension, "anonymous") is kept as given, flagged.`,
	}
	cmd.AddCommand(newCallListCmd(a), newCallShowCmd(a), newCallAttachCmd(a), newCallRegisterCmd(a))
	return cmd
}

func newCallListCmd(a *app) *cobra.Command {
	var (
		from, to, outcome, operator, caller, line string
		unregistered                              bool
		limit, offset                             int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List calls, newest first, by date range, outcome, operator, caller and line",
		Example: `  hotline call list --from 2026-11-01 --outcome abandoned_queue,abandoned_greeting
  hotline call list --caller "8 912 123-45-67" -o json
  hotline call list --outcome answered --unregistered     # answered, but nobody registered a case`,
		Args: exactArgs(0, "no arguments (use flags)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkPaging(limit, offset); err != nil {
				return err
			}
			f := journal.CallFilter{Caller: caller, Line: line, Unregistered: unregistered, Limit: limit, Offset: offset}
			var err error
			if f.From, err = parseTime("from", from); err != nil {
				return err
			}
			if f.To, err = parseUntil("to", to, time.Local); err != nil {
				return err
			}
			for _, o := range splitList(outcome) {
				f.Outcomes = append(f.Outcomes, hotline.CallOutcome(o))
			}
			return a.withStore(cmd, func(ctx context.Context, s *journal.Store) error {
				if operator != "" {
					o, err := operatorRef(ctx, s, operator)
					if err != nil {
						return err
					}
					f.OperatorID = o.ID
				}
				calls, err := s.Calls(ctx, f)
				if err != nil {
					return err
				}
				return a.emit(cmd, calls, func(w io.Writer) { callTable(w, calls) })
			})
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&from, "from", "", "arrived on or after (YYYY-MM-DD or RFC 3339)")
	fs.StringVar(&to, "to", "", "arrived on or before this day (YYYY-MM-DD, included), or before this time (RFC 3339)")
	fs.StringVar(&outcome, "outcome", "", "comma-separated outcomes (see hotline call --help)")
	fs.StringVar(&operator, "operator", "", "first answered by this operator (id, login or extension)")
	fs.StringVar(&caller, "caller", "", "the caller's number, in any usual spelling (8 912…, +7 912…)")
	fs.StringVar(&line, "line", "", "the hotline number dialled, e.g. 100")
	fs.BoolVar(&unregistered, "unregistered", false, "only calls no case was registered for")
	fs.IntVar(&limit, "limit", 100, "at most this many (up to 10000)")
	fs.IntVar(&offset, "offset", 0, "skip this many (paging)")
	outcomes := make([]string, len(hotline.CallOutcomes))
	for i, o := range hotline.CallOutcomes {
		outcomes[i] = string(o)
	}
	_ = cmd.RegisterFlagCompletionFunc("outcome", fixed(outcomes...))
	return cmd
}

func callTable(w io.Writer, calls []hotline.Call) {
	printf(w, "ID\tARRIVED\tCALLER\tLINE\tOUTCOME\tWAIT\tOPERATOR\tCASES\n")
	for _, c := range calls {
		caller := orDash(c.CallerNumber)
		if c.CallerNumber != "" && !c.CallerValid {
			caller += " (not a number)"
		}
		cases := make([]string, len(c.Cases))
		for i, id := range c.Cases {
			cases[i] = idStr(id)
		}
		outcome := string(c.Outcome)
		if outcome == "" {
			outcome = "in progress"
		}
		if c.EndedAway {
			outcome += " (ended while hotline was away)"
		}
		printf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, fmtTime(c.ArrivedAt), caller, orDash(c.Line), outcome,
			c.QueueWait().Round(time.Second), orDash(idOrEmpty(c.OperatorID)), orDash(strings.Join(cases, ",")))
	}
}

func idOrEmpty(id int64) string {
	if id == 0 {
		return ""
	}
	return idStr(id)
}

func newCallShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "show CALL",
		Short:   "Show a call with its legs (who answered, waits, recordings) and the cases it is on",
		Example: "  hotline call show 42\n  hotline call show 1795438264.17 -o json",
		Args:    exactArgs(1, "a call id or channel id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd, func(ctx context.Context, s *journal.Store) error {
				id, err := callArg(ctx, s, args[0])
				if err != nil {
					return err
				}
				c, err := s.Call(ctx, id)
				if err != nil {
					return err
				}
				// What happened to the call besides its legs (an administrator listening, a cut by
				// Asterisk): the text output only, the JSON keeps its shape.
				hist, err := s.History(ctx, journal.HistoryFilter{Entity: journal.CallEntity, EntityID: strconv.FormatInt(id, 10)})
				if err != nil {
					return err
				}
				return a.emit(cmd, c, func(w io.Writer) {
					defer func() {
						if len(hist) == 0 {
							return
						}
						printf(w, "\nHISTORY\nAT\tBY\tWHAT\tDETAILS\n")
						for _, e := range hist {
							var details []string
							for _, ch := range e.Changes {
								details = append(details, ch.Field+"="+ch.To)
							}
							printf(w, "%s\t%s\t%s\t%s\n", fmtTime(e.At), e.Actor, e.Action, orDash(strings.Join(details, " ")))
						}
					}()
					callTable(w, []hotline.Call{c})
					printf(w, "\nChannel\t%s\n", c.Channel)
					if c.CallbackFor != "" {
						printf(w, "Calls back\t%s\n", c.CallbackFor)
					}
					printf(w, "\nLEGS\nARRIVED\tOPERATOR\tQUEUE WAIT\tRING\tTALK\tEND\tRECORDING\tFROM\n")
					for _, l := range c.Legs {
						printf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", fmtTime(l.ArrivedAt), orDash(idOrEmpty(l.OperatorID)),
							l.QueueWait().Round(time.Second), l.RingTime().Round(time.Second), l.TalkTime().Round(time.Second), orDash(string(l.End)),
							orDash(l.RecordingName), orDash(idOrEmpty(l.TransferredFrom)))
					}
				})
			})
		},
	}
}

func newCallAttachCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "attach CALL CASE",
		Short:   "Put a call on one of the caller's earlier cases instead of a new card (manual §5.1.7)",
		Example: `  hotline call attach 42 2026-000123`,
		Args:    exactArgs(2, "a call (id or channel id) and a case (id or number)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd, func(ctx context.Context, s *journal.Store) error {
				by, err := a.actor(ctx, s)
				if err != nil {
					return err
				}
				callID, err := callArg(ctx, s, args[0])
				if err != nil {
					return err
				}
				caseID, err := s.CaseRef(ctx, args[1])
				if err != nil {
					return err
				}
				if err := s.AttachCall(ctx, by, caseID, callID); err != nil {
					return err
				}
				c, err := s.Call(ctx, callID)
				if err != nil {
					return err
				}
				return a.emit(cmd, c, func(w io.Writer) { callTable(w, []hotline.Call{c}) })
			})
		},
	}
}

func newCallRegisterCmd(a *app) *cobra.Command {
	var f cardFlags
	var link string
	cmd := &cobra.Command{
		Use:   "register CALL",
		Short: "Register a new case card for a call, owned by you, linked to the caller's earlier cases you name",
		Long: `register opens a case «В работе» for the call (the caller's number comes from the call) and
attaches the call to it; --link names earlier cases of the caller to link (manual §5.1.7: the same
topic, or the person not satisfied with an earlier result). All or nothing.`,
		Example: `  hotline call register 42 --type consultation --topic policy-replace --description "утерян полис"
  hotline call register 42 --type complaint --topic clinic-refusal --link 2026-000100,2026-000117`,
		Args: exactArgs(1, "a call id or channel id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			due, err := parseTime("due", f.due)
			if err != nil {
				return err
			}
			return a.withStore(cmd, func(ctx context.Context, s *journal.Store) error {
				by, err := a.actor(ctx, s)
				if err != nil {
					return err
				}
				callID, err := callArg(ctx, s, args[0])
				if err != nil {
					return err
				}
				var links []int64
				for _, ref := range splitList(link) {
					id, err := s.CaseRef(ctx, ref)
					if err != nil {
						return err
					}
					links = append(links, id)
				}
				c := hotline.Case{CallerNumber: f.caller, Type: hotline.CaseType(f.typ), Topic: f.topic,
					Description: strings.TrimSpace(f.description), DueAt: due,
					Person: hotline.Person{FullName: strings.TrimSpace(f.name), BirthDate: f.birth, PolicyNumber: f.policy, Address: f.address}}
				if f.owner != "" {
					o, err := operatorRef(ctx, s, f.owner)
					if err != nil {
						return err
					}
					c.OwnerID = o.ID
				}
				if err := s.RegisterCall(ctx, by, callID, &c, links); err != nil {
					return err
				}
				return a.emit(cmd, c, func(w io.Writer) { caseTable(w, []hotline.Case{c}) })
			})
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&link, "link", "", "comma-separated earlier cases of the caller to link (ids or numbers)")
	return cmd
}

// callArg resolves the CALL argument (an id or a channel id), its errors naming it.
func callArg(ctx context.Context, s *journal.Store, ref string) (int64, error) {
	id, err := s.CallRef(ctx, ref)
	if err != nil {
		return 0, forFlag("CALL", err)
	}
	return id, nil
}
