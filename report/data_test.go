package report

import (
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// The hand-made data set every metric test reads: one Monday, 2026-11-23, in UTC, three
// operators, two topics. Times are written out so the expected figures can be checked by hand.

func at(day, h, m, s int) time.Time { return time.Date(2026, 11, day, h, m, s, 0, time.UTC) }

const (
	anna  = 1
	boris = 2
	vera  = 3
)

var zero time.Time

func call(id int64, callID string, arrived, queued, answered, ended time.Time, end hotline.LegEnd, op int64, topic string) Call {
	return Call{Leg: hotline.Leg{ID: id, CallID: callID, CallerNumber: "+7900000" + callID, OperatorID: op,
		ArrivedAt: arrived, GreetingEndAt: queued, QueuedAt: queued, AnsweredAt: answered, EndedAt: ended, End: end},
		Line: "100", CaseNumber: fmt.Sprintf("2026-%06d", id), Topic: topic}
}

// testCalls: the legs of the day (c1..c11, with c2b the transfer of c2), one the evening before
// (p) and one just after midnight (c12).
//
//	leg  arrived   queued    answered  ended     end          op     wait  talk  topic
//	p    22 23:59:40 23:59:45 23:59:55 23 00:00:05 completed vera   10    10    policy   (before the range)
//	c1   09:00:00  09:00:10  09:00:25  09:05:25  completed    anna   15    300   policy
//	c2   09:01:00  09:01:10  09:02:10  09:04:10  transferred  boris  60    120   clinic
//	c2b  09:01:00  -         09:04:15  09:07:15  completed    vera   -     180   clinic   (transfer leg from boris)
//	c3   09:03:00  09:03:10  -         09:03:13  abandoned    -      3     -     -        (short)
//	c4   09:04:00  -         -         09:04:08  abandoned    -      0     -     -        (in the greeting: short)
//	c5   09:10:00  09:10:10  -         09:11:40  abandoned    -      90    -     -
//	c6   10:00:00  10:00:10  10:03:10  10:13:10  completed    anna   180   600   policy
//	c7   10:20:00  10:20:10  -         10:22:10  overflow     -      120   -     -
//	c8   10:30:00  10:30:10  10:30:15  10:31:15  completed    anna   5     60    -
//	c9   10:31:00  10:31:10  10:31:20  10:33:20  completed    anna   10    120   policy
//	c10  11:00:00  11:00:10  -         11:00:20  failed       -      10    -     -
//	c11  11:30:00  11:30:10  -         -         (waiting)    -      -     -     -
//	c12  24 00:00:30 00:00:35 00:00:40 00:02:40 completed   boris  5     120   clinic   (after the range)
func testCalls() []Call {
	c2b := call(21, "c2", at(23, 9, 1, 0), zero, at(23, 9, 4, 15), at(23, 9, 7, 15), hotline.LegCompleted, vera, "clinic")
	c2b.TransferredFrom = boris
	c4 := call(4, "c4", at(23, 9, 4, 0), zero, zero, at(23, 9, 4, 8), hotline.LegAbandoned, 0, "")
	return []Call{
		call(100, "p", at(22, 23, 59, 40), at(22, 23, 59, 45), at(22, 23, 59, 55), at(23, 0, 0, 5), hotline.LegCompleted, vera, "policy"),
		call(1, "c1", at(23, 9, 0, 0), at(23, 9, 0, 10), at(23, 9, 0, 25), at(23, 9, 5, 25), hotline.LegCompleted, anna, "policy"),
		call(2, "c2", at(23, 9, 1, 0), at(23, 9, 1, 10), at(23, 9, 2, 10), at(23, 9, 4, 10), hotline.LegTransferred, boris, "clinic"),
		c2b,
		call(3, "c3", at(23, 9, 3, 0), at(23, 9, 3, 10), zero, at(23, 9, 3, 13), hotline.LegAbandoned, 0, ""),
		c4,
		call(5, "c5", at(23, 9, 10, 0), at(23, 9, 10, 10), zero, at(23, 9, 11, 40), hotline.LegAbandoned, 0, ""),
		call(6, "c6", at(23, 10, 0, 0), at(23, 10, 0, 10), at(23, 10, 3, 10), at(23, 10, 13, 10), hotline.LegCompleted, anna, "policy"),
		call(7, "c7", at(23, 10, 20, 0), at(23, 10, 20, 10), zero, at(23, 10, 22, 10), hotline.LegOverflow, 0, ""),
		call(8, "c8", at(23, 10, 30, 0), at(23, 10, 30, 10), at(23, 10, 30, 15), at(23, 10, 31, 15), hotline.LegCompleted, anna, ""),
		call(9, "c9", at(23, 10, 31, 0), at(23, 10, 31, 10), at(23, 10, 31, 20), at(23, 10, 33, 20), hotline.LegCompleted, anna, "policy"),
		call(10, "c10", at(23, 11, 0, 0), at(23, 11, 0, 10), zero, at(23, 11, 0, 20), hotline.LegFailed, 0, ""),
		call(11, "c11", at(23, 11, 30, 0), at(23, 11, 30, 10), zero, zero, "", 0, ""),
		call(12, "c12", at(24, 0, 0, 30), at(24, 0, 0, 35), at(24, 0, 0, 40), at(24, 0, 2, 40), hotline.LegCompleted, boris, "clinic"),
	}
}

// testCases: five registered on the 23rd (1, 2, 3, 4, 6) and one older (5).
//
//	case  created      type          topic   status          owner  due           overdue as of 25 12:00
//	1     23 09:00     consultation  policy  approved        anna   24 10:00      no (approved)
//	2     23 09:01     complaint     clinic  under_review    boris  24 12:00      yes, 24h  -> 1 day
//	3     23 09:03     -             -       in_progress     -      -             no (no due date)
//	4     23 10:00     consultation  policy  delayed_answer  anna   23 18:00      yes, 42h  -> 1 day
//	5     10 12:00     complaint     clinic  in_progress     vera   20 09:00      yes, 123h -> 5 days
//	6     23 11:00     consultation  policy  delayed_answer  anna   26 00:00      no (not yet due)
func testCases() []hotline.Case {
	mk := func(id int64, created time.Time, typ hotline.CaseType, topic string, st hotline.CaseStatus, owner int64, due time.Time) hotline.Case {
		return hotline.Case{ID: id, Number: "2026-00000" + string(rune('0'+id)), CreatedAt: created, Type: typ, Topic: topic, Status: st, OwnerID: owner, DueAt: due}
	}
	return []hotline.Case{
		mk(1, at(23, 9, 0, 0), hotline.TypeConsultation, "policy", hotline.StatusApproved, anna, at(24, 10, 0, 0)),
		mk(2, at(23, 9, 1, 0), hotline.TypeComplaint, "clinic", hotline.StatusUnderReview, boris, at(24, 12, 0, 0)),
		mk(3, at(23, 9, 3, 0), "", "", hotline.StatusInProgress, 0, zero),
		mk(4, at(23, 10, 0, 0), hotline.TypeConsultation, "policy", hotline.StatusDelayedAnswer, anna, at(23, 18, 0, 0)),
		mk(5, at(10, 12, 0, 0), hotline.TypeComplaint, "clinic", hotline.StatusInProgress, vera, at(20, 9, 0, 0)),
		mk(6, at(23, 11, 0, 0), hotline.TypeConsultation, "policy", hotline.StatusDelayedAnswer, anna, at(26, 0, 0, 0)),
	}
}

// testChanges: callbacks.
//
//	case  at          from → to                       counts as
//	5     12 10:00    in_progress → delayed_answer    (before the range: not requested in it)
//	3     23 09:10    in_progress → delayed_answer    request A, no due date: promise 24 09:10
//	5     23 09:30    delayed_answer → in_progress    (the end of a request before the range)
//	4     23 10:15    in_progress → delayed_answer    request B, due 23 18:00
//	6     23 11:05    in_progress → delayed_answer    request C, due 26 00:00
//	4     23 17:00    delayed_answer → in_progress    B made 17:00 <= 18:00: kept
//	4     23 17:30    in_progress → delayed_answer    request D, due 23 18:00
//	3     24 10:00    delayed_answer → in_progress    A made 24 10:00 > 24 09:10: late
//	6     25 13:00    delayed_answer → in_progress    C made after as-of 25 12:00: still pending
//
// Requested 4 (A, B, C, D), made 2 (A, B), kept 1 (B), pending 2 (C, D).
func testChanges() []StatusChange {
	ch := func(id int64, t time.Time, from, to hotline.CaseStatus) StatusChange {
		return StatusChange{CaseID: id, At: t, From: from, To: to}
	}
	ip, da := hotline.StatusInProgress, hotline.StatusDelayedAnswer
	return []StatusChange{
		ch(6, at(25, 13, 0, 0), da, ip), // out of order on purpose: Compute sorts by time
		ch(5, at(12, 10, 0, 0), ip, da),
		ch(3, at(23, 9, 10, 0), ip, da),
		ch(5, at(23, 9, 30, 0), da, ip),
		ch(4, at(23, 10, 15, 0), ip, da),
		ch(6, at(23, 11, 5, 0), ip, da),
		ch(4, at(23, 17, 0, 0), da, ip),
		ch(4, at(23, 17, 30, 0), ip, da),
		ch(3, at(24, 10, 0, 0), da, ip),
	}
}

func testData() Data {
	return Data{
		Calls: testCalls(), Cases: testCases(), StatusChanges: testChanges(),
		Registered: GroupCases(testCases(), at(23, 0, 0, 0), at(24, 0, 0, 0)),
		Operators: []hotline.Operator{{ID: anna, Name: "Anna", Extension: "1001"}, {ID: boris, Name: "Boris", Extension: "1002"},
			{ID: vera, Name: "Vera", Extension: "1003"}},
		Topics: []hotline.Topic{{Code: "policy", Title: "Замена полиса"}, {Code: "clinic", Title: "Прикрепление к поликлинике"}},
	}
}

// testOptions: the 23rd, as of noon on the 25th, 20 s and 2 min targets, 5 s short abandon,
// 10 s wrap-up, 24 h callback promise.
func testOptions() Options {
	return Options{From: at(23, 0, 0, 0), To: at(24, 0, 0, 0), AsOf: at(25, 12, 0, 0), Location: time.UTC, Period: Day,
		SLTargets: []time.Duration{20 * time.Second, 2 * time.Minute}, ShortAbandon: 5 * time.Second,
		WrapUp: 10 * time.Second, CallbackWithin: 24 * time.Hour}
}

// f is a want for a *float64: nil means "no value" (nothing to divide by).
func f(v float64) *float64 { return &v }

func sameF(got, want *float64) bool {
	if got == nil || want == nil {
		return got == nil && want == nil
	}
	return math.Abs(*got-*want) < 1e-9
}

func fs(p *float64) string {
	if p == nil {
		return "nil"
	}
	return strconv.FormatFloat(*p, 'g', -1, 64)
}

func checkF(t *testing.T, name string, got, want *float64) {
	t.Helper()
	if !sameF(got, want) {
		t.Errorf("%s = %s, want %s", name, fs(got), fs(want))
	}
}
