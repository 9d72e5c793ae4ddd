package hotline_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
)

var (
	now    = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	owner  = hotline.Actor{Login: "ivanova", OperatorID: 1, Role: hotline.RoleOperator}
	other  = hotline.Actor{Login: "petrov", OperatorID: 2, Role: hotline.RoleOperator}
	admin  = hotline.Actor{Login: "admin", OperatorID: 9, Role: hotline.RoleAdministrator}
	system = hotline.SystemActor
)

// caseIn returns a classified case owned by operator 1 in the given status.
func caseIn(st hotline.CaseStatus, r hotline.Result) hotline.Case {
	return hotline.Case{ID: 7, Channel: hotline.ChannelPhone, Type: hotline.TypeComplaint, Topic: "policy",
		OwnerID: 1, Status: st, Result: r, ExtendTo: func() time.Time {
			if r == hotline.ResultExtended && st == hotline.StatusUnderReview {
				return now.AddDate(0, 0, 10)
			}
			return time.Time{}
		}()}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := hotline.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func TestCaseOpen(t *testing.T) {
	tests := []struct {
		name      string
		c         hotline.Case
		by        hotline.Actor
		code      string
		wantOwner int64
	}{
		{"phone call by system, unclassified", hotline.Case{Channel: hotline.ChannelPhone, CallerNumber: "+78652000001"}, system, "", 0},
		{"operator owns what they register", hotline.Case{Channel: hotline.ChannelPhone, Type: hotline.TypeConsultation}, owner, "", 1},
		{"explicit owner kept", hotline.Case{Channel: hotline.ChannelWritten, Type: hotline.TypeApplication, OwnerID: 2}, owner, "", 2},
		{"written case needs a type", hotline.Case{Channel: hotline.ChannelWritten}, owner, hotline.EINVALID, 0},
		{"unknown channel", hotline.Case{Channel: "fax", Type: hotline.TypeComplaint}, owner, hotline.EINVALID, 0},
		{"unknown type", hotline.Case{Channel: hotline.ChannelPhone, Type: "rant"}, owner, hotline.EINVALID, 0},
		{"invalid number", hotline.Case{Channel: hotline.ChannelPhone, CallerNumber: "8652'; DROP TABLE cases;--"}, system, hotline.EINVALID, 0},
		{"bad birth date", hotline.Case{Channel: hotline.ChannelPhone, Person: hotline.Person{BirthDate: "1990-02-30"}}, owner, hotline.EINVALID, 0},
		{"future birth date", hotline.Case{Channel: hotline.ChannelPhone, Person: hotline.Person{BirthDate: "2030-01-01"}}, owner, hotline.EINVALID, 0},
		{"oversized description", hotline.Case{Channel: hotline.ChannelPhone, Description: strings.Repeat("я", hotline.MaxDescriptionLen+1)}, owner, hotline.EINVALID, 0},
		{"description at the limit", hotline.Case{Channel: hotline.ChannelPhone, Description: strings.Repeat("я", hotline.MaxDescriptionLen)}, owner, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			err := c.Open(tt.by, now)
			wantCode(t, err, tt.code)
			if err != nil {
				return
			}
			if c.Status != hotline.StatusInProgress || c.OwnerID != tt.wantOwner || !c.CreatedAt.Equal(now) || c.CreatedBy != tt.by.Login {
				t.Fatalf("opened case = %+v", c)
			}
		})
	}
}

