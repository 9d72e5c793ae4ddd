package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/journal"
)

// reportDB is a journal filled through the journal's own API, as the switchboard and operators
// fill it, on a settable clock (history times are the clock's):
//
//	call  arrived   queued    answered  ended     end          operator          wait  talk
//	ch-1  09:00:00  09:00:10  09:00:25  09:05:25  completed    ivanova (1001)    15    300   topic 11
//	ch-2  09:10:00  09:10:10  09:11:10  09:13:10  transferred  petrov (1002)     60    120
//	      transfer leg        09:13:15  09:15:15  completed    ivanova                 120
//	ch-3  09:20:00  09:20:10  -         09:21:40  abandoned                      90
//	ch-4  09:30:00  09:30:10  -         09:30:12  abandoned (short)              2
//	ch-5  09:40:00  09:40:10  -         09:42:10  overflow; callback for petrov at 09:45, he calls back at 10:30
//
// At 11:00 ch-3's case gets a topic and is forwarded with notice to petrov («Отсроченный ответ»).
func reportDB(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hotline.db")
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	s, err := journal.Open(ctx, path, journal.Options{Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = s.Migrate(ctx)
	must(err)
	boot, err := s.Actor(ctx, "root")
	must(err)
	admin := hotline.Operator{Name: "Админова А.А.", Login: "admin", Role: hotline.RoleAdministrator, Level: 1}
	must(s.AddOperator(ctx, boot, &admin))
	by := hotline.Actor{Login: "admin", OperatorID: admin.ID, Role: hotline.RoleAdministrator}
	ivanova := hotline.Operator{Name: "Иванова И.И.", Login: "ivanova", Role: hotline.RoleOperator, Level: 1, Extension: "1001"}
	petrov := hotline.Operator{Name: "Петров П.П.", Login: "petrov", Role: hotline.RoleOperator, Level: 1, Extension: "1002"}
	must(s.AddOperator(ctx, by, &ivanova))
	must(s.AddOperator(ctx, by, &petrov))
	must(s.AddTopic(ctx, by, hotline.Topic{Code: "policy-replace", Number: 11, Type: hotline.TypeConsultation, Title: "Замена полиса ОМС"}))

	at := func(h, m, sec int) time.Time { return time.Date(2026, 11, 23, h, m, sec, 0, time.UTC) }
	type leg = hotline.Leg
	calls := []struct {
		start leg
		saves []leg
	}{
		{leg{CallID: "ch-1", CallerNumber: "+78652000001", ArrivedAt: at(9, 0, 0)}, []leg{
			{QueuedAt: at(9, 0, 10), AnsweredAt: at(9, 0, 25), OperatorID: ivanova.ID},
			{QueuedAt: at(9, 0, 10), AnsweredAt: at(9, 0, 25), OperatorID: ivanova.ID, EndedAt: at(9, 5, 25), End: hotline.LegCompleted}}},
		{leg{CallID: "ch-2", CallerNumber: "+78652000002", ArrivedAt: at(9, 10, 0)}, []leg{
			{QueuedAt: at(9, 10, 10), AnsweredAt: at(9, 11, 10), OperatorID: petrov.ID, EndedAt: at(9, 13, 10), End: hotline.LegTransferred},
			{ArrivedAt: at(9, 13, 10), AnsweredAt: at(9, 13, 15), OperatorID: ivanova.ID, TransferredFrom: petrov.ID},
			{ArrivedAt: at(9, 13, 10), AnsweredAt: at(9, 13, 15), OperatorID: ivanova.ID, TransferredFrom: petrov.ID, EndedAt: at(9, 15, 15), End: hotline.LegCompleted}}},
		{leg{CallID: "ch-3", CallerNumber: "+78652000003", ArrivedAt: at(9, 20, 0)}, []leg{
			{QueuedAt: at(9, 20, 10), EndedAt: at(9, 21, 40), End: hotline.LegAbandoned}}},
		{leg{CallID: "ch-4", CallerNumber: "+78652000004", ArrivedAt: at(9, 30, 0)}, []leg{
			{QueuedAt: at(9, 30, 10), EndedAt: at(9, 30, 12), End: hotline.LegAbandoned}}},
		{leg{CallID: "ch-5", CallerNumber: "+78652000005", ArrivedAt: at(9, 40, 0)}, []leg{
			{QueuedAt: at(9, 40, 10), EndedAt: at(9, 42, 10), End: hotline.LegOverflow}}},
	}
	for _, c := range calls {
		now = c.start.ArrivedAt
		_, err := s.StartCall(ctx, journal.CallStart{CallID: c.start.CallID, CallerNumber: c.start.CallerNumber, Line: "100", ArrivedAt: c.start.ArrivedAt})
		must(err)
		for _, l := range c.saves {
			l.CallID = c.start.CallID
			if l.ArrivedAt.IsZero() {
				l.ArrivedAt = c.start.ArrivedAt
			}
			now = l.ArrivedAt.Add(6 * time.Minute)
			must(s.SaveCallLeg(ctx, l, ""))
		}
	}
	// Ivanova keys the topic on ch-1: her case for the call.
	c1, err := s.KeyTopic(ctx, "ch-1", ivanova.ID, 11)
	must(err)
	// ch-1's case is due at noon: overdue as of the next midnight.
	due := at(12, 0, 0)
	_, err = s.UpdateCase(ctx, by, c1.ID, journal.CaseUpdate{DueAt: &due})
	must(err)
	// ch-5's caller asked for a callback (a delayed answer in the administrators' queue), given to
	// petrov at its turn; he calls back at 10:30.
	now = at(9, 42, 10)
	ch5, err := s.OpenDelayedAnswer(ctx, "ch-5", journal.DelayedCallback, journal.DelayedAnswerRule{})
	must(err)
	now = at(9, 45, 0)
	must(s.GiveCallback(ctx, "ch-5", petrov.ID))
	now = at(10, 30, 0)
	_, err = s.SetInProgress(ctx, hotline.Actor{Login: "petrov", OperatorID: petrov.ID, Role: hotline.RoleOperator}, ch5.ID)
	must(err)
	// The administrator registers ch-3 with a topic and forwards it with notice to petrov: a
	// second callback owed.
	now = at(11, 0, 0)
	ref3, err := s.CallRef(ctx, "ch-3")
	must(err)
	c3 := hotline.Case{Type: hotline.TypeConsultation, Topic: "policy-replace"}
	must(s.RegisterCall(ctx, by, ref3, &c3, nil))
	_, err = s.CloseCase(ctx, by, c3.ID, hotline.Closing{Result: hotline.ResultForwarded, ForwardTo: petrov.ID, Comment: "к специалисту"})
	must(err)
	return path
}

func hotlineRun(t *testing.T, db string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"--db", db}, args...), &out, &errb)
	return out.String(), errb.String(), code
}

