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

// member is how queue_log and CDRs name an operator: the handset's channel as Asterisk's queue
// members are named (PJSIP/1001), or Agent/<id> for an operator without an extension.
func member(ops map[int64]hotline.Operator, id int64) string {
	if id == 0 {
		return "NONE"
	}
	if op, ok := ops[id]; ok && op.Extension != "" {
		return "PJSIP/" + op.Extension
	}
	return "Agent/" + strconv.FormatInt(id, 10)
}

func secs(d time.Duration) int64 { return int64(max(d, 0) / time.Second) }

// queueEvent is one queue_log line before sorting.
type queueEvent struct {
	at    time.Time
	seq   int
	line  string
	legID int64
}

// positions computes each queued call's position in the queue when it entered (origposition)
// and when it left unanswered (position): 1 + the callers queued before it and still waiting.
func positions(calls []Call) (orig, atExit map[int64]int) {
	var q []Call
	for _, c := range calls {
		if c.inbound() && !c.QueuedAt.IsZero() {
			q = append(q, c)
		}
	}
	slices.SortFunc(q, func(a, b Call) int { return cmp.Or(a.QueuedAt.Compare(b.QueuedAt), cmp.Compare(a.ID, b.ID)) })
	exit := func(c Call) time.Time {
		switch {
		case !c.AnsweredAt.IsZero():
			return c.AnsweredAt
		case !c.EndedAt.IsZero():
			return c.EndedAt
		}
		return time.Unix(1<<40, 0) // still waiting
	}
	orig, atExit = map[int64]int{}, map[int64]int{}
	var waiting []time.Time // exit times of the callers queued so far and not yet gone
	for _, c := range q {
		kept := waiting[:0]
		for _, e := range waiting {
			if e.After(c.QueuedAt) {
				kept = append(kept, e)
			}
		}
		waiting = kept
		orig[c.ID] = len(waiting) + 1
		ahead := 0
		for _, e := range waiting {
			if e.After(exit(c)) {
				ahead++
			}
		}
		atExit[c.ID] = ahead + 1
		waiting = append(waiting, exit(c))
	}
	return orig, atExit
}