func TestCaseClose(t *testing.T) {
	later := now.AddDate(0, 1, 0)
	tests := []struct {
		name       string
		c          hotline.Case
		by         hotline.Actor
		cl         hotline.Closing
		code       string
		wantStatus hotline.CaseStatus
		wantOwner  int64
	}{
		{"answered goes under review", caseIn(hotline.StatusInProgress, ""), owner,
			hotline.Closing{Result: hotline.ResultAnswered, Comment: "explained"}, "", hotline.StatusUnderReview, 1},
		{"measures taken goes under review", caseIn(hotline.StatusInProgress, ""), owner,
			hotline.Closing{Result: hotline.ResultMeasuresTaken, Comment: "called the clinic"}, "", hotline.StatusUnderReview, 1},
		{"administrator may close anyone's case", caseIn(hotline.StatusInProgress, ""), admin,
			hotline.Closing{Result: hotline.ResultAnswered, Comment: "x"}, "", hotline.StatusUnderReview, 1},
		{"forwarded becomes delayed answer for target", caseIn(hotline.StatusInProgress, ""), owner,
			hotline.Closing{Result: hotline.ResultForwarded, Comment: "to insurer", ForwardTo: 5}, "", hotline.StatusDelayedAnswer, 5},
		{"extended waits for approval", caseIn(hotline.StatusInProgress, ""), owner,
			hotline.Closing{Result: hotline.ResultExtended, Comment: "waiting for clinic", ExtendTo: later}, "", hotline.StatusUnderReview, 1},
		{"another operator refused", caseIn(hotline.StatusInProgress, ""), other,
			hotline.Closing{Result: hotline.ResultAnswered, Comment: "x"}, hotline.EFORBIDDEN, "", 0},
		{"no result", caseIn(hotline.StatusInProgress, ""), owner, hotline.Closing{Comment: "x"}, hotline.EINVALID, "", 0},
		{"unknown result", caseIn(hotline.StatusInProgress, ""), owner, hotline.Closing{Result: "done", Comment: "x"}, hotline.EINVALID, "", 0},
		{"no comment", caseIn(hotline.StatusInProgress, ""), owner, hotline.Closing{Result: hotline.ResultAnswered, Comment: "  "}, hotline.EINVALID, "", 0},
		{"oversized comment", caseIn(hotline.StatusInProgress, ""), owner,
			hotline.Closing{Result: hotline.ResultAnswered, Comment: strings.Repeat("x", hotline.MaxCommentLen+1)}, hotline.EINVALID, "", 0},
		{"forward without target", caseIn(hotline.StatusInProgress, ""), owner,
			hotline.Closing{Result: hotline.ResultForwarded, Comment: "x"}, hotline.EINVALID, "", 0},
		{"forward to the owner", caseIn(hotline.StatusInProgress, ""), owner,
			hotline.Closing{Result: hotline.ResultForwarded, Comment: "x", ForwardTo: 1}, hotline.EINVALID, "", 0},
		{"forward with a date", caseIn(hotline.StatusInProgress, ""), owner,
			hotline.Closing{Result: hotline.ResultForwarded, Comment: "x", ForwardTo: 5, ExtendTo: later}, hotline.EINVALID, "", 0},
		{"extend without date", caseIn(hotline.StatusInProgress, ""), owner,
			hotline.Closing{Result: hotline.ResultExtended, Comment: "x"}, hotline.EINVALID, "", 0},
		{"extend to the past", caseIn(hotline.StatusInProgress, ""), owner,
			hotline.Closing{Result: hotline.ResultExtended, Comment: "x", ExtendTo: now.Add(-time.Hour)}, hotline.EINVALID, "", 0},
		{"extend to now", caseIn(hotline.StatusInProgress, ""), owner,
			hotline.Closing{Result: hotline.ResultExtended, Comment: "x", ExtendTo: now}, hotline.EINVALID, "", 0},
		{"extend without reason", caseIn(hotline.StatusInProgress, ""), owner,
			hotline.Closing{Result: hotline.ResultExtended, ExtendTo: later}, hotline.EINVALID, "", 0},
		{"extend with a target", caseIn(hotline.StatusInProgress, ""), owner,
			hotline.Closing{Result: hotline.ResultExtended, Comment: "x", ExtendTo: later, ForwardTo: 5}, hotline.EINVALID, "", 0},
		{"answered with a date", caseIn(hotline.StatusInProgress, ""), owner,
			hotline.Closing{Result: hotline.ResultAnswered, Comment: "x", ExtendTo: later}, hotline.EINVALID, "", 0},
		{"unclassified case", func() hotline.Case { c := caseIn(hotline.StatusInProgress, ""); c.Topic = ""; return c }(), owner,
			hotline.Closing{Result: hotline.ResultAnswered, Comment: "x"}, hotline.EINVALID, "", 0},
		{"delayed answer must be set in progress first", caseIn(hotline.StatusDelayedAnswer, hotline.ResultForwarded), owner,
			hotline.Closing{Result: hotline.ResultAnswered, Comment: "x"}, hotline.ECONFLICT, "", 0},
		{"under review cannot be closed again", caseIn(hotline.StatusUnderReview, hotline.ResultAnswered), owner,
			hotline.Closing{Result: hotline.ResultAnswered, Comment: "x"}, hotline.ECONFLICT, "", 0},
		{"approved cannot be closed", caseIn(hotline.StatusApproved, hotline.ResultAnswered), admin,
			hotline.Closing{Result: hotline.ResultAnswered, Comment: "x"}, hotline.ECONFLICT, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			before := c
			err := c.Close(tt.by, tt.cl, now)
			wantCode(t, err, tt.code)
			if err != nil {
				if c != before {
					t.Fatalf("refused close changed the case: %+v", c)
				}
				return
			}
			if c.Status != tt.wantStatus || c.OwnerID != tt.wantOwner || c.Result != tt.cl.Result || !c.UpdatedAt.Equal(now) {
				t.Fatalf("closed case = %+v", c)
			}
			if tt.cl.Result == hotline.ResultExtended && (!c.ExtendTo.Equal(later) || !c.DueAt.IsZero()) {
				t.Fatalf("extension must wait for approval: ExtendTo=%v DueAt=%v", c.ExtendTo, c.DueAt)
			}
			if tt.cl.Result == hotline.ResultForwarded && c.ForwardedTo != tt.cl.ForwardTo {
				t.Fatalf("ForwardedTo = %d", c.ForwardedTo)
			}
		})
	}
}

