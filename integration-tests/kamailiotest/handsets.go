package kamailiotest

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/hotline-dev/hotline/asteriskconf"
	"github.com/hotline-dev/hotline/kamailio"
)

// WriteHandsets writes Kamailio's subscriber table into db from the auth objects of file (a
// node's pjsip_operators.conf), read as Asterisk reads them: inside the pjsip.conf beside it when
// that one includes it (inside), so that its templates and [global] apply. It returns how many
// handsets it wrote. Any error names the file and line and writes nothing: the previous table
// stays. No credential appears in an error.
func WriteHandsets(file, db string) (n int, inside bool, err error) {
	top := filepath.Join(filepath.Dir(file), "pjsip.conf")
	cfg, inside, err := asteriskconf.LoadAsIncluded(file, top)
	if ae := (*asteriskconf.Error)(nil); errors.As(err, &ae) && ae.Undefined != "" && !inside {
		return 0, false, fmt.Errorf("%w; read alone: no %s beside it includes it (copy the nodes' pjsip.conf there)", err, top)
	}
	if err != nil {
		return 0, false, err
	}
	auths, err := asteriskconf.PJSIPAuths(cfg, file)
	if err != nil {
		return 0, inside, err
	}
	subs := make([]kamailio.Subscriber, 0, len(auths))
	for _, a := range auths {
		subs = append(subs, kamailio.Subscriber{Username: a.Username, Password: a.Password, HA1: a.HA1, Realm: a.Realm, Where: a.Where()})
	}
	table, err := kamailio.SubscriberTable(kamailio.HandsetRealm, subs)
	if err != nil {
		return 0, inside, err // each message starts with its auth's file and line already
	}
	if err := kamailio.WriteSubscriberTable(db, table); err != nil {
		return 0, inside, err
	}
	return len(subs), inside, nil
}
