package report

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// wantCalls is a row's expected call numbers; nil rates mean "nothing to divide by".
type wantCalls struct {
	offered, answered, abandoned, short, overflow, failed, inProgress int
	sl20, sl120                                                       int
	sl20pct, sl120pct, abandonRate, asa                               *float64
	maxWait                                                           float64
	handled, transferred                                              int
	talk, wrap                                                        float64
	aht, transferRate                                                 *float64
}

func checkCalls(t *testing.T, name string, got CallStats, w wantCalls) {
	t.Helper()
	ints := []struct {
		what      string
		got, want int
	}{
		{"offered", got.Offered, w.offered}, {"answered", got.Answered, w.answered}, {"abandoned", got.Abandoned, w.abandoned},
		{"short abandoned", got.ShortAbandoned, w.short}, {"overflow", got.Overflow, w.overflow}, {"failed", got.Failed, w.failed},
		{"in progress", got.InProgress, w.inProgress}, {"handled", got.Handled, w.handled}, {"transferred", got.Transferred, w.transferred},
	}
	for _, c := range ints {
		if c.got != c.want {
			t.Errorf("%s: %s = %d, want %d", name, c.what, c.got, c.want)
		}
	}
	if len(got.ServiceLevel) != 2 {
		t.Fatalf("%s: %d service levels, want 2", name, len(got.ServiceLevel))
	}
	if got.ServiceLevel[0].TargetSeconds != 20 || got.ServiceLevel[1].TargetSeconds != 120 {
		t.Errorf("%s: targets %v, %v; want 20, 120", name, got.ServiceLevel[0].TargetSeconds, got.ServiceLevel[1].TargetSeconds)
	}
	if got.ServiceLevel[0].Within != w.sl20 || got.ServiceLevel[1].Within != w.sl120 {
		t.Errorf("%s: answered within 20s, 2m = %d, %d; want %d, %d", name, got.ServiceLevel[0].Within, got.ServiceLevel[1].Within, w.sl20, w.sl120)
	}
	checkF(t, name+": service level 20s", got.ServiceLevel[0].Percent, w.sl20pct)
	checkF(t, name+": service level 2m", got.ServiceLevel[1].Percent, w.sl120pct)
	checkF(t, name+": abandon rate", got.AbandonRate, w.abandonRate)
	checkF(t, name+": ASA", got.ASASeconds, w.asa)
	checkF(t, name+": AHT", got.AHTSeconds, w.aht)
	checkF(t, name+": transfer rate", got.TransferRate, w.transferRate)
	for _, c := range []struct {
		what      string
		got, want float64
	}{{"max wait", got.MaxWait, w.maxWait}, {"talk", got.TalkSeconds, w.talk}, {"wrap-up", got.WrapSeconds, w.wrap}} {
		if c.got != c.want {
			t.Errorf("%s: %s = %v, want %v", name, c.what, c.got, c.want)
		}
	}
}