func TestForwardAndExtendShortcuts(t *testing.T) {
	c := caseIn(hotline.StatusInProgress, "")
	if err := c.Forward(owner, 5, "to the insurer", now); err != nil || c.Status != hotline.StatusDelayedAnswer || c.OwnerID != 5 {
		t.Fatalf("Forward: %v, %+v", err, c)
	}
	c = caseIn(hotline.StatusInProgress, "")
	until := now.AddDate(0, 0, 30)
	if err := c.Extend(owner, until, "clinic audit", now); err != nil || c.Status != hotline.StatusUnderReview || !c.ExtendTo.Equal(until) {
		t.Fatalf("Extend: %v, %+v", err, c)
	}
}

func TestCaseTransitions(t *testing.T) {
	op5 := hotline.Actor{Login: "sidorov", OperatorID: 5, Role: hotline.RoleOperator}
	tests := []struct {
		name       string
		c          hotline.Case
		by         hotline.Actor
		do         func(c *hotline.Case, by hotline.Actor) error
		code       string
		wantStatus hotline.CaseStatus
	}{
		// SetInProgress: the delayed answer's owner, after calling back.
		{"set in progress by new owner", func() hotline.Case {
			c := caseIn(hotline.StatusDelayedAnswer, hotline.ResultForwarded)
			c.OwnerID = 5
			return c
		}(), op5,
			func(c *hotline.Case, by hotline.Actor) error { return c.SetInProgress(by, now) }, "", hotline.StatusInProgress},
		{"set in progress by administrator", caseIn(hotline.StatusDelayedAnswer, hotline.ResultForwarded), admin,
			func(c *hotline.Case, by hotline.Actor) error { return c.SetInProgress(by, now) }, "", hotline.StatusInProgress},
		{"set in progress by someone else", caseIn(hotline.StatusDelayedAnswer, hotline.ResultForwarded), other,
			func(c *hotline.Case, by hotline.Actor) error { return c.SetInProgress(by, now) }, hotline.EFORBIDDEN, ""},
		{"set in progress when in progress", caseIn(hotline.StatusInProgress, ""), owner,
			func(c *hotline.Case, by hotline.Actor) error { return c.SetInProgress(by, now) }, hotline.ECONFLICT, ""},
		{"set in progress when under review", caseIn(hotline.StatusUnderReview, hotline.ResultAnswered), owner,
			func(c *hotline.Case, by hotline.Actor) error { return c.SetInProgress(by, now) }, hotline.ECONFLICT, ""},
		// Approve: administrators only, under review only.
		{"approve answered closes for good", caseIn(hotline.StatusUnderReview, hotline.ResultAnswered), admin,
			func(c *hotline.Case, by hotline.Actor) error { return c.Approve(by, now) }, "", hotline.StatusApproved},
		{"approve measures taken", caseIn(hotline.StatusUnderReview, hotline.ResultMeasuresTaken), admin,
			func(c *hotline.Case, by hotline.Actor) error { return c.Approve(by, now) }, "", hotline.StatusApproved},
		{"approve extension keeps it on control", caseIn(hotline.StatusUnderReview, hotline.ResultExtended), admin,
			func(c *hotline.Case, by hotline.Actor) error { return c.Approve(by, now) }, "", hotline.StatusInProgress},
		{"operator cannot approve", caseIn(hotline.StatusUnderReview, hotline.ResultAnswered), owner,
			func(c *hotline.Case, by hotline.Actor) error { return c.Approve(by, now) }, hotline.EFORBIDDEN, ""},
		{"system cannot approve", caseIn(hotline.StatusUnderReview, hotline.ResultAnswered), system,
			func(c *hotline.Case, by hotline.Actor) error { return c.Approve(by, now) }, hotline.EFORBIDDEN, ""},
		{"approve in progress", caseIn(hotline.StatusInProgress, ""), admin,
			func(c *hotline.Case, by hotline.Actor) error { return c.Approve(by, now) }, hotline.ECONFLICT, ""},
		{"approve delayed answer", caseIn(hotline.StatusDelayedAnswer, hotline.ResultForwarded), admin,
			func(c *hotline.Case, by hotline.Actor) error { return c.Approve(by, now) }, hotline.ECONFLICT, ""},
		{"approve twice", caseIn(hotline.StatusApproved, hotline.ResultAnswered), admin,
			func(c *hotline.Case, by hotline.Actor) error { return c.Approve(by, now) }, hotline.ECONFLICT, ""},
		// Return: administrators only, under review only, with a reason.
		{"return under review", caseIn(hotline.StatusUnderReview, hotline.ResultAnswered), admin,
			func(c *hotline.Case, by hotline.Actor) error { return c.Return(by, "comment too short", now) }, "", hotline.StatusInProgress},
		{"return an extension", caseIn(hotline.StatusUnderReview, hotline.ResultExtended), admin,
			func(c *hotline.Case, by hotline.Actor) error { return c.Return(by, "no reason to extend", now) }, "", hotline.StatusInProgress},
		{"return without reason", caseIn(hotline.StatusUnderReview, hotline.ResultAnswered), admin,
			func(c *hotline.Case, by hotline.Actor) error { return c.Return(by, " ", now) }, hotline.EINVALID, ""},
		{"operator cannot return", caseIn(hotline.StatusUnderReview, hotline.ResultAnswered), owner,
			func(c *hotline.Case, by hotline.Actor) error { return c.Return(by, "x", now) }, hotline.EFORBIDDEN, ""},
		{"return in progress", caseIn(hotline.StatusInProgress, ""), admin,
			func(c *hotline.Case, by hotline.Actor) error { return c.Return(by, "x", now) }, hotline.ECONFLICT, ""},
		{"return approved", caseIn(hotline.StatusApproved, hotline.ResultAnswered), admin,
			func(c *hotline.Case, by hotline.Actor) error { return c.Return(by, "x", now) }, hotline.ECONFLICT, ""},
		// Reopen: administrators only, approved only, with a reason.
		{"reopen approved", caseIn(hotline.StatusApproved, hotline.ResultAnswered), admin,
			func(c *hotline.Case, by hotline.Actor) error { return c.Reopen(by, "caller called again", now) }, "", hotline.StatusInProgress},
		{"reopen without reason", caseIn(hotline.StatusApproved, hotline.ResultAnswered), admin,
			func(c *hotline.Case, by hotline.Actor) error { return c.Reopen(by, "", now) }, hotline.EINVALID, ""},
		{"operator cannot reopen", caseIn(hotline.StatusApproved, hotline.ResultAnswered), owner,
			func(c *hotline.Case, by hotline.Actor) error { return c.Reopen(by, "x", now) }, hotline.EFORBIDDEN, ""},
		{"reopen under review", caseIn(hotline.StatusUnderReview, hotline.ResultAnswered), admin,
			func(c *hotline.Case, by hotline.Actor) error { return c.Reopen(by, "x", now) }, hotline.ECONFLICT, ""},
		{"reopen in progress", caseIn(hotline.StatusInProgress, ""), admin,
			func(c *hotline.Case, by hotline.Actor) error { return c.Reopen(by, "x", now) }, hotline.ECONFLICT, ""},
		// AwaitCallback: the caller must be called back.
		{"system marks a call for callback", caseIn(hotline.StatusInProgress, ""), system,
			func(c *hotline.Case, by hotline.Actor) error { return c.AwaitCallback(by, 0, now) }, "", hotline.StatusDelayedAnswer},
		{"callback reassigned", caseIn(hotline.StatusDelayedAnswer, ""), admin,
			func(c *hotline.Case, by hotline.Actor) error { return c.AwaitCallback(by, 2, now) }, "", hotline.StatusDelayedAnswer},
		{"callback by another operator", caseIn(hotline.StatusInProgress, ""), other,
			func(c *hotline.Case, by hotline.Actor) error { return c.AwaitCallback(by, 2, now) }, hotline.EFORBIDDEN, ""},
		{"callback under review", caseIn(hotline.StatusUnderReview, hotline.ResultAnswered), system,
			func(c *hotline.Case, by hotline.Actor) error { return c.AwaitCallback(by, 0, now) }, hotline.ECONFLICT, ""},
		{"callback approved", caseIn(hotline.StatusApproved, hotline.ResultAnswered), system,
			func(c *hotline.Case, by hotline.Actor) error { return c.AwaitCallback(by, 0, now) }, hotline.ECONFLICT, ""},
		// Editable: who may edit the card, and when.
		{"owner edits in progress", caseIn(hotline.StatusInProgress, ""), owner,
			func(c *hotline.Case, by hotline.Actor) error { return c.Editable(by) }, "", hotline.StatusInProgress},
		{"owner edits delayed answer", caseIn(hotline.StatusDelayedAnswer, hotline.ResultForwarded), owner,
			func(c *hotline.Case, by hotline.Actor) error { return c.Editable(by) }, "", hotline.StatusDelayedAnswer},
		{"anyone edits an unowned case", func() hotline.Case { c := caseIn(hotline.StatusInProgress, ""); c.OwnerID = 0; return c }(), other,
			func(c *hotline.Case, by hotline.Actor) error { return c.Editable(by) }, "", hotline.StatusInProgress},
		{"other operator cannot edit", caseIn(hotline.StatusInProgress, ""), other,
			func(c *hotline.Case, by hotline.Actor) error { return c.Editable(by) }, hotline.EFORBIDDEN, ""},
		{"no edits under review", caseIn(hotline.StatusUnderReview, hotline.ResultAnswered), owner,
			func(c *hotline.Case, by hotline.Actor) error { return c.Editable(by) }, hotline.ECONFLICT, ""},
		{"no edits when approved, even by admin", caseIn(hotline.StatusApproved, hotline.ResultAnswered), admin,
			func(c *hotline.Case, by hotline.Actor) error { return c.Editable(by) }, hotline.ECONFLICT, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			before := c
			err := tt.do(&c, tt.by)
			wantCode(t, err, tt.code)
			if err != nil {
				if c != before {
					t.Fatalf("refused transition changed the case: %+v", c)
				}
				return
			}
			if c.Status != tt.wantStatus {
				t.Fatalf("status = %s, want %s", c.Status, tt.wantStatus)
			}
		})
	}
}

