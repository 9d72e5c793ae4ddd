package main

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/spf13/cobra"
)

func caseTable(w io.Writer, cs []hotline.Case) {
	printf(w, "NUMBER\tCREATED\tSTATUS\tTYPE\tTOPIC\tCALLER\tOWNER\tDUE\tRESULT\n")
	for _, c := range cs {
		printf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Number, fmtTime(c.CreatedAt), c.Status, orDash(string(c.Type)),
			orDash(c.Topic), orDash(c.CallerNumber), orDash(idField(c.OwnerID)), fmtTime(c.DueAt), orDash(string(c.Result)))
	}
}

func idField(id int64) string {
	if id == 0 {
		return ""
	}
	return idStr(id)
}

func historyTable(w io.Writer, evs []journal.Event) {
	printf(w, "WHEN\tWHO\tWHAT\tCHANGES\n")
	for _, e := range evs {
		var ch []string
		for _, c := range e.Changes {
			ch = append(ch, c.Field+": "+orDash(c.From)+" → "+orDash(c.To))
		}
		printf(w, "%s\t%s\t%s %s %s\t%s\n", fmtTime(e.At), e.Actor, e.Action, e.Entity, e.EntityID, strings.Join(ch, "; "))
	}
}

// caseCmd builds a command acting on one case REF (id or number) as the actor.
func (a *app) caseCmd(use, short, example string, nargs int, fn func(ctx context.Context, s *journal.Store, by hotline.Actor, id int64, args []string) (hotline.Case, error)) *cobra.Command {
	return &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    exactArgs(nargs, "a case id or number (see Usage)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withStore(cmd, func(ctx context.Context, s *journal.Store) error {
				id, err := s.CaseRef(ctx, args[0])
				if err != nil {
					return err
				}
				by, err := a.actor(ctx, s)
				if err != nil {
					return err
				}
				c, err := fn(ctx, s, by, id, args)
				if err != nil {
					return err
				}
				return a.emit(cmd, c, func(w io.Writer) { caseTable(w, []hotline.Case{c}) })
			})
		},
	}
}

func newCaseCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "case",
		Short: "Register and work cases (обращения) in the journal",
		Long: `Statuses: in_progress «В работе», delayed_answer «Отсроченный ответ» (the owner must call the
person back), under_review «На рассмотрении» (closed by the operator, awaiting the administrator),
approved (closed for good). Results: answered, measures_taken, forwarded_with_notice
«Переадресация с уведомлением обратившегося», on_control_extended «Находится на контроле, сроки
рассмотрения продлены». A case is given by its id (123) or number (2026-000123).`,
	}
	cmd.AddCommand(newCaseNewCmd(a), newCaseListCmd(a), newCaseShowCmd(a), newCaseUpdateCmd(a), newCaseHistoryCmd(a))

	var fwdTo, fwdComment string
	forward := a.caseCmd("forward REF --to OPERATOR --comment TEXT",
		"Close with «Переадресация с уведомлением обратившегося»: the case becomes a delayed answer for OPERATOR",
		`  hotline case forward 2026-000123 --to sidorova --comment "передано страховому представителю"`, 1,
		func(ctx context.Context, s *journal.Store, by hotline.Actor, id int64, _ []string) (hotline.Case, error) {
			if err := required(map[string]string{"to": fwdTo, "comment": fwdComment}, "to", "comment"); err != nil {
				return hotline.Case{}, err
			}
			o, err := operatorRef(ctx, s, fwdTo)
			if err != nil {
				return hotline.Case{}, forFlag("--to", err)
			}
			return s.CloseCase(ctx, by, id, hotline.Closing{Result: hotline.ResultForwarded, Comment: fwdComment, ForwardTo: o.ID})
		})
	forward.Flags().StringVar(&fwdTo, "to", "", "the operator who takes the case (id, login or extension)")
	forward.Flags().StringVar(&fwdComment, "comment", "", "what was done and why it is forwarded")

	var extUntil, extReason string
	extend := a.caseCmd("extend REF --until DATE --reason TEXT",
		"Close with «Находится на контроле, сроки рассмотрения продлены»: the administrator approves the new date",
		`  hotline case extend 123 --until 2026-12-20 --reason "ожидается ответ медицинской организации"`, 1,
		func(ctx context.Context, s *journal.Store, by hotline.Actor, id int64, _ []string) (hotline.Case, error) {
			if err := required(map[string]string{"until": extUntil, "reason": extReason}, "until", "reason"); err != nil {
				return hotline.Case{}, err
			}
			until, err := parseTime("until", extUntil)
			if err != nil {
				return hotline.Case{}, err
			}
			return s.CloseCase(ctx, by, id, hotline.Closing{Result: hotline.ResultExtended, Comment: extReason, ExtendTo: until})
		})
	extend.Flags().StringVar(&extUntil, "until", "", "the new review date (YYYY-MM-DD), in the future")
	extend.Flags().StringVar(&extReason, "reason", "", "why the deadline is extended")

	var closeResult, closeComment string
	closeCmd := a.caseCmd("close REF --result RESULT --comment TEXT",
		"Close a case in progress: it goes under review for the administrator",
		`  hotline case close 123 --result answered --comment "разъяснён порядок замены полиса"`, 1,
		func(ctx context.Context, s *journal.Store, by hotline.Actor, id int64, _ []string) (hotline.Case, error) {
			r := hotline.Result(closeResult)
			switch r {
			case hotline.ResultAnswered, hotline.ResultMeasuresTaken:
			case hotline.ResultForwarded, hotline.ResultExtended:
				return hotline.Case{}, hotline.Errorf(hotline.EINVALID, "--result %s: use `hotline case forward` or `hotline case extend`", r)
			case "":
				return hotline.Case{}, hotline.Errorf(hotline.EINVALID, "--result is required: answered or measures_taken")
			default:
				return hotline.Case{}, hotline.Errorf(hotline.EINVALID, "--result must be answered or measures_taken, not %s", quote(closeResult))
			}
			if err := required(map[string]string{"comment": closeComment}, "comment"); err != nil {
				return hotline.Case{}, err
			}
			return s.CloseCase(ctx, by, id, hotline.Closing{Result: r, Comment: closeComment})
		})
	closeCmd.Flags().StringVar(&closeResult, "result", "", "answered or measures_taken")
	closeCmd.Flags().StringVar(&closeComment, "comment", "", "the measures taken")
	_ = closeCmd.RegisterFlagCompletionFunc("result", fixed("answered", "measures_taken"))

	approve := a.caseCmd("approve REF", "Approve a case under review (administrators only); an approved extension keeps the case on control until the new date",
		"  hotline --as admin case approve 2026-000123", 1,
		func(ctx context.Context, s *journal.Store, by hotline.Actor, id int64, _ []string) (hotline.Case, error) {
			return s.ApproveCase(ctx, by, id)
		})

	var retReason string
	ret := a.caseCmd("return REF --reason TEXT", "Return a case under review to its owner, in progress (administrators only)",
		`  hotline case return 123 --reason "не указана дата приёма"`, 1,
		func(ctx context.Context, s *journal.Store, by hotline.Actor, id int64, _ []string) (hotline.Case, error) {
			if err := required(map[string]string{"reason": retReason}, "reason"); err != nil {
				return hotline.Case{}, err
			}
			return s.ReturnCase(ctx, by, id, retReason)
		})
	ret.Flags().StringVar(&retReason, "reason", "", "what the owner must fix")

	var reopenReason string
	reopen := a.caseCmd("reopen REF --reason TEXT", "Put an approved case back in progress (administrators only)",
		`  hotline case reopen 123 --reason "повторное обращение по тому же вопросу"`, 1,
		func(ctx context.Context, s *journal.Store, by hotline.Actor, id int64, _ []string) (hotline.Case, error) {
			if err := required(map[string]string{"reason": reopenReason}, "reason"); err != nil {
				return hotline.Case{}, err
			}
			return s.ReopenCase(ctx, by, id, reopenReason)
		})
	reopen.Flags().StringVar(&reopenReason, "reason", "", "why the case is reopened")

	link := a.caseCmd("link REF EARLIER", "Link a case to an earlier case of the same person",
		"  hotline case link 2026-000200 2026-000123", 2,
		func(ctx context.Context, s *journal.Store, by hotline.Actor, id int64, args []string) (hotline.Case, error) {
			other, err := s.CaseRef(ctx, args[1])
			if err != nil {
				return hotline.Case{}, err
			}
			if err := s.LinkCases(ctx, by, id, other); err != nil {
				return hotline.Case{}, err
			}
			return s.Case(ctx, id)
		})
	cmd.AddCommand(forward, extend, closeCmd, approve, ret, reopen, link)
	return cmd
}

// cardFlags are the card fields new and update share.
type cardFlags struct {
	caller, name, birth, policy, address, typ, topic, description, due, owner string
}

