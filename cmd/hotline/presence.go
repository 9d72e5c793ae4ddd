package main

import (
	"context"
	"io"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/spf13/cobra"
)

// presenceHistory is `hotline operator history` in JSON: the operator and their presence events.
type presenceHistory struct {
	Operator hotline.Operator `json:"operator"`
	From     time.Time        `json:"from,omitzero"` // the period asked; zero: open
	To       time.Time        `json:"to,omitzero"`
	Events   []presenceLine   `json:"events"`
}

// presenceLine is one event with how long it lasted within the period.
type presenceLine struct {
	hotline.PresenceEvent         // its fields, flattened
	InForce               bool    `json:"in_force"` // the event in force at --from (before the period)
	Seconds               float64 `json:"seconds"`  // until the next event, --to or now
}

func newOperatorHistoryCmd(a *app) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "history ID|LOGIN|EXT",
		Short: "Show an operator's presence history: logins, logouts, pauses with reasons, unreachable handset",
		Long: `Every change of the operator's presence the daemon recorded: logged in (available), paused with
the reason code keyed (*23N) or given (hotline operator pause), resumed, logged out, handset
unreachable and back, and the presence restored when the daemon started. HOW says what caused it:
feature_code (the handset), admin (a command), handset (reachability), daemon_start, switchboard
(paused after missed offers). BY is who: the login of the administrator or operator who asked
(the account a command ran under, or the operator at their handset), or system for the daemon
itself; "-" for changes recorded before hotline kept it. FOR is how long it lasted, until the
next change, --to or now.

With --from, the first line is the presence in force at --from (marked "before"). DATE is
YYYY-MM-DD (local time); --to DATE includes that day.`,
		Example: `  hotline operator history ivanova --from 2026-11-23
  hotline operator history 1001 --from 2026-11-01 --to 2026-11-30 -o json`,
		Args: exactArgs(1, "an operator id, login or extension"),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := parseTime("from", from)
			if err != nil {
				return err
			}
			t, err := parseUntil("to", to, time.Local)
			if err != nil {
				return err
			}
			if !f.IsZero() && !t.IsZero() && !t.After(f) {
				return hotline.Errorf(hotline.EINVALID, "the range is empty: --to %s is before --from %s", to, from)
			}
			return a.withReader(cmd, func(ctx context.Context, s *journal.Store) error {
				o, err := operatorRef(ctx, s, args[0])
				if err != nil {
					return err
				}
				evs, err := s.PresenceHistory(ctx, o.ID, f, t)
				if err != nil {
					return err
				}
				h := presenceHistory{Operator: o, From: f, To: t, Events: presenceLines(evs, f, t, time.Now())}
				return a.emit(cmd, h, func(w io.Writer) { presenceTable(w, h) })
			})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "from this day (YYYY-MM-DD) or time (RFC 3339)")
	cmd.Flags().StringVar(&to, "to", "", "to this day, included (YYYY-MM-DD), or time (RFC 3339)")
	return cmd
}

// presenceLines gives each event its duration within [from, to), to cut at now.
func presenceLines(evs []hotline.PresenceEvent, from, to, now time.Time) []presenceLine {
	end := now
	if !to.IsZero() && to.Before(end) {
		end = to
	}
	out := make([]presenceLine, len(evs))
	for i, e := range evs {
		start, until := e.At, end
		if i+1 < len(evs) {
			until = evs[i+1].At
		}
		l := presenceLine{PresenceEvent: e, InForce: !from.IsZero() && e.At.Before(from)}
		if l.InForce {
			start = from
		}
		if until.After(start) {
			l.Seconds = until.Sub(start).Seconds()
		}
		out[i] = l
	}
	return out
}

func presenceTable(w io.Writer, h presenceHistory) {
	printf(w, "Operator %d %s (extension %s)\n", h.Operator.ID, h.Operator.Name, orDash(h.Operator.Extension))
	if len(h.Events) == 0 {
		printf(w, "No presence recorded in the period: logged out.\n")
		return
	}
	printf(w, "AT\tPRESENCE\tREASON\tHOW\tBY\tFOR\t\n")
	for _, l := range h.Events {
		at := l.At.Local().Format("2006-01-02 15:04:05")
		if l.InForce {
			at += " (before)"
		}
		printf(w, "%s\t%s\t%s\t%s\t%s\t%s\t\n", at, l.Presence, orDash(l.Reason), l.How, orDash(l.Actor), (time.Duration(l.Seconds) * time.Second).String())
	}
}
