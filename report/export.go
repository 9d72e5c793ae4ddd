package report

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/termtext"
)

// ExportOptions shape the queue_log and CDR exports.
type ExportOptions struct {
	// Queue names hotline's one queue in queue_log, and is the CDR's destination context and
	// last data (the Stasis application). Default "hotline".
	Queue string
	// Location is the time zone of the CDR's date columns (cdr_csv writes local time). Default UTC.
	Location *time.Location
	// Progress, when set, is told how many legs of total are written, now and then and at the end.
	Progress func(done, total int)
	// TransferEvent names a transfer in queue_log: BLINDTRANSFER (default), as Asterisk 12 and
	// later (22 included) write it, or TRANSFER, for readers of older logs. The fields are the same.
	TransferEvent string
	// From and To bound the export's window, [From, To); a zero bound is none. A window takes
	// whole calls: those with every line (queue_log) or record (CDR) in it.
	From, To time.Time
	// Lines makes a queue_log window take lines, not whole calls: every line whose time is in it.
	// The stream (QueueLogStream) writes the log in such slices of whole seconds, one after
	// another, so that they add up to the lines of the whole history, in the export's order.
	Lines bool
}

func (o ExportOptions) withDefaults() ExportOptions {
	if o.Queue == "" {
		o.Queue = "hotline"
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.Progress == nil {
		o.Progress = func(int, int) {}
	}
	if o.TransferEvent == "" {
		o.TransferEvent = "BLINDTRANSFER"
	}
	return o
}

// progressEvery: how many legs between progress reports and context checks.
const progressEvery = 500

// ExportData is what the exports read: the legs (with those before the window that a queue's
// positions depend on, see ExportLookback), the operators, and their presence history shaping the
// window (journal.PresenceHistory: each one's event in force at its start, then those in it).
type ExportData struct {
	Calls     []Call
	Operators []hotline.Operator
	Presence  []hotline.PresenceEvent
	// Rings are the offers that were not answered (journal.Store.RingAttempts), of the legs in
	// Calls: queue_log's RINGNOANSWER and RINGCANCELED.
	Rings []hotline.RingAttempt
}

// ExportLookback: the legs that arrived this long before an export's window are read too, only
// for the queue positions of the window's first callers (who was still waiting ahead of them).
const ExportLookback = 24 * time.Hour

// member is how queue_log and CDRs name an operator: the handset's interface as a queue member
// added without a member name is named (app_queue logs mem->membername, which is then the
// interface: PJSIP/1001), or Agent/<id> for an operator without an extension.
func member(ops map[int64]hotline.Operator, id int64) string {
	if id == 0 {
		return "NONE"
	}
	if op, ok := ops[id]; ok && op.Extension != "" {
		return "PJSIP/" + op.Extension
	}
	return "Agent/" + strconv.FormatInt(id, 10)
}

// secs is a duration as Asterisk's CDR engine counts one: whole milliseconds divided by 1000,
// truncated (main/cdr.c, cdr_object_get_duration and cdr_object_get_billsec without
// initiatedseconds).
func secs(d time.Duration) int64 { return int64(max(d, 0) / time.Second) }

// since is a time span as app_queue writes one: the difference of two time(NULL) readings, whole
// seconds each (e.g. (long) (time(NULL) - qe->start) in queue_exec), so a line's figures agree
// with the timestamps of the lines they span.
func since(from, to time.Time) int64 { return max(to.Unix()-from.Unix(), 0) }

// queueEvent is one queue_log line before sorting.
type queueEvent struct {
	at   time.Time
	line string
	call string // the call's channel; "" for a member's line
}

// queueEntry is one stay of a caller in the queue: a call's first leg, or a leg transferred back
// to the queue.
type queueEntry struct {
	leg         int64
	enter, exit time.Time // exit zero: still waiting
}

// positions computes each queue entry's position when it entered (app_queue's qe->opos) and when
// it left unanswered (qe->pos, which moves up as callers ahead leave): 1 + the callers who
// entered before it and were still waiting, as join_queue counts them (one priority).
func positions(calls []Call) (orig, atExit map[int64]int) {
	var q []queueEntry
	for _, c := range calls {
		if c.QueuedAt.IsZero() {
			continue
		}
		e := queueEntry{leg: c.ID, enter: c.QueuedAt, exit: c.AnsweredAt}
		if e.exit.IsZero() {
			e.exit = c.EndedAt
		}
		q = append(q, e)
	}
	slices.SortFunc(q, func(a, b queueEntry) int { return cmp.Or(a.enter.Compare(b.enter), cmp.Compare(a.leg, b.leg)) })
	gone := func(e queueEntry, t time.Time) bool { return !e.exit.IsZero() && !e.exit.After(t) }
	orig, atExit = map[int64]int{}, map[int64]int{}
	var waiting []queueEntry // the entries so far not yet gone
	for _, e := range q {
		kept := waiting[:0]
		for _, w := range waiting {
			if !gone(w, e.enter) {
				kept = append(kept, w)
			}
		}
		waiting = kept
		orig[e.leg] = len(waiting) + 1
		ahead := 0
		for _, w := range waiting {
			if e.exit.IsZero() || !gone(w, e.exit) {
				ahead++
			}
		}
		atExit[e.leg] = ahead + 1
		waiting = append(waiting, e)
	}
	return orig, atExit
}

// inWindow: t is in [from, to), a zero bound being no bound.
func inWindow(t, from, to time.Time) bool {
	return (from.IsZero() || !t.Before(from)) && (to.IsZero() || t.Before(to))
}

// byCall groups legs by call (their CallID), each call's legs in the order they began, calls in
// the order they arrived.
func byCall(calls []Call) [][]Call {
	idx := map[string]int{}
	var out [][]Call
	sorted := slices.Clone(calls)
	slices.SortStableFunc(sorted, func(a, b Call) int { return cmp.Or(a.ArrivedAt.Compare(b.ArrivedAt), cmp.Compare(a.ID, b.ID)) })
	for _, c := range sorted {
		key := c.CallID
		if key == "" { // a leg without a channel id is a call of its own
			key = "\x00" + strconv.FormatInt(c.ID, 10)
		}
		i, ok := idx[key]
		if !ok {
			i = len(out)
			idx[key] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], c)
	}
	for _, legs := range out {
		// A transfer leg may record its arrival as the call's: the first leg is the inbound one.
		slices.SortStableFunc(legs, func(a, b Call) int { return cmp.Or(boolCmp(a.inbound(), b.inbound()), cmp.Compare(a.ID, b.ID)) })
	}
	return out
}

