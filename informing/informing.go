// Package informing is the progressive dialler's pure scheduling (§7.1, «ЕИР263»): whom of a
// campaign to dial next, when (calling hours in the fund's time zone), on which of their numbers,
// and when to try again after an unanswered call. No I/O, no clock: the time is always given, so
// the journal (which claims the person) and the tests decide it the same way.
package informing

import (
	"fmt"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
)

// Hours are the calling hours: persons are dialled only between From and To (local time of
// Location, the fund's time zone), every day.
type Hours struct {
	From, To time.Duration // since local midnight; From < To
	Location *time.Location
}

// DefaultHours are 09:00–20:00 in loc (UTC when nil).
func DefaultHours(loc *time.Location) Hours {
	return Hours{From: 9 * time.Hour, To: 20 * time.Hour, Location: loc}
}

// ParseHours reads "HH:MM-HH:MM" (a dash or an en dash) in loc.
func ParseHours(s string, loc *time.Location) (Hours, error) {
	a, b, ok := strings.Cut(strings.ReplaceAll(strings.TrimSpace(s), "–", "-"), "-")
	if !ok {
		return Hours{}, hotline.Errorf(hotline.EINVALID, "calling hours %q: want HH:MM-HH:MM, e.g. 09:00-20:00", s)
	}
	from, err := clockTime(a)
	if err != nil {
		return Hours{}, err
	}
	to, err := clockTime(b)
	if err != nil {
		return Hours{}, err
	}
	h := Hours{From: from, To: to, Location: loc}
	return h, h.Validate()
}

func clockTime(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var hh, mm int
	if n, err := fmt.Sscanf(s, "%d:%d", &hh, &mm); n != 2 || err != nil || len(s) != 5 || hh < 0 || hh > 24 || mm < 0 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, hotline.Errorf(hotline.EINVALID, "calling hours: %q is not a time of day HH:MM", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// Validate checks that the hours are a non-empty window within one day.
func (h Hours) Validate() error {
	if h.From < 0 || h.To > 24*time.Hour || h.From >= h.To {
		return hotline.Errorf(hotline.EINVALID, "calling hours %s: the window must start before it ends, within one day", h)
	}
	return nil
}

func (h Hours) String() string {
	f := func(d time.Duration) string { return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60) }
	return f(h.From) + "-" + f(h.To)
}

func (h Hours) loc() *time.Location {
	if h.Location == nil {
		return time.UTC
	}
	return h.Location
}

// midnight is the start of t's day in the hours' zone.
func (h Hours) midnight(t time.Time) time.Time {
	y, m, d := t.In(h.loc()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, h.loc())
}

// Open reports whether t is within the calling hours.
func (h Hours) Open(t time.Time) bool {
	since := t.Sub(h.midnight(t))
	return since >= h.From && since < h.To
}

// NextOpen is t when the hours are open at t, else when they next open.
func (h Hours) NextOpen(t time.Time) time.Time {
	if h.Open(t) {
		return t
	}
	m := h.midnight(t)
	if start := m.Add(h.From); t.Before(start) {
		return start
	}
	y, mo, d := m.Date()
	return time.Date(y, mo, d+1, 0, 0, 0, 0, h.loc()).Add(h.From) // Date, not Add(24h): DST days
}

// Retry is how often and how soon an unanswered person is dialled again.
type Retry struct {
	Attempts int           // dialling attempts per person at most; 0: DefaultRetry's
	First    time.Duration // the wait after the first unanswered attempt; doubled after each next
	Max      time.Duration // the longest wait
}

// DefaultRetry: three attempts, 30 minutes, then an hour, at most four hours apart.
var DefaultRetry = Retry{Attempts: 3, First: 30 * time.Minute, Max: 4 * time.Hour}

func (r Retry) orDefault() Retry {
	if r.Attempts <= 0 {
		r.Attempts = DefaultRetry.Attempts
	}
	if r.First <= 0 {
		r.First = DefaultRetry.First
	}
	if r.Max < r.First {
		r.Max = max(DefaultRetry.Max, r.First)
	}
	return r
}

// Wait is the back-off after attempts unanswered attempts (1, 2, …).
func (r Retry) Wait(attempts int) time.Duration {
	r = r.orDefault()
	w := r.First
	for i := 1; i < attempts && w < r.Max; i++ {
		w *= 2
	}
	return min(w, r.Max)
}

// Person is one person of a campaign as the dialler sees them.
type Person struct {
	ID        int64
	Status    hotline.InformingStatus
	Phones    []hotline.InsuredPhone // the register's, with the «неверно» marks
	Attempts  int                    // dialling attempts made
	NextAt    time.Time              // not dialled before (a back-off); zero: at once
	ClaimedAt time.Time              // when a representative's dialling claimed them (InformDialling)
}

// Number is the number the next attempt dials: the person's numbers not marked wrong, in turn by
// attempt (a second number is tried when the first did not answer). "" when none is left.
func Number(p Person) string {
	var ok []string
	for _, ph := range p.Phones {
		if !ph.Wrong && ph.Number != "" {
			ok = append(ok, ph.Number)
		}
	}
	if len(ok) == 0 {
		return ""
	}
	return ok[p.Attempts%len(ok)]
}

// Plan is one campaign's dialling rules.
type Plan struct {
	Hours Hours
	Retry Retry
	// ClaimTimeout: a person claimed for dialling this long ago whose attempt never came back (the
	// daemon stopped meanwhile) may be claimed again.
	ClaimTimeout time.Duration
}

// DefaultClaimTimeout is Plan.ClaimTimeout's default: well beyond any ring.
const DefaultClaimTimeout = 10 * time.Minute

// Due reports whether p may be dialled at now, and if not, the earliest time they may be (zero:
// never: a final status, attempts run out, no number left).
func (pl Plan) Due(p Person, now time.Time) (bool, time.Time) {
	r := pl.Retry.orDefault()
	if p.Status.Final() || p.Status == hotline.InformAnswered || p.Attempts >= r.Attempts || Number(p) == "" {
		return false, time.Time{}
	}
	at := p.NextAt
	if p.Status == hotline.InformDialling {
		ct := pl.ClaimTimeout
		if ct <= 0 {
			ct = DefaultClaimTimeout
		}
		at = p.ClaimedAt.Add(ct)
	}
	if at.Before(now) || at.Equal(now) {
		at = now
	}
	at = pl.Hours.NextOpen(at)
	return !at.After(now), at
}

// Next picks whom of persons (in the campaign's order) to dial at now: the index of the first due
// and their number, or -1 and when the first of them becomes due (zero: none ever will).
func (pl Plan) Next(persons []Person, now time.Time) (int, string, time.Time) {
	var wake time.Time
	for i, p := range persons {
		due, at := pl.Due(p, now)
		if due {
			return i, Number(p), time.Time{}
		}
		if !at.IsZero() && (wake.IsZero() || at.Before(wake)) {
			wake = at
		}
	}
	return -1, "", wake
}

// AfterDial is the person's status and next due time after one more attempt ended with o at now.
func (pl Plan) AfterDial(p Person, o hotline.DialOutcome, now time.Time) (hotline.InformingStatus, time.Time) {
	if o == hotline.DialAnswered {
		return hotline.InformAnswered, time.Time{}
	}
	r := pl.Retry.orDefault()
	attempts := p.Attempts + 1
	if attempts >= r.Attempts {
		return hotline.InformGaveUp, time.Time{}
	}
	p.Attempts = attempts
	if Number(p) == "" {
		return hotline.InformNoPhone, time.Time{}
	}
	return hotline.InformNoAnswer, now.Add(r.Wait(attempts))
}
