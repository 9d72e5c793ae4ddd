package asteriskconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFiles puts files (name → content) into a new directory and returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The templates the repository's pjsip.conf defines above its #include of pjsip_operators.conf.
const shippedTop = "[global]\ntype = global\n" +
	"[operator-handset](!)\ntype = endpoint\ncontext = hotline-operators\n" +
	"[operator-auth](!)\ntype = auth\nauth_type = digest\n; password set per handset\n" +
	"[operator-aor](!)\ntype = aor\nmax_contacts = 1\n" +
	"#include pjsip_operators.conf\n"

// Digests taken as given (the HA1 of md5_cred is not recomputed).
const (
	ha1Hotline = "6c4e1c5c1cc6de2e2a0c6e0e2f0b0d7e"
)

func TestPJSIPAuths(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string // pjsip.conf (when given) includes pjsip_operators.conf
		want  []string          // username/realm/password/ha1 of each auth of pjsip_operators.conf
		err   string            // a part of the error, with its file:line
	}{
		{"the shipped layout", map[string]string{"pjsip.conf": shippedTop, "pjsip_operators.conf": "[1001](operator-handset)\nauth = 1001\n[1001](operator-auth)\nusername = 1001\npassword = pw-one ; a comment\n[1001](operator-aor)\n"},
			[]string{"1001/asterisk/pw-one/"}, ""},
		{"type = auth, no template, escaped semicolon, tabs and =>", map[string]string{"pjsip_operators.conf": "[dev]\n\ttype\t=\tauth\nusername=>1005\npassword = a\\;b   \n[other]\ntype = endpoint\npassword = not-a-handset\n"},
			[]string{"1005/asterisk/a;b/"}, ""},
		{"a password inherited from a template", map[string]string{"pjsip_operators.conf": "[common](!)\ntype=auth\npassword=shared\n[1001](common)\nusername=1001\n"},
			[]string{"1001/asterisk/shared/"}, ""},
		{"several templates, the last assignment wins", map[string]string{"pjsip_operators.conf": "[a](!)\ntype=auth\npassword=from-a\nrealm=ra\n[b](!)\npassword=from-b\n[1001](a,b)\nusername=1001\n[1002](b,a)\nusername=1002\n[1003](a,b)\nusername=1003\npassword=own\n"},
			[]string{"1001/ra/from-b/", "1002/ra/from-a/", "1003/ra/own/"}, ""},
		{"a template of a template, (!,tpl)", map[string]string{"pjsip_operators.conf": "[base](!)\ntype=auth\nrealm=hotline\n[withpw](!,base)\npassword=x\n[1001](withpw)\nusername=1001\n"},
			[]string{"1001/hotline/x/"}, ""},
		{"templates and default_realm from pjsip.conf", map[string]string{"pjsip.conf": "[global]\ntype=global\ndefault_realm=hotline\n[operator-auth](!)\ntype=auth\n#include \"pjsip_operators.conf\"\n",
			"pjsip_operators.conf": "[1001](operator-auth)\nusername=1001\npassword=p\n"}, []string{"1001/hotline/p/"}, ""},
		{"md5_cred", map[string]string{"pjsip_operators.conf": "[1001]\ntype=auth\nauth_type=md5\nusername=1001\nrealm=hotline\nmd5_cred=" + ha1Hotline + "\n"},
			[]string{"1001/hotline//" + ha1Hotline}, ""},
		{"md5_cred from a template, digest prefers it to a password", map[string]string{"pjsip_operators.conf": "[t](!)\ntype=auth\nauth_type=digest\npassword=plain\n[1001](t)\nusername=1001\nmd5_cred=" + ha1Hotline + "\n"},
			[]string{"1001/asterisk//" + ha1Hotline}, ""},
		{"password_digest MD5 among others", map[string]string{"pjsip_operators.conf": "[1001]\ntype=auth\nusername=1001\npassword_digest = SHA-256:abc, MD5:" + ha1Hotline + "\n"},
			[]string{"1001/asterisk//" + ha1Hotline}, ""},
		{";-- block --; comments, nested, over lines", map[string]string{"pjsip_operators.conf": "[1001]\ntype=auth\n;-- password=hidden\n;-- nested --;\nusername=9999 --;username=1001 ; the one\npassword=p;--x--;\n"},
			[]string{"1001/asterisk/p/"}, ""},
		{"#include from pjsip_operators.conf, a glob, #tryinclude of nothing", map[string]string{"pjsip_operators.conf": "[t](!)\ntype=auth\n#include ops/*.conf\n#tryinclude missing.conf\n", "ops/a.conf": "[1001](t)\nusername=1001\npassword=a\n", "ops/b.conf": "[1002](t)\nusername=1002\npassword=b\n"},
			[]string{"1001/asterisk/a/", "1002/asterisk/b/"}, ""},
		{"(+) adds to a section, += appends", map[string]string{"pjsip_operators.conf": "[1001]\ntype=auth\nusername=1001\npassword=ab\n[1001](+)\npassword+=cd\n"},
			[]string{"1001/asterisk/abcd/"}, ""},
		{"+= appends as written, blanks and '>' kept, then trims the ends", map[string]string{"pjsip_operators.conf": "[1001]\ntype=auth\nusername=1001\npassword = abc\npassword += def  \n[1002]\ntype=auth\nusername=1002\npassword=ab\npassword+=> c\n"},
			[]string{"1001/asterisk/abc def/", "1002/asterisk/ab> c/"}, ""},
		{"+= to an inherited password", map[string]string{"pjsip_operators.conf": "[t](!)\ntype=auth\npassword=ab\n[1001](t)\nusername=1001\npassword+=cd\n"},
			[]string{"1001/asterisk/abcd/"}, ""},
		{";--- is a line comment, outside a block and in one", map[string]string{"pjsip_operators.conf": "[1001]\ntype=auth\n;------ operators ------\nusername=1001\n;-- a block\n;--- not nested\n--;\npassword=p\n"},
			[]string{"1001/asterisk/p/"}, ""},
		{";--; opens a block it does not close", map[string]string{"pjsip_operators.conf": "[1001]\ntype=auth\n;--;\npassword=hidden\n--;\nusername=1001\npassword=p\n"},
			[]string{"1001/asterisk/p/"}, ""},
		{"option names and type whatever their case", map[string]string{"pjsip_operators.conf": "[t](!)\ntype=auth\npassword=old\n[1001](t)\nusername=1001\nPassword=new\n[1002]\nType=Auth\nUserName=1002\nPASSWORD=p\nRealm=r\n"},
			[]string{"1001/asterisk/new/", "1002/r/p/"}, ""},
		{"a template named in another case", map[string]string{"pjsip_operators.conf": "[Base](!)\ntype=auth\npassword=x\n[1001](base)\nusername=1001\n"},
			[]string{"1001/asterisk/x/"}, ""},
		{"a UTF-8 BOM", map[string]string{"pjsip_operators.conf": "\uFEFF[1001]\ntype=auth\nusername=1001\npassword=p\n"},
			[]string{"1001/asterisk/p/"}, ""},
		{"pjsip.conf's own auths are not handsets", map[string]string{"pjsip.conf": "[trunk-auth]\ntype=auth\nusername=provider\npassword=trunk\n" + shippedTop, "pjsip_operators.conf": "[1001](operator-auth)\nusername=1001\npassword=p\n"},
			[]string{"1001/asterisk/p/"}, ""},

		{"an unterminated section", map[string]string{"pjsip_operators.conf": "[1001]\ntype=auth\n[1002(operator-auth)\nusername=1002\n"}, nil, "pjsip_operators.conf:3: no closing ']'"},
		{"an unterminated template list", map[string]string{"pjsip_operators.conf": "[t](!)\ntype=auth\n[1002](t\n"}, nil, "pjsip_operators.conf:3: no closing ')'"},
		{"a template cycle", map[string]string{"pjsip_operators.conf": "[a](!,b)\ntype=auth\n[b](!,a)\npassword=x\n[1001](a)\nusername=1001\n"}, nil, "pjsip_operators.conf:1: [a] inherits from [b], which is not defined above it"},
		{"a template of pjsip.conf read alone", map[string]string{"pjsip_operators.conf": "[1001](operator-auth)\nusername=1001\npassword=p\n"}, nil, "pjsip_operators.conf:1: [1001] inherits from [operator-auth]"},
		{"an auth without a username", map[string]string{"pjsip.conf": shippedTop, "pjsip_operators.conf": "[1001](operator-auth)\npassword=p\n[1002](operator-auth)\nusername=1002\npassword=q\n"}, nil, "pjsip_operators.conf:1: auth [1001]: no username"},
		{"no password", map[string]string{"pjsip_operators.conf": "[1001]\ntype=auth\nusername=1001\n"}, nil, "pjsip_operators.conf:1: auth [1001]: no password"},
		{"auth_type = md5 without md5_cred", map[string]string{"pjsip_operators.conf": "[1001]\ntype=auth\nauth_type=md5\nusername=1001\npassword=p\n"}, nil, "auth_type = md5 without md5_cred"},
		{"userpass with both", map[string]string{"pjsip_operators.conf": "[1001]\ntype=auth\nauth_type=userpass\nusername=1001\npassword=p\nmd5_cred=" + ha1Hotline + "\n"}, nil, "keep one"},
		{"an md5_cred of the wrong length", map[string]string{"pjsip_operators.conf": "[1001]\ntype=auth\nusername=1001\nmd5_cred=abc\n"}, nil, "not an MD5 digest"},
		{"an unknown auth_type", map[string]string{"pjsip_operators.conf": "[1001]\ntype=auth\nauth_type=plain\nusername=1001\npassword=p\n"}, nil, "auth [1001]: its auth_type is unknown"},
		{"two types", map[string]string{"pjsip_operators.conf": "[t](!)\ntype=endpoint\n[1001](t)\ntype=auth\nusername=1001\npassword=p\n"}, nil, "pjsip_operators.conf:3: [1001] has two different types (one at "},
		{"an unclosed block comment", map[string]string{"pjsip_operators.conf": "[1001]\ntype=auth\n;-- username=1001\npassword=p\n"}, nil, "pjsip_operators.conf:3: a ';--' comment never closed"},
		{"an assignment outside a section", map[string]string{"pjsip_operators.conf": "password=p\n[1001]\n"}, nil, "pjsip_operators.conf:1: an assignment before any [section]"},
		{"a line without =", map[string]string{"pjsip_operators.conf": "[1001]\ntype=auth\npassword secret\n"}, nil, "pjsip_operators.conf:3: no '='"},
		{"a missing #include", map[string]string{"pjsip_operators.conf": "[1001]\n#include nowhere.conf\n"}, nil, "pjsip_operators.conf:2: #include"},
		{"an #include cycle", map[string]string{"pjsip_operators.conf": "#include more.conf\n", "more.conf": "[x]\n#include pjsip_operators.conf\n"}, nil, "more.conf:2: #include"},
		{"a space in a template list", map[string]string{"pjsip_operators.conf": "[a](!)\ntype=auth\npassword=x\n[b](!)\n[1003](a, b)\nusername=1003\n"}, nil, "pjsip_operators.conf:5: [1003] inherits from template 2 (column 10), which is not defined"},
		{"(+) to a template", map[string]string{"pjsip_operators.conf": "[t](!)\ntype=auth\n[t](+)\npassword=x\n"}, nil, "pjsip_operators.conf:3: [t](+) adds to a section not defined above it"},
		{"an uppercase md5_cred", map[string]string{"pjsip_operators.conf": "[1001]\ntype=auth\nauth_type=md5\nusername=1001\nmd5_cred=" + strings.ToUpper(ha1Hotline) + "\n"}, nil, "pjsip_operators.conf:1: auth [1001]: md5_cred is not an MD5 digest in lowercase hex"},
		{"--; outside a block", map[string]string{"pjsip_operators.conf": "[1001]\ntype=auth\nusername=1001\npassword=p--; x\n"}, nil, "pjsip_operators.conf:4: '--;' at column 11 closes no ';--' comment"},
		{"#include without a blank", map[string]string{"pjsip_operators.conf": "[1001]\n#include\"ops.conf\"\n", "ops.conf": "type=auth\nusername=1001\npassword=p\n"}, nil, "pjsip_operators.conf:2: a #include or #tryinclude without a blank"},
		{"an unknown directive", map[string]string{"pjsip_operators.conf": "[1001]\n#foo ops.conf\n"}, nil, "pjsip_operators.conf:2: an unknown directive"},
		{"#exec", map[string]string{"pjsip_operators.conf": "#exec /bin/handsets\n"}, nil, "pjsip_operators.conf:1: #exec not followed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, tc.files)
			file := filepath.Join(dir, "pjsip_operators.conf")
			c, _, err := LoadAsIncluded(file, filepath.Join(dir, "pjsip.conf"))
			var auths []PJSIPAuth
			if err == nil {
				auths, err = PJSIPAuths(c, file)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("%v; want an error with %q", err, tc.err)
				}
				for _, secret := range []string{"secret", "hidden", "pw-one"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("the error shows a credential: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range auths {
				got = append(got, a.Username+"/"+a.Realm+"/"+a.Password+"/"+a.HA1)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("auths %q, want %q", got, tc.want)
			}
		})
	}
}