func TestApproveExtensionMovesDueDate(t *testing.T) {
	c := caseIn(hotline.StatusUnderReview, hotline.ResultExtended)
	want := c.ExtendTo
	if err := c.Approve(admin, now); err != nil {
		t.Fatal(err)
	}
	if !c.DueAt.Equal(want) || !c.ExtendTo.IsZero() || c.OwnerID != 1 {
		t.Fatalf("after approving the extension: DueAt=%v ExtendTo=%v owner=%d", c.DueAt, c.ExtendTo, c.OwnerID)
	}
}

func TestReturnClearsResult(t *testing.T) {
	c := caseIn(hotline.StatusUnderReview, hotline.ResultExtended)
	if err := c.Return(admin, "no grounds", now); err != nil {
		t.Fatal(err)
	}
	if c.Result != "" || !c.ExtendTo.IsZero() || c.ReviewNote != "no grounds" {
		t.Fatalf("after return: %+v", c)
	}
}

func TestCanLink(t *testing.T) {
	a, b := caseIn(hotline.StatusInProgress, ""), caseIn(hotline.StatusApproved, hotline.ResultAnswered)
	b.ID = 8
	wantCode(t, a.CanLink(&b), "")
	wantCode(t, a.CanLink(&a), hotline.EINVALID)
}

