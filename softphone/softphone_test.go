package softphone

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/ari"
)

// fakeAsterisk keeps pushed objects as Asterisk's memory wizard does; ids in files are read-only.
type fakeAsterisk struct {
	mu      sync.Mutex
	objects map[string]map[string]string // "type/id" -> attribute -> value
	files   map[string]bool              // ids defined in pjsip.conf files
	order   []string
	fail    error
}

func (f *fakeAsterisk) PutConfig(_ context.Context, class, typ, id string, fields []ari.ConfigField) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	if class != "res_pjsip" {
		return &ari.Error{StatusCode: http.StatusBadRequest}
	}
	if f.files[id] {
		return &ari.Error{Op: "push", StatusCode: http.StatusForbidden, Message: "Cannot update sorcery objects of type '" + typ + "'"}
	}
	if f.objects == nil {
		f.objects = map[string]map[string]string{}
	}
	o := map[string]string{}
	for _, fl := range fields {
		o[fl.Attribute] = fl.Value
	}
	f.objects[typ+"/"+id] = o
	f.order = append(f.order, typ)
	return nil
}

// DeleteConfig deletes a pushed object: 404 for one Asterisk does not have, 403 for a file's.
func (f *fakeAsterisk) DeleteConfig(_ context.Context, class, typ, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	if f.files[id] {
		return &ari.Error{Op: "delete", StatusCode: http.StatusForbidden, Message: "Cannot delete sorcery objects of type '" + typ + "'"}
	}
	if _, ok := f.objects[typ+"/"+id]; !ok {
		return &ari.Error{Op: "delete", StatusCode: http.StatusNotFound, Message: "Object not found"}
	}
	delete(f.objects, typ+"/"+id)
	f.order = append(f.order, "-"+typ)
	return nil
}

func (f *fakeAsterisk) has(typ, id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.objects[typ+"/"+id]
	return ok
}

func (f *fakeAsterisk) password(ext string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.objects["auth/"+ext]["password"]
}

func TestIssue(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		ext      string
		ws       string
		fail     error
		wantCode string
		handset  bool
	}{
		{name: "a softphone", ext: "9001", ws: "wss://pbx.example.org:8089/ws"},
		{name: "a handset's extension", ext: "1001", ws: "wss://pbx.example.org:8089/ws", wantCode: hotline.ECONFLICT, handset: true},
		{name: "an extension that is no SIP user", ext: "90 01", ws: "wss://pbx.example.org:8089/ws", wantCode: hotline.EINVALID},
		{name: "an empty extension", ext: "", ws: "wss://pbx.example.org:8089/ws", wantCode: hotline.EINVALID},
		{name: "a WebSocket address that is not ws", ext: "9001", ws: "https://pbx.example.org/ws", wantCode: hotline.EUNAVAILABLE},
		{name: "Asterisk down", ext: "9001", ws: "ws://127.0.0.1:8088/ws", fail: errors.New("connection refused"), wantCode: hotline.EUNAVAILABLE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &fakeAsterisk{files: map[string]bool{"1001": true}, fail: tt.fail}
			p := &Provisioner{Asterisk: a, WebSocket: tt.ws}
			c, err := p.Issue(ctx, tt.ext)
			if tt.wantCode != "" {
				if hotline.ErrorCode(err) != tt.wantCode || errors.Is(err, ErrHandset) != tt.handset {
					t.Fatalf("error %v (code %q), want code %s, handset %v", err, hotline.ErrorCode(err), tt.wantCode, tt.handset)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.URI != "sip:9001@pbx.example.org" || c.User != "9001" || c.WebSocket != tt.ws || c.Password != a.password("9001") || len(c.Password) < 32 {
				t.Errorf("credentials %+v; Asterisk's password %q", c, a.password("9001"))
			}
			if strings.Join(a.order, ",") != "auth,aor,endpoint" {
				t.Errorf("pushed %v: the auth must exist before the endpoint that names it", a.order)
			}
			ep := a.objects["endpoint/9001"]
			if ep["webrtc"] != "yes" || ep["auth"] != "9001" || ep["aors"] != "9001" || ep["context"] != "hotline-operators" {
				t.Errorf("endpoint %v", ep)
			}
			if a.objects["aor/9001"]["max_contacts"] != "1" {
				t.Errorf("aor %v", a.objects["aor/9001"])
			}
		})
	}
}