// WriteQueueLog writes calls as Asterisk's queue_log (time|callid|queuename|agent|event|data...),
// oldest first, and returns the number of lines. The fields are those Asterisk 22's app_queue.c
// writes. Mapping (docs/reports.md):
//
//	queued (or answered)            ENTERQUEUE  url|callerid|origposition   agent NONE
//	answered                        CONNECT     holdtime|bridgedchanneluniqueid|ringtime
//	answered, then transferred      BLINDTRANSFER (or TRANSFER) extension|context|holdtime|calltime|origposition
//	answered, then ended otherwise  COMPLETECALLER holdtime|calltime|origposition
//	abandoned or failed in queue    ABANDON     position|origposition|waittime
//	overflow (callback, message)    EXITWITHTIMEOUT position|origposition|waittime
//
// Calls that never reached the queue (hung up in the greeting, or overflowed on arrival) have no
// lines, as a call that never ran Queue() has none in Asterisk. A transfer leg has none either:
// the call left the queue with TRANSFER.
func WriteQueueLog(ctx context.Context, w io.Writer, calls []Call, ops []hotline.Operator, o ExportOptions) (int, error) {
	o = o.withDefaults()
	opByID := map[int64]hotline.Operator{}
	for _, op := range ops {
		opByID[op.ID] = op
	}
	// The operator a transferred leg went to: the transfer leg of the same call from that operator.
	transferTo := map[string]int64{}
	for _, c := range calls {
		if !c.inbound() && c.CallID != "" {
			transferTo[c.CallID+"/"+strconv.FormatInt(c.TransferredFrom, 10)] = c.OperatorID
		}
	}
	orig, atExit := positions(calls)
	var evs []queueEvent
	add := func(t time.Time, c Call, agent, event string, data ...any) {
		parts := []string{strconv.FormatInt(t.Unix(), 10), queueField(c.CallID), queueField(o.Queue), queueField(agent), event}
		for _, d := range data {
			parts = append(parts, queueField(fmt.Sprint(d)))
		}
		evs = append(evs, queueEvent{at: t, seq: len(evs), line: strings.Join(parts, "|"), legID: c.ID})
	}
	for i, c := range calls {
		if i%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		if !c.inbound() || (c.QueuedAt.IsZero() && c.AnsweredAt.IsZero()) {
			continue
		}
		enter := c.QueuedAt
		if enter.IsZero() {
			enter = c.AnsweredAt
		}
		op := orig[c.ID]
		if op == 0 {
			op = 1
		}
		hold := secs(c.QueueWait())
		add(enter, c, "NONE", "ENTERQUEUE", "", c.CallerNumber, op)
		switch {
		case !c.AnsweredAt.IsZero():
			agent := member(opByID, c.OperatorID)
			add(c.AnsweredAt, c, agent, "CONNECT", hold, "", 0)
			if c.EndedAt.IsZero() {
				continue
			}
			talk := secs(c.TalkTime())
			if c.End == hotline.LegTransferred {
				ext := ""
				if to, ok := transferTo[c.CallID+"/"+strconv.FormatInt(c.OperatorID, 10)]; ok {
					ext = strings.TrimPrefix(member(opByID, to), "PJSIP/")
				}
				add(c.EndedAt, c, agent, o.TransferEvent, ext, o.Queue, hold, talk, op)
			} else {
				add(c.EndedAt, c, agent, "COMPLETECALLER", hold, talk, op)
			}
		case c.EndedAt.IsZero():
			// still waiting: entered, nothing else yet
		case c.End == hotline.LegOverflow:
			add(c.EndedAt, c, "NONE", "EXITWITHTIMEOUT", atExit[c.ID], op, hold)
		default:
			add(c.EndedAt, c, "NONE", "ABANDON", atExit[c.ID], op, hold)
		}
	}
	slices.SortStableFunc(evs, func(a, b queueEvent) int { return a.at.Compare(b.at) })
	bw := bufio.NewWriter(w)
	lines, legs, last := 0, 0, int64(-1)
	for _, e := range evs {
		if _, err := bw.WriteString(e.line + "\n"); err != nil {
			return lines, fmt.Errorf("write queue_log: %w", err)
		}
		lines++
		if e.legID != last {
			legs, last = legs+1, e.legID
			if legs%progressEvery == 0 {
				o.Progress(min(legs, len(calls)), len(calls))
				if err := ctx.Err(); err != nil {
					return lines, err
				}
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return lines, fmt.Errorf("write queue_log: %w", err)
	}
	o.Progress(len(calls), len(calls))
	return lines, nil
}

// CDRColumns are cdr_csv's columns in its order, with loguniqueid and loguserfield on.
var CDRColumns = []string{"accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel", "lastapp", "lastdata",
	"start", "answer", "end", "duration", "billsec", "disposition", "amaflags", "uniqueid", "userfield"}

// WriteCDR writes one cdr_csv record per ended leg (a transfer makes a second record, as in
// Asterisk), oldest first, with no header line, as Master.csv has none. It returns the number
// of records. Strings are double-quoted with quotes doubled, numbers bare, dates
// "YYYY-MM-DD HH:MM:SS" in o.Location and an unset one empty, as Asterisk 22's cdr_csv.c writes
// them.
func WriteCDR(ctx context.Context, w io.Writer, calls []Call, ops []hotline.Operator, o ExportOptions) (int, error) {
	o = o.withDefaults()
	opByID := map[int64]hotline.Operator{}
	for _, op := range ops {
		opByID[op.ID] = op
	}
	sorted := slices.Clone(calls)
	slices.SortStableFunc(sorted, func(a, b Call) int { return cmp.Or(a.ArrivedAt.Compare(b.ArrivedAt), cmp.Compare(a.ID, b.ID)) })
	bw := bufio.NewWriter(w)
	n := 0
	date := func(t time.Time) string { return t.In(o.Location).Format(time.DateTime) }
	for i, c := range sorted {
		if i > 0 && i%progressEvery == 0 {
			o.Progress(i, len(sorted))
			if err := ctx.Err(); err != nil {
				return n, err
			}
		}
		if c.EndedAt.IsZero() {
			continue
		}
		var dst, dstChannel, disposition string
		var billsec int64
		switch {
		case !c.AnsweredAt.IsZero():
			dstChannel = member(opByID, c.OperatorID)
			dst = strings.TrimPrefix(strings.TrimPrefix(dstChannel, "PJSIP/"), "Agent/")
			disposition, billsec = "ANSWERED", secs(c.TalkTime())
		case c.End == hotline.LegFailed:
			disposition = "FAILED"
		default:
			disposition = "NO ANSWER"
		}
		clid := ""
		if c.CallerNumber != "" {
			clid = `"" <` + c.CallerNumber + `>`
		}
		var b strings.Builder
		for _, s := range []string{"", c.CallerNumber, dst, o.Queue, clid, "", dstChannel, "Stasis", o.Queue} {
			b.WriteString(quote(s) + ",")
		}
		for _, t := range []time.Time{c.ArrivedAt, c.AnsweredAt, c.EndedAt} {
			if !t.IsZero() { // cdr_csv's append_date writes an unset time as nothing, unquoted
				b.WriteString(quote(date(t)))
			}
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%d,%d,", secs(c.EndedAt.Sub(c.ArrivedAt)), billsec)
		b.WriteString(quote(disposition) + "," + quote("DOCUMENTATION") + "," + quote(c.CallID) + "," + quote(c.CaseNumber) + "\n")
		if _, err := bw.WriteString(b.String()); err != nil {
			return n, fmt.Errorf("write CDR: %w", err)
		}
		n++
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
