package report

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

// ms is a time of the test day with milliseconds, for rounding: app_queue subtracts whole-second
// timestamps, so a line's figures agree with the timestamps of the lines they span.
func msAt(h, m, s, ms int) time.Time {
	return time.Date(2026, 11, 23, h, m, s, ms*int(time.Millisecond), time.UTC)
}

func lines(t *testing.T, d ExportData, o ExportOptions) []string {
	t.Helper()
	var buf bytes.Buffer
	n, err := WriteQueueLog(context.Background(), &buf, d, o)
	if err != nil {
		t.Fatal(err)
	}
	if buf.Len() == 0 {
		if n != 0 {
			t.Errorf("0 lines written, %d returned", n)
		}
		return nil
	}
	got := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if n != len(got) {
		t.Errorf("%d lines written, %d returned", len(got), n)
	}
	return got
}

func sameLines(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d:\n got %s\nwant %s", len(got), len(want), strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i+1, got[i], want[i])
		}
	}
}

// One call per case, each event with app_queue's fields and arithmetic. Times carry
// milliseconds: queued 09:00:10.900, rang 09:00:12.500, answered 09:00:15.200, ended 09:00:20.100
// make a hold of 15-10 = 5 s (4.3 s elapsed), a ring of 2 s (2.7 s, CONNECT's ring time is the
// dial's milliseconds / 1000), a call of 20-15 = 5 s (4.9 s elapsed).
func TestQueueLogEvents(t *testing.T) {
	arrived, queued, rang, answered, ended := msAt(9, 0, 0, 0), msAt(9, 0, 10, 900), msAt(9, 0, 12, 500), msAt(9, 0, 15, 200), msAt(9, 0, 20, 100)
	u := func(tm time.Time) string { return fmt.Sprint(tm.Unix()) }
	leg := func(end hotline.LegEnd, mod func(*Call)) Call {
		c := Call{Leg: hotline.Leg{ID: 1, CallID: "k", CallerNumber: "+79001234567", ArrivedAt: arrived, GreetingEndAt: queued,
			QueuedAt: queued, EndedAt: ended, End: end}}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	talked := func(by hotline.LegSide) func(*Call) {
		return func(c *Call) {
			c.RangAt, c.AnsweredAt, c.OperatorID, c.OperatorChannel, c.HungUpBy = rang, answered, anna, "op-chan-1", by
		}
	}
	enter := u(queued) + "|k|hotline|NONE|ENTERQUEUE||+79001234567|1"
	connect := u(answered) + "|k|hotline|PJSIP/1001|CONNECT|5|op-chan-1|2"
	for _, tc := range []struct {
		name string
		legs []Call
		want []string
	}{
		{"operator hangs up", []Call{leg(hotline.LegCompleted, talked(hotline.SideOperator))},
			[]string{enter, connect, u(ended) + "|k|hotline|PJSIP/1001|COMPLETEAGENT|5|5|1"}},
		{"caller hangs up", []Call{leg(hotline.LegCompleted, talked(hotline.SideCaller))},
			[]string{enter, connect, u(ended) + "|k|hotline|PJSIP/1001|COMPLETECALLER|5|5|1"}},
		{"side not recorded (older journals)", []Call{leg(hotline.LegCompleted, talked(""))},
			[]string{enter, connect, u(ended) + "|k|hotline|PJSIP/1001|COMPLETECALLER|5|5|1"}},
		{"abandoned in the queue", []Call{leg(hotline.LegAbandoned, nil)},
			[]string{enter, u(ended) + "|k|hotline|NONE|ABANDON|1|1|10"}},
		{"hung up in the greeting: never ran Queue()", []Call{leg(hotline.LegAbandoned, func(c *Call) { c.QueuedAt, c.GreetingEndAt = zero, zero })},
			nil},
		{"overflow at join (queue full): no line", []Call{leg(hotline.LegOverflow, func(c *Call) { c.QueuedAt = zero; c.Outcome = hotline.OutcomeOverflowMessage })},
			nil},
		{"timeout to overflow", []Call{leg(hotline.LegOverflow, func(c *Call) { c.Outcome = hotline.OutcomeOverflowMessage })},
			[]string{enter, u(ended) + "|k|hotline|NONE|EXITWITHTIMEOUT|1|1|10"}},
		{"press 1 for a callback", []Call{leg(hotline.LegOverflow, func(c *Call) { c.Outcome = hotline.OutcomeOverflowCallback })},
			[]string{enter, u(ended) + "|k|hotline|NONE|EXITWITHKEY|1|1|1|10"}},
		{"failed in the queue: hotline hung the caller up", []Call{leg(hotline.LegFailed, func(c *Call) { c.Outcome = hotline.OutcomeFailed })},
			[]string{enter, u(ended) + "|k|hotline|NONE|ABANDON|1|1|10"}},
		{"gone while hotline was away: end unknown", []Call{leg(hotline.LegFailed, func(c *Call) { c.EndedAway = true })},
			[]string{enter}},
		{"answered, gone while hotline was away", []Call{leg(hotline.LegCompleted, func(c *Call) { talked("")(c); c.EndedAway = true })},
			[]string{enter, connect}},
		{"still waiting", []Call{leg("", func(c *Call) { c.EndedAt = zero })}, []string{enter}},
		{"still talking", []Call{leg("", func(c *Call) { talked("")(c); c.EndedAt = zero })}, []string{enter, connect}},
		{"blind transfer to an operator: the transfer leg has no line",
			[]Call{leg(hotline.LegTransferred, talked("")), {Leg: hotline.Leg{ID: 2, CallID: "k", ArrivedAt: ended, RangAt: ended,
				AnsweredAt: msAt(9, 0, 25, 0), EndedAt: msAt(9, 1, 0, 0), End: hotline.LegCompleted, OperatorID: vera, TransferredFrom: anna,
				HungUpBy: hotline.SideOperator}}},
			[]string{enter, connect, u(ended) + "|k|hotline|PJSIP/1001|BLINDTRANSFER|1003|hotline|5|5|1"}},
		{"attended transfer: the consultation's bridge is named, the transfer leg has no line",
			[]Call{leg(hotline.LegTransferred, func(c *Call) { talked("")(c); c.TransferBridge = "k-op7-bridge" }),
				{Leg: hotline.Leg{ID: 2, CallID: "k", ArrivedAt: ended, AnsweredAt: ended, EndedAt: msAt(9, 1, 0, 0),
					End: hotline.LegCompleted, OperatorID: vera, TransferredFrom: anna, HungUpBy: hotline.SideOperator}}},
			[]string{enter, connect, u(ended) + "|k|hotline|PJSIP/1001|ATTENDEDTRANSFER|BRIDGE|k-op7-bridge|5|5|1"}},
		{"transferred back to the queue: the caller enters it again",
			[]Call{leg(hotline.LegTransferred, talked("")), {Leg: hotline.Leg{ID: 2, CallID: "k", ArrivedAt: ended, QueuedAt: ended,
				EndedAt: msAt(9, 0, 40, 0), End: hotline.LegAbandoned, TransferredFrom: anna}}},
			[]string{enter, connect, u(ended) + "|k|hotline|PJSIP/1001|BLINDTRANSFER||hotline|5|5|1",
				u(ended) + "|k|hotline|NONE|ENTERQUEUE|||1", u(msAt(9, 0, 40, 0)) + "|k|hotline|NONE|ABANDON|1|1|20"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sameLines(t, lines(t, ExportData{Calls: tc.legs, Operators: testData().Operators}, ExportOptions{}), tc.want)
		})
	}
}

// A window takes whole calls: a call with a line before From or at/after To has none, and the
// callers keep the positions they had, counting those queued before the window.
//
//	call  queued    answered  ended     in [09:00, 10:00)?
//	a     08:59:50  -         09:00:30  no: entered before (but is ahead of b and c)
//	b     09:00:10  09:00:20  09:05:00  yes, second in the queue (a ahead)
//	c     09:00:15  -         09:00:40  yes, third at entry; first when it left (a and b gone)
//	d     09:59:00  09:59:30  10:00:30  no: ends after
//	e     09:59:40  -         -         yes, still waiting (first: d was answered before it entered)
func TestQueueLogWindow(t *testing.T) {
	tm := func(h, m, s int) time.Time { return at(23, h, m, s) }
	mk := func(id int64, name string, queued, answered, ended time.Time, end hotline.LegEnd) Call {
		op := int64(0)
		if !answered.IsZero() {
			op = anna
		}
		return call(id, name, queued.Add(-10*time.Second), queued, answered, ended, end, op, "")
	}
	d := ExportData{Operators: testData().Operators, Calls: []Call{
		mk(1, "a", tm(8, 59, 50), zero, tm(9, 0, 30), hotline.LegAbandoned),
		mk(2, "b", tm(9, 0, 10), tm(9, 0, 20), tm(9, 5, 0), hotline.LegCompleted),
		mk(3, "c", tm(9, 0, 15), zero, tm(9, 0, 40), hotline.LegAbandoned),
		mk(4, "d", tm(9, 59, 0), tm(9, 59, 30), tm(10, 0, 30), hotline.LegCompleted),
		mk(5, "e", tm(9, 59, 40), zero, zero, ""),
	}}
	u := func(h, m, s int) string { return fmt.Sprint(tm(h, m, s).Unix()) }
	got := lines(t, d, ExportOptions{From: tm(9, 0, 0), To: tm(10, 0, 0)})
	sameLines(t, got, []string{
		u(9, 0, 10) + "|b|hotline|NONE|ENTERQUEUE||+7900000b|2",
		u(9, 0, 15) + "|c|hotline|NONE|ENTERQUEUE||+7900000c|3",
		u(9, 0, 20) + "|b|hotline|PJSIP/1001|CONNECT|10||0",
		u(9, 0, 40) + "|c|hotline|NONE|ABANDON|1|3|25",
		u(9, 5, 0) + "|b|hotline|PJSIP/1001|COMPLETECALLER|10|280|2",
		u(9, 59, 40) + "|e|hotline|NONE|ENTERQUEUE||+7900000e|1",
	})
	// Without a window every call is there, with the same positions.
	all := strings.Join(lines(t, d, ExportOptions{}), "\n")
	for _, want := range []string{"|a|hotline|NONE|ABANDON|1|1|40", "|b|hotline|NONE|ENTERQUEUE||+7900000b|2", "|d|hotline|PJSIP/1001|COMPLETECALLER|30|60|1"} {
		if !strings.Contains(all, want) {
			t.Errorf("the whole history lacks %q:\n%s", want, all)
		}
	}

	// CDR: the same whole calls (those that began and ended in the window).
	var buf bytes.Buffer
	if _, err := WriteCDR(context.Background(), &buf, d, ExportOptions{From: tm(9, 0, 0), To: tm(10, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		f := strings.Split(l, ",")
		ids = append(ids, strings.Trim(f[len(f)-2], `"`))
	}
	if got := strings.Join(ids, " "); got != "b c" {
		t.Errorf("CDR window: calls %q, want b c (e still waits)", got)
	}
}

// Member lines from the presence history: app_queue's ADDMEMBER (PAUSED when joining paused),
// PAUSE with the reason, UNPAUSE, REMOVEMEMBER, named by the member's interface. An unreachable
// handset writes nothing (a device state to app_queue); the switchboard's pause after missed
// offers is app_queue's autopause; the event in force before the window writes nothing.
func TestQueueLogMembers(t *testing.T) {
	tm := func(h, m int) time.Time { return at(23, h, m, 0) }
	ev := func(op int64, when time.Time, p hotline.Presence, reason string, how hotline.PresenceHow) hotline.PresenceEvent {
		return hotline.PresenceEvent{OperatorID: op, At: when, Presence: p, Reason: reason, How: how}
	}
	fc, admin, sw, hs := hotline.PresenceByFeatureCode, hotline.PresenceByAdmin, hotline.PresenceBySwitchboard, hotline.PresenceByHandset
	presence := []hotline.PresenceEvent{
		ev(anna, tm(7, 0), hotline.PresenceAvailable, "", fc), // before the window: sets where anna stands
		ev(anna, tm(9, 0), hotline.PresencePaused, "3", fc),
		ev(anna, tm(9, 10), hotline.PresencePaused, "4", fc), // a new reason: PAUSE again
		ev(anna, tm(9, 15), hotline.PresenceUnreachable, "4", hs),
		ev(anna, tm(9, 20), hotline.PresencePaused, "4", hs), // back, still paused: nothing
		ev(anna, tm(9, 30), hotline.PresenceAvailable, "", fc),
		ev(anna, tm(9, 40), hotline.PresencePaused, "missed", sw),
		ev(anna, tm(9, 50), hotline.PresenceLoggedOut, "", admin),
		ev(boris, tm(9, 5), hotline.PresencePaused, "2", hotline.PresenceByDaemonStart), // logged in paused
		ev(boris, tm(9, 6), hotline.PresenceAvailable, "", fc),
		ev(vera, tm(9, 1), hotline.PresenceAvailable, "", admin),
		ev(vera, tm(9, 2), hotline.PresenceUnreachable, "", hs),
		ev(vera, tm(9, 3), hotline.PresenceAvailable, "", hs),
		ev(vera, tm(10, 30), hotline.PresenceLoggedOut, "", fc), // after the window
	}
	u := func(h, m int) string { return fmt.Sprint(tm(h, m).Unix()) }
	got := lines(t, ExportData{Presence: presence, Operators: testData().Operators}, ExportOptions{From: tm(8, 0), To: tm(10, 0)})
	sameLines(t, got, []string{
		u(9, 0) + "|NONE|hotline|PJSIP/1001|PAUSE|3",
		u(9, 1) + "|MANAGER|hotline|PJSIP/1003|ADDMEMBER|",
		u(9, 5) + "|NONE|hotline|PJSIP/1002|ADDMEMBER|PAUSED",
		u(9, 6) + "|NONE|hotline|PJSIP/1002|UNPAUSE|",
		u(9, 10) + "|NONE|hotline|PJSIP/1001|PAUSE|4",
		u(9, 30) + "|NONE|hotline|PJSIP/1001|UNPAUSE|",
		u(9, 40) + "|NONE|hotline|PJSIP/1001|PAUSE|Auto-Pause",
		u(9, 50) + "|MANAGER|hotline|PJSIP/1001|REMOVEMEMBER|",
	})
}

// The CDR of the caller's channel: hotline answered it on arrival, so answer is the arrival and
// billsec counts from it (elapsed ms / 1000, truncated, as main/cdr.c); only a call that failed
// before its greeting is FAILED, with no answer.
func TestCDRCallerChannel(t *testing.T) {
	ops := testData().Operators
	for _, tc := range []struct {
		name string
		leg  hotline.Leg
		want string
	}{
		{"answered by an operator", hotline.Leg{ID: 1, CallID: "k", CallerNumber: "100", ArrivedAt: msAt(9, 0, 0, 700), QueuedAt: msAt(9, 0, 5, 0),
			AnsweredAt: msAt(9, 0, 9, 0), EndedAt: msAt(9, 0, 20, 600), End: hotline.LegCompleted, OperatorID: boris},
			`"","100","","hotline",""""" <100>","","PJSIP/1002","Stasis","hotline","2026-11-23 09:00:00","2026-11-23 09:00:00","2026-11-23 09:00:20",19,19,"ANSWERED","DOCUMENTATION","k",""`},
		{"abandoned in the queue", hotline.Leg{ID: 1, CallID: "k", CallerNumber: "100", ArrivedAt: msAt(9, 0, 0, 0), QueuedAt: msAt(9, 0, 5, 0),
			EndedAt: msAt(9, 0, 30, 999), End: hotline.LegAbandoned},
			`"","100","","hotline",""""" <100>","","","Stasis","hotline","2026-11-23 09:00:00","2026-11-23 09:00:00","2026-11-23 09:00:30",30,30,"ANSWERED","DOCUMENTATION","k",""`},
		{"failed before the greeting", hotline.Leg{ID: 1, CallID: "k", CallerNumber: "100", ArrivedAt: msAt(9, 0, 0, 0),
			EndedAt: msAt(9, 0, 1, 0), End: hotline.LegFailed},
			`"","100","","hotline",""""" <100>","","","Stasis","hotline","2026-11-23 09:00:00",,"2026-11-23 09:00:01",1,0,"FAILED","DOCUMENTATION","k",""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if _, err := WriteCDR(context.Background(), &buf, ExportData{Calls: []Call{{Leg: tc.leg}}, Operators: ops}, ExportOptions{}); err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSuffix(buf.String(), "\n"); got != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// Unanswered offers, each in its place among the call's lines with app_queue's ring time in
// milliseconds: a timeout's is the timeout, a rejected ring's whole seconds times 1000, a
// cancelled ring's the elapsed milliseconds. Queued 09:00:10.900; the rings are on leg 1.
func TestQueueLogRings(t *testing.T) {
	queued, answered, ended := msAt(9, 0, 10, 900), msAt(9, 0, 40, 200), msAt(9, 1, 0, 0)
	u := func(tm time.Time) string { return fmt.Sprint(tm.Unix()) }
	ring := func(opID int64, from, to time.Time, why hotline.RingStop) hotline.RingAttempt {
		return hotline.RingAttempt{LegID: 1, CallID: "k", OperatorID: opID, RangAt: from, StoppedAt: to, Why: why}
	}
	enter := u(queued) + "|k|hotline|NONE|ENTERQUEUE||+79001234567|1"
	for _, tc := range []struct {
		name     string
		answered bool
		rings    []hotline.RingAttempt
		want     []string
	}{
		{"ring timeout, then the next operator answers", true,
			[]hotline.RingAttempt{ring(vera, msAt(9, 0, 11, 0), msAt(9, 0, 26, 0), hotline.RingTimedOut)},
			[]string{enter, u(msAt(9, 0, 26, 0)) + "|k|hotline|PJSIP/1003|RINGNOANSWER|15000",
				u(answered) + "|k|hotline|PJSIP/1001|CONNECT|30|op-chan-1|10",
				u(ended) + "|k|hotline|PJSIP/1001|COMPLETECALLER|30|20|1"}},
		{"rejected after 3.4 s, counted in whole seconds: 12.9 to 16.3 is 4 s", true,
			[]hotline.RingAttempt{ring(vera, msAt(9, 0, 12, 900), msAt(9, 0, 16, 300), hotline.RingDeclined)},
			[]string{enter, u(msAt(9, 0, 16, 300)) + "|k|hotline|PJSIP/1003|RINGNOANSWER|4000",
				u(answered) + "|k|hotline|PJSIP/1001|CONNECT|30|op-chan-1|10",
				u(ended) + "|k|hotline|PJSIP/1001|COMPLETECALLER|30|20|1"}},
		{"the caller hangs up while two rang in turn", false,
			[]hotline.RingAttempt{
				ring(anna, msAt(9, 0, 30, 0), msAt(9, 0, 58, 750), hotline.RingCallerGone),
				ring(vera, msAt(9, 0, 11, 0), msAt(9, 0, 26, 0), hotline.RingTimedOut)},
			[]string{enter, u(msAt(9, 0, 26, 0)) + "|k|hotline|PJSIP/1003|RINGNOANSWER|15000",
				u(msAt(9, 0, 58, 750)) + "|k|hotline|PJSIP/1001|RINGCANCELED|28750",
				u(ended) + "|k|hotline|NONE|ABANDON|1|1|50"}},
		{"withdrawn when hotline ended the call: cancelled", false,
			[]hotline.RingAttempt{ring(vera, msAt(9, 0, 11, 0), msAt(9, 0, 12, 5), hotline.RingWithdrawn)},
			[]string{enter, u(msAt(9, 0, 12, 5)) + "|k|hotline|PJSIP/1003|RINGCANCELED|1005",
				u(ended) + "|k|hotline|NONE|ABANDON|1|1|50"}},
		{"never placed: no line", false,
			[]hotline.RingAttempt{ring(vera, msAt(9, 0, 11, 0), msAt(9, 0, 11, 0), hotline.RingNotPlaced)},
			[]string{enter, u(ended) + "|k|hotline|NONE|ABANDON|1|1|50"}},
		{"another leg's rings are not this one's", false,
			[]hotline.RingAttempt{{LegID: 2, CallID: "k", OperatorID: vera, RangAt: msAt(9, 0, 11, 0), StoppedAt: msAt(9, 0, 26, 0), Why: hotline.RingTimedOut}},
			[]string{enter, u(ended) + "|k|hotline|NONE|ABANDON|1|1|50"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Call{Leg: hotline.Leg{ID: 1, CallID: "k", CallerNumber: "+79001234567", ArrivedAt: msAt(9, 0, 0, 0),
				QueuedAt: queued, EndedAt: ended, End: hotline.LegAbandoned}}
			if tc.answered {
				c.RangAt, c.AnsweredAt, c.OperatorID, c.OperatorChannel, c.End = msAt(9, 0, 30, 0), answered, anna, "op-chan-1", hotline.LegCompleted
			}
			d := ExportData{Calls: []Call{c}, Operators: testData().Operators, Rings: tc.rings}
			sameLines(t, lines(t, d, ExportOptions{}), tc.want)
		})
	}
}

// Asterisk's CDR engine ends the caller's record at each dial of a member that ended unanswered
// (NO ANSWER, naming the member) and begins the next with the next dial; a caller who hangs up
// while a handset rings leaves the last record NO ANSWER, naming that member. The records of the
// sandbox's Master.csv for the same calls (TestQueueLogMatchesAppQueue) are the model.
func TestCDRRings(t *testing.T) {
	arrived, queued, ended := msAt(9, 0, 0, 0), msAt(9, 0, 10, 0), msAt(9, 0, 30, 0)
	ring := func(opID int64, from, to time.Time, why hotline.RingStop) hotline.RingAttempt {
		return hotline.RingAttempt{LegID: 1, CallID: "k", OperatorID: opID, RangAt: from, StoppedAt: to, Why: why}
	}
	const head = `"","+79001234567","100","hotline",""""" <+79001234567>","",`
	rec := func(member, start, end string, secs int, disposition string) string {
		return fmt.Sprintf(`%s"%s","Stasis","hotline","2026-11-23 09:00:%s","2026-11-23 09:00:%s","2026-11-23 09:00:%s",%d,%d,"%s","DOCUMENTATION","k",""`,
			head, member, start, start, end, secs, secs, disposition)
	}
	for _, tc := range []struct {
		name     string
		answered bool
		rings    []hotline.RingAttempt
		want     []string
	}{
		{"no ring", false, nil, []string{rec("", "00", "30", 30, "ANSWERED")}},
		{"the caller hung up while 1003 rang, after 1001 timed out", false,
			[]hotline.RingAttempt{ring(vera, msAt(9, 0, 26, 0), ended, hotline.RingCallerGone), ring(anna, msAt(9, 0, 11, 0), msAt(9, 0, 16, 0), hotline.RingTimedOut)},
			[]string{rec("PJSIP/1001", "00", "16", 16, "NO ANSWER"), rec("PJSIP/1003", "26", "30", 4, "NO ANSWER")}},
		{"abandoned in the queue after a timeout", false,
			[]hotline.RingAttempt{ring(anna, msAt(9, 0, 11, 0), msAt(9, 0, 16, 0), hotline.RingTimedOut)},
			[]string{rec("PJSIP/1001", "00", "16", 16, "NO ANSWER"), rec("", "16", "30", 14, "ANSWERED")}},
		{"answered after a timeout and a rejection", true,
			[]hotline.RingAttempt{ring(vera, msAt(9, 0, 11, 0), msAt(9, 0, 16, 0), hotline.RingTimedOut),
				ring(vera, msAt(9, 0, 16, 500), msAt(9, 0, 17, 900), hotline.RingDeclined)},
			[]string{rec("PJSIP/1003", "00", "16", 16, "NO ANSWER"), rec("PJSIP/1003", "16", "17", 1, "NO ANSWER"),
				rec("PJSIP/1001", "19", "30", 11, "ANSWERED")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Call{Leg: hotline.Leg{ID: 1, CallID: "k", CallerNumber: "+79001234567", ArrivedAt: arrived, QueuedAt: queued,
				EndedAt: ended, End: hotline.LegAbandoned}, Line: "100"}
			if tc.answered {
				c.RangAt, c.AnsweredAt, c.OperatorID, c.End = msAt(9, 0, 19, 0), msAt(9, 0, 20, 0), anna, hotline.LegCompleted
			}
			var buf bytes.Buffer
			if _, err := WriteCDR(context.Background(), &buf, ExportData{Calls: []Call{c}, Operators: testData().Operators, Rings: tc.rings}, ExportOptions{}); err != nil {
				t.Fatal(err)
			}
			if got, want := strings.TrimSuffix(buf.String(), "\n"), strings.Join(tc.want, "\n"); got != want {
				t.Errorf("records:\n got %s\nwant %s", got, want)
			}
		})
	}
}
