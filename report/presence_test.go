package report

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// presenceData, worked by hand for 2026-11-23 09:00–17:00 UTC:
//
//	Anna (1): logged out since the 22nd; logs in 09:10, pauses "2" 10:00–10:15, back until 11:00,
//	     paused "missed" 11:00, "2" from 11:05, handset unreachable 11:20–11:30 (the pause goes
//	     on), logs out 12:00; logs in again 13:00 until 16:00. Available 50 + 45 + 180 min =
//	     16500 s; paused "2" 15 + 15 + 30 min = 3600 s in 2 pauses (10:00, 11:05), "missed" 300 s
//	     in 1; unreachable 600 s; 2 logins. Talk 600 + 900 = 1500 s: occupancy 1500/16500 = 9.09 %.
//	Boris (2): one call, no presence history: the observed span, answer 10:00:10 to end 10:05:10
//	     + 10 s wrap-up = 310 s; talk 300 s: occupancy 96.77 %.
//	Vera (3): logged in since 08:00 (before the range), no calls: available 8 h = 28800 s,
//	     occupancy 0 %, no login in the range.
//	Gleb (4): logged out before the range and throughout: not listed.
func presenceData() Data {
	t := func(h, m int) time.Time { return at(23, h, m, 0) }
	ev := func(op int64, when time.Time, p hotline.Presence, reason string) hotline.PresenceEvent {
		return hotline.PresenceEvent{OperatorID: op, At: when, Presence: p, Reason: reason, How: hotline.PresenceByFeatureCode}
	}
	call := func(op int64, id string, answered time.Time, talk time.Duration) Call {
		return Call{Leg: hotline.Leg{CallID: id, OperatorID: op, ArrivedAt: answered.Add(-10 * time.Second), QueuedAt: answered.Add(-5 * time.Second),
			AnsweredAt: answered, EndedAt: answered.Add(talk), End: hotline.LegCompleted}}
	}
	return Data{
		Calls: []Call{
			call(anna, "a1", t(9, 20), 10*time.Minute),
			call(boris, "b1", t(10, 0).Add(10*time.Second), 5*time.Minute),
			call(anna, "a2", t(13, 10), 15*time.Minute),
		},
		Operators: []hotline.Operator{{ID: anna, Name: "Anna"}, {ID: boris, Name: "Boris"}, {ID: vera, Name: "Vera"}, {ID: 4, Name: "Gleb"}},
		Presence: []hotline.PresenceEvent{
			ev(anna, at(22, 17, 0, 0), hotline.PresenceLoggedOut, ""),
			ev(anna, t(9, 10), hotline.PresenceAvailable, ""),
			ev(anna, t(10, 0), hotline.PresencePaused, "2"),
			ev(anna, t(10, 15), hotline.PresenceAvailable, ""),
			ev(anna, t(11, 0), hotline.PresencePaused, "missed"),
			ev(anna, t(11, 5), hotline.PresencePaused, "2"),
			ev(anna, t(11, 20), hotline.PresenceUnreachable, "2"),
			ev(anna, t(11, 30), hotline.PresencePaused, "2"),
			ev(anna, t(12, 0), hotline.PresenceLoggedOut, ""),
			ev(anna, t(13, 0), hotline.PresenceAvailable, ""),
			ev(anna, t(16, 0), hotline.PresenceLoggedOut, ""),
			ev(vera, t(8, 0), hotline.PresenceAvailable, ""),
			ev(4, t(7, 0), hotline.PresenceLoggedOut, ""),
		},
	}
}

func presenceOptions() Options {
	o := testOptions()
	o.From, o.To, o.AsOf = at(23, 9, 0, 0), at(23, 17, 0, 0), at(23, 17, 0, 0)
	return o
}