func hotlineOK(t *testing.T, db string, args ...string) string {
	t.Helper()
	out, errs, code := hotlineRun(t, db, args...)
	if code != 0 {
		t.Fatalf("hotline %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

// reportDay is the report of the 23rd in UTC as of the next midnight, followed by more arguments.
func reportDay(more ...string) []string {
	return append([]string{"report", "--from", "2026-11-23", "--to", "2026-11-23", "--tz", "UTC", "--as-of", "2026-11-24T00:00:00Z"}, more...)
}

// The CLI's report on the journal above, figures by hand:
//
//	offered ch-1..ch-5 = 5; answered ch-1 ch-2 = 2; abandoned ch-3 = 1; short ch-4 (2 s) = 1;
//	overflow ch-5 = 1; base 5 − 1 = 4; within 20 s ch-1 → 25 %; within 2 min ch-1 ch-2 → 50 %;
//	ASA (15+60)/2 = 37.5; handled 3, talk 300+120+120 = 540, wrap-up 3×10 = 30, AHT 570/3 = 190
//	ivanova: handled 2 (one transferred in), talk 420, wrap-up 20, AHT 220, ASA 15,
//	staffed 09:00:25 to 09:15:25 = 900 s, occupancy 420/900 = 46.67 %
//	callbacks: ch-5's delayed answer opened at 09:42, called back at 10:30 (within 24 h); ch-3's forwarded at
//	11:00, not yet called back: requested 2, made 1, kept 1
//	overdue as of midnight: ch-1's case, due at noon
func TestReportEndToEnd(t *testing.T) {
	db := reportDB(t)

	recs, err := csv.NewReader(strings.NewReader(hotlineOK(t, db, reportDay("-o", "csv")...))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) int {
		for i, h := range recs[0] {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %q in %q", name, recs[0])
		return -1
	}
	if len(recs) != 3 || recs[2][0] != "total" {
		t.Fatalf("CSV rows: %q", recs)
	}
	for name, want := range map[string]string{"offered": "5", "answered": "2", "abandoned": "1", "short_abandoned": "1", "overflow": "1",
		"sl_20s_percent": "25", "sl_2m_percent": "50", "asa_seconds": "37.5", "handled": "3", "talk_seconds": "540",
		"wrap_up_seconds": "30", "aht_seconds": "190", "transferred": "1"} {
		if got := recs[2][col(name)]; got != want {
			t.Errorf("total %s = %q, want %q", name, got, want)
		}
	}

	ops, err := csv.NewReader(strings.NewReader(hotlineOK(t, db, reportDay("--by", "operator", "-o", "csv")...))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 3 || ops[1][1] != "Иванова И.И." {
		t.Fatalf("operators: %q", ops)
	}
	if got := strings.Join(ops[1][2:11], ","); got != "2,1,0,0,420,20,220,15,900" {
		t.Errorf("ivanova: handled..staffed = %s, want 2,1,0,0,420,20,220,15,900", got)
	}
	if occ, _ := strconv.ParseFloat(ops[1][11], 64); occ < 46.66 || occ > 46.67 {
		t.Errorf("ivanova occupancy = %s, want 46.67", ops[1][11])
	}

	var js struct {
		Total struct {
			Offered int `json:"offered"`
		} `json:"total"`
		Callbacks struct{ Requested, Made, Kept int } `json:"callbacks"`
		Cases     struct {
			Overdue []struct {
				Number string `json:"number"`
				Owner  string `json:"owner"`
			} `json:"overdue"`
			Registered int `json:"registered"`
			ByTopic    []struct {
				Key string `json:"key"`
				N   int    `json:"n"`
			} `json:"by_topic"`
		} `json:"cases"`
	}
	if err := json.Unmarshal([]byte(hotlineOK(t, db, reportDay("-o", "json")...)), &js); err != nil {
		t.Fatal(err)
	}
	if js.Total.Offered != 5 || js.Callbacks.Requested != 2 || js.Callbacks.Made != 1 || js.Callbacks.Kept != 1 || js.Cases.Registered != 3 {
		t.Errorf("JSON: %+v", js)
	}
	if len(js.Cases.Overdue) != 1 || js.Cases.Overdue[0].Number != "2026-000001" || js.Cases.Overdue[0].Owner != "Иванова И.И." {
		t.Errorf("overdue: %+v, want ch-1's case 2026-000001 owned by Иванова", js.Cases.Overdue)
	}
	// Calls open no case: the three registered are ch-1's and ch-3's (with a topic) and ch-5's
	// delayed answer (none yet).
	if len(js.Cases.ByTopic) != 2 || js.Cases.ByTopic[0].Key != "policy-replace" || js.Cases.ByTopic[0].N != 2 || js.Cases.ByTopic[1].N != 1 {
		t.Errorf("cases by topic: %+v, want policy-replace 2, - 1", js.Cases.ByTopic)
	}

	if page := hotlineOK(t, db, reportDay("-o", "html")...); !strings.Contains(page, "<svg") || strings.Contains(page, "<script") ||
		!strings.Contains(page, "<h2>Operators</h2>") || !strings.Contains(page, `<td class="l">Иванова И.И.</td>`) {
		t.Errorf("HTML page: no inline SVG, a script, or no operators' table:\n%s", page)
	}
	if table := hotlineOK(t, db, reportDay("--by", "topic")...); !strings.Contains(table, "Замена полиса ОМС") {
		t.Errorf("topic table lacks the topic's title:\n%s", table)
	}
}

// queue_log and CDR from the same journal, to a file and to stdout.
func TestExportEndToEnd(t *testing.T) {
	db := reportDB(t)
	u := func(h, m, s int) string {
		return strconv.FormatInt(time.Date(2026, 11, 23, h, m, s, 0, time.UTC).Unix(), 10)
	}
	want := []string{
		u(9, 0, 10) + "|ch-1|hotline|NONE|ENTERQUEUE||+78652000001|1",
		u(9, 0, 25) + "|ch-1|hotline|PJSIP/1001|CONNECT|15||0",
		u(9, 5, 25) + "|ch-1|hotline|PJSIP/1001|COMPLETECALLER|15|300|1",
		u(9, 10, 10) + "|ch-2|hotline|NONE|ENTERQUEUE||+78652000002|1",
		u(9, 11, 10) + "|ch-2|hotline|PJSIP/1002|CONNECT|60||0",
		u(9, 13, 10) + "|ch-2|hotline|PJSIP/1002|BLINDTRANSFER|1001|hotline|60|120|1",
		u(9, 20, 10) + "|ch-3|hotline|NONE|ENTERQUEUE||+78652000003|1",
		u(9, 21, 40) + "|ch-3|hotline|NONE|ABANDON|1|1|90",
		u(9, 30, 10) + "|ch-4|hotline|NONE|ENTERQUEUE||+78652000004|1",
		u(9, 30, 12) + "|ch-4|hotline|NONE|ABANDON|1|1|2",
		u(9, 40, 10) + "|ch-5|hotline|NONE|ENTERQUEUE||+78652000005|1",
		u(9, 42, 10) + "|ch-5|hotline|NONE|EXITWITHKEY|1|1|1|120", // keyed 1 for a callback
	}
	file := filepath.Join(t.TempDir(), "queue_log")
	_, stderr, code := hotlineRun(t, db, "export", "queue-log", "--from", "2026-11-23", "--to", "2026-11-23", "--tz", "UTC", "--out", file, "--progress")
	if code != 0 {
		t.Fatalf("export queue-log: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "queue-log: 6/6 call legs") {
		t.Errorf("progress on stderr = %q", stderr)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("queue_log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("queue_log file mode: %v %v, want 0600", st.Mode(), err)
	}

	// The whole history by default; no progress when stderr is not a terminal.
	out, stderr, code := hotlineRun(t, db, "export", "cdr", "--tz", "UTC")
	if code != 0 || stderr != "" {
		t.Fatalf("export cdr: exit %d: %q", code, stderr)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 6 {
		t.Fatalf("%d CDR records, want 6 legs:\n%s", len(recs), out)
	}
	// ch-1: src, dst, start, answer, end, duration, billsec, disposition, uniqueid, userfield (case number).
	r := recs[0]
	if got := strings.Join([]string{r[1], r[2], r[9], r[10], r[11], r[12], r[13], r[14], r[16], r[17]}, ","); got !=
		"+78652000001,100,2026-11-23 09:00:00,2026-11-23 09:00:00,2026-11-23 09:05:25,325,325,ANSWERED,ch-1,2026-000001" {
		t.Errorf("ch-1 CDR = %s", got)
	}
	// An abandoned call's channel was answered by hotline before the greeting: ANSWERED, as Asterisk.
	// dst is the number dialled; the transfer leg's dstchannel is its operator's.
	if recs[3][14] != "ANSWERED" || recs[3][1] != "+78652000003" || recs[2][2] != "100" || recs[2][6] != "PJSIP/1001" {
		t.Errorf("ch-3 disposition %q (src %q), transfer leg dst %q, dstchannel %q; want ANSWERED, 100, PJSIP/1001", recs[3][14], recs[3][1], recs[2][2], recs[2][6])
	}
}

func TestReportErrors(t *testing.T) {
	db := reportDB(t)
	for _, tc := range []struct {
		code int
		want string
		args []string
	}{
		{2, "--by must be", []string{"report", "--by", "caller"}},
		{2, "--output must be", []string{"report", "-o", "xml"}},
		{2, "--period must be", []string{"report", "--period", "year"}},
		{2, "invalid --from", []string{"report", "--from", "23.11.2026"}},
		{2, "--to needs --from", []string{"report", "--to", "2026-11-23"}},
		{2, "the range is empty", []string{"report", "--from", "2026-11-23", "--to", "2026-11-22"}},
		{2, "unknown --tz", []string{"report", "--tz", "Mars/Olympus"}},
		{2, "must be positive", []string{"report", "--sl", "0s"}},
		{2, "invalid --to", []string{"export", "cdr", "--from", "2026-11-01", "--to", "soon"}},
	} {
		_, stderr, code := hotlineRun(t, db, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("hotline %s: exit %d %q; want %d with %q", strings.Join(tc.args, " "), code, stderr, tc.code, tc.want)
		}
	}
	if _, stderr, code := hotlineRun(t, filepath.Join(t.TempDir(), "none.db"), "report"); code != 6 || !strings.Contains(stderr, "no journal at") {
		t.Errorf("missing database: exit %d %q, want 6", code, stderr)
	}
}

// --config takes the service-level target and the wrap-up from the daemon's file (passwords may
// be absent: the report does not need them); flags still win.
func TestReportConfig(t *testing.T) {
	db := reportDB(t)
	cfg := filepath.Join(t.TempDir(), "hotline.yaml")
	if err := os.WriteFile(cfg, []byte("calls:\n  service_level_target: 30s\n  wrap_up: 5s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args       []string
		slColumn   string
		wrapupSecs string // 3 handled legs × wrap-up
	}{
		{[]string{"--config", cfg}, "sl_30s_percent", "15"},
		{[]string{"--config", cfg, "--sl", "45s", "--wrap-up", "0s"}, "sl_45s_percent", "0"},
	} {
		out := hotlineOK(t, db, reportDay(append([]string{"-o", "csv"}, tc.args...)...)...)
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		head := strings.Join(recs[0], ",")
		if !strings.Contains(head, tc.slColumn) || !strings.Contains(head, "sl_2m_percent") {
			t.Errorf("%v: header %s lacks %s and sl_2m_percent", tc.args, head, tc.slColumn)
		}
		for i, h := range recs[0] {
			if h == "wrap_up_seconds" && recs[2][i] != tc.wrapupSecs {
				t.Errorf("%v: total wrap-up %s, want %s", tc.args, recs[2][i], tc.wrapupSecs)
			}
		}
	}
	if _, stderr, code := hotlineRun(t, db, "report", "--config", filepath.Join(t.TempDir(), "none.yaml")); code != 2 || !strings.Contains(stderr, "none.yaml") {
		t.Errorf("missing config: exit %d %q, want 2 naming the file", code, stderr)
	}
}

// A CSV or HTML report, or an export, on a terminal is escaped (names and titles are what people
// typed; html/template leaves escape sequences as they are); to a file or a pipe it keeps the
// data as stored.
func TestToTerminal(t *testing.T) {
	const stored = "Иванова \x1b]0;owned\x07\x1b[2J\r\u202e"
	tests := []struct {
		name string
		tty  bool
		want string
	}{
		{"a terminal", true, "name\n" + `Иванова \x1b]0;owned\x07\x1b[2J\x0d\u202e` + "\n"},
		{"a file or a pipe", false, "name\n" + stored + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			err := toTerminal(&b, tt.tty, func(w io.Writer) error {
				// Written in pieces, as encoding/csv and html/template do: a rune cut between two.
				for _, p := range []string{"name\n", stored[:9], stored[9:], "\n"} {
					if _, err := io.WriteString(w, p); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil || b.String() != tt.want {
				t.Errorf("wrote %q, %v; want %q", b.String(), err, tt.want)
			}
		})
	}
}
