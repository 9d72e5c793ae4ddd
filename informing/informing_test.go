package informing

import (
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

var yekt = time.FixedZone("YEKT", 5*3600)

// at is a time of 2026-03-02 (a Monday) in the fund's zone.
func at(hh, mm int) time.Time { return time.Date(2026, 3, 2, hh, mm, 0, 0, yekt) }

func TestHoursOpenAndNextOpen(t *testing.T) {
	h := DefaultHours(yekt)
	tests := []struct {
		name string
		t    time.Time
		open bool
		next time.Time
	}{
		{"before opening", at(8, 59), false, at(9, 0)},
		{"at opening", at(9, 0), true, at(9, 0)},
		{"midday", at(13, 30), true, at(13, 30)},
		{"a minute before closing", at(19, 59), true, at(19, 59)},
		{"at closing", at(20, 0), false, time.Date(2026, 3, 3, 9, 0, 0, 0, yekt)},
		{"night", at(23, 10), false, time.Date(2026, 3, 3, 9, 0, 0, 0, yekt)},
		// 06:00 UTC is 11:00 in the fund's zone: the zone decides, not the server's.
		{"utc morning is local midday", time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC), true, time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)},
		{"utc 15:30 is local 20:30", time.Date(2026, 3, 2, 15, 30, 0, 0, time.UTC), false, time.Date(2026, 3, 3, 9, 0, 0, 0, yekt)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := h.Open(tt.t); got != tt.open {
				t.Errorf("Open(%v) = %v, want %v", tt.t, got, tt.open)
			}
			if got := h.NextOpen(tt.t); !got.Equal(tt.next) {
				t.Errorf("NextOpen(%v) = %v, want %v", tt.t, got, tt.next)
			}
		})
	}
}

func TestParseHours(t *testing.T) {
	tests := []struct {
		in       string
		from, to time.Duration
		bad      bool
	}{
		{in: "09:00-20:00", from: 9 * time.Hour, to: 20 * time.Hour},
		{in: " 10:30 – 18:00 ", from: 10*time.Hour + 30*time.Minute, to: 18 * time.Hour},
		{in: "00:00-24:00", from: 0, to: 24 * time.Hour},
		{in: "20:00-09:00", bad: true}, // across midnight: not a calling window
		{in: "09:00-09:00", bad: true},
		{in: "9-20", bad: true},
		{in: "09:00", bad: true},
		{in: "25:00-26:00", bad: true},
		{in: "09:60-10:00", bad: true},
		{in: "", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			h, err := ParseHours(tt.in, yekt)
			if tt.bad {
				if err == nil || hotline.ErrorCode(err) != hotline.EINVALID {
					t.Fatalf("ParseHours(%q) = %v, %v; want EINVALID", tt.in, h, err)
				}
				return
			}
			if err != nil || h.From != tt.from || h.To != tt.to {
				t.Fatalf("ParseHours(%q) = %v, %v; want %v-%v", tt.in, h, err, tt.from, tt.to)
			}
		})
	}
}

func TestRetryWait(t *testing.T) {
	r := Retry{Attempts: 5, First: 10 * time.Minute, Max: 30 * time.Minute}
	for _, tt := range []struct {
		attempts int
		want     time.Duration
	}{{1, 10 * time.Minute}, {2, 20 * time.Minute}, {3, 30 * time.Minute}, {4, 30 * time.Minute}} {
		if got := r.Wait(tt.attempts); got != tt.want {
			t.Errorf("Wait(%d) = %v, want %v", tt.attempts, got, tt.want)
		}
	}
	if got := (Retry{}).Wait(1); got != DefaultRetry.First {
		t.Errorf("zero Retry waits %v after the first attempt, want the default %v", got, DefaultRetry.First)
	}
}

func phones(ns ...string) []hotline.InsuredPhone {
	var out []hotline.InsuredPhone
	for _, n := range ns {
		wrong := n[0] == '!'
		if wrong {
			n = n[1:]
		}
		out = append(out, hotline.InsuredPhone{Number: n, Wrong: wrong})
	}
	return out
}