func TestPhoneNumbers(t *testing.T) {
	tests := []struct {
		in    string
		norm  string
		valid bool
	}{
		{"+7 (865) 212-34-56", "+78652123456", true},
		{"1001", "1001", true},
		{"1", "1", false},
		{"+", "+", false},
		{"12ab", "12ab", false},
		{"1' OR '1'='1", "1'OR'1'='1", false},
		{"123456789012345678901", "123456789012345678901", false},
		{"8+800", "8+800", false},
	}
	for _, tt := range tests {
		n := hotline.NormalizePhone(tt.in)
		if n != tt.norm || hotline.ValidPhoneNumber(n) != tt.valid {
			t.Errorf("%q: normalized %q valid %v, want %q %v", tt.in, n, hotline.ValidPhoneNumber(n), tt.norm, tt.valid)
		}
	}
}

func TestResultByDigit(t *testing.T) {
	for d, want := range map[int]hotline.Result{1: hotline.ResultAnswered, 2: hotline.ResultMeasuresTaken, 3: hotline.ResultForwarded, 4: hotline.ResultExtended, 0: "", 5: ""} {
		got, ok := hotline.ResultByDigit(d)
		if got != want || ok != (want != "") {
			t.Errorf("ResultByDigit(%d) = %q, %v", d, got, ok)
		}
	}
}

