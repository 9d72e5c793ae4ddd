package ariadapter

import (
	"errors"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/hotline-dev/hotline/switchboard"
)

func TestDecodeEntry(t *testing.T) {
	tests := []struct {
		args []string
		want switchboard.Entry // nil: malformed
	}{
		{[]string{"inbound"}, switchboard.Inbound{}},
		{[]string{"inbound", "language=EN"}, switchboard.Inbound{Language: "en"}},
		{[]string{"inbound", "topic=policy-replace", " language = ru "}, switchboard.Inbound{Language: "ru", Topic: "policy-replace"}},
		{[]string{"inbound", "langauge=en", "vip", "topic="}, switchboard.Inbound{Ignored: []string{"langauge=en", "vip", "topic="}}},
		{[]string{"inbound", ""}, switchboard.Inbound{}}, // Stasis(app,inbound,) leaves an empty argument
		{[]string{"offer", "c1"}, switchboard.Offer{Call: "c1"}},
		{[]string{"transfer", "c1"}, switchboard.TransferTarget{Call: "c1"}},
		{[]string{"consult", "2001"}, switchboard.Consult{Extension: "2001"}},
		{[]string{"consulted", "a2"}, switchboard.Consulted{A2: "a2"}},
		{[]string{"callback", "c7", "79007770007"}, switchboard.Callback{Call: "c7", Number: "79007770007"}},
		{[]string{"callback", "c7", ""}, switchboard.Callback{Call: "c7"}},
		{[]string{"supervisor", "c1"}, switchboard.SupervisorDevice{Call: "c1"}},
		{[]string{"snoop", "c1"}, switchboard.SnoopChannel{Call: "c1"}},
		{[]string{"snoop"}, nil},
		{[]string{"supervisor", "c1", "c2"}, nil},
		{[]string{"feature", "login"}, switchboard.Feature{Action: "login"}},
		{[]string{"feature", "pause", "3"}, switchboard.Feature{Action: "pause", Arg: "3"}},
		{[]string{"feature", "dance", "1"}, switchboard.Feature{Action: "dance", Arg: "1"}}, // refused by the switchboard, with a prompt
		{[]string{"feature"}, switchboard.Feature{}},
		{nil, nil},
		{[]string{""}, nil},
		{[]string{"Inbound"}, nil},
		{[]string{"offer"}, nil},
		{[]string{"offer", ""}, nil},
		{[]string{"offer", "c1", "x"}, nil},
		{[]string{"transfer"}, nil},
		{[]string{"consult"}, nil},
		{[]string{"consulted", "a2", "b"}, nil},
		{[]string{"callback", "c7"}, nil},
		{[]string{"callback", "", "79007770007"}, nil},
		{[]string{"feature", "pause", "3", "4"}, nil},
	}
	for _, tt := range tests {
		got, err := DecodeEntry(tt.args)
		if tt.want == nil {
			bad, ok := got.(switchboard.Malformed)
			if err == nil || !errors.Is(err, ErrStasisArgs) || !ok || !reflect.DeepEqual(bad.Args, tt.args) || bad.Err != err {
				t.Errorf("DecodeEntry(%q) = %#v, %v; want Malformed and ErrStasisArgs", tt.args, got, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("DecodeEntry(%q) = %#v, %v; want %#v", tt.args, got, err, tt.want)
		}
	}
}

func TestEncodeEntry(t *testing.T) {
	tests := []struct {
		entry switchboard.Entry
		want  []string // nil: refused
	}{
		{switchboard.Offer{Call: "c1"}, []string{"offer", "c1"}},
		{switchboard.Offer{Call: "1763900000.99"}, []string{"offer", "1763900000.99"}},
		{switchboard.TransferTarget{Call: "c1-cb3"}, []string{"transfer", "c1-cb3"}},
		{switchboard.Consulted{A2: "a2"}, []string{"consulted", "a2"}},
		{switchboard.Callback{Call: "c7", Number: "+79007770007"}, []string{"callback", "c7", "+79007770007"}},
		{switchboard.Consult{Extension: "2001"}, []string{"consult", "2001"}},
		{switchboard.SupervisorDevice{Call: "c1"}, []string{"supervisor", "c1"}},
		{switchboard.SnoopChannel{Call: "1763900000.99"}, []string{"snoop", "1763900000.99"}},
		{switchboard.SnoopChannel{}, nil},
		{switchboard.Feature{Action: "pause", Arg: "3"}, []string{"feature", "pause", "3"}},
		{switchboard.Inbound{Language: "en", Topic: "11"}, []string{"inbound", "language=en", "topic=11"}},
		{switchboard.Offer{}, nil},
		{switchboard.Callback{Number: "79007770007"}, nil},
		{switchboard.Callback{Call: "c7", Number: "7900,1"}, nil}, // a comma would split the list
		{switchboard.Offer{Call: "c(1)"}, nil},
		{switchboard.Offer{Call: " c1"}, nil},
		{switchboard.Inbound{Language: "EN"}, nil},                   // reads back as "en"
		{switchboard.Inbound{Ignored: []string{"language=en"}}, nil}, // reads back as a language
		{switchboard.Malformed{Args: []string{"x"}}, nil},
		{nil, nil},
	}
	for _, tt := range tests {
		got, err := EncodeEntry(tt.entry)
		if tt.want == nil {
			if err == nil || !errors.Is(err, ErrStasisArgs) {
				t.Errorf("EncodeEntry(%#v) = %q, %v; want ErrStasisArgs", tt.entry, got, err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("EncodeEntry(%#v) = %q, %v; want %q", tt.entry, got, err, tt.want)
		}
	}
}

// plain is an argument Asterisk passes through unchanged.
func plain(a string) bool {
	return !strings.ContainsAny(a, ",\"\\()[]{}") && strings.TrimSpace(a) == a
}

// FuzzDecodeEntry: any argument list (as Asterisk splits it at commas) decodes to an entry or to
// Malformed with ErrStasisArgs; a decoded entry of plain arguments encodes, and reads back the same.
func FuzzDecodeEntry(f *testing.F) {
	for _, s := range []string{"inbound", "inbound,language=EN,topic=11,vip", "inbound,", "offer,c1", "offer", "transfer,c1,",
		"consult,2001", "consulted,a2", "callback,c7,79007770007", "callback,c7,", "feature", "feature,pause,3", "feature,,",
		"", ",", "feature,pause,3,4", "inbound, language = ru ,topic=", "inbound,=x,topic==", "offer,c(1)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, ",")
		e, err := DecodeEntry(args)
		if err != nil {
			if bad, ok := e.(switchboard.Malformed); !ok || !errors.Is(err, ErrStasisArgs) || !reflect.DeepEqual(bad.Args, args) {
				t.Fatalf("DecodeEntry(%q) = %#v, %v", args, e, err)
			}
			return
		}
		back, err := EncodeEntry(e)
		if err != nil {
			for _, a := range args {
				if !plain(a) {
					return // not every dialplan spelling has a canonical form Asterisk passes intact
				}
			}
			t.Fatalf("DecodeEntry(%q) = %#v, which does not encode: %v", args, e, err)
		}
		if again, err := DecodeEntry(back); err != nil || !reflect.DeepEqual(again, e) {
			t.Fatalf("%q → %#v → %q → %#v, %v", args, e, back, again, err)
		}
	})
}

// FuzzEncodeEntry: whatever EncodeEntry writes survives Asterisk's comma split and decodes to the
// entry it was written from; an entry of plain, non-empty values is always written.
func FuzzEncodeEntry(f *testing.F) {
	f.Add(uint8(0), "c1", "")
	f.Add(uint8(4), "c7-cb3", "+79007770007")
	f.Add(uint8(5), "pause", "3")
	f.Add(uint8(6), "en", "policy-replace")
	f.Add(uint8(1), "c,1", "")
	f.Fuzz(func(t *testing.T, kind uint8, a, b string) {
		var e switchboard.Entry
		switch kind % 7 {
		case 0:
			e = switchboard.Offer{Call: a}
		case 1:
			e = switchboard.TransferTarget{Call: a}
		case 2:
			e = switchboard.Consult{Extension: a}
		case 3:
			e = switchboard.Consulted{A2: a}
		case 4:
			e = switchboard.Callback{Call: a, Number: b}
		case 5:
			e = switchboard.Feature{Action: a, Arg: b}
		case 6:
			e = switchboard.Inbound{Language: a, Topic: b}
		}
		args, err := EncodeEntry(e)
		if err != nil {
			if kind%7 < 5 && a != "" && plain(a) && plain(b) {
				t.Fatalf("EncodeEntry(%#v): %v", e, err)
			}
			return
		}
		split := strings.Split(strings.Join(args, ","), ",")
		if back, err := DecodeEntry(split); err != nil || !reflect.DeepEqual(back, e) {
			t.Fatalf("%#v → %q → %#v, %v", e, split, back, err)
		}
	})
}

// TestDialplanEntries reads every Stasis(${HOTLINE_APP},...) in the shipped dialplan and decodes
// its arguments, dialplan variables standing in as digits: a typo there fails here, not on a call.
func TestDialplanEntries(t *testing.T) {
	b, err := os.ReadFile("../../asterisk-conf/extensions.conf")
	if err != nil {
		t.Fatal(err)
	}
	variable := regexp.MustCompile(`\$\{[^}]*\}`)
	kinds := map[string]bool{}
	found := 0
	for n, ln := range strings.Split(string(b), "\n") {
		code, _, _ := strings.Cut(ln, ";")
		for rest := code; ; {
			i := strings.Index(rest, "Stasis(")
			if i < 0 {
				break
			}
			rest = rest[i+len("Stasis("):]
			body, tail, ok := closing(rest)
			if !ok {
				t.Fatalf("extensions.conf:%d: unbalanced Stasis(: %s", n+1, ln)
			}
			rest = tail
			app, argList, _ := strings.Cut(body, ",")
			if app != "${HOTLINE_APP}" {
				t.Errorf("extensions.conf:%d: Stasis application %q, want ${HOTLINE_APP}", n+1, app)
				continue
			}
			found++
			args := strings.Split(variable.ReplaceAllString(argList, "1"), ",")
			e, err := DecodeEntry(args)
			switch e := e.(type) {
			case switchboard.Inbound:
				if len(e.Ignored) > 0 {
					t.Errorf("extensions.conf:%d: options hotline does not know: %q", n+1, e.Ignored)
				}
			case switchboard.Feature:
				if !e.Known() {
					t.Errorf("extensions.conf:%d: feature %q is not one the switchboard applies", n+1, e.Action)
				}
			case switchboard.Consult:
			case switchboard.Malformed:
				t.Errorf("extensions.conf:%d: %v", n+1, err)
			default:
				t.Errorf("extensions.conf:%d: %T is hotline's own Originate entry, not the dialplan's", n+1, e)
			}
			kinds[args[0]] = true
		}
	}
	// The shipped dialplan's contract: callers, feature codes, consultations.
	for _, k := range []string{"inbound", "feature", "consult"} {
		if !kinds[k] {
			t.Errorf("no Stasis(${HOTLINE_APP},%s...) in extensions.conf (found %d Stasis calls)", k, found)
		}
	}
}

// closing returns s up to the parenthesis closing an opened one, and what follows it.
func closing(s string) (body, tail string, ok bool) {
	depth := 1
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return s[:i], s[i+1:], true
			}
		}
	}
	return "", "", false
}
