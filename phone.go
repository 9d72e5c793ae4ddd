package hotline

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// DefaultPhoneRegion is the region whose national numbers a journal reads when none is set: the
// fund is Russian, so "8 912 …" and "7912…" are +7 912 ….
const DefaultPhoneRegion = "RU"

// PhoneRegion is the ISO 3166 region (e.g. "RU") that national numbers are read in. Its zero value
// means DefaultPhoneRegion.
type PhoneRegion string

// Valid reports whether r is a region libphonenumber knows (the zero value is).
func (r PhoneRegion) Valid() bool {
	if r == "" {
		return true
	}
	return phonenumbers.GetCountryCodeForRegion(string(r)) != 0
}

func (r PhoneRegion) code() string {
	if r == "" {
		return DefaultPhoneRegion
	}
	return strings.ToUpper(string(r))
}

// MaxPhoneInput bounds what Normalize parses: a caller id or a typed number, never a document.
const MaxPhoneInput = 64

// Normalize brings a phone number to its one stored form, E.164 ("+79121234567"), read as a
// national number of r when it has no country code: "8 912 123-45-67", "79121234567" and
// "+7 (912) 123 45 67" are the same caller. ok is false when raw is not a possible phone number
// (an extension such as 1001, "anonymous", a name): then n is raw with surrounding spaces trimmed,
// kept verbatim so that it is never lost, and callers flag it. Normalize is idempotent:
// Normalize(Normalize(x)) == Normalize(x).
func (r PhoneRegion) Normalize(raw string) (n string, ok bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > MaxPhoneInput {
		return raw, false
	}
	num, err := phonenumbers.Parse(raw, r.code())
	// IS_POSSIBLE, not IS_POSSIBLE_LOCAL_ONLY: a 7-digit local number without its area code is
	// a different caller in every city.
	if err != nil || phonenumbers.IsPossibleNumberWithReason(num) != phonenumbers.IS_POSSIBLE {
		return raw, false
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if e164 == raw {
		// raw is already its stored form (a number read back from the journal): the parse above was
		// of e164 itself, so the fixed point below holds, and '+' and digits pass the check after
		// it. This halves the cost for the numbers the workplace and the journal normalise again.
		return e164, true
	}
	// Only a fixed point is a stored form: libphonenumber reads some odd inputs ("-0000000000")
	// as a number whose E.164 it then reads as another; such input is not a number people give.
	if again, err := phonenumbers.Parse(e164, r.code()); err != nil || phonenumbers.Format(again, phonenumbers.E164) != e164 ||
		phonenumbers.IsPossibleNumberWithReason(again) != phonenumbers.IS_POSSIBLE {
		return raw, false
	}
	// Parse reads letters as keypad digits ("1-800-FLOWERS") and skips much punctuation: accept
	// only what a person writes as a number, so a name never becomes someone's number.
	for _, c := range raw {
		switch {
		case c >= '0' && c <= '9', c == '+', c == ' ', c == '-', c == '(', c == ')', c == '.':
		default:
			return raw, false
		}
	}
	return e164, true
}

// Same reports whether a and b are the same phone number in region r: both possible numbers that
// normalise alike, or, when neither is, the same digits (an extension written "10 01" is 1001).
func (r PhoneRegion) Same(a, b string) bool {
	na, oka := r.Normalize(a)
	nb, okb := r.Normalize(b)
	if !oka && !okb {
		na, nb = NormalizePhone(na), NormalizePhone(nb)
	}
	return oka == okb && na == nb && na != ""
}

// PhoneSet is a list of phone numbers normalised once, to tell whether a caller is one of them as
// PhoneRegion.Same would, without parsing every listed number at every call. Its zero value is empty.
type PhoneSet struct {
	valid map[string]bool // E.164 forms of the listed possible numbers
	plain map[string]bool // the digits of the rest (extensions), as Same compares them
}

// NewPhoneSet normalises numbers in region r.
func NewPhoneSet(r PhoneRegion, numbers []string) PhoneSet {
	s := PhoneSet{valid: map[string]bool{}, plain: map[string]bool{}}
	for _, raw := range numbers {
		if n, ok := r.Normalize(raw); ok {
			s.valid[n] = true
		} else if d := NormalizePhone(n); d != "" {
			s.plain[d] = true
		}
	}
	return s
}

// Has reports whether a number, given as the set's region's Normalize returned it (n, ok), is the
// same as one of the set's: PhoneRegion.Same(listed, raw) for some listed number.
func (s PhoneSet) Has(n string, ok bool) bool {
	if ok {
		return s.valid[n]
	}
	d := NormalizePhone(n)
	return d != "" && s.plain[d]
}