// The whole day. Offered: c1..c11 = 11 (c2b is a transfer leg, p and c12 are outside).
//
//	answered   c1 c2 c6 c8 c9          = 5
//	short      c3 (3s) c4 (greeting)   = 2
//	abandoned  c5 (90s)                = 1
//	overflow   c7, failed c10, waiting c11: 1, 1, 1     5+2+1+1+1+1 = 11
//	base for rates = 11 − 2 short − 1 in progress = 8
//	within 20s: c1 15, c8 5, c9 10 = 3 → 3/8 = 37.5 %; within 2m: + c2 60 = 4 → 4/8 = 50 %
//	abandon rate 1/8 = 12.5 %
//	ASA (15+60+180+5+10)/5 = 270/5 = 54 s; longest wait c6 180 s
//	handled legs c1 c2 c2b c6 c8 c9 = 6; talk 300+120+180+600+60+120 = 1380 s
//	wrap-up 10 s each, but c8: anna answered c9 5 s after c8 ended → 5 s: 6×10 − 5 = 55 s
//	AHT (1380+55)/6 = 239.1666… s; transferred c2: 1/6 = 16.666… %
func TestTotal(t *testing.T) {
	r, err := Compute(testData(), testOptions(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := wantCalls{offered: 11, answered: 5, abandoned: 1, short: 2, overflow: 1, failed: 1, inProgress: 1,
		sl20: 3, sl120: 4, sl20pct: f(37.5), sl120pct: f(50), abandonRate: f(12.5), asa: f(54), maxWait: 180,
		handled: 6, transferred: 1, talk: 1380, wrap: 55, aht: f(1435.0 / 6), transferRate: f(100.0 / 6)}
	checkCalls(t, "total", r.Total, want)
	if len(r.Periods) != 1 || r.Periods[0].Key != "2026-11-23" {
		t.Fatalf("periods = %+v, want one row 2026-11-23", r.Periods)
	}
	checkCalls(t, "period 2026-11-23", r.Periods[0], want)
}

// Hours of the 23rd (UTC).
//
//	09: c1 c2 c3 c4 c5 (+ c2b handled): offered 5, answered 2, short 2, abandoned 1; base 5−2 = 3
//	    within 20s c1 → 1/3; within 2m c1 c2 → 2/3; abandon 1/3; ASA (15+60)/2 = 37.5; max wait 90
//	    handled c1 c2 c2b = 3, talk 300+120+180 = 600, wrap 30, AHT 630/3 = 210, transfers 1/3
//	10: c6 c7 c8 c9: offered 4, answered 3, overflow 1; base 4
//	    within 20s c8 c9 → 2/4 = 50 %; within 2m the same (c6 waited 180) → 50 %; abandon 0/4
//	    ASA (180+5+10)/3 = 65; max wait 180; talk 600+60+120 = 780, wrap 10+5+10 = 25, AHT 805/3
//	11: c10 failed, c11 waiting: offered 2, base 1, service level 0/1 = 0 %, no ASA, no AHT
//	08: nothing: every rate nil
func TestHours(t *testing.T) {
	r, err := Compute(testData(), testOptions(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Hours) != 24 || r.Hours[9].Key != "09" {
		t.Fatalf("hours: %d rows, [9] = %q; want 24 rows keyed 00..23", len(r.Hours), r.Hours[9].Key)
	}
	for _, tc := range []struct {
		hour int
		want wantCalls
	}{
		{9, wantCalls{offered: 5, answered: 2, abandoned: 1, short: 2, sl20: 1, sl120: 2, sl20pct: f(100.0 / 3), sl120pct: f(200.0 / 3),
			abandonRate: f(100.0 / 3), asa: f(37.5), maxWait: 90, handled: 3, transferred: 1, talk: 600, wrap: 30, aht: f(210), transferRate: f(100.0 / 3)}},
		{10, wantCalls{offered: 4, answered: 3, overflow: 1, sl20: 2, sl120: 2, sl20pct: f(50), sl120pct: f(50), abandonRate: f(0),
			asa: f(65), maxWait: 180, handled: 3, talk: 780, wrap: 25, aht: f(805.0 / 3), transferRate: f(0)}},
		{11, wantCalls{offered: 2, failed: 1, inProgress: 1, sl20pct: f(0), sl120pct: f(0), abandonRate: f(0), maxWait: 10}},
		{8, wantCalls{}},
	} {
		checkCalls(t, "hour "+r.Hours[tc.hour].Key, r.Hours[tc.hour], tc.want)
	}
}

// Topics, keyed by code, "-" for calls whose case has none.
//
//   - c3 c4 c5 c7 c8 c10 c11: offered 7, answered c8, short 2, abandoned 1, overflow 1, failed 1,
//     waiting 1; base 7−2−1 = 4; within 20s c8 (5) → 1/4 = 25 % both; abandon 1/4;
//     ASA 5; max wait c7 120; talk 60, wrap 5, AHT 65
//     clinic  c2 (+c2b): offered 1, answered 1 within 2m only (60): 0 %, 100 %; ASA 60;
//     handled 2, talk 120+180 = 300, wrap 20, AHT 160, transfers 1/2 = 50 %
//     policy  c1 c6 c9: offered 3, answered 3; within 20s c1 c9 → 2/3, within 2m the same (c6 180);
//     ASA (15+180+10)/3 = 68.333…; talk 300+600+120 = 1020, wrap 30, AHT 1050/3 = 350
func TestTopics(t *testing.T) {
	r, err := Compute(testData(), testOptions(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, tr := range r.Topics {
		keys = append(keys, tr.Key+"="+tr.Label)
	}
	if want := []string{"-=(no topic)", "clinic=Прикрепление к поликлинике", "policy=Замена полиса"}; !slices.Equal(keys, want) {
		t.Fatalf("topics = %q, want %q", keys, want)
	}
	checkCalls(t, "topic -", r.Topics[0], wantCalls{offered: 7, answered: 1, abandoned: 1, short: 2, overflow: 1, failed: 1, inProgress: 1,
		sl20: 1, sl120: 1, sl20pct: f(25), sl120pct: f(25), abandonRate: f(25), asa: f(5), maxWait: 120,
		handled: 1, talk: 60, wrap: 5, aht: f(65), transferRate: f(0)})
	checkCalls(t, "topic clinic", r.Topics[1], wantCalls{offered: 1, answered: 1, sl120: 1, sl20pct: f(0), sl120pct: f(100),
		abandonRate: f(0), asa: f(60), maxWait: 60, handled: 2, transferred: 1, talk: 300, wrap: 20, aht: f(160), transferRate: f(50)})
	checkCalls(t, "topic policy", r.Topics[2], wantCalls{offered: 3, answered: 3, sl20: 2, sl120: 2, sl20pct: f(200.0 / 3), sl120pct: f(200.0 / 3),
		abandonRate: f(0), asa: f(205.0 / 3), maxWait: 180, handled: 3, talk: 1020, wrap: 30, aht: f(350), transferRate: f(0)})
}

// Operators.
//
//	anna   c1 c6 c8 c9: talk 300+600+60+120 = 1080, wrap 10+10+5+10 = 35, AHT 1115/4 = 278.75,
//	       ASA (15+180+5+10)/4 = 52.5; staffed 09:00:25 (first answer) to 10:33:30 (c9's end
//	       + 10 s) = 5585 s; occupancy 1080/5585; overdue case 4
//	boris  c2 (c12 is the next day): talk 120, wrap 10 (his next answer is c12), AHT 130, ASA 60,
//	       transferred out 1/1 = 100 %; staffed 09:02:10 to 09:04:20 = 130 s; occupancy 120/130;
//	       overdue case 2
//	vera   c2b, transferred in (p was the evening before): talk 180, wrap 10, AHT 190, no ASA
//	       (nothing from the queue); staffed 09:04:15 to 09:07:25 = 190 s; occupancy 180/190;
//	       overdue case 5
func TestOperators(t *testing.T) {
	r, err := Compute(testData(), testOptions(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		id                                int64
		name                              string
		handled, in, out, overdue         int
		talk, wrap, staffed               float64
		aht, asa, occupancy, transferRate *float64
	}
	wants := []want{
		{anna, "Anna", 4, 0, 0, 1, 1080, 35, 5585, f(278.75), f(52.5), f(100 * 1080.0 / 5585), f(0)},
		{boris, "Boris", 1, 0, 1, 1, 120, 10, 130, f(130), f(60), f(100 * 120.0 / 130), f(100)},
		{vera, "Vera", 1, 1, 0, 1, 180, 10, 190, f(190), nil, f(100 * 180.0 / 190), f(0)},
	}
	if len(r.Operators) != len(wants) {
		t.Fatalf("%d operators, want %d: %+v", len(r.Operators), len(wants), r.Operators)
	}
	for i, w := range wants {
		g := r.Operators[i]
		if g.ID != w.id || g.Name != w.name || g.Handled != w.handled || g.TransferredIn != w.in || g.TransferredOut != w.out || g.Overdue != w.overdue {
			t.Errorf("operator %d: id %d %q handled %d in %d out %d overdue %d; want %d %q %d %d %d %d",
				i, g.ID, g.Name, g.Handled, g.TransferredIn, g.TransferredOut, g.Overdue, w.id, w.name, w.handled, w.in, w.out, w.overdue)
		}
		if g.TalkSeconds != w.talk || g.WrapSeconds != w.wrap || g.StaffedSeconds != w.staffed {
			t.Errorf("%s: talk %v wrap %v staffed %v; want %v %v %v", w.name, g.TalkSeconds, g.WrapSeconds, g.StaffedSeconds, w.talk, w.wrap, w.staffed)
		}
		checkF(t, w.name+": AHT", g.AHTSeconds, w.aht)
		checkF(t, w.name+": ASA", g.ASASeconds, w.asa)
		checkF(t, w.name+": occupancy", g.Occupancy, w.occupancy)
		checkF(t, w.name+": transfer rate", g.TransferRate, w.transferRate)
	}
}

// Cases registered on the 23rd: 1 2 3 4 6 = 5.
//
//	by type    consultation 3 (1 4 6), - 1 (3), complaint 1 (2): largest first, then by key
//	by topic   policy 3, - 1, clinic 1
//	by status  delayed_answer 2 (4 6), approved 1, in_progress 1, under_review 1
//	overdue as of 25 12:00, earliest due first: 5 (5 days), 4 (42 h: 1 day), 2 (24 h: 1 day);
//	1 is approved, 3 has no due date, 6 is due on the 26th
func TestCases(t *testing.T) {
	r, err := Compute(testData(), testOptions(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	c := r.Cases
	if c.Registered != 5 {
		t.Errorf("registered = %d, want 5", c.Registered)
	}
	str := func(cs []Count) []string {
		var out []string
		for _, x := range cs {
			out = append(out, x.Key+":"+string(rune('0'+x.N)))
		}
		return out
	}
	for _, tc := range []struct {
		name string
		got  []Count
		want []string
	}{
		{"by type", c.ByType, []string{"consultation:3", "-:1", "complaint:1"}},
		{"by topic", c.ByTopic, []string{"policy:3", "-:1", "clinic:1"}},
		{"by status", c.ByStatus, []string{"delayed_answer:2", "approved:1", "in_progress:1", "under_review:1"}},
	} {
		if got := str(tc.got); !slices.Equal(got, tc.want) {
			t.Errorf("%s = %q, want %q", tc.name, got, tc.want)
		}
	}
	if c.ByTopic[0].Label != "Замена полиса" {
		t.Errorf("topic label = %q, want the catalogue's title", c.ByTopic[0].Label)
	}
	type od struct {
		id    int64
		days  int
		owner string
		st    hotline.CaseStatus
	}
	var got []od
	for _, o := range c.Overdue {
		got = append(got, od{o.ID, o.DaysOverdue, o.Owner, o.Status})
	}
	want := []od{{5, 5, "Vera", hotline.StatusInProgress}, {4, 1, "Anna", hotline.StatusDelayedAnswer}, {2, 1, "Boris", hotline.StatusUnderReview}}
	if !slices.Equal(got, want) {
		t.Errorf("overdue = %+v, want %+v", got, want)
	}
}

// Callbacks: see testChanges. Requested 4, made 2, kept 1, pending 2, kept rate 1/4 = 25 %.
// As of the 25th at 14:00 instead, C (made at 13:00, before its due date) is made and kept too:
// made 3, kept 2, pending 1, 50 %.
func TestCallbacks(t *testing.T) {
	for _, tc := range []struct {
		asOf                           time.Time
		requested, made, kept, pending int
		rate                           float64
	}{
		{at(25, 12, 0, 0), 4, 2, 1, 2, 25},
		{at(25, 14, 0, 0), 4, 3, 2, 1, 50},
	} {
		o := testOptions()
		o.AsOf = tc.asOf
		r, err := Compute(testData(), o, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		cb := r.Callbacks
		if cb.Requested != tc.requested || cb.Made != tc.made || cb.Kept != tc.kept || cb.Pending != tc.pending {
			t.Errorf("as of %s: requested %d made %d kept %d pending %d; want %d %d %d %d", tc.asOf.Format(time.RFC3339),
				cb.Requested, cb.Made, cb.Kept, cb.Pending, tc.requested, tc.made, tc.kept, tc.pending)
		}
		checkF(t, "kept rate", cb.KeptRate, f(tc.rate))
	}
}

// Rows over time: three days with p (22nd), the 23rd, and c12 (24th); a week; a month. A
// period row holds the calls that arrived in it, whatever the range's other days hold.
//
//	22: p: offered 1, answered 1 in 10 s, talk 10, wrap 10 (vera's next answer is hours later)
//	24: c12: offered 1, answered 1 in 5 s, talk 120, wrap 10
func TestPeriods(t *testing.T) {
	o := testOptions()
	o.From, o.To = at(22, 0, 0, 0), at(25, 0, 0, 0)
	r, err := Compute(testData(), o, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range r.Periods {
		keys = append(keys, p.Key)
	}
	if want := []string{"2026-11-22", "2026-11-23", "2026-11-24"}; !slices.Equal(keys, want) {
		t.Fatalf("period keys = %q, want %q", keys, want)
	}
	one := func(wait, talk float64) wantCalls {
		return wantCalls{offered: 1, answered: 1, sl20: 1, sl120: 1, sl20pct: f(100), sl120pct: f(100), abandonRate: f(0), asa: f(wait),
			maxWait: wait, handled: 1, talk: talk, wrap: 10, aht: f(talk + 10), transferRate: f(0)}
	}
	checkCalls(t, "22nd", r.Periods[0], one(10, 10))
	checkCalls(t, "24th", r.Periods[2], one(5, 120))
	if r.Total.Offered != 13 || r.Periods[1].Offered != 11 {
		t.Errorf("offered: total %d, 23rd %d; want 13 (11+1+1), 11", r.Total.Offered, r.Periods[1].Offered)
	}

	for _, tc := range []struct {
		period   Period
		from, to time.Time
		keys     []string
	}{
		{Week, at(23, 0, 0, 0), at(24, 0, 0, 0), []string{"2026-W48"}},
		{Week, at(22, 0, 0, 0), at(24, 0, 0, 0), []string{"2026-W47", "2026-W48"}}, // the 22nd is a Sunday
		{Month, at(22, 0, 0, 0), time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), []string{"2026-11", "2026-12"}},
	} {
		o := testOptions()
		o.Period, o.From, o.To = tc.period, tc.from, tc.to
		r, err := Compute(testData(), o, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, p := range r.Periods {
			keys = append(keys, p.Key)
		}
		if !slices.Equal(keys, tc.keys) {
			t.Errorf("%s %s..%s: keys %q, want %q", tc.period, tc.from.Format("01-02"), tc.to.Format("01-02"), keys, tc.keys)
		}
	}
}

// Days and hours follow the report's time zone: at UTC+3 c1..c5 arrive in hour 12, and p
// (23:59:40 UTC on the 22nd) arrives at 02:59:40 on the 23rd, so the local 23rd has 12 calls.
func TestTimeZone(t *testing.T) {
	msk := time.FixedZone("MSK", 3*3600)
	o := testOptions()
	o.Location = msk
	o.From, o.To = time.Date(2026, 11, 23, 0, 0, 0, 0, msk), time.Date(2026, 11, 24, 0, 0, 0, 0, msk)
	r, err := Compute(testData(), o, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Hours[12].Offered != 5 || r.Hours[9].Offered != 0 || r.Hours[2].Offered != 1 {
		t.Errorf("offered at 02, 09, 12 local = %d, %d, %d; want 1, 0, 5", r.Hours[2].Offered, r.Hours[9].Offered, r.Hours[12].Offered)
	}
	if r.Total.Offered != 12 || r.TimeZone != "MSK" {
		t.Errorf("offered %d in %s, want 12 in MSK", r.Total.Offered, r.TimeZone)
	}
}

// A call answered at exactly the target is within it; one second more is not. A caller who
// hangs up at exactly the short-abandon threshold is a (long) abandon.
func TestThresholdEdges(t *testing.T) {
	q := at(23, 9, 0, 0)
	d := Data{Calls: []Call{
		call(1, "a", q, q, q.Add(20*time.Second), q.Add(time.Minute), hotline.LegCompleted, anna, ""),
		call(2, "b", q, q, q.Add(21*time.Second), q.Add(time.Minute), hotline.LegCompleted, boris, ""),
		call(3, "c", q, q, zero, q.Add(5*time.Second), hotline.LegAbandoned, 0, ""),
		call(4, "d", q, q, zero, q.Add(4999*time.Millisecond), hotline.LegAbandoned, 0, ""),
	}}
	r, err := Compute(d, testOptions(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// base 4 − 1 short = 3; within 20 s: a → 1/3
	if r.Total.ServiceLevel[0].Within != 1 || r.Total.Abandoned != 1 || r.Total.ShortAbandoned != 1 {
		t.Errorf("within 20s %d, abandoned %d, short %d; want 1, 1, 1", r.Total.ServiceLevel[0].Within, r.Total.Abandoned, r.Total.ShortAbandoned)
	}
	checkF(t, "service level", r.Total.ServiceLevel[0].Percent, f(100.0/3))
}

func TestOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Options)
	}{
		{"empty range", func(o *Options) { o.To = o.From }},
		{"reversed range", func(o *Options) { o.From, o.To = o.To, o.From }},
		{"unknown period", func(o *Options) { o.Period = "year" }},
		{"zero target", func(o *Options) { o.SLTargets = []time.Duration{0} }},
		{"negative wrap-up", func(o *Options) { o.WrapUp = -time.Second }},
		{"too many days", func(o *Options) { o.From = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC) }},
	} {
		o := testOptions()
		tc.edit(&o)
		_, err := Compute(testData(), o, time.Time{})
		if hotline.ErrorCode(err) != hotline.EINVALID {
			t.Errorf("%s: error %v, want invalid", tc.name, err)
		}
	}
}

// AsOf defaults to To, or to now when the range reaches into the future.
func TestAsOfDefault(t *testing.T) {
	o := testOptions()
	o.AsOf = time.Time{}
	for _, tc := range []struct{ now, want time.Time }{
		{at(30, 0, 0, 0), o.To},
		{at(23, 15, 0, 0), at(23, 15, 0, 0)},
	} {
		r, err := Compute(Data{}, o, tc.now)
		if err != nil {
			t.Fatal(err)
		}
		if !r.AsOf.Equal(tc.want) {
			t.Errorf("now %s: as of %s, want %s", tc.now, r.AsOf, tc.want)
		}
	}
}

func TestPeriodStart(t *testing.T) {
	msk := time.FixedZone("MSK", 3*3600)
	for _, tc := range []struct {
		p    Period
		t    time.Time
		want time.Time
		key  string
	}{
		{Day, at(23, 22, 30, 0), at(23, 0, 0, 0), "2026-11-23"},
		{Day, at(23, 22, 30, 0).In(msk), time.Date(2026, 11, 24, 0, 0, 0, 0, msk), "2026-11-24"}, // 01:30 on the 24th at UTC+3
		{Week, at(29, 12, 0, 0), at(23, 0, 0, 0), "2026-W48"},                                    // Sunday → its Monday
		{Week, at(23, 0, 0, 0), at(23, 0, 0, 0), "2026-W48"},
		{Week, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 28, 0, 0, 0, 0, time.UTC), "2026-W53"},
		{Month, at(23, 9, 0, 0), at(1, 0, 0, 0), "2026-11"},
	} {
		loc := tc.t.Location()
		got := tc.p.Start(tc.t, loc)
		if !got.Equal(tc.want) || tc.p.Key(got) != tc.key {
			t.Errorf("%s of %s = %s %s, want %s %s", tc.p, tc.t, got, tc.p.Key(got), tc.want, tc.key)
		}
	}
}

// Invariants on random days: the parts of offered add up, and the rows of every breakdown add
// up to the total (days, hours and topics partition the calls; operators the handled legs).
func TestBreakdownsAddUp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ends := []hotline.LegEnd{hotline.LegCompleted, hotline.LegAbandoned, hotline.LegOverflow, hotline.LegFailed, hotline.LegTransferred, ""}
	for round := range 50 {
		var calls []Call
		for i := range 200 {
			arrived := at(20, 0, 0, 0).Add(time.Duration(rng.IntN(4*24*3600)) * time.Second)
			queued := arrived.Add(time.Duration(rng.IntN(15)) * time.Second)
			c := call(int64(i+1), fmt.Sprint("r", i), arrived, queued, zero, zero, ends[rng.IntN(len(ends))], 0, []string{"", "a", "b"}[rng.IntN(3)])
			switch c.End {
			case hotline.LegCompleted, hotline.LegTransferred:
				c.AnsweredAt = queued.Add(time.Duration(rng.IntN(300)) * time.Second)
				c.EndedAt = c.AnsweredAt.Add(time.Duration(rng.IntN(900)) * time.Second)
				c.OperatorID = int64(1 + rng.IntN(4))
			case "":
			default:
				c.EndedAt = queued.Add(time.Duration(rng.IntN(200)) * time.Second)
			}
			if i%10 == 9 && c.OperatorID != 0 {
				c.TransferredFrom = 5
			}
			calls = append(calls, c)
		}
		o := testOptions()
		o.From, o.To = at(21, 0, 0, 0), at(23, 0, 0, 0)
		r, err := Compute(Data{Calls: calls}, o, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		tot := r.Total
		if parts := tot.Answered + tot.Abandoned + tot.ShortAbandoned + tot.Overflow + tot.Failed + tot.InProgress; parts != tot.Offered {
			t.Fatalf("round %d: parts %d != offered %d", round, parts, tot.Offered)
		}
		for name, rows := range map[string][]CallStats{"periods": r.Periods, "hours": r.Hours, "topics": r.Topics} {
			var offered, handled, within int
			var talk float64
			for _, row := range rows {
				offered, handled, within, talk = offered+row.Offered, handled+row.Handled, within+row.ServiceLevel[0].Within, talk+row.TalkSeconds
			}
			if offered != tot.Offered || handled != tot.Handled || within != tot.ServiceLevel[0].Within || math.Abs(talk-tot.TalkSeconds) > 1e-6 {
				t.Fatalf("round %d: %s add up to offered %d handled %d within %d talk %v; total %d %d %d %v",
					round, name, offered, handled, within, talk, tot.Offered, tot.Handled, tot.ServiceLevel[0].Within, tot.TalkSeconds)
			}
		}
		var handled int
		for _, op := range r.Operators {
			handled += op.Handled
		}
		if handled != tot.Handled {
			t.Fatalf("round %d: operators handled %d, total %d", round, handled, tot.Handled)
		}
	}
}

// BenchmarkCompute: a busy month, 30 days × 2,000 legs, 40 operators.
func BenchmarkCompute(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	var calls []Call
	for i := range 60000 {
		arrived := at(1, 8, 0, 0).Add(time.Duration(i/2000)*24*time.Hour + time.Duration(rng.IntN(10*3600))*time.Second)
		q := arrived.Add(8 * time.Second)
		c := call(int64(i+1), fmt.Sprint("b", i), arrived, q, q.Add(time.Duration(rng.IntN(120))*time.Second), zero, hotline.LegCompleted, int64(1+rng.IntN(40)), "")
		c.EndedAt = c.AnsweredAt.Add(time.Duration(60+rng.IntN(400)) * time.Second)
		calls = append(calls, c)
	}
	o := testOptions()
	o.From, o.To = at(1, 0, 0, 0), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compute(Data{Calls: calls}, o, time.Time{}); err != nil {
			b.Fatal(err)
		}
	}
}
