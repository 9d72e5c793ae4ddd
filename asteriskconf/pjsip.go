package asteriskconf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultRealm is res_pjsip's realm when neither the auth nor the global section sets one.
const DefaultRealm = "asterisk"

// PJSIPAuth is what res_pjsip verifies an MD5 digest against for an auth object: its username, the
// realm it challenges with, and either the plain password or the digest given (md5_cred or
// password_digest = MD5:…), which Asterisk 22 prefers when both are set.
type PJSIPAuth struct {
	Name     string // the section's name, the object's id
	File     string
	Line     int
	Username string
	Realm    string // the auth's realm, else [global] default_realm, else DefaultRealm
	Password string // "" when HA1 is set
	HA1      string // MD5(username:realm:password) in lowercase hex, "" when Password is set
}

// Where names the section for a message: file, line and name, never a credential.
func (a PJSIPAuth) Where() string { return fmt.Sprintf("%s:%d: [%s]", a.File, a.Line, a.Name) }

// LoadAsIncluded reads file as Asterisk meets it: inside top (pjsip.conf) when top includes it,
// so that the templates and [global] above the #include apply (true); alone otherwise (false).
func LoadAsIncluded(file, top string) (*Config, bool, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, false, err
	}
	if topAbs, err := filepath.Abs(top); err == nil && topAbs != abs {
		if _, err := os.Stat(topAbs); err == nil {
			c, err := Load(topAbs)
			if err != nil {
				return nil, false, err
			}
			if _, ok := c.Parent[abs]; ok {
				return c, true, nil
			}
		}
	}
	c, err := Load(abs)
	return c, false, err
}

// PJSIPAuths returns the auth objects (type = auth, templates excepted) written in file or in the
// files it includes, in order, resolved as res_pjsip does: inherited assignments first, the last
// assignment of an option winning. Every object Asterisk would refuse, or whose MD5 credential
// cannot be told, is an error naming its file and line; then no auth is returned.
func PJSIPAuths(c *Config, file string) ([]PJSIPAuth, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	realm := DefaultRealm
	for _, s := range c.Sections {
		if t, _ := s.Value("type"); !s.Template && strings.EqualFold(t.Value, "global") {
			if v, ok := s.Value("default_realm"); ok && v.Value != "" {
				realm = v.Value
			}
		}
	}
	var auths []PJSIPAuth
	var errs []error
	for _, s := range c.Sections {
		if s.Template || !c.Within(s.File, abs) {
			continue
		}
		typ, err := objectType(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if typ != "auth" {
			continue
		}
		a, err := pjsipAuth(s, realm)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		auths = append(auths, a)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return auths, nil
}

// objectType is the section's type in lowercase (the option's name and the type's both compared
// whatever their case, as sorcery and aco do); two different ones (a template's and its own) are
// refused rather than guessed.
func objectType(s *Section) (string, error) {
	typ := ""
	for _, v := range s.Vars {
		if !strings.EqualFold(v.Key, "type") {
			continue
		}
		if typ != "" && !strings.EqualFold(v.Value, typ) {
			return "", errorAt(s.File, s.Line, fmt.Sprintf("[%s] has two different types (one at %s:%d): which object Asterisk makes is not clear", s.Name, v.File, v.Line))
		}
		typ = strings.ToLower(v.Value)
	}
	return typ, nil
}

func pjsipAuth(s *Section, defaultRealm string) (PJSIPAuth, error) {
	bad := func(format string, a ...any) error {
		return errorAt(s.File, s.Line, fmt.Sprintf("auth [%s]: ", s.Name)+fmt.Sprintf(format, a...))
	}
	a := PJSIPAuth{Name: s.Name, File: s.File, Line: s.Line, Realm: defaultRealm}
	authType := "userpass" // Asterisk 21's default; 22's ("digest") reads the same options
	var md5 string
	for _, v := range s.Vars {
		switch strings.ToLower(v.Key) { // aco matches an option's name whatever its case
		case "username":
			a.Username = v.Value
		case "password":
			a.Password = v.Value
		case "realm":
			if v.Value != "" {
				a.Realm = v.Value
			} else {
				a.Realm = defaultRealm
			}
		case "auth_type":
			authType = strings.ToLower(v.Value)
		case "md5_cred":
			if v.Value != "" {
				md5 = v.Value
			}
		case "password_digest":
			// "ALGORITHM:digest,…"; one without an algorithm is MD5 (as md5_cred).
			for d := range strings.SplitSeq(v.Value, ",") {
				alg, digest, ok := strings.Cut(strings.TrimSpace(d), ":")
				if !ok {
					alg, digest = "MD5", alg
				}
				if strings.EqualFold(strings.TrimSpace(alg), "MD5") && strings.TrimSpace(digest) != "" {
					md5 = strings.TrimSpace(digest)
				}
			}
		}
	}
	switch authType {
	case "userpass", "md5", "digest":
	case "google_oauth":
		return a, bad("auth_type = google_oauth is a trunk's, not a handset's")
	default:
		return a, bad("its auth_type is unknown to Asterisk (userpass, md5 or digest)")
	}
	if a.Username == "" {
		return a, bad("no username (Asterisk refuses an auth without one)")
	}
	if md5 != "" {
		if len(md5) != 32 || strings.Trim(md5, "0123456789abcdef") != "" {
			// Asterisk keeps md5_cred as written and compares it with the digest it computes in
			// lowercase hex: an uppercase one would never match there.
			return a, bad("md5_cred is not an MD5 digest in lowercase hex (32 digits 0-9, a-f; Asterisk compares it as written)")
		}
		if authType == "userpass" && a.Password != "" {
			// Asterisk 21 and older verify the password here, 22 the digest: refused, not guessed.
			return a, bad("auth_type = userpass with both password and md5_cred: Asterisk 22 uses md5_cred, older ones the password; keep one")
		}
		a.HA1, a.Password = md5, ""
		return a, nil
	}
	if authType == "md5" {
		return a, bad("auth_type = md5 without md5_cred")
	}
	if a.Password == "" {
		return a, bad("no password and no md5_cred (or password_digest = MD5:…)")
	}
	return a, nil
}
