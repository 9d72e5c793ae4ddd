package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Passwords of the workplace in the browser: `hotline admin init` and `hotline operator passwd`.
// A password is read from the terminal without echo (twice), or from standard input with
// --password-stdin; never from a flag, which other users see in the process list and the shell
// keeps in its history.

// secretReader reads one line typed without echo.
type secretReader interface {
	ReadSecret(prompt string) ([]byte, error)
}

// ttyReader reads from a terminal, prompting on w (standard error: standard output stays the
// command's result).
type ttyReader struct {
	fd int
	w  io.Writer
}

func (t ttyReader) ReadSecret(prompt string) ([]byte, error) {
	fmt.Fprint(t.w, prompt)
	b, err := term.ReadPassword(t.fd)
	fmt.Fprintln(t.w)
	return b, err
}

// terminalOf is the command's standard input as a terminal, or nil when it is not one.
func (a *app) terminalOf(cmd *cobra.Command) secretReader {
	if a.terminal != nil {
		return a.terminal(cmd)
	}
	f, ok := cmd.InOrStdin().(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return ttyReader{fd: int(f.Fd()), w: cmd.ErrOrStderr()}
}

// readNewPassword reads the new password of login: its first line of standard input with
// fromStdin, else typed twice at the terminal. The journal applies the policy; this refuses what
// cannot be a password at all, and never quotes what was read.
func (a *app) readNewPassword(cmd *cobra.Command, login string, fromStdin bool) (string, error) {
	if fromStdin {
		// One byte more than a line of the longest password and its CR LF: enough to tell it is
		// too long without reading an endless input.
		b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), hotline.MaxPasswordBytes+3))
		if err != nil {
			return "", hotline.Wrapf(hotline.EINVALID, err, "--password-stdin: cannot read standard input: %v", err)
		}
		line, _, _ := bytes.Cut(b, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		switch {
		case len(line) == 0:
			return "", hotline.Errorf(hotline.EINVALID, "--password-stdin: standard input holds no password (its first line is empty)")
		case len(line) > hotline.MaxPasswordBytes:
			return "", hotline.Errorf(hotline.EINVALID, "--password-stdin: the password is longer than %d bytes", hotline.MaxPasswordBytes)
		}
		return string(line), nil
	}
	tty := a.terminalOf(cmd)
	if tty == nil {
		return "", hotline.Errorf(hotline.EINVALID, "standard input is not a terminal to type the password at: give it on standard input with --password-stdin")
	}
	first, err := tty.ReadSecret(fmt.Sprintf("New password for %s: ", login))
	if err != nil {
		return "", hotline.Wrapf(hotline.EINVALID, err, "cannot read the password from the terminal: %v", err)
	}
	if len(first) == 0 {
		return "", hotline.Errorf(hotline.EINVALID, "no password typed; nothing was changed")
	}
	// The policy before the second prompt: no point retyping a password that will be refused.
	if err := hotline.ValidatePassword(login, string(first)); err != nil {
		return "", err
	}
	again, err := tty.ReadSecret("Type it again: ")
	if err != nil {
		return "", hotline.Wrapf(hotline.EINVALID, err, "cannot read the password from the terminal: %v", err)
	}
	if !bytes.Equal(first, again) {
		return "", hotline.Errorf(hotline.EINVALID, "the two passwords typed differ; nothing was changed")
	}
	return string(first), nil
}

func newAdminCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "admin", Short: "Set up the journal's administration"}
	var (
		name, login string
		fromStdin   bool
	)
	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Create the first administrator, with a password for the workplace",
		Long: `init creates the first administrator of the journal: an operator with the administrator role
and a password to log in to the workplace in the browser. The password is typed twice at the
terminal without echo, or read from the first line of standard input with --password-stdin; it
is at least 10 characters and not the login. There is no default password.

init is refused once an administrator with a password exists: from then on administrators add
operators (hotline operator add) and set passwords (hotline operator passwd).`,
		Example: `  hotline admin init --login admin --name "Админова А.А."
  printf '%s\n' "$PASSWORD" | hotline admin init --login admin --name "Админова А.А." --password-stdin`,
		Args: exactArgs(0, "no arguments (use flags)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := hotline.Operator{Name: strings.TrimSpace(name), Login: login, Role: hotline.RoleAdministrator, Level: hotline.Level1, Active: true}
			switch {
			case login == "":
				return hotline.Errorf(hotline.EINVALID, "--login is required: the administrator's login")
			case o.Name == "":
				return hotline.Errorf(hotline.EINVALID, "--name is required: the administrator's full name")
			}
			if err := o.Validate(); err != nil {
				return err
			}
			err := a.withStore(cmd, func(ctx context.Context, s *journal.Store) error {
				password, err := a.readNewPassword(cmd, login, fromStdin)
				if err != nil {
					return err
				}
				// Who ran it, for the history: the journal has no administrator to map them to yet.
				by := hotline.Actor{Login: a.login(), Role: hotline.RoleAdministrator}
				return s.InitAdministrator(ctx, by, &o, password)
			})
			if err != nil {
				return err
			}
			return a.emit(cmd, o, func(w io.Writer) {
				operatorTable(w, []hotline.Operator{o})
				printf(w, "\nadministrator %s created: they log in to the workplace with this password\n", o.Login)
			})
		},
	}
	initCmd.Flags().StringVar(&login, "login", "", "the administrator's login (also their operating-system account, for the CLI)")
	initCmd.Flags().StringVar(&name, "name", "", "the administrator's full name")
	initCmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of standard input instead of the terminal")
	cmd.AddCommand(initCmd)
	return cmd
}

func newPasswdCmd(a *app) *cobra.Command {
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "passwd ID|LOGIN|EXT",
		Short: "Set or reset an operator's password for the workplace",
		Long: `passwd sets an operator's password for the workplace in the browser. An administrator may set
anyone's; an operator only their own (the operating-system account they run hotline as is
their login). The password is typed twice at the terminal without echo, or read from the first
line of standard input with --password-stdin; it is at least 10 characters and not the login.
The operator's open sessions end: they log in again with the new password.`,
		Example: `  hotline operator passwd ivanova
  printf '%s\n' "$PASSWORD" | hotline operator passwd ivanova --password-stdin`,
		Args: exactArgs(1, "an operator id, login or extension"),
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
				// Refused before the password is typed, not after.
				if err := by.RequireSelfOrAdministrator(o.ID, "set a password"); err != nil {
					return err
				}
				if o.Login == "" {
					return hotline.Errorf(hotline.EINVALID, "operator %d (%s) has no login to log in with: give them one (hotline operator update %d --login ...)", o.ID, o.Name, o.ID)
				}
				password, err := a.readNewPassword(cmd, o.Login, fromStdin)
				if err != nil {
					return err
				}
				return s.SetPassword(ctx, by, o.ID, password)
			})
			if err != nil {
				return err
			}
			res := struct {
				OperatorID  int64  `json:"operator_id"`
				Login       string `json:"login"`
				PasswordSet bool   `json:"password_set"`
			}{o.ID, o.Login, true}
			return a.emit(cmd, res, func(w io.Writer) {
				printf(w, "password of operator %d (%s) set; their open sessions ended\n", o.ID, o.Login)
			})
		},
	}
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of standard input instead of the terminal")
	return cmd
}