func (f *cardFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.caller, "caller", "", "the caller's phone number, e.g. +78652123456")
	fs.StringVar(&f.name, "name", "", "the person's full name")
	fs.StringVar(&f.birth, "birth-date", "", "the person's birth date, YYYY-MM-DD")
	fs.StringVar(&f.policy, "policy", "", "the compulsory medical insurance policy number")
	fs.StringVar(&f.address, "address", "", "the person's address")
	fs.StringVar(&f.typ, "type", "", "complaint, consultation, application, proposal or gratitude")
	fs.StringVar(&f.topic, "topic", "", "the topic's code (see hotline topic search)")
	fs.StringVar(&f.description, "description", "", "what the person asked or reported")
	fs.StringVar(&f.due, "due", "", "the review date, YYYY-MM-DD")
	fs.StringVar(&f.owner, "owner", "", "the operator who must act on it (id, login or extension)")
	_ = cmd.RegisterFlagCompletionFunc("type", fixed(caseTypes()...))
}

func newCaseNewCmd(a *app) *cobra.Command {
	var f cardFlags
	var channel string
	cmd := &cobra.Command{
		Use:   "new",
		Short: "Register a case; it starts «В работе», owned by you unless --owner",
		Example: `  hotline case new --caller +78652123456 --type consultation --topic policy-replace --description "утерян полис"
  hotline case new --channel written --type complaint --topic clinic-refusal --name "Смирнов С.С." --policy 2650000000000001`,
		Args: exactArgs(0, "no arguments (use flags)"),
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
				c := hotline.Case{Channel: hotline.Channel(channel), CallerNumber: f.caller, Type: hotline.CaseType(f.typ), Topic: f.topic,
					Description: strings.TrimSpace(f.description), DueAt: due,
					Person: hotline.Person{FullName: strings.TrimSpace(f.name), BirthDate: f.birth, PolicyNumber: f.policy, Address: f.address}}
				if f.owner != "" {
					o, err := operatorRef(ctx, s, f.owner)
					if err != nil {
						return forFlag("--owner", err)
					}
					c.OwnerID = o.ID
				}
				if err := s.NewCase(ctx, by, &c); err != nil {
					return err
				}
				return a.emit(cmd, c, func(w io.Writer) { caseTable(w, []hotline.Case{c}) })
			})
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&channel, "channel", "phone", "phone, written, email or in_person")
	_ = cmd.RegisterFlagCompletionFunc("channel", fixed("phone", "written", "email", "in_person"))
	return cmd
}

func newCaseUpdateCmd(a *app) *cobra.Command {
	var (
		f                        cardFlags
		inProgress               bool
		docNumber, docDate, file string
	)
	var cmd *cobra.Command
	changedFlag := func(name string) bool { return cmd.Flags().Changed(name) }
	cmd = a.caseCmd("update REF [flags]", "Edit a case card, set a delayed answer in progress, or attach a document",
		`  hotline case update 123 --topic clinic-refusal --description "отказ в записи к терапевту"
  hotline case update 123 --in-progress          # after calling the person back
  hotline case update 123 --doc-number 15-01/77 --doc-date 2026-11-20 --doc-file /srv/docs/77.pdf
  hotline --as admin case update 123 --owner petrov`, 1,
		func(ctx context.Context, s *journal.Store, by hotline.Actor, id int64, _ []string) (hotline.Case, error) {
			var u journal.CaseUpdate
			u.SetInProgress = inProgress
			str := func(name string, v string) *string {
				if changedFlag(name) {
					return &v
				}
				return nil
			}
			u.CallerNumber, u.FullName, u.BirthDate = str("caller", f.caller), str("name", f.name), str("birth-date", f.birth)
			u.PolicyNumber, u.Address, u.Topic, u.Description = str("policy", f.policy), str("address", f.address), str("topic", f.topic), str("description", f.description)
			if changedFlag("type") {
				t := hotline.CaseType(f.typ)
				u.Type = &t
			}
			if changedFlag("due") {
				due, err := parseTime("due", f.due)
				if err != nil {
					return hotline.Case{}, err
				}
				u.DueAt = &due
			}
			if changedFlag("owner") {
				o, err := operatorRef(ctx, s, f.owner)
				if err != nil {
					return hotline.Case{}, forFlag("--owner", err)
				}
				u.OwnerID = &o.ID
			}
			card := u != (journal.CaseUpdate{})
			if changedFlag("doc-number") || changedFlag("doc-date") || changedFlag("doc-file") {
				// The card and the document are one edit: both are written or neither.
				u.Attachment = &hotline.Attachment{CaseID: id, DocumentNumber: docNumber, RegisteredOn: docDate, FilePath: file}
				if err := u.Attachment.Validate(); err != nil {
					return hotline.Case{}, forFlag("--doc-number, --doc-date or --doc-file", err)
				}
			}
			switch {
			case card:
				if _, err := s.UpdateCase(ctx, by, id, u); err != nil {
					return hotline.Case{}, err
				}
			case u.Attachment != nil:
				if err := s.AddAttachment(ctx, by, u.Attachment); err != nil {
					return hotline.Case{}, err
				}
			default:
				return hotline.Case{}, hotline.Errorf(hotline.EINVALID, "nothing to update: give at least one flag (see --help)")
			}
			return s.Case(ctx, id)
		})
	f.register(cmd)
	cmd.Flags().BoolVar(&inProgress, "in-progress", false, "set a delayed answer «В работе» (after calling the person back)")
	cmd.Flags().StringVar(&docNumber, "doc-number", "", "attach a document: its number (with the card's edit, if any, in one transaction)")
	cmd.Flags().StringVar(&docDate, "doc-date", "", "attach a document: its registration date, YYYY-MM-DD")
	cmd.Flags().StringVar(&file, "doc-file", "", "attach a document: the file's path")
	return cmd
}

