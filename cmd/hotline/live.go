package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/control"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/switchboard"
	"github.com/spf13/cobra"
)

// defaultSocket is the daemon's local API socket (config api.socket).
const defaultSocket = "/run/hotline/hotline.sock"

func socketFlag(cmd *cobra.Command, p *string) {
	def := os.Getenv("HOTLINE_API_SOCKET")
	if def == "" {
		def = defaultSocket
	}
	cmd.Flags().StringVar(p, "socket", def, "the running daemon's API socket (env HOTLINE_API_SOCKET)")
}

// checkSocket fails at once, naming --socket, when no daemon can be listening at path.
func checkSocket(path string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return hotline.Errorf(hotline.EUNAVAILABLE, "no hotline daemon at %s (--socket, env HOTLINE_API_SOCKET): is `hotline serve` running?", path)
	case err != nil:
		return hotline.Wrapf(hotline.EUNAVAILABLE, err, "cannot reach the hotline daemon at %s (--socket): %v", path, unwrapPath(err))
	case st.Mode()&fs.ModeSocket == 0:
		return hotline.Errorf(hotline.EINVALID, "--socket %s is not a socket (%s)", path, fileKind(st.Mode()))
	}
	return nil
}

func newStatusCmd(a *app) *cobra.Command {
	var socket string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the live queue and operators of the running daemon",
		Long: `status asks the running 'hotline serve' for the callers waiting (position, wait) and the
operators (state, since when, calls today).`,
		Example: "  hotline status\n  hotline status -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkSocket(socket); err != nil {
				return err
			}
			st, err := control.NewClient(socket).Status(cmd.Context())
			if err != nil {
				return err
			}
			return a.emit(cmd, st, func(w io.Writer) { statusTable(w, st) })
		},
	}
	socketFlag(cmd, &socket)
	return cmd
}

func statusTable(w io.Writer, st switchboard.Status) {
	conn := "connected"
	if !st.Connected {
		conn = "NOT CONNECTED to Asterisk"
	}
	printf(w, "%s  asterisk %s  calls %d  waiting %d", st.At.Format("2006-01-02 15:04:05"), conn, st.Calls, len(st.Queue))
	if st.JournalBacklog > 0 {
		printf(w, "  journal writes waiting %d", st.JournalBacklog)
	}
	if st.Draining {
		printf(w, "  DRAINING: new calls go to the dialplan's fallback")
	}
	if sb := st.Standby; sb != nil {
		printf(w, "  role %s (journal lease epoch %d, holder %s)", sb.Role, sb.LeaseEpoch, sb.LeaseHolder)
	}
	printf(w, "\n\n")
	printf(w, "POS\tCALLER\tOPEN CASES\tWAITING\tRINGING\tNOTE\n")
	for _, q := range st.Queue {
		note := ""
		if q.Callback {
			note = "callback"
		} else if q.Priority > 0 {
			note = "priority"
		}
		ringing := ""
		if q.OfferedTo != 0 {
			ringing = idStr(q.OfferedTo)
		}
		printf(w, "%d\t%s\t%d\t%s\t%s\t%s\n", q.Position, q.CallerNumber, q.OpenCases, q.Waiting.Round(time.Second), ringing, note)
	}
	ops := append([]switchboard.OperatorStatus(nil), st.Operators...)
	sort.Slice(ops, func(i, j int) bool { return ops[i].ID < ops[j].ID })
	printf(w, "\nID\tNAME\tEXT\tSTATE\tSINCE\tREASON\tCALLS TODAY\tMISSED\n")
	for _, o := range ops {
		since := ""
		if !o.Since.IsZero() {
			since = st.At.Sub(o.Since).Round(time.Second).String()
		}
		printf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", o.ID, o.Name, o.Extension, o.Presence, since, o.Reason, o.CallsToday, o.Missed)
	}
}

