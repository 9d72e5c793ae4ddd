package config

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// exampleKeys maps each environment variable to the key hotline.example.yaml documents it beside
// ("ari.url" for HOTLINE_ARI_URL): the documentation is the reference the overrides are checked
// against.
func exampleKeys(tb testing.TB) map[string]string {
	tb.Helper()
	f, err := os.Open("../hotline.example.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	keys := map[string]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line != "" && line[0] != ' ' && line[0] != '#' {
			if name, rest, ok := strings.Cut(line, ":"); ok && (strings.TrimSpace(rest) == "" || strings.HasPrefix(strings.TrimSpace(rest), "#")) {
				section = name
			}
			continue
		}
		field, _, ok := strings.Cut(strings.TrimSpace(line), ":")
		_, comment, hasComment := strings.Cut(line, "# HOTLINE_")
		if !ok || !hasComment || section == "" {
			continue
		}
		name := "HOTLINE_" + strings.Fields(comment)[0]
		keys[name] = section + "." + field
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return keys
}

// fieldByKey returns the field of c that the YAML key ("calls.ring_timeout") sets.
func fieldByKey(tb testing.TB, c *Config, key string) reflect.Value {
	tb.Helper()
	v := reflect.ValueOf(c).Elem()
	for _, part := range strings.Split(key, ".") {
		found := false
		for i := 0; i < v.NumField(); i++ {
			if strings.Split(v.Type().Field(i).Tag.Get("yaml"), ",")[0] == part {
				v, found = v.Field(i), true
				break
			}
		}
		if !found {
			tb.Fatalf("no field for key %s", key)
		}
	}
	return v
}

// FuzzEnv: whatever value an environment variable holds, Load either applies exactly that value
// (what the file would make of the same setting: the same configuration) or refuses with an
// error naming the variable or its key, never printing a secret; the same way every time.
func FuzzEnv(f *testing.F) {
	vars := envVars()
	keys := exampleKeys(f)
	for i := range vars {
		for _, v := range []string{"", "30s", "abc", "-1", "0", "true", "t", "http://[::1", " ", "\x00\xff", "1e9h", "99999999999999999999"} {
			f.Add(uint8(i), v)
		}
	}
	f.Add(uint8(0), "x") // a bad ari.url: the derived websocket is bad too, two mistakes at once
	f.Fuzz(func(t *testing.T, i uint8, value string) {
		v := vars[int(i)%len(vars)]
		key, ok := keys[v.name]
		if !ok {
			t.Fatalf("%s is not documented in hotline.example.yaml", v.name)
		}
		e := map[string]string{v.name: value}
		for k, s := range secrets {
			if k != v.name {
				e[k] = s
			}
		}
		c, err := Load("", env(e))
		c2, err2 := Load("", env(e))
		if fmt.Sprint(err) != fmt.Sprint(err2) || !reflect.DeepEqual(c, c2) {
			t.Fatalf("%s=%q loads differently twice:\n%v\n%v", v.name, value, err, err2)
		}
		field := fieldByKey(t, &c, key)
		_, isSecret := field.Interface().(Secret)
		if err != nil {
			msg := err.Error()
			if !strings.Contains(msg, v.name) && !strings.Contains(msg, key) {
				t.Fatalf("%s=%q refused without naming %s or %s: %v", v.name, value, v.name, key, err)
			}
			if isSecret && len(value) >= 6 && strings.Contains(msg, value) {
				t.Fatalf("the error prints the secret %s: %v", v.name, err)
			}
			return
		}
		if value == "" {
			return // unset: the default, checked elsewhere
		}
		var scalar any = value
		switch got := field.Interface().(type) {
		case string:
			if got != value {
				t.Fatalf("%s=%q gave %s = %q", v.name, value, key, got)
			}
		case Secret:
			if got.Reveal() != value {
				t.Fatalf("%s=%q gave %s = %q", v.name, value, key, got.Reveal())
			}
			// Printed in any way, the configuration does not depend on the secret.
			other := c
			fieldByKey(t, &other, key).Set(reflect.ValueOf(Secret("another secret")))
			printed := func(c Config) string {
				sec := fieldByKey(t, &c, key).Interface()
				return fmt.Sprintf("%v %+v %#v %s %q %v %#v", c, c, c, sec, sec, sec, sec)
			}
			if printed(c) != printed(other) {
				t.Fatalf("the configuration prints the secret %s:\n%s", v.name, printed(c))
			}
		case DSN:
			if got.Reveal() != value {
				t.Fatalf("%s=%q gave %s = %q", v.name, value, key, got.Reveal())
			}
			// Its password, when it has one, is printed by no verb (TestJournalBackend has more).
			if u, err := url.Parse(value); err == nil && u.User != nil {
				if pw, ok := u.User.Password(); ok && len(pw) >= 6 && !strings.Contains(RedactDSN(value), pw) && !strings.Contains(fmt.Sprintf("%v", Default()), pw) && strings.Contains(fmt.Sprintf("%v %+v %#v", c, c, c), pw) {
					t.Fatalf("the configuration prints the password of %s", v.name)
				}
			}
		case time.Duration:
			d, perr := time.ParseDuration(value)
			if perr != nil || got != d {
				t.Fatalf("%s=%q gave %s = %v (%v)", v.name, value, key, got, perr)
			}
		case int:
			n, perr := strconv.Atoi(value)
			if perr != nil || got != n {
				t.Fatalf("%s=%q gave %s = %d (%v)", v.name, value, key, got, perr)
			}
			scalar = n
		case bool:
			b, perr := strconv.ParseBool(value)
			if perr != nil || got != b {
				t.Fatalf("%s=%q gave %s = %v (%v)", v.name, value, key, got, perr)
			}
			scalar = b
		case []string:
			// A comma-separated list: each non-empty entry, trimmed, in order.
			var want []string
			for e := range strings.SplitSeq(value, ",") {
				if e = strings.TrimSpace(e); e != "" {
					want = append(want, e)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s=%q gave %s = %q, want %q", v.name, value, key, got, want)
			}
			if len(want) == 0 {
				return // no entries: as unset
			}
			scalar = want
		default:
			t.Fatalf("%s sets %s of type %T: teach this test", v.name, key, got)
		}
		// The same setting in the file: the same configuration. Text that is not UTF-8 has no plain
		// YAML form (it would be written !!binary, which the loader refuses as "quote it").
		if !utf8.ValidString(value) {
			return
		}
		section, name, _ := strings.Cut(key, ".")
		body, merr := yaml.Marshal(map[string]map[string]any{section: {name: scalar}})
		if merr != nil {
			t.Fatal(merr)
		}
		p := writeFile(t, string(body))
		fromFile, ferr := Load(p, env(secrets))
		if isSecret {
			fromFile, ferr = Load(p, env(map[string]string{"HOTLINE_ARI_PASSWORD": secrets["HOTLINE_ARI_PASSWORD"],
				"HOTLINE_AMI_PASSWORD": secrets["HOTLINE_AMI_PASSWORD"], v.name: ""}))
		}
		if ferr != nil || !reflect.DeepEqual(fromFile, c) {
			t.Fatalf("%s=%q and the file's\n%s\ndiffer: %v\nenv:  %+v\nfile: %+v", v.name, value, body, ferr, c, fromFile)
		}
	})
}