func TestOccupancyFromPresence(t *testing.T) {
	tests := []struct {
		name                     string
		asOf                     time.Time
		op                       int64
		staffed, paused, unreach float64
		from                     string
		occupancy                *float64
		logins                   int
		pauses                   []PauseTime
	}{
		{"anna", time.Time{}, anna, 16500, 3900, 600, StaffedFromPresence, f(100 * 1500.0 / 16500), 2,
			[]PauseTime{{Reason: "2", Pauses: 2, Seconds: 3600}, {Reason: "missed", Pauses: 1, Seconds: 300}}},
		{"boris without history", time.Time{}, boris, 310, 0, 0, StaffedFromObservedSpan, f(100 * 300.0 / 310), 0, []PauseTime{}},
		{"vera logged in before the range", time.Time{}, vera, 28800, 0, 0, StaffedFromPresence, f(0), 0, []PauseTime{}},
		// As of 15:00, nothing after is known: Anna's second login counts 2 h, not 3.
		{"anna as of 15:00", at(23, 15, 0, 0), anna, 50*60 + 45*60 + 120*60, 3900, 600, StaffedFromPresence, f(100 * 1500.0 / 12900), 2,
			[]PauseTime{{Reason: "2", Pauses: 2, Seconds: 3600}, {Reason: "missed", Pauses: 1, Seconds: 300}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := presenceOptions()
			if !tt.asOf.IsZero() {
				o.AsOf = tt.asOf
			}
			r, err := Compute(presenceData(), o, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if !r.PresenceHistory {
				t.Errorf("PresenceHistory false")
			}
			var ids []int64
			for _, op := range r.Operators {
				ids = append(ids, op.ID)
			}
			if want := []int64{anna, boris, vera}; !slices.Equal(ids, want) {
				t.Errorf("operators %v, want %v (Gleb was never logged in)", ids, want)
			}
			i := slices.IndexFunc(r.Operators, func(s OperatorStats) bool { return s.ID == tt.op })
			g := r.Operators[i]
			if g.StaffedSeconds != tt.staffed || g.PausedSeconds != tt.paused || g.UnreachableSeconds != tt.unreach || g.StaffedFrom != tt.from {
				t.Errorf("staffed %v paused %v unreachable %v from %q; want %v %v %v %q", g.StaffedSeconds, g.PausedSeconds,
					g.UnreachableSeconds, g.StaffedFrom, tt.staffed, tt.paused, tt.unreach, tt.from)
			}
			checkF(t, "occupancy", g.Occupancy, tt.occupancy)
			if g.Logins != tt.logins || !slices.Equal(g.Pauses, tt.pauses) {
				t.Errorf("logins %d pauses %+v; want %d %+v", g.Logins, g.Pauses, tt.logins, tt.pauses)
			}
			if r.Total.Logins != 2 || r.Periods[0].Logins != 2 {
				t.Errorf("logins total %d, on the 23rd %d; want 2 and 2", r.Total.Logins, r.Periods[0].Logins)
			}
		})
	}
}

// Without any presence history the old approximation stays, and the table says so.
func TestOccupancyWithoutPresence(t *testing.T) {
	d := presenceData()
	d.Presence = nil
	r, err := Compute(d, presenceOptions(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if r.PresenceHistory {
		t.Errorf("PresenceHistory true without events")
	}
	// Anna's span: 09:20 to 13:25 + 10 s = 14710 s.
	if g := r.Operators[0]; g.StaffedSeconds != 14710 || g.StaffedFrom != StaffedFromObservedSpan || g.Logins != 0 {
		t.Errorf("anna: %+v, want observed span 14710 s", g)
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, r, ByOperator); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "4h05m*") || !strings.Contains(buf.String(), "* no presence history") {
		t.Errorf("table does not mark the approximation:\n%s", buf.String())
	}
}

func TestPresenceRendered(t *testing.T) {
	r, err := Compute(presenceData(), presenceOptions(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, r, ByOperator); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"9.1%", "1h05m", "Pauses of Anna by reason: 2 1h00m (2), missed 5m00s (1)", "5m10s*"} {
		if !strings.Contains(buf.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, buf.String())
		}
	}
	buf.Reset()
	if err := WriteTable(&buf, r, ByPeriod); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "Operators' logins 2: 2026-11-23 2") {
		t.Errorf("period table lacks the logins per day:\n%s", buf.String())
	}
	buf.Reset()
	if err := WriteCSV(&buf, r, ByOperator); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for k, want := range map[string]string{"staffed_seconds": "16500", "staffed_from": "presence", "paused_seconds": "3900",
		"pauses": "2:3600:2;missed:300:1", "unreachable_seconds": "600", "logins": "2"} {
		if got := recs[1][col[k]]; got != want {
			t.Errorf("CSV %s = %q, want %q", k, got, want)
		}
	}
}