// A credential in a line the parser refuses never shows in its message.
func TestErrorsQuoteNoSecret(t *testing.T) {
	const secret = "supersecret"
	for _, content := range []string{
		"[1001] password=supersecret\n",
		"[1001](t) password=supersecret\n",
		"[t](!)\n[1001](t) password=supersecret\n",
		"[1001(password=supersecret\n",
		"[1001](t,password=supersecret\n",
		"[1001](password=supersecret)\n",
		"[1001](+password=supersecret)\n",
		"[1001]\npassword supersecret\n",
		"[1001]\n+=supersecret\n",
		"[1001]\ntype=auth\nusername=1001\npassword=supersecret--;x\n",
		"#include\"supersecret\"\n",
		"#password=supersecret\n",
		"[1001]\ntype=auth\nusername=1001\nmd5_cred=supersecret\n",
		"[1001]\ntype=auth\nauth_type=supersecret\nusername=1001\npassword=p\n",
		"[t](!)\ntype=endpoint\n[1001](t)\ntype=supersecret\nusername=1001\npassword=p\n",
	} {
		dir := writeFiles(t, map[string]string{"pjsip_operators.conf": content})
		file := filepath.Join(dir, "pjsip_operators.conf")
		c, _, err := LoadAsIncluded(file, filepath.Join(dir, "pjsip.conf"))
		if err == nil {
			_, err = PJSIPAuths(c, file)
		}
		if err == nil {
			t.Errorf("%q: no error", content)
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("%q: the error quotes the secret: %v", content, err)
		}
	}
}