func TestNumber(t *testing.T) {
	tests := []struct {
		name     string
		phones   []hotline.InsuredPhone
		attempts int
		want     string
	}{
		{"first number first", phones("+71", "+72"), 0, "+71"},
		{"second attempt, second number", phones("+71", "+72"), 1, "+72"},
		{"third attempt, first again", phones("+71", "+72"), 2, "+71"},
		{"a wrong number is never dialled", phones("!+71", "+72"), 0, "+72"},
		{"never, on any attempt", phones("!+71", "+72"), 1, "+72"},
		{"all wrong: none", phones("!+71", "!+72"), 0, ""},
		{"no phones: none", nil, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Number(Person{Phones: tt.phones, Attempts: tt.attempts}); got != tt.want {
				t.Errorf("Number = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNext(t *testing.T) {
	pl := Plan{Hours: DefaultHours(yekt), Retry: Retry{Attempts: 3, First: 30 * time.Minute, Max: 2 * time.Hour}}
	now := at(12, 0)
	pending := func(id int64, ph ...string) Person {
		return Person{ID: id, Status: hotline.InformPending, Phones: phones(ph...)}
	}
	tests := []struct {
		name    string
		persons []Person
		now     time.Time
		want    int64 // person id; 0: nobody
		number  string
		wake    time.Time
	}{
		{name: "the first pending", persons: []Person{pending(1, "+71"), pending(2, "+72")}, now: now, want: 1, number: "+71"},
		{name: "outside calling hours nobody, until they open",
			persons: []Person{pending(1, "+71")}, now: at(7, 0), wake: at(9, 0)},
		{name: "after closing, the next morning",
			persons: []Person{pending(1, "+71")}, now: at(20, 0), wake: time.Date(2026, 3, 3, 9, 0, 0, 0, yekt)},
		{name: "final statuses are skipped",
			persons: []Person{
				{ID: 1, Status: hotline.InformInformed, Phones: phones("+71")},
				{ID: 2, Status: hotline.InformRefused, Phones: phones("+72")},
				{ID: 3, Status: hotline.InformWrong, Phones: phones("+73")},
				{ID: 4, Status: hotline.InformAnswered, Phones: phones("+74")},
				pending(5, "+75"),
			}, now: now, want: 5, number: "+75"},
		{name: "a wrong number is skipped for the next number",
			persons: []Person{pending(1, "!+71", "+79")}, now: now, want: 1, number: "+79"},
		{name: "only wrong numbers: never",
			persons: []Person{pending(1, "!+71"), pending(2)}, now: now},
		{name: "a back-off not over yet waits; another is dialled",
			persons: []Person{{ID: 1, Status: hotline.InformNoAnswer, Attempts: 1, NextAt: at(12, 30), Phones: phones("+71")}, pending(2, "+72")},
			now:     now, want: 2, number: "+72"},
		{name: "only a back-off: wake when it ends",
			persons: []Person{{ID: 1, Status: hotline.InformNoAnswer, Attempts: 1, NextAt: at(12, 30), Phones: phones("+71")}},
			now:     now, wake: at(12, 30)},
		{name: "a back-off ending after hours: the next morning",
			persons: []Person{{ID: 1, Status: hotline.InformNoAnswer, Attempts: 1, NextAt: at(20, 15), Phones: phones("+71")}},
			now:     now, wake: time.Date(2026, 3, 3, 9, 0, 0, 0, yekt)},
		{name: "attempts run out: never",
			persons: []Person{{ID: 1, Status: hotline.InformNoAnswer, Attempts: 3, Phones: phones("+71")}}, now: now},
		{name: "a claim of another representative is not taken",
			persons: []Person{{ID: 1, Status: hotline.InformDialling, ClaimedAt: at(11, 58), Phones: phones("+71")}},
			now:     now, wake: at(11, 58).Add(DefaultClaimTimeout)},
		{name: "a stale claim (the daemon stopped) is taken again",
			persons: []Person{{ID: 1, Status: hotline.InformDialling, ClaimedAt: at(11, 0), Phones: phones("+71")}},
			now:     now, want: 1, number: "+71"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, number, wake := pl.Next(tt.persons, tt.now)
			var got int64
			if i >= 0 {
				got = tt.persons[i].ID
			}
			if got != tt.want || number != tt.number || !wake.Equal(tt.wake) {
				t.Errorf("Next = person %d %q, wake %v; want person %d %q, wake %v", got, number, wake, tt.want, tt.number, tt.wake)
			}
		})
	}
}

func TestAfterDial(t *testing.T) {
	pl := Plan{Hours: DefaultHours(yekt), Retry: Retry{Attempts: 3, First: 30 * time.Minute, Max: 2 * time.Hour}}
	now := at(12, 0)
	tests := []struct {
		name    string
		p       Person
		outcome hotline.DialOutcome
		status  hotline.InformingStatus
		next    time.Time
	}{
		{"answered: the result is awaited", Person{Phones: phones("+71")}, hotline.DialAnswered, hotline.InformAnswered, time.Time{}},
		{"first no answer: 30 min", Person{Phones: phones("+71")}, hotline.DialNoAnswer, hotline.InformNoAnswer, at(12, 30)},
		{"busy counts as an attempt", Person{Attempts: 1, Phones: phones("+71")}, hotline.DialBusy, hotline.InformNoAnswer, at(13, 0)},
		{"the last attempt: gave up", Person{Attempts: 2, Phones: phones("+71")}, hotline.DialFailed, hotline.InformGaveUp, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, next := pl.AfterDial(tt.p, tt.outcome, now)
			if st != tt.status || !next.Equal(tt.next) {
				t.Errorf("AfterDial = %s, %v; want %s, %v", st, next, tt.status, tt.next)
			}
		})
	}
}

// FuzzParseHours: any input either is refused EINVALID or reads as a window within one day that
// prints back as it parses.
func FuzzParseHours(f *testing.F) {
	for _, s := range []string{"09:00-20:00", "00:00-24:00", " 10:30 – 18:00 ", "20:00-09:00", "9-20", "", "24:00-24:01", "0a:00-10:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHours(s, yekt)
		if err != nil {
			if hotline.ErrorCode(err) != hotline.EINVALID {
				t.Fatalf("ParseHours(%q): %v, want EINVALID", s, err)
			}
			return
		}
		if h.From < 0 || h.To > 24*time.Hour || h.From >= h.To {
			t.Fatalf("ParseHours(%q) = %v: not a window within a day", s, h)
		}
		again, err := ParseHours(h.String(), yekt)
		if err != nil || again.From != h.From || again.To != h.To {
			t.Fatalf("ParseHours(%q) = %v prints as %q, which reads as %v, %v", s, h, h.String(), again, err)
		}
	})
}