func newCaseListCmd(a *app) *cobra.Command {
	var (
		from, to, status, typ, topic, operator, caller string
		limit, offset                                  int
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List cases, newest first, by date range, status, type, topic, operator and caller",
		Example: `  hotline case list --from 2026-11-01 --to 2026-12-01 --status under_review
  hotline case list --operator ivanova --status in_progress,delayed_answer -o json
  hotline case list --caller +78652123456`,
		Args: exactArgs(0, "no arguments (use flags)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkPaging(limit, offset); err != nil {
				return err
			}
			f := journal.CaseFilter{Type: hotline.CaseType(typ), Topic: topic, Caller: caller, Limit: limit, Offset: offset}
			var err error
			if f.From, err = parseTime("from", from); err != nil {
				return err
			}
			if f.To, err = parseUntil("to", to, time.Local); err != nil {
				return err
			}
			if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
				return hotline.Errorf(hotline.EINVALID, "the range is empty: --to %s is before --from %s", to, from)
			}
			for _, st := range splitList(status) {
				f.Statuses = append(f.Statuses, hotline.CaseStatus(st))
			}
			return a.withReader(cmd, func(ctx context.Context, s *journal.Store) error {
				if operator != "" {
					o, err := operatorRef(ctx, s, operator)
					if err != nil {
						return forFlag("--operator", err)
					}
					f.OperatorID = o.ID
				}
				cs, err := s.Cases(ctx, f)
				if err != nil {
					return err
				}
				return a.emit(cmd, cs, func(w io.Writer) { caseTable(w, cs) })
			})
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&from, "from", "", "registered on or after (YYYY-MM-DD or RFC 3339)")
	fs.StringVar(&to, "to", "", "registered on or before this day (YYYY-MM-DD, included), or before this time (RFC 3339)")
	fs.StringVar(&status, "status", "", "comma-separated: in_progress, delayed_answer, under_review, approved")
	fs.StringVar(&typ, "type", "", "case type")
	fs.StringVar(&topic, "topic", "", "topic code")
	fs.StringVar(&operator, "operator", "", "owned by this operator (id, login or extension)")
	fs.StringVar(&caller, "caller", "", "the caller's phone number")
	fs.IntVar(&limit, "limit", 100, "at most this many (1 to 10000)")
	fs.IntVar(&offset, "offset", 0, "skip this many (paging; 0 or more)")
	_ = cmd.RegisterFlagCompletionFunc("status", fixed("in_progress", "delayed_answer", "under_review", "approved"))
	_ = cmd.RegisterFlagCompletionFunc("type", fixed(caseTypes()...))
	return cmd
}

func newCaseShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "show REF",
		Short:   "Show a case card with its history, calls, linked cases and attachments",
		Example: "  hotline case show 2026-000123\n  hotline case show 123 -o json",
		Args:    exactArgs(1, "a case id or number"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withReader(cmd, func(ctx context.Context, s *journal.Store) error {
				id, err := s.CaseRef(ctx, args[0])
				if err != nil {
					return err
				}
				var v struct {
					Case        hotline.Case         `json:"case"`
					Calls       []hotline.Leg        `json:"calls"`
					Linked      []hotline.Case       `json:"linked"`
					Attachments []hotline.Attachment `json:"attachments"`
					History     []journal.Event      `json:"history"`
				}
				if v.Case, err = s.Case(ctx, id); err != nil {
					return err
				}
				if v.Calls, err = s.CaseLegs(ctx, id); err != nil {
					return err
				}
				if v.Linked, err = s.LinkedCases(ctx, id); err != nil {
					return err
				}
				if v.Attachments, err = s.Attachments(ctx, id); err != nil {
					return err
				}
				if v.History, err = s.History(ctx, journal.HistoryFilter{CaseID: id}); err != nil {
					return err
				}
				names := map[int64]string{}
				name := func(id int64) string {
					if id == 0 {
						return "-"
					}
					if n, ok := names[id]; ok {
						return n
					}
					n := idStr(id)
					if o, err := s.Operator(ctx, id); err == nil {
						n = o.Name + " (" + n + ")"
					}
					names[id] = n
					return n
				}
				return a.emit(cmd, v, func(w io.Writer) {
					c := v.Case
					printf(w, "Case\t%s (#%d)\nRegistered\t%s by %s, %s\nStatus\t%s\nType / topic\t%s / %s\nCaller\t%s\nPerson\t%s, born %s, policy %s, %s\nDescription\t%s\nOwner\t%s\nDue\t%s\nResult\t%s\nComment\t%s\n",
						c.Number, c.ID, fmtTime(c.CreatedAt), c.CreatedBy, c.Channel, c.Status, orDash(string(c.Type)), orDash(c.Topic),
						orDash(c.CallerNumber), orDash(c.Person.FullName), orDash(c.Person.BirthDate), orDash(c.Person.PolicyNumber), orDash(c.Person.Address),
						orDash(c.Description), name(c.OwnerID), fmtTime(c.DueAt), orDash(string(c.Result)), orDash(c.Comment))
					if !c.ExtendTo.IsZero() {
						printf(w, "Extension asked\t%s\n", fmtTime(c.ExtendTo))
					}
					if c.ReviewNote != "" {
						printf(w, "Administrator\t%s\n", c.ReviewNote)
					}
					printf(w, "\nCALLS\nCALL\tARRIVED\tOPERATOR\tQUEUE WAIT\tTALK\tEND\tRECORDING\tFROM\n")
					for _, l := range v.Calls {
						printf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.CallID, fmtTime(l.ArrivedAt), name(l.OperatorID), l.QueueWait().Round(time.Second),
							l.TalkTime().Round(time.Second), orDash(string(l.End)), orDash(l.RecordingName), name(l.TransferredFrom))
					}
					printf(w, "\nLINKED CASES\n")
					caseTable(w, v.Linked)
					printf(w, "\nATTACHMENTS\nDOCUMENT\tREGISTERED\tFILE\n")
					for _, at := range v.Attachments {
						printf(w, "%s\t%s\t%s\n", at.DocumentNumber, at.RegisteredOn, orDash(at.FilePath))
					}
					printf(w, "\nHISTORY\n")
					historyTable(w, v.History)
				})
			})
		},
	}
}

func newCaseHistoryCmd(a *app) *cobra.Command {
	var caller, policy, name string
	var limit int
	cmd := &cobra.Command{
		Use:   "history --caller NUMBER",
		Short: "A person's earlier cases with their status, by phone number or by person, to link a new case to",
		Example: `  hotline case history --caller +78652123456
  hotline case history --policy 2650000000000001 --name "Смирнов Сергей Сергеевич"`,
		Args: exactArgs(0, "no arguments (use flags)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkPaging(limit, 0); err != nil {
				return err
			}
			return a.withReader(cmd, func(ctx context.Context, s *journal.Store) error {
				cs, err := s.CallerHistory(ctx, journal.CallerQuery{Number: caller, PolicyNumber: policy, FullName: name}, limit)
				if err != nil {
					return err
				}
				return a.emit(cmd, cs, func(w io.Writer) { caseTable(w, cs) })
			})
		},
	}
	cmd.Flags().StringVar(&caller, "caller", "", "the caller's phone number")
	cmd.Flags().StringVar(&policy, "policy", "", "the person's policy number")
	cmd.Flags().StringVar(&name, "name", "", "the person's full name (exact, any case)")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many (1 to 10000)")
	return cmd
}
