package main

import (
	"fmt"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/integration-tests/kamailiotest"
	"github.com/hotline-dev/hotline/kamailio"
	"github.com/spf13/cobra"
)

// newKamailioHandsetsCmd: `hotline-lab kamailio-handsets`, Kamailio's handset credentials from the
// nodes' pjsip_operators.conf (asterisk-conf/kamailio/handsets runs it).
func newKamailioHandsetsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "kamailio-handsets PJSIP_OPERATORS_CONF DBDIR",
		Short: "Write Kamailio's handset credentials (db_text subscriber table) from pjsip_operators.conf",
		Long: `kamailio-handsets reads the auth objects of PJSIP_OPERATORS_CONF as Asterisk does, inside the
pjsip.conf beside it when that one #includes it (its templates and [global] default_realm apply):
templates and inheritance, the last assignment winning, #include, comments. Each auth is a handset:
its username, and its password or md5_cred (32 lowercase hex digits, computed for Kamailio's realm,
"` + kamailio.HandsetRealm + `"). It writes DBDIR/subscriber and DBDIR/version, a db_text table of HA1s for
Kamailio's auth_db (mode 0600, the directory 0700). Any error (file and line named) writes nothing:
the previous table stays. Nothing secret is printed.`,
		Example: "  asterisk-conf/kamailio/handsets /etc/asterisk/pjsip_operators.conf /run/kamailio/db",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, inside, err := kamailiotest.WriteHandsets(args[0], args[1])
			if err != nil {
				return hotline.Wrapf(hotline.EINVALID, err, "%v\n(nothing written: the previous table stays)", err)
			}
			from := args[0]
			if inside {
				from += " (inside the pjsip.conf beside it)"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "kamailio-handsets: %d handsets from %s\n", n, from)
			return nil
		},
	}
}