// boolCmp orders true before false.
func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// WriteQueueLog writes calls and the operators' presence as Asterisk 22's app_queue writes its
// queue_log (time|callid|queuename|agent|event|data...), oldest first, and returns the number of
// lines. Each event has the fields app_queue.c gives it (docs/reports.md lists them, and the
// deliberate differences). A window (o.From, o.To) takes whole calls: a call whose lines do not
// all fall in it has none; positions are those the callers had, counted with the callers before
// the window; member lines are those in it.
func WriteQueueLog(ctx context.Context, w io.Writer, d ExportData, o ExportOptions) (int, error) {
	o = o.withDefaults()
	opByID := map[int64]hotline.Operator{}
	for _, op := range d.Operators {
		opByID[op.ID] = op
	}
	orig, atExit := positions(d.Calls)
	rings := map[int64][]hotline.RingAttempt{}
	for _, r := range d.Rings {
		rings[r.LegID] = append(rings[r.LegID], r)
	}
	for _, rs := range rings {
		slices.SortStableFunc(rs, func(a, b hotline.RingAttempt) int { return a.StoppedAt.Compare(b.StoppedAt) })
	}
	var evs []queueEvent
	add := func(t time.Time, callID, agent, event string, data ...any) {
		parts := []string{strconv.FormatInt(t.Unix(), 10), queueField(callID), queueField(o.Queue), queueField(agent), event}
		for _, v := range data {
			parts = append(parts, queueField(fmt.Sprint(v)))
		}
		evs = append(evs, queueEvent{at: t, line: strings.Join(parts, "|"), call: callID})
	}
	for i, legs := range byCall(d.Calls) {
		if i%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		first := len(evs)
		for j, c := range legs {
			var next *Call
			if j+1 < len(legs) {
				next = &legs[j+1]
			}
			queueLegLines(add, c, next, rings[c.ID], opByID, orig, atExit, o)
		}
		if o.Lines {
			kept := evs[:first]
			for _, e := range evs[first:] {
				if inWindow(e.at, o.From, o.To) {
					kept = append(kept, e)
				}
			}
			evs = kept
			continue
		}
		for _, e := range evs[first:] {
			if !inWindow(e.at, o.From, o.To) { // whole calls only
				evs = evs[:first]
				break
			}
		}
	}
	for _, e := range memberLines(d.Presence, opByID) {
		if inWindow(e.at, o.From, o.To) {
			add(e.at, e.callID, e.agent, e.event, e.data)
		}
	}
	slices.SortStableFunc(evs, func(a, b queueEvent) int { return cmp.Compare(a.at.Unix(), b.at.Unix()) })
	bw := bufio.NewWriter(w)
	lines, calls, last := 0, 0, ""
	for _, e := range evs {
		if _, err := bw.WriteString(e.line + "\n"); err != nil {
			return lines, fmt.Errorf("write queue_log: %w", err)
		}
		lines++
		if e.call != last {
			calls, last = calls+1, e.call
			if calls%progressEvery == 0 {
				o.Progress(min(calls, len(d.Calls)), len(d.Calls))
				if err := ctx.Err(); err != nil {
					return lines, err
				}
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return lines, fmt.Errorf("write queue_log: %w", err)
	}
	o.Progress(len(d.Calls), len(d.Calls))
	return lines, nil
}

// queueLegLines adds the lines of one leg: those of a stay in the queue (a call's first leg, or a
// leg transferred back to the queue) and of its answer and end. A leg an operator transferred
// straight to another has none: app_queue stops following a call once it is transferred.
func queueLegLines(add func(t time.Time, callID, agent, event string, data ...any), c Call, next *Call,
	rings []hotline.RingAttempt, ops map[int64]hotline.Operator, orig, atExit map[int64]int, o ExportOptions) {
	if c.QueuedAt.IsZero() {
		// Never ran Queue(): hung up in the greeting, overflowed at join (app_queue's join_queue
		// refuses a full queue without a line), or a transfer leg.
		return
	}
	opos := max(orig[c.ID], 1)
	// ENTERQUEUE url|callerid|position (queue_exec); the position at entry is the original one.
	add(c.QueuedAt, c.CallID, "NONE", "ENTERQUEUE", "", c.CallerNumber, opos)
	for _, r := range rings {
		ringLine(add, c.CallID, r, ops)
	}
	if c.AnsweredAt.IsZero() {
		if c.EndedAt.IsZero() || c.EndedAway {
			// Still waiting; or gone while hotline was away from Asterisk, when the end is not
			// known (had Asterisk restarted, it would have written nothing more either).
			return
		}
		wait := since(c.QueuedAt, c.EndedAt)
		switch {
		case c.End == hotline.LegOverflow && c.Outcome == hotline.OutcomeOverflowCallback:
			// EXITWITHKEY key|position|origposition|waittime (queue_exec, a key of the queue's context).
			add(c.EndedAt, c.CallID, "NONE", "EXITWITHKEY", "1", atExit[c.ID], opos, wait)
		case c.End == hotline.LegOverflow:
			// EXITWITHTIMEOUT position|origposition|waittime (queue_exec, the queue's timeout).
			add(c.EndedAt, c.CallID, "NONE", "EXITWITHTIMEOUT", atExit[c.ID], opos, wait)
		default:
			// ABANDON position|origposition|waittime (queue_exec): app_queue writes it whenever the
			// caller's channel goes while waiting, also when hotline hung it up after an error.
			add(c.EndedAt, c.CallID, "NONE", "ABANDON", atExit[c.ID], opos, wait)
		}
		return
	}
	agent := member(ops, c.OperatorID)
	hold := since(c.QueuedAt, c.AnsweredAt)
	// CONNECT holdtime|bridgedchanneluniqueid|ringtime (try_calling): the ring time is the dial's
	// elapsed milliseconds / 1000, not a difference of seconds.
	add(c.AnsweredAt, c.CallID, agent, "CONNECT", hold, c.OperatorChannel, secs(c.RingTime()))
	if c.EndedAt.IsZero() || c.EndedAway {
		return
	}
	talk := since(c.AnsweredAt, c.EndedAt)
	switch c.End {
	case hotline.LegTransferred:
		if c.TransferBridge != "" {
			// ATTENDEDTRANSFER BRIDGE|bridge|holdtime|calltime|origposition (log_attended_transfer):
			// the caller moved into the consultation's bridge, merged with the consulted operator.
			add(c.EndedAt, c.CallID, agent, "ATTENDEDTRANSFER", "BRIDGE", c.TransferBridge, hold, talk, opos)
			break
		}
		// BLINDTRANSFER extension|context|holdtime|calltime|origposition (handle_blind_transfer).
		ext := ""
		if next != nil && next.QueuedAt.IsZero() {
			ext = strings.TrimPrefix(strings.TrimPrefix(member(ops, next.OperatorID), "PJSIP/"), "Agent/")
		}
		add(c.EndedAt, c.CallID, agent, o.TransferEvent, ext, o.Queue, hold, talk, opos)
	default:
		// COMPLETEAGENT or COMPLETECALLER holdtime|calltime|origposition (handle_hangup): whichever
		// channel hung up first. A failed bridged leg is the caller's channel hung up by hotline.
		event := "COMPLETECALLER"
		if c.HungUpBy == hotline.SideOperator {
			event = "COMPLETEAGENT"
		}
		add(c.EndedAt, c.CallID, agent, event, hold, talk, opos)
	}
}

// ringLine adds the line of an offer that was not answered, as wait_for_answer and rna write
// them (the data is milliseconds):
//   - RINGNOANSWER after the ring timeout: the timeout itself (rna(orig, ...)); the switchboard
//     records the offer as stopped when its timer was due, so this is the elapsed time;
//   - RINGNOANSWER when the handset rejected, was busy or unreachable: whole seconds between two
//     time(NULL) readings, times 1000 ((time(NULL) - starttime) * 1000);
//   - RINGCANCELED when the caller's side ended the wait while it rang (app_queue: the caller hung
//     up, or keyed; hotline: the caller hung up, or hotline ended or handed on the call): the
//     elapsed milliseconds (ast_tvdiff_ms).
//
// An offer hotline could not place (the originate failed) has no line: app_queue writes none for
// a member it cannot call.
func ringLine(add func(t time.Time, callID, agent, event string, data ...any), callID string, r hotline.RingAttempt,
	ops map[int64]hotline.Operator) {
	agent := member(ops, r.OperatorID)
	elapsed := max(r.StoppedAt.Sub(r.RangAt), 0).Milliseconds()
	switch r.Why {
	case hotline.RingTimedOut:
		add(r.StoppedAt, callID, agent, "RINGNOANSWER", elapsed)
	case hotline.RingDeclined:
		add(r.StoppedAt, callID, agent, "RINGNOANSWER", since(r.RangAt, r.StoppedAt)*1000)
	case hotline.RingCallerGone, hotline.RingWithdrawn:
		add(r.StoppedAt, callID, agent, "RINGCANCELED", elapsed)
	}
}

// memberLine is one queue_log line of a member's presence.
type memberLine struct {
	at                         time.Time
	callID, agent, event, data string
}

// memberLines turns the operators' presence history into app_queue's member lines: ADDMEMBER at a
// login (data PAUSED when the member joins paused: add_to_queue), REMOVEMEMBER at a logout, PAUSE
// with its reason and UNPAUSE (set_queue_member_pause, callid NONE). An unreachable handset is a
// device state to app_queue, never a line: an unreachable operator stays the member they were,
// paused if a pause reason is kept under it. The first event of each operator that comes before
// the window only sets where they stand (journal.PresenceHistory gives it first): its line, if
// any, falls before the window and is left out.
func memberLines(events []hotline.PresenceEvent, ops map[int64]hotline.Operator) []memberLine {
	type standing struct {
		in, paused bool
		reason     string
	}
	byOp := map[int64]standing{}
	var out []memberLine
	for _, e := range events {
		before := byOp[e.OperatorID]
		now := standing{in: e.Presence.LoggedIn()}
		switch e.Presence {
		case hotline.PresencePaused:
			now.paused, now.reason = true, e.Reason
		case hotline.PresenceUnreachable:
			now.paused, now.reason = e.Reason != "", e.Reason
		}
		if now.paused && e.How == hotline.PresenceBySwitchboard {
			now.reason = "Auto-Pause" // app_queue's autopause after a ring no answer (rna) says so
		}
		if e.Presence == hotline.PresenceUnreachable && before.in {
			now = before
		}
		byOp[e.OperatorID] = now
		agent := member(ops, e.OperatorID)
		callID := "NONE"
		if e.How == hotline.PresenceByAdmin {
			callID = "MANAGER" // an administrator's command: as AMI's QueueAdd / QueueRemove log it
		}
		switch {
		case now.in && !before.in:
			data := ""
			if now.paused {
				data = "PAUSED"
			}
			out = append(out, memberLine{e.At, callID, agent, "ADDMEMBER", data})
		case !now.in && before.in:
			out = append(out, memberLine{e.At, callID, agent, "REMOVEMEMBER", ""})
		case now.in && now.paused && (!before.paused || now.reason != before.reason):
			out = append(out, memberLine{e.At, "NONE", agent, "PAUSE", now.reason})
		case now.in && !now.paused && before.paused:
			out = append(out, memberLine{e.At, "NONE", agent, "UNPAUSE", ""})
		}
	}
	return out
}

// CDRColumns are cdr_csv's columns in its order, with loguniqueid and loguserfield on.
var CDRColumns = []string{"accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata",
	"start", "answer", "end", "duration", "billsec", "disposition", "amaflags", "uniqueid", "userfield"}

// WriteCDR writes one cdr_csv record per ended leg (a transfer makes a second record, as in
// Asterisk), oldest first, with no header line, as Master.csv has none. It returns the number
// of records. Strings are double-quoted with quotes doubled, numbers bare, dates
// "YYYY-MM-DD HH:MM:SS" in o.Location and an unset one empty, as Asterisk 22's cdr_csv.c writes
// them. A window (o.From, o.To) takes whole calls: those whose legs all began and ended in it.
//
// The record is the caller's channel's, as Asterisk's CDR engine keeps it (main/cdr.c): hotline
// answers that channel when it arrives, before the greeting, so answer is the arrival, billsec
// counts from it and the disposition is ANSWERED whether or not an operator answered; only a
// call that failed before anything began (its channel perhaps never answered) is FAILED, and one
// whose caller hung up while an operator's handset rang (d.Rings) is NO ANSWER, naming that
// operator as dstchannel.
// duration and billsec are elapsed milliseconds / 1000, truncated (cdr_object_get_duration,
// cdr_object_get_billsec).
func WriteCDR(ctx context.Context, w io.Writer, d ExportData, o ExportOptions) (int, error) {
	o = o.withDefaults()
	opByID := map[int64]hotline.Operator{}
	for _, op := range d.Operators {
		opByID[op.ID] = op
	}
	var sorted []Call
	for _, legs := range byCall(d.Calls) {
		whole := true
		for _, c := range legs {
			whole = whole && inWindow(c.ArrivedAt, o.From, o.To) && (c.EndedAt.IsZero() || inWindow(c.EndedAt, o.From, o.To))
		}
		if whole {
			sorted = append(sorted, legs...)
		}
	}
	slices.SortStableFunc(sorted, func(a, b Call) int { return cmp.Or(a.ArrivedAt.Compare(b.ArrivedAt), cmp.Compare(a.ID, b.ID)) })
	rings := map[int64][]hotline.RingAttempt{}
	for _, r := range d.Rings {
		rings[r.LegID] = append(rings[r.LegID], r)
	}
	for _, rs := range rings {
		slices.SortStableFunc(rs, func(a, b hotline.RingAttempt) int { return a.RangAt.Compare(b.RangAt) })
	}
	bw := bufio.NewWriter(w)
	n := 0
	date := func(t time.Time) string { return t.In(o.Location).Format(time.DateTime) }
	record := func(c Call, start, answer, end time.Time, dstChannel, disposition string) error {
		var billsec int64
		if !answer.IsZero() {
			billsec = secs(end.Sub(answer))
		}
		clid := ""
		if c.CallerNumber != "" {
			clid = `"" <` + c.CallerNumber + `>`
		}
		var b strings.Builder
		// dst is the extension the caller dialled (the hotline number), as the dialplan had it.
		for _, s := range []string{"", c.CallerNumber, c.Line, o.Queue, clid, "", dstChannel, "Stasis", o.Queue} {
			b.WriteString(quote(s) + ",")
		}
		for _, t := range []time.Time{start, answer, end} {
			if !t.IsZero() { // cdr_csv's append_date writes an unset time as nothing, unquoted
				b.WriteString(quote(date(t)))
			}
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%d,%d,", secs(end.Sub(start)), billsec)
		b.WriteString(quote(disposition) + "," + quote("DOCUMENTATION") + "," + quote(c.CallID) + "," + quote(c.CaseNumber) + "\n")
		if _, err := bw.WriteString(b.String()); err != nil {
			return fmt.Errorf("write CDR: %w", err)
		}
		n++
		return nil
	}
	for i, c := range sorted {
		if i > 0 && i%progressEvery == 0 {
			o.Progress(i, len(sorted))
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
		if c.EndedAt.IsZero() {
			continue // cdr_csv writes a record when the channel's CDR is finalised
		}
		start, disposition := c.ArrivedAt, "ANSWERED"
		if c.End == hotline.LegFailed && c.GreetingEndAt.IsZero() && c.QueuedAt.IsZero() && c.AnsweredAt.IsZero() {
			if err := record(c, start, time.Time{}, c.EndedAt, "", "FAILED"); err != nil {
				return n, err
			}
			continue
		}
		// Each dial of an operator's handset that ended unanswered while the caller waited on
		// ends the caller's record there, NO ANSWER, naming that member; the next record begins
		// with the next dial (main/cdr.c appends a record to the caller's chain for it). The
		// channel was answered before (the greeting): each record's answer is its start.
		final := c.EndedAt
		if !c.AnsweredAt.IsZero() {
			final = c.AnsweredAt
		}
		var waited []hotline.RingAttempt
		for _, r := range rings[c.ID] {
			if !r.StoppedAt.After(final) {
				waited = append(waited, r)
			}
		}
		var last *hotline.RingAttempt
		if k := len(waited); k > 0 && c.AnsweredAt.IsZero() && waited[k-1].Why == hotline.RingCallerGone {
			// The caller hung up while it rang: main/cdr.c keeps that dial's member and its
			// outcome (CANCEL: NO ANSWER) on the caller's last record.
			last, waited = &waited[k-1], waited[:k-1]
		}
		for j, r := range waited {
			if err := record(c, start, start, r.StoppedAt, member(opByID, r.OperatorID), "NO ANSWER"); err != nil {
				return n, err
			}
			switch {
			case j+1 < len(waited):
				start = waited[j+1].RangAt
			case last != nil:
				start = last.RangAt
			case !c.AnsweredAt.IsZero() && !c.RangAt.IsZero():
				start = c.RangAt
			default:
				// No dial followed (the caller hung up or overflowed in the queue): the record
				// goes on from the end of the last one.
				start = r.StoppedAt
			}
		}
		dstChannel := ""
		switch {
		case last != nil:
			dstChannel, disposition = member(opByID, last.OperatorID), "NO ANSWER"
		case !c.AnsweredAt.IsZero():
			dstChannel = member(opByID, c.OperatorID)
		}
		if err := record(c, start, start, c.EndedAt, dstChannel, disposition); err != nil {
			return n, err
		}
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("write CDR: %w", err)
	}
	o.Progress(len(sorted), len(sorted))
	return n, nil
}

// quote is cdr_csv's append_string: in double quotes, a quote doubled. What a terminal or a
// line-based reader would obey (a newline ends a record for most CDR readers, an escape clears
// the screen of whoever reads the file) is written as text: \x0a (termtext.Escape).
func quote(s string) string { return `"` + strings.ReplaceAll(termtext.Escape(s), `"`, `""`) + `"` }

// queueField is one field of a queue_log line. A caller id is what the caller's SIP client sent:
// | (the separator) becomes /, and a newline, which would end the line and forge the next one, or
// any other control character is written as text (\x0a, termtext.Escape).
func queueField(s string) string { return strings.ReplaceAll(termtext.Escape(s), "|", "/") }
