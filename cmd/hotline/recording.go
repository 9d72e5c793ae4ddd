package main

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/journal"
	"github.com/hotline-dev/hotline/recording"
	"github.com/spf13/cobra"
)

// newRecordingCmd: the conversations hotline recorded, listed from the journal and fetched from
// Asterisk (ARI), where they are stored.
func newRecordingCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "recording", Short: "List a case's recorded conversations and fetch them from Asterisk"}

	listCmd := &cobra.Command{
		Use:     "list REF",
		Short:   "List the recordings of a case's calls (who answered, when, how long)",
		Example: "  hotline recording list 2026-000123",
		Args:    exactArgs(1, "a case id or number"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.withReader(cmd, func(ctx context.Context, s *journal.Store) error {
				id, err := s.CaseRef(ctx, args[0])
				if err != nil {
					return err
				}
				legs, err := s.CaseLegs(ctx, id)
				if err != nil {
					return err
				}
				type row struct {
					Leg        int64     `json:"leg"`
					Recording  string    `json:"recording"`
					OperatorID int64     `json:"operator_id"`
					AnsweredAt time.Time `json:"answered_at"`
					Talk       string    `json:"talk"`
					End        string    `json:"end"`
				}
				var rows []row
				for _, l := range legs {
					if l.RecordingName != "" {
						rows = append(rows, row{l.ID, l.RecordingName, l.OperatorID, l.AnsweredAt, l.TalkTime().Round(time.Second).String(), string(l.End)})
					}
				}
				return a.emit(cmd, rows, func(w io.Writer) {
					printf(w, "LEG\tRECORDING\tOPERATOR\tANSWERED\tTALK\tENDED\n")
					for _, r := range rows {
						answered := ""
						if !r.AnsweredAt.IsZero() {
							answered = r.AnsweredAt.Local().Format("2006-01-02 15:04:05")
						}
						printf(w, "%d\t%s\t%d\t%s\t%s\t%s\n", r.Leg, r.Recording, r.OperatorID, answered, r.Talk, r.End)
					}
				})
			})
		},
	}

	var configPath, out string
	getCmd := &cobra.Command{
		Use:   "get NAME",
		Short: "Download a recording from Asterisk (ARI) to a file",
		Long: `get downloads a stored recording through ARI, with the daemon's settings (--config, or the
HOTLINE_ARI_* environment variables; only the ari section is needed; with ari.nodes, from the
node that made it), to --out (default NAME.wav
in the current directory). The
file is created readable by its owner only: recordings are personal data.`,
		Example: "  hotline recording get call-1795438264.2 --config /etc/hotline/hotline.yaml\n  hotline recording get call-1795438264.2 -O /tmp/call.wav",
		Args:    exactArgs(1, "a recording name (hotline recording list REF shows them)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			// ARI's settings only: a machine that fetches recordings needs no AMI password.
			cfg, err := loadConfig(configPath, config.Options{Sections: []string{"ari"}})
			if err != nil {
				return err
			}
			// With ari.nodes, the recording is on the node that made it: each is asked in turn.
			var conn recording.Downloader
			if len(cfg.ARI.Nodes) == 0 {
				c, err := ari.New(ari.Config{URL: cfg.ARI.URL, Username: cfg.ARI.User, Password: cfg.ARI.Password.Reveal(), Application: cfg.ARI.App})
				if err != nil {
					return hotline.Wrapf(hotline.EINVALID, err, "%v", err)
				}
				conn = c
			} else {
				var ns recording.Nodes
				for _, n := range cfg.ARI.Nodes {
					c, err := ari.New(ari.Config{URL: n.URL, Username: n.User, Password: n.Password.Reveal(), Application: cfg.ARI.App})
					if err != nil {
						return hotline.Wrapf(hotline.EINVALID, err, "node %s: %v", n.Name, err)
					}
					ns = append(ns, c)
				}
				conn = ns
			}
			name := args[0]
			if out == "" {
				out = recording.FileName(name)
			}
			f, err := os.OpenFile(out+".part", os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
			if err != nil {
				return hotline.Wrapf(hotline.EINVALID, err, "cannot write --out %s: %v", out, unwrapPath(err))
			}
			defer os.Remove(f.Name())
			n, _, err := recording.Download(cmd.Context(), conn, name, f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			if err := os.Rename(f.Name(), out); err != nil {
				return err
			}
			printf(cmd.OutOrStdout(), "%s: %d bytes\n", out, n)
			return nil
		},
	}
	getCmd.Flags().StringVarP(&configPath, "config", "c", os.Getenv("HOTLINE_CONFIG"), "the daemon's configuration file (for ARI's address and user; a regular file of at most 256 KB)")
	getCmd.Flags().StringVarP(&out, "out", "O", "", "where to write the recording (default NAME.wav)")

	cmd.AddCommand(listCmd, getCmd)
	return cmd
}