func TestValidateCatalogue(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code string
	}{
		{"operator ok", (&hotline.Operator{Name: "Ivanova", Role: hotline.RoleOperator, Level: 1, Extension: "1001"}).Validate(), ""},
		{"operator no name", (&hotline.Operator{Role: hotline.RoleOperator, Level: 1}).Validate(), hotline.EINVALID},
		{"operator bad level", (&hotline.Operator{Name: "x", Role: hotline.RoleOperator, Level: 3}).Validate(), hotline.EINVALID},
		{"operator bad role", (&hotline.Operator{Name: "x", Role: "root", Level: 1}).Validate(), hotline.EINVALID},
		{"operator bad extension", (&hotline.Operator{Name: "x", Role: hotline.RoleOperator, Level: 1, Extension: "ext1"}).Validate(), hotline.EINVALID},
		{"operator negative max", (&hotline.Operator{Name: "x", Role: hotline.RoleOperator, Level: 1, MaxConcurrent: -1}).Validate(), hotline.EINVALID},
		{"topic ok", (&hotline.Topic{Code: "policy", Type: hotline.TypeConsultation, Title: "Policy"}).Validate(), ""},
		{"topic code with space", (&hotline.Topic{Code: "a b", Type: hotline.TypeConsultation, Title: "x"}).Validate(), hotline.EINVALID},
		{"topic bad type", (&hotline.Topic{Code: "a", Type: "x", Title: "x"}).Validate(), hotline.EINVALID},
		{"topic no title", (&hotline.Topic{Code: "a", Type: hotline.TypeComplaint}).Validate(), hotline.EINVALID},
		{"script ok", (&hotline.Script{Topic: "a", Title: "t", Text: "x"}).Validate(), ""},
		{"script no text", (&hotline.Script{Topic: "a", Title: "t"}).Validate(), hotline.EINVALID},
		{"attachment ok", (&hotline.Attachment{DocumentNumber: "15-01/123", RegisteredOn: "2026-11-20"}).Validate(), ""},
		{"attachment bad date", (&hotline.Attachment{DocumentNumber: "1", RegisteredOn: "20.11.2026"}).Validate(), hotline.EINVALID},
		{"leg ok", (&hotline.Leg{ArrivedAt: now, End: hotline.LegCompleted}).Validate(), ""},
		{"leg ends before it starts", (&hotline.Leg{ArrivedAt: now, EndedAt: now.Add(-time.Second)}).Validate(), hotline.EINVALID},
		{"leg unknown end", (&hotline.Leg{ArrivedAt: now, End: "exploded"}).Validate(), hotline.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.err, tt.code) })
	}
}