// newLiveOperatorCmds are the operator commands that act on the running daemon, not the journal.
// The daemon decides who may: an administrator on anyone, an operator on themself, by the
// operating-system account the command runs under (--as is sent along, and only logged).
func newLiveOperatorCmds(a *app) []*cobra.Command {
	type action struct {
		use, short, example string
		do                  func(ctx context.Context, c *control.Client, id int64, reason string) error
	}
	actions := []action{
		{"pause ID|LOGIN|EXT", "Pause an operator in the running daemon (no calls offered)", "  hotline operator pause 1001 --reason 2",
			func(ctx context.Context, c *control.Client, id int64, reason string) error {
				return c.Pause(ctx, id, reason)
			}},
		{"resume ID|LOGIN|EXT", "End an operator's pause", "  hotline operator resume ivanova",
			func(ctx context.Context, c *control.Client, id int64, _ string) error { return c.Resume(ctx, id) }},
		{"login ID|LOGIN|EXT", "Log an operator in (as feature code *21 does)", "  hotline operator login 1001",
			func(ctx context.Context, c *control.Client, id int64, _ string) error { return c.Login(ctx, id) }},
		{"logout ID|LOGIN|EXT", "Log an operator out; a call in progress goes on to its end", "  hotline operator logout 1001",
			func(ctx context.Context, c *control.Client, id int64, _ string) error { return c.Logout(ctx, id) }},
	}
	const who = `
The running daemon decides who may, from the operating-system account this command runs under
(the socket's peer credentials), not from --as: root, the daemon's own account and
administrators may act on anyone, an operator on themself only. The presence history records
who it was (hotline operator history).`
	var cmds []*cobra.Command
	for _, act := range actions {
		var socket, reason string
		cmd := &cobra.Command{
			Use:     act.use,
			Short:   act.short,
			Long:    act.short + "." + who,
			Example: act.example,
			Args:    exactArgs(1, "an operator id, login or extension"),
			RunE: func(cmd *cobra.Command, args []string) error {
				if err := hotline.ValidPauseReason(reason); err != nil {
					return forFlag("--reason", err)
				}
				if err := checkSocket(socket); err != nil {
					return err
				}
				c := a.client(socket)
				id, err := a.liveOperatorRef(cmd, c, args[0])
				if err != nil {
					return err
				}
				return act.do(cmd.Context(), c, id, reason)
			},
		}
		socketFlag(cmd, &socket)
		if act.use[:5] == "pause" {
			cmd.Flags().StringVar(&reason, "reason", "", "pause reason code: a digit 0-9, as keyed with *23N on a handset (default: none)")
		}
		cmds = append(cmds, cmd)
	}
	var socket string
	reload := &cobra.Command{
		Use:   "reload",
		Short: "Make the running daemon re-read the operators from the journal",
		Long: `reload tells the running 'hotline serve' that operators changed in the journal. operator add,
update and remove do it themselves when a daemon runs; this is for when that failed (they then
warn), or after a journal was changed another way. Live presence is kept; an operator removed
from service while logged in is logged out.`,
		Example: "  hotline operator reload",
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkSocket(socket); err != nil {
				return err
			}
			return a.client(socket).ReloadOperators(cmd.Context())
		},
	}
	socketFlag(reload, &socket)
	return append(cmds, reload, newListenCmd(a))
}