// Section names are taken as written, spaces included, as Asterisk takes them.
func TestSectionNameAsWritten(t *testing.T) {
	dir := writeFiles(t, map[string]string{"x.conf": "[ 1001 ]\nk=1\n"})
	c, err := Load(filepath.Join(dir, "x.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Sections[0].Name; got != " 1001 " {
		t.Errorf("name %q, want %q", got, " 1001 ")
	}
}

// The repository's own pjsip.conf and pjsip_operators.conf read as Asterisk reads them.
func TestShippedFiles(t *testing.T) {
	file := filepath.Join("..", "asterisk-conf", "pjsip_operators.conf")
	c, inside, err := LoadAsIncluded(file, filepath.Join("..", "asterisk-conf", "pjsip.conf"))
	if err != nil || !inside {
		t.Fatalf("inside pjsip.conf %v, %v", inside, err)
	}
	auths, err := PJSIPAuths(c, file)
	if err != nil {
		t.Fatal(err)
	}
	if len(auths) != 2 || auths[0].Username != "1001" || auths[1].Username != "2001" || auths[0].Realm != DefaultRealm {
		t.Errorf("auths %+v, want 1001 and 2001 in realm %s", auths, DefaultRealm)
	}
}

func TestSectionsInOrder(t *testing.T) {
	dir := writeFiles(t, map[string]string{"x.conf": "[a]\nk=1\n[a]\nk=2\n[t](!)\nk=3\n[b](t)\nk=4\n"})
	c, err := Load(filepath.Join(dir, "x.conf"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range c.Sections {
		v, _ := s.Value("k")
		got = append(got, s.Name+"="+v.Value)
	}
	if want := "a=1 a=2 t=3 b=4"; strings.Join(got, " ") != want {
		t.Errorf("sections %q, want %s", got, want)
	}
	if b := c.Sections[3]; len(b.Vars) != 2 || b.Vars[0].Line != 6 || b.Line != 7 {
		t.Errorf("[b]'s assignments %+v at line %d: want the template's (line 6) then its own", b.Vars, b.Line)
	}
}