// Handing a case over after a live transfer: the colleague who talks to the caller owns it, still
// «В работе»; never from a case already handed to the administrator or closed.
func TestCaseHandOver(t *testing.T) {
	tests := []struct {
		name   string
		status hotline.CaseStatus
		by     hotline.Actor
		to     int64
		code   string
	}{
		{"owner hands over a case in progress", hotline.StatusInProgress, owner, 2, ""},
		{"owner hands over a delayed answer (now talked about)", hotline.StatusDelayedAnswer, owner, 2, ""},
		{"administrator may", hotline.StatusInProgress, admin, 2, ""},
		{"someone else's case", hotline.StatusInProgress, other, 3, hotline.EFORBIDDEN},
		{"to nobody", hotline.StatusInProgress, owner, 0, hotline.EINVALID},
		{"to its owner", hotline.StatusInProgress, owner, 1, hotline.EINVALID},
		{"under review", hotline.StatusUnderReview, owner, 2, hotline.ECONFLICT},
		{"approved", hotline.StatusApproved, owner, 2, hotline.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := caseIn(tt.status, "")
			before := c
			err := c.HandOver(tt.by, tt.to, now)
			if tt.code != "" {
				wantCode(t, err, tt.code)
				if c != before {
					t.Errorf("refused hand-over changed the case: %+v", c)
				}
				return
			}
			if err != nil || c.OwnerID != tt.to || c.Status != hotline.StatusInProgress || c.Result != "" || !c.UpdatedAt.Equal(now) {
				t.Errorf("after hand-over: %+v, %v; want owned by %d «В работе»", c, err, tt.to)
			}
		})
	}
}

