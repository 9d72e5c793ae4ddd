package hotline

import (
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func TestPhoneRegionNormalize(t *testing.T) {
	for _, tc := range []struct {
		region PhoneRegion
		raw    string
		want   string
		ok     bool
	}{
		{"", "89121234567", "+79121234567", true},
		{"", "79121234567", "+79121234567", true},
		{"", "+7 (912) 123-45-67", "+79121234567", true},
		{"", "8 912 123 45 67", "+79121234567", true},
		{"", "9121234567", "+79121234567", true},
		{"RU", "+79121234567", "+79121234567", true},
		{"ru", "88652123456", "+78652123456", true},
		{"", "+44 20 7946 0958", "+442079460958", true},
		{"", "810442079460958", "+442079460958", true}, // 8-10: Russia's international prefix
		{"GB", "020 7946 0958", "+442079460958", true},
		{"", "1001", "1001", false},       // an extension: kept verbatim, flagged
		{"", "2345678", "2345678", false}, // a local number without its area code: a different caller in every city
		{"", "anonymous", "anonymous", false},
		{"", "  ", "", false},
		{"", "1-800-FLOWERS", "1-800-FLOWERS", false},
		{"", "+7 912 ABC", "+7 912 ABC", false},
		{"", strings.Repeat("9", 100), strings.Repeat("9", 100), false},
	} {
		n, ok := tc.region.Normalize(tc.raw)
		if n != tc.want || ok != tc.ok {
			t.Errorf("%q.Normalize(%q) = %q, %v; want %q, %v", tc.region, tc.raw, n, ok, tc.want, tc.ok)
		}
	}
}

func TestPhoneRegionSame(t *testing.T) {
	var r PhoneRegion
	if !r.Same("8 912 123-45-67", "+79121234567") || !r.Same("79121234567", "+7 (912) 123 45 67") {
		t.Error("one caller written three ways is not the same")
	}
	if r.Same("+79121234567", "+79121234568") || r.Same("", "") || r.Same("1001", "+71001") {
		t.Error("different callers are the same")
	}
	if !r.Same("1001", "1001") {
		t.Error("an extension is not itself")
	}
}

func TestPhoneRegionValid(t *testing.T) {
	for r, want := range map[PhoneRegion]bool{"": true, "RU": true, "GB": true, "XX": false, "russia": false} {
		if got := r.Valid(); got != want {
			t.Errorf("%q.Valid() = %v, want %v", r, got, want)
		}
	}
}

// FuzzPhoneNormalize: no panic, idempotent, and a number said to be valid is E.164.
func FuzzPhoneNormalize(f *testing.F) {
	for _, s := range []string{"89121234567", "+7 (912) 123-45-67", "1001", "anonymous", "", "+", "8-10-44", "\x00", "٣٣٣٣٣٣٣٣٣٣", "-0000000000"} {
		f.Add(s, "RU")
	}
	f.Add("020 7946 0958", "GB")
	f.Fuzz(func(t *testing.T, raw, region string) {
		r := PhoneRegion(region)
		if !r.Valid() {
			r = ""
		}
		n, ok := r.Normalize(raw)
		n2, ok2 := r.Normalize(n)
		if n2 != n || ok2 != ok {
			t.Fatalf("not idempotent: %q -> %q (%v) -> %q (%v)", raw, n, ok, n2, ok2)
		}
		if ok && (!strings.HasPrefix(n, "+") || len(n) < 3 || strings.Trim(n[1:], "0123456789") != "") {
			t.Fatalf("%q normalised to %q, not E.164", raw, n)
		}
	})
}

// FuzzPhoneSetHas: a set answers as PhoneRegion.Same against each of its numbers does.
func FuzzPhoneSetHas(f *testing.F) {
	for _, s := range [][2]string{{"8 912 123-45-67", "+79121234567"}, {"1001", "10 01"}, {"1001", "+71001"},
		{"", ""}, {"anonymous", "anonymous"}, {"+7 (912) 123 45 67", "79121234568"}, {"-0000000000", "0000000000"}} {
		f.Add(s[0], s[1], "RU")
	}
	f.Fuzz(func(t *testing.T, listed, raw, region string) {
		r := PhoneRegion(region)
		if !r.Valid() {
			r = ""
		}
		set := NewPhoneSet(r, []string{listed, "+79000000000"})
		n, ok := r.Normalize(raw)
		want := r.Same(listed, raw) || r.Same("+79000000000", raw)
		if got := set.Has(n, ok); got != want {
			t.Errorf("region %q: set {%q} has %q: %v, Same says %v", r, listed, raw, got, want)
		}
	})
}

// normalizeFull is Normalize without its shortcut for a number already in its stored form: what
// FuzzPhoneNormalizeShortcut compares it with.
func normalizeFull(r PhoneRegion, raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > MaxPhoneInput {
		return raw, false
	}
	num, err := phonenumbers.Parse(raw, r.code())
	if err != nil || phonenumbers.IsPossibleNumberWithReason(num) != phonenumbers.IS_POSSIBLE {
		return raw, false
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if again, err := phonenumbers.Parse(e164, r.code()); err != nil || phonenumbers.Format(again, phonenumbers.E164) != e164 ||
		phonenumbers.IsPossibleNumberWithReason(again) != phonenumbers.IS_POSSIBLE {
		return raw, false
	}
	for _, c := range raw {
		switch {
		case c >= '0' && c <= '9', c == '+', c == ' ', c == '-', c == '(', c == ')', c == '.':
		default:
			return raw, false
		}
	}
	return e164, true
}

// FuzzPhoneNormalizeShortcut: Normalize answers as its full form does, for any input and for its
// own output (the shortcut's case: a number already in E.164).
func FuzzPhoneNormalizeShortcut(f *testing.F) {
	for _, s := range []string{"+79121234567", "89121234567", "+78001234567", "+77011234567", "+7", "+0000000000",
		"-0000000000", "+1 800 555 0100", "+442079460958", " +79121234567 ", "+790012345678", "1001"} {
		f.Add(s, "RU")
	}
	f.Add("+442079460958", "GB")
	f.Fuzz(func(t *testing.T, raw, region string) {
		r := PhoneRegion(region)
		if !r.Valid() {
			r = ""
		}
		for _, in := range []string{raw, "+" + raw} {
			n, ok := r.Normalize(in)
			wn, wok := normalizeFull(r, in)
			if n != wn || ok != wok {
				t.Fatalf("Normalize(%q) in %q = %q, %v; the full form gives %q, %v", in, r, n, ok, wn, wok)
			}
			n2, ok2 := r.Normalize(n)
			wn2, wok2 := normalizeFull(r, n)
			if n2 != wn2 || ok2 != wok2 {
				t.Fatalf("Normalize(%q) in %q = %q, %v; the full form gives %q, %v", n, r, n2, ok2, wn2, wok2)
			}
		}
	})
}

// BenchmarkPhoneNormalize: a caller id as a trunk gives it, and a number read back in its stored
// form (the shortcut).
//
//	go test -run '^$' -bench PhoneNormalize -benchmem .
func BenchmarkPhoneNormalize(b *testing.B) {
	for _, raw := range []string{"79180001234", "+79180001234"} {
		b.Run(raw, func(b *testing.B) {
			var r PhoneRegion
			for b.Loop() {
				if _, ok := r.Normalize(raw); !ok {
					b.Fatal("not a number")
				}
			}
		})
	}
}