// Each issue replaces the password; Expire replaces lapsed ones only; Revoke replaces at once.
func TestPasswordsLapse(t *testing.T) {
	ctx := context.Background()
	a := &fakeAsterisk{}
	p := &Provisioner{Asterisk: a, WebSocket: "ws://127.0.0.1:8088/ws", TTL: time.Minute}
	first, err := p.Issue(ctx, "9001")
	if err != nil {
		t.Fatal(err)
	}
	second, err := p.Issue(ctx, "9001")
	if err != nil {
		t.Fatal(err)
	}
	if first.Password == second.Password || a.password("9001") != second.Password {
		t.Fatalf("a new issue must replace the password: first %q second %q Asterisk %q", first.Password, second.Password, a.password("9001"))
	}
	other, err := p.Issue(ctx, "9002")
	if err != nil {
		t.Fatal(err)
	}
	// Not lapsed yet: nothing changes.
	if err := p.Expire(ctx, second.Expires.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if a.password("9001") != second.Password {
		t.Fatal("Expire replaced a password that had not lapsed")
	}
	if err := p.Expire(ctx, second.Expires); err != nil {
		t.Fatal(err)
	}
	if got := a.password("9001"); got == second.Password || got == "" {
		t.Errorf("a lapsed password still in Asterisk: %q", got)
	}
	if err := p.Revoke(ctx, "9002"); err != nil {
		t.Fatal(err)
	}
	if a.password("9002") == other.Password {
		t.Error("a revoked password still in Asterisk")
	}
}

// At start, the passwords of an earlier run are revoked; handsets and empty extensions are skipped.
func TestRevokeAll(t *testing.T) {
	ctx := context.Background()
	a := &fakeAsterisk{files: map[string]bool{"1001": true}}
	earlier := &Provisioner{Asterisk: a, WebSocket: "ws://127.0.0.1:8088/ws"}
	c, err := earlier.Issue(ctx, "9001")
	if err != nil {
		t.Fatal(err)
	}
	now := &Provisioner{Asterisk: a, WebSocket: "ws://127.0.0.1:8088/ws"}
	if err := now.RevokeAll(ctx, []string{"9001", "1001", ""}); err != nil {
		t.Fatalf("RevokeAll: %v (a handset or an operator without extension is no error)", err)
	}
	if got := a.password("9001"); got == c.Password || got == "" {
		t.Errorf("the earlier run's password survives: %q", got)
	}
	// The device kind the nodes ring by (IsSoftphone) is known again after the start's revocation.
	for ext, want := range map[string]bool{"9001": true, "1001": false, "9002": false} {
		if got := now.IsSoftphone(ext); got != want {
			t.Errorf("after RevokeAll IsSoftphone(%s) = %v, want %v", ext, got, want)
		}
	}
}

// Operators out of service lose their softphones: Prune deletes, endpoint first, every object
// pushed for an extension no operator in service has (removed, or renumbered), and keeps the
// others; a handset and an extension never pushed are no error. RemoveAll does it at start for the
// removed operators an earlier run may have pushed for.
func TestPruneRemovesSoftphonesOutOfService(t *testing.T) {
	ctx := context.Background()
	a := &fakeAsterisk{files: map[string]bool{"1001": true}}
	p := &Provisioner{Asterisk: a, WebSocket: "ws://127.0.0.1:8088/ws"}
	for _, ext := range []string{"9101", "9102", "9103"} {
		if _, err := p.Issue(ctx, ext); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Revoke(ctx, "9103"); err != nil { // logged out: still pushed
		t.Fatal(err)
	}
	a.order = nil
	if err := p.Prune(ctx, []string{"9102", "1001"}); err != nil {
		t.Fatalf("Prune: %v", err)
	}
	for _, ext := range []string{"9101", "9103"} {
		for _, typ := range []string{"endpoint", "aor", "auth"} {
			if a.has(typ, ext) {
				t.Errorf("%s %s left in Asterisk after its operator left service", typ, ext)
			}
		}
	}
	for _, typ := range []string{"endpoint", "aor", "auth"} {
		if !a.has(typ, "9102") {
			t.Errorf("%s 9102 of an operator in service was deleted", typ)
		}
	}
	for ext, want := range map[string]bool{"9101": false, "9102": true, "9103": false, "1001": false} {
		if got := p.IsSoftphone(ext); got != want {
			t.Errorf("after Prune IsSoftphone(%s) = %v, want %v", ext, got, want)
		}
	}
	if want := "-endpoint,-aor,-auth,-endpoint,-aor,-auth"; strings.Join(a.order, ",") != want {
		t.Errorf("deletions %v, want each softphone's endpoint first", a.order)
	}
	if err := p.Prune(ctx, []string{"9102"}); err != nil || len(a.order) != 6 {
		t.Errorf("a second Prune: %v, deletions %v (want none more)", err, a.order)
	}
	if err := p.Remove(ctx, "1001"); !errors.Is(err, ErrHandset) || hotline.ErrorCode(err) != hotline.ECONFLICT {
		t.Errorf("Remove of a handset: %v, want ErrHandset", err)
	}
	if err := p.Remove(ctx, "9999"); err != nil {
		t.Errorf("Remove of an extension never pushed: %v", err)
	}
	if err := p.Remove(ctx, "99/1"); hotline.ErrorCode(err) != hotline.EINVALID {
		t.Errorf("Remove of a bad extension: %v", err)
	}
	// At start: an earlier run pushed 9102, whose operator was removed meanwhile.
	now := &Provisioner{Asterisk: a, WebSocket: "ws://127.0.0.1:8088/ws"}
	if err := now.RemoveAll(ctx, []string{"9102", "1001", ""}); err != nil {
		t.Fatalf("RemoveAll: %v", err)
	}
	if a.has("endpoint", "9102") || a.has("auth", "9102") {
		t.Errorf("an earlier run's softphone of a removed operator survives the start")
	}
	a.fail = errors.New("connection refused")
	if _, err := p.Issue(ctx, "9104"); err == nil {
		t.Fatal("Issue with Asterisk down succeeded")
	}
	if err := p.Remove(ctx, "9104"); hotline.ErrorCode(err) != hotline.EUNAVAILABLE {
		t.Errorf("Remove with Asterisk down: %v, want EUNAVAILABLE", err)
	}
}

// fakeKamailio keeps the softphones' table and the mark's as Kamailio's htables do; a restart
// empties them.
type fakeKamailio struct {
	mu    sync.Mutex
	table map[string]string
	marks map[string]string
	fail  error // every call fails with it
}

func (k *fakeKamailio) HTableSet(_ context.Context, table, key, value string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fail != nil {
		return k.fail
	}
	switch table {
	case KamailioTable:
		if k.table == nil {
			k.table = map[string]string{}
		}
		k.table[key] = value
	case KamailioMarkTable:
		if k.marks == nil {
			k.marks = map[string]string{}
		}
		k.marks[key] = value
	default:
		return errors.New("No such htable")
	}
	return nil
}

func (k *fakeKamailio) HTableDelete(_ context.Context, table, key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fail != nil {
		return k.fail
	}
	delete(k.table, key)
	return nil
}

func (k *fakeKamailio) HTableFlush(_ context.Context, table string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fail != nil {
		return k.fail
	}
	k.table = nil
	return nil
}

func (k *fakeKamailio) HTableGet(_ context.Context, table, key string) (string, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fail != nil {
		return "", false, k.fail
	}
	if table != KamailioMarkTable {
		return "", false, errors.New("No such htable")
	}
	v, ok := k.marks[key]
	return v, ok, nil
}

func (k *fakeKamailio) restart() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.table, k.marks = nil, nil
}

func (k *fakeKamailio) snapshot() map[string]string {
	k.mu.Lock()
	defer k.mu.Unlock()
	m := map[string]string{}
	for ext, pw := range k.table {
		m[ext] = pw
	}
	return m
}

// With Kamailio, the password issued is the one Kamailio holds; revoked or removed, Kamailio holds
// none for the extension; Kamailio refusing fails the issue (the page would get a password it does
// not take); the first sync empties the table of an earlier run's passwords; after Kamailio restarted (or did not answer), SyncKamailio sets every valid password
// again, and otherwise sends none.
func TestKamailioKeepsTheIssuedPasswords(t *testing.T) {
	ctx := context.Background()
	// A password an earlier run of hotline issued, which this one never knew.
	k := &fakeKamailio{table: map[string]string{"9109": "earlier"}, marks: map[string]string{KamailioMarkKey: "an earlier run's"}}
	p := &Provisioner{Asterisk: &fakeAsterisk{}, WebSocket: "ws://127.0.0.105:5066/ws", Kamailio: k}
	issued := map[string]string{} // the last password issued per extension
	issue := func(ext string) error {
		c, err := p.Issue(ctx, ext)
		if err == nil {
			issued[ext] = c.Password
		}
		return err
	}
	resync := func(wantSet bool) func() error {
		return func() error {
			set, err := p.SyncKamailio(ctx)
			if err == nil && set != wantSet {
				return fmt.Errorf("SyncKamailio set the passwords: %v, want %v", set, wantSet)
			}
			return err
		}
	}
	steps := []struct {
		name string
		do   func() error
		want map[string]string // Kamailio's table after; values "<9101>": 9101's current issue
	}{
		{"issue 9101", func() error { return issue("9101") }, map[string]string{"9101": "<9101>", "9109": "<earlier>"}},
		{"issue 9102", func() error { return issue("9102") }, map[string]string{"9101": "<9101>", "9102": "<9102>", "9109": "<earlier>"}},
		{"first sync: the earlier run's gone, the issued set", resync(true), map[string]string{"9101": "<9101>", "9102": "<9102>"}},
		{"no restart, nothing sent", resync(false), map[string]string{"9101": "<9101>", "9102": "<9102>"}},
		{"reissue 9101", func() error { return issue("9101") }, map[string]string{"9101": "<9101>", "9102": "<9102>"}},
		{"revoke 9102", func() error { return p.Revoke(ctx, "9102") }, map[string]string{"9101": "<9101>"}},
		{"restart", func() error { k.restart(); return nil }, map[string]string{}},
		{"sync after the restart", resync(true), map[string]string{"9101": "<9101>"}},
		{"Kamailio down", func() error {
			k.restart()
			k.fail = errors.New("connection refused")
			if _, err := p.SyncKamailio(ctx); err == nil {
				return errors.New("SyncKamailio with Kamailio down: no error")
			}
			k.fail = nil
			return nil
		}, map[string]string{}},
		{"back", resync(true), map[string]string{"9101": "<9101>"}},
		{"remove 9101", func() error { return p.Remove(ctx, "9101") }, map[string]string{}},
		{"restart after the removal", func() error { k.restart(); return nil }, map[string]string{}},
		{"nothing to set again", resync(true), map[string]string{}},
	}
	issued["earlier"] = "earlier"
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got := k.snapshot()
		want := map[string]string{}
		for ext, v := range st.want {
			want[ext] = issued[strings.Trim(v, "<>")]
		}
		if len(got) != len(want) {
			t.Fatalf("%s: Kamailio holds %d passwords, want %d (%v)", st.name, len(got), len(want), keys(got))
		}
		for ext, pw := range want {
			if got[ext] != pw || pw == "" {
				t.Fatalf("%s: Kamailio's password for %s is not the one issued last", st.name, ext)
			}
		}
	}

	k.fail = errors.New("No such htable")
	_, err := p.Issue(ctx, "9103")
	if !errors.Is(err, k.fail) || hotline.ErrorCode(err) != hotline.EUNAVAILABLE {
		t.Fatalf("issue with Kamailio refusing: %v, want EUNAVAILABLE wrapping its error", err)
	}
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