// A call's outcome derived from its legs (journals and spooled writes from before outcomes).
func TestOutcomeOf(t *testing.T) {
	at := now
	tests := []struct {
		name     string
		legs     []hotline.Leg
		callback bool
		want     hotline.CallOutcome
	}{
		{"no legs", nil, false, ""},
		{"hung up in the greeting", []hotline.Leg{{End: hotline.LegAbandoned}}, false, hotline.OutcomeAbandonedGreeting},
		{"hung up in the queue", []hotline.Leg{{QueuedAt: at, End: hotline.LegAbandoned}}, false, hotline.OutcomeAbandonedQueue},
		{"a message", []hotline.Leg{{QueuedAt: at, End: hotline.LegOverflow, RecordingName: "message-1"}}, false, hotline.OutcomeOverflowMessage},
		{"a callback", []hotline.Leg{{QueuedAt: at, End: hotline.LegOverflow}}, true, hotline.OutcomeOverflowCallback},
		{"hung up at the overflow offer", []hotline.Leg{{QueuedAt: at, End: hotline.LegOverflow}}, false, hotline.OutcomeAbandonedOverflow},
		{"talked", []hotline.Leg{{QueuedAt: at, AnsweredAt: at, End: hotline.LegCompleted}}, false, hotline.OutcomeAnswered},
		{"talked, transferred, the transfer failed, then hung up", []hotline.Leg{{AnsweredAt: at, End: hotline.LegTransferred},
			{QueuedAt: at, End: hotline.LegAbandoned}}, false, hotline.OutcomeAnswered},
		{"never connected", []hotline.Leg{{QueuedAt: at, End: hotline.LegFailed}}, false, hotline.OutcomeFailed},
	}
	for _, tt := range tests {
		if got := hotline.OutcomeOf(tt.legs, tt.callback); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

// Who may hear a recorded conversation: administrators, the case's owner or forward target, an
// operator who took part in the call (answered a leg or transferred it in); nobody else.
// Listening to a call live is the administrators' alone, whoever asks through whatever door.
func TestMayListen(t *testing.T) {
	for _, tt := range []struct {
		by hotline.Actor
		ok bool
	}{
		{hotline.Actor{Login: "admin", OperatorID: 1, Role: hotline.RoleAdministrator}, true},
		{hotline.Actor{Login: "root", Role: hotline.RoleAdministrator}, true},
		{hotline.Actor{Login: "ivanova", OperatorID: 2, Role: hotline.RoleOperator}, false},
		{hotline.SystemActor, false},
		{hotline.Actor{}, false},
	} {
		err := tt.by.MayListen()
		if (err == nil) != tt.ok || (err != nil && hotline.ErrorCode(err) != hotline.EFORBIDDEN) {
			t.Errorf("%+v: %v, want allowed %v (else EFORBIDDEN)", tt.by, err, tt.ok)
		}
	}
}

func TestMayHearRecording(t *testing.T) {
	admin := hotline.Actor{Login: "admin", OperatorID: 1, Role: hotline.RoleAdministrator}
	op := func(id int64) hotline.Actor {
		return hotline.Actor{Login: "op", OperatorID: id, Role: hotline.RoleOperator}
	}
	legs := []hotline.Leg{{OperatorID: 2, End: hotline.LegTransferred}, {OperatorID: 3, TransferredFrom: 2}}
	cases := []hotline.Case{{OwnerID: 4, ForwardedTo: 5}}
	tests := []struct {
		name string
		by   hotline.Actor
		ok   bool
	}{
		{"administrator", admin, true},
		{"answered the first leg", op(2), true},
		{"answered the transferred leg", op(3), true},
		{"owns the case", op(4), true},
		{"the case was forwarded to them", op(5), true},
		{"unrelated operator", op(6), false},
		{"no operator", hotline.Actor{Login: "stranger", Role: hotline.RoleOperator}, false},
		{"the system", hotline.SystemActor, false},
	}
	for _, tt := range tests {
		err := tt.by.MayHearRecording(legs, cases)
		if (err == nil) != tt.ok {
			t.Errorf("%s: %v, want allowed %v", tt.name, err, tt.ok)
		}
		if err != nil && hotline.ErrorCode(err) != hotline.EFORBIDDEN {
			t.Errorf("%s: code %q, want EFORBIDDEN", tt.name, hotline.ErrorCode(err))
		}
	}
	// A leg with no operator (unanswered) does not let operator 0 in.
	if err := (hotline.Actor{Login: "x", Role: hotline.RoleOperator}).MayHearRecording([]hotline.Leg{{}}, []hotline.Case{{}}); err == nil {
		t.Error("an actor without an operator hears an unanswered call")
	}
}