// newListenCmd is the board's listen, whisper and barge for an administrator at a shell.
func newListenCmd(a *app) *cobra.Command {
	var socket, mode string
	cmd := &cobra.Command{
		Use:   "listen ID|LOGIN|EXT",
		Short: "Listen to an operator's call on your own device (administrators)",
		Long: `listen rings your own device (the extension of your operator record; for root or the daemon's
account, the administrator whose login it is) and lets you hear the operator's call now:
--mode listen (you hear both, nobody hears you), whisper (the operator hears you, the caller
does not), barge (both hear you), stop (end it). Run it again with another --mode to change how
you take part. Administrators only; every step is in the call's history.`,
		Example: "  hotline operator listen 1001\n  hotline operator listen 1001 --mode whisper\n  hotline operator listen 1001 --mode stop",
		Args:    exactArgs(1, "an operator id, login or extension"),
		RunE: func(cmd *cobra.Command, args []string) error {
			m := switchboard.ListenMode(mode)
			if !m.Valid() {
				return forFlag("--mode", hotline.Errorf(hotline.EINVALID, "--mode is listen, whisper, barge or stop, not %s", quote(mode)))
			}
			if err := checkSocket(socket); err != nil {
				return err
			}
			c := a.client(socket)
			id, err := a.liveOperatorRef(cmd, c, args[0])
			if err != nil {
				return err
			}
			st, err := c.Status(cmd.Context())
			if err != nil {
				return err
			}
			for _, o := range st.Operators {
				if o.ID == id && o.Presence == hotline.PresenceTalking && o.CallID != "" {
					return c.Listen(cmd.Context(), o.CallID, m)
				}
			}
			return hotline.Errorf(hotline.ECONFLICT, "operator %s is not talking on a call now", quote(args[0]))
		},
	}
	socketFlag(cmd, &socket)
	cmd.Flags().StringVar(&mode, "mode", string(switchboard.ListenSilent), "listen, whisper, barge or stop")
	_ = cmd.RegisterFlagCompletionFunc("mode", fixed("listen", "whisper", "barge", "stop"))
	return cmd
}

// liveOperatorRef finds the operator ref names (id, login or extension) in the journal; an
// operator's account usually cannot open the journal (it is the daemon's, mode 0600), so then the
// running daemon's status is asked instead, which knows ids and extensions but not logins.
func (a *app) liveOperatorRef(cmd *cobra.Command, c *control.Client, ref string) (int64, error) {
	var id int64
	err := a.withStore(cmd, func(ctx context.Context, s *journal.Store) error {
		o, err := operatorRef(ctx, s, ref)
		id = o.ID
		return err
	})
	if hotline.ErrorCode(err) != hotline.EUNAVAILABLE {
		return id, err
	}
	st, serr := c.Status(cmd.Context())
	if serr != nil {
		return 0, err // the journal's error says more than the daemon's
	}
	for _, match := range []func(o switchboard.OperatorStatus) bool{
		func(o switchboard.OperatorStatus) bool { return idStr(o.ID) == ref },
		func(o switchboard.OperatorStatus) bool { return o.Extension != "" && o.Extension == ref },
	} {
		for _, o := range st.Operators {
			if match(o) {
				return o.ID, nil
			}
		}
	}
	return 0, hotline.Errorf(hotline.ENOTFOUND, "the journal cannot be read here (%s), and the running daemon has no operator with id or extension %q: give an id or extension from `hotline status`",
		hotline.ErrorMessage(err), ref)
}

// client is the running daemon's API at socket, told who the command claims to act as.
func (a *app) client(socket string) *control.Client {
	c := control.NewClient(socket)
	c.As = a.as
	return c
}

// daemonTimeout bounds how long an operator change waits for the running daemon's reload.
const daemonTimeout = 10 * time.Second

// reloadDaemon tells the daemon at socket, if one runs, that operators changed. No daemon is no
// news: said nothing. A daemon that cannot be told is a warning: the change is in the journal all
// the same, and the daemon reads it at its next start or at hotline operator reload.
func (a *app) reloadDaemon(cmd *cobra.Command, socket string) {
	ctx, cancel := context.WithTimeout(cmd.Context(), daemonTimeout)
	defer cancel()
	err := a.client(socket).ReloadOperators(ctx)
	if err == nil || errors.Is(err, control.ErrNoDaemon) {
		return
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "hotline: warning: the journal has the change, but the running daemon (%s) did not reload its operators: %s\n"+
		"  it applies at the daemon's next start, or run `hotline operator reload` as root, the daemon's account or an operator\n",
		socket, hotline.ErrorMessage(err))
}
