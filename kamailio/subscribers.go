package kamailio

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// HandsetRealm is the digest realm kamailio.cfg's route[AUTH] challenges handsets with
// (auth_check, auth_challenge): the realm of every HA1 in the subscriber table.
const HandsetRealm = "hotline"

// Subscriber is one handset's credentials for Kamailio's auth_db: a plain password, or the HA1
// (MD5(username:realm:password)) it was given as, for Realm.
type Subscriber struct {
	Username string
	Password string // "" when HA1 is given
	HA1      string // lowercase hex, computed for Realm
	Realm    string // the realm HA1 was computed for
	Where    string // where it was written (file:line [section]), for errors; never a credential
}

// subscriberHeader is db_text's header of auth_db's subscriber table (table version 7).
const subscriberHeader = "id(int,auto) username(string) domain(string,null) password(string,null) ha1(string) ha1b(string,null) \n"

// SubscriberTable renders db_text's subscriber table for realm: every row holds the HA1 only (the
// password column stays empty; auth_db reads the ha1 column, calculate_ha1 off), computed here
// from a plain password, or taken as given when it was computed for realm. An HA1 for another realm
// could never match and is refused, as is a username twice or no subscriber at all.
func SubscriberTable(realm string, subs []Subscriber) ([]byte, error) {
	var errs []error
	seen := map[string]string{}
	var b bytes.Buffer
	b.WriteString(subscriberHeader)
	for i, s := range subs {
		ha1 := s.HA1
		switch {
		case s.Username == "":
			errs = append(errs, fmt.Errorf("%s: no username", s.Where))
			continue
		case ha1 != "" && s.Realm != realm:
			errs = append(errs, fmt.Errorf("%s: md5_cred was computed for realm %q, and Kamailio challenges handsets with %q: it can never match (set realm = %s and md5_cred = MD5(%s:%s:password), or give the password)",
				s.Where, s.Realm, realm, realm, s.Username, realm))
			continue
		case ha1 == "" && s.Password == "":
			errs = append(errs, fmt.Errorf("%s: no password", s.Where))
			continue
		case ha1 == "":
			sum := md5.Sum([]byte(s.Username + ":" + realm + ":" + s.Password))
			ha1 = hex.EncodeToString(sum[:])
		}
		if first, ok := seen[s.Username]; ok {
			errs = append(errs, fmt.Errorf("%s: username %s twice (first at %s)", s.Where, s.Username, first))
			continue
		}
		seen[s.Username] = s.Where
		fmt.Fprintf(&b, "%d:%s:::%s:\n", i+1, dbtextEscape(s.Username), dbtextEscape(strings.ToLower(ha1)))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(seen) == 0 {
		return nil, errors.New("no handset (no auth object)")
	}
	return b.Bytes(), nil
}

// dbtextEscape escapes what db_text reads as a field's end or an escape.
func dbtextEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, ":", `\:`, "\n", `\n`, "\r", `\r`).Replace(s)
}

// WriteSubscriberTable puts table into dir as db_text's subscriber table with its version file,
// each replaced whole (a reader sees the old table or the new one); the directory is made 0700, the
// files 0600: the HA1s authenticate handsets at Kamailio. The directory is fsynced after the
// renames, so that a crash after it returns cannot bring the old table back.
func WriteSubscriberTable(dir string, table []byte) error {
	return writeSubscriberTable(dir, table, syncDir)
}

// writeSubscriberTable is WriteSubscriberTable with the directory's fsync given (tests see when
// it runs).
func writeSubscriberTable(dir string, table []byte, syncDir func(string) error) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("kamailio: subscriber table: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("kamailio: subscriber table: %w", err)
	}
	version := []byte("id(int,auto) table_name(string) table_version(int) \n0:version:1\n0:subscriber:7\n")
	if err := replaceFile(filepath.Join(dir, "version"), version); err != nil {
		return err
	}
	if err := replaceFile(filepath.Join(dir, "subscriber"), table); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("kamailio: subscriber table: fsync %s: %w", dir, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// laterThan makes path's modification time at least a second after prev: db_text rereads a table
// when its file's time (whole seconds) changed, so two writes within a second must not share one.
func laterThan(path string, prev time.Time) error {
	st, err := os.Stat(path)
	if err != nil || prev.IsZero() || st.ModTime().Unix() > prev.Unix() {
		return err
	}
	t := prev.Truncate(time.Second).Add(time.Second)
	return os.Chtimes(path, t, t)
}

func replaceFile(path string, data []byte) error {
	var prev time.Time
	if st, err := os.Stat(path); err == nil {
		prev = st.ModTime()
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("kamailio: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = laterThan(f.Name(), prev)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("kamailio: %s: %w", path, err)
	}
	return nil
}
