package hotline

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Field limits. They keep one careless paste from filling the journal and bound what a screen
// must show; the store enforces the same limits through Validate.
const (
	MaxNameLen        = 200   // operator names, full names, titles, organisations
	MaxShortLen       = 64    // codes, extensions, logins, policy and document numbers
	MaxAddressLen     = 500   // a postal address
	MaxDescriptionLen = 4000  // what the person asked or complained about
	MaxCommentLen     = 2000  // measures taken, reasons for extension, return or reopening
	MaxScriptLen      = 20000 // an approved answer
	MaxPathLen        = 1024  // an attachment's file path
	// MaxLinks is how many of the caller's earlier cases one registration links (the card lists
	// at most 50 of them).
	MaxLinks = 50
)

// RoleSystem is the hotline itself acting: the call flow registering calls and their legs.
const RoleSystem Role = "system"

// Actor is who makes a change: every change in the journal records one.
type Actor struct {
	Login      string `json:"login"`                 // the operating-system user, --as name, or "system"
	OperatorID int64  `json:"operator_id,omitempty"` // the operator the login maps to; 0 for the system
	Role       Role   `json:"role"`
}

// SystemActor is the call flow acting on its own (a call arrived, a leg ended).
var SystemActor = Actor{Login: "system", Role: RoleSystem}

// IsAdministrator reports whether the actor may approve, return and reopen cases and change
// operators and rules.
func (a Actor) IsAdministrator() bool { return a.Role == RoleAdministrator }

// RequireAdministrator refuses anyone but an administrator; what says what was refused.
func (a Actor) RequireAdministrator(what string) error {
	if !a.IsAdministrator() {
		return Errorf(EFORBIDDEN, "only an administrator may %s (you act as %q, %s)", what, a.Login, a.Role)
	}
	return nil
}

// Valid reports whether t is a known case type.
func (t CaseType) Valid() bool {
	for _, k := range CaseTypes {
		if t == k {
			return true
		}
	}
	return false
}

// Valid reports whether s is a known status.
func (s CaseStatus) Valid() bool {
	switch s {
	case StatusInProgress, StatusDelayedAnswer, StatusUnderReview, StatusApproved:
		return true
	}
	return false
}

// Valid reports whether r is a known result.
func (r Result) Valid() bool {
	switch r {
	case ResultAnswered, ResultMeasuresTaken, ResultForwarded, ResultExtended:
		return true
	}
	return false
}

// Results lists every result; its index+1 is the digit an operator keys on the handset in wrap-up.
var Results = []Result{ResultAnswered, ResultMeasuresTaken, ResultForwarded, ResultExtended}

// ResultByDigit maps a DTMF digit keyed in wrap-up to a result: 1 answered, 2 measures taken,
// 3 forwarded with notice, 4 on control with the deadline extended.
func ResultByDigit(d int) (Result, bool) {
	if d < 1 || d > len(Results) {
		return "", false
	}
	return Results[d-1], true
}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	switch c {
	case ChannelPhone, ChannelWritten, ChannelEmail, ChannelInPerson:
		return true
	}
	return false
}

// ValidPhoneNumber reports whether s looks like a phone number or an extension: an optional
// leading '+', then 2 to 20 digits. Spaces, dashes and brackets are not accepted: callers'
// numbers are compared as stored, so they must be stored in one form (see NormalizePhone).
func ValidPhoneNumber(s string) bool {
	d := strings.TrimPrefix(s, "+")
	if len(d) < 2 || len(d) > 20 {
		return false
	}
	for _, r := range d {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// NormalizePhone strips the separators people type (spaces, dashes, dots, brackets) so that
// "+7 (865) 123-45-67" and "+78651234567" are the same caller. It does not validate.
func NormalizePhone(s string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9', r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			b.WriteRune(r) // kept so that ValidPhoneNumber refuses it
		}
	}
	return b.String()
}

// checkLen returns an invalid error when s is longer than max characters.
func checkLen(field, s string, max int) error {
	if n := utf8.RuneCountInString(s); n > max {
		return Errorf(EINVALID, "%s is too long: %d characters, at most %d", field, n, max)
	}
	if !utf8.ValidString(s) {
		return Errorf(EINVALID, "%s is not valid UTF-8 text", field)
	}
	return nil
}

// DateLayout is how dates without a time are written (birth dates, due dates on the command line).
const DateLayout = "2006-01-02"

// Validate checks a case's own fields: known channel, type, status and result, a valid caller
// number, a real birth date, and every text within its limit. Rules about transitions are the
// methods below.
func (c *Case) Validate() error {
	if !c.Channel.Valid() {
		return Errorf(EINVALID, "unknown channel %q (want phone, written, email or in_person)", c.Channel)
	}
	if c.Type != "" && !c.Type.Valid() {
		return Errorf(EINVALID, "unknown case type %q (want complaint, consultation, application, proposal or gratitude)", c.Type)
	}
	if c.Type == "" && c.Channel != ChannelPhone {
		// A call is registered the moment it arrives, before anyone knows what it is about;
		// a written or in-person case is registered by a specialist who already knows.
		return Errorf(EINVALID, "a %s case needs a type", c.Channel)
	}
	if !c.Status.Valid() {
		return Errorf(EINVALID, "unknown status %q", c.Status)
	}
	if c.Result != "" && !c.Result.Valid() {
		return Errorf(EINVALID, "unknown result %q", c.Result)
	}
	if c.CallerNumber != "" && !ValidPhoneNumber(c.CallerNumber) {
		return Errorf(EINVALID, "invalid phone number %q: want digits, optionally with a leading +, e.g. +78652123456", c.CallerNumber)
	}
	if c.Person.BirthDate != "" {
		d, err := time.Parse(DateLayout, c.Person.BirthDate)
		if err != nil {
			return Errorf(EINVALID, "invalid birth date %q: want YYYY-MM-DD", c.Person.BirthDate)
		}
		if d.Year() < 1900 || (!c.CreatedAt.IsZero() && d.After(c.CreatedAt)) {
			return Errorf(EINVALID, "birth date %s is not plausible", c.Person.BirthDate)
		}
	}
	for _, f := range []struct {
		name string
		v    string
		max  int
	}{
		{"full name", c.Person.FullName, MaxNameLen},
		{"policy number", c.Person.PolicyNumber, MaxShortLen},
		{"address", c.Person.Address, MaxAddressLen},
		{"topic", c.Topic, MaxShortLen},
		{"description", c.Description, MaxDescriptionLen},
		{"comment", c.Comment, MaxCommentLen},
		{"review note", c.ReviewNote, MaxCommentLen},
	} {
		if err := checkLen(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	return nil
}

// Open registers a new case: it is «В работе» (in progress), owned by the operator who registers
// it unless an owner is given.
func (c *Case) Open(by Actor, now time.Time) error {
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	c.UpdatedAt = now
	c.Status = StatusInProgress
	c.Result, c.Comment, c.ForwardedTo, c.ExtendTo, c.ReviewNote = "", "", 0, time.Time{}, ""
	c.CreatedBy, c.CreatedByID = by.Login, by.OperatorID
	if c.OwnerID == 0 && by.Role != RoleSystem {
		c.OwnerID = by.OperatorID
	}
	return c.Validate()
}

// CanWork reports whether the actor may edit or close the case: its owner, anyone while it has
// no owner yet, an administrator, or the system.
func (c *Case) CanWork(by Actor) error {
	if by.IsAdministrator() || by.Role == RoleSystem || c.OwnerID == 0 || c.OwnerID == by.OperatorID {
		return nil
	}
	return Errorf(EFORBIDDEN, "case %s belongs to operator %d; only its owner or an administrator may change it", c.Label(), c.OwnerID)
}

// MayReadDocuments refuses the documents registered with a case (letters, scans: personal data)
// to anyone who does not work it: they are for its owner, the operator it was forwarded to, who
// registered it, an administrator and the system (and anyone while it has no owner yet).
func (c *Case) MayReadDocuments(by Actor) error {
	if err := c.CanWork(by); err == nil {
		return nil
	}
	if by.OperatorID != 0 && (by.OperatorID == c.ForwardedTo || by.OperatorID == c.CreatedByID) {
		return nil
	}
	return Errorf(EFORBIDDEN, "the documents of case %s are for its owner, who registered it, and administrators", c.Label())
}

// Label is how messages name the case.
func (c *Case) Label() string {
	if c.Number != "" {
		return c.Number
	}
	return "#" + strconv.FormatInt(c.ID, 10)
}

// Editable refuses edits to a case the operator has handed over: «На рассмотрении» waits for
// the administrator and an approved case is closed for good.
func (c *Case) Editable(by Actor) error {
	if err := c.CanWork(by); err != nil {
		return err
	}
	switch c.Status {
	case StatusInProgress, StatusDelayedAnswer:
		return nil
	case StatusUnderReview:
		return Errorf(ECONFLICT, "case %s is under review by the administrator; ask them to return it first", c.Label())
	default:
		return Errorf(ECONFLICT, "case %s is approved and closed; an administrator must reopen it first", c.Label())
	}
}

// Closing is what an operator fills in the «Принятые меры» block to close a case.
type Closing struct {
	Result    Result    `json:"result"`
	Comment   string    `json:"comment"`              // the measures taken; for ResultExtended the reason for the extension
	ForwardTo int64     `json:"forward_to,omitempty"` // ResultForwarded: the operator who takes the case as a delayed answer
	ExtendTo  time.Time `json:"extend_to,omitzero"`   // ResultExtended: the new review date, in the future
}

// Close applies the operator's result to a case «В работе»:
//   - answered, measures taken: the case goes «На рассмотрении» for the administrator;
//   - forwarded with notice: the case becomes «Отсроченный ответ» for the target operator, who
//     must call the person back;
//   - on control, deadline extended: the case goes «На рассмотрении» so that the administrator
//     approves the new date.
//
// Every result needs a comment; the case needs a type and a topic.
func (c *Case) Close(by Actor, cl Closing, now time.Time) error {
	if err := c.CanWork(by); err != nil {
		return err
	}
	if c.Status != StatusInProgress {
		return Errorf(ECONFLICT, "case %s is %s; only a case in progress can be closed (a delayed answer is set in progress first, after calling the person back)", c.Label(), c.Status)
	}
	if !cl.Result.Valid() {
		return Errorf(EINVALID, "closing needs a result: answered, measures_taken, forwarded_with_notice or on_control_extended")
	}
	comment := strings.TrimSpace(cl.Comment)
	if comment == "" {
		if cl.Result == ResultExtended {
			return Errorf(EINVALID, "extending the deadline needs the reason in the comment")
		}
		return Errorf(EINVALID, "closing needs a comment on the measures taken")
	}
	if err := checkLen("comment", comment, MaxCommentLen); err != nil {
		return err
	}
	if c.Type == "" || c.Topic == "" {
		return Errorf(EINVALID, "case %s needs a type and a topic before it is closed", c.Label())
	}
	next := *c
	next.Result, next.Comment, next.UpdatedAt = cl.Result, comment, now
	next.ForwardedTo, next.ExtendTo, next.ReviewNote = 0, time.Time{}, ""
	switch cl.Result {
	case ResultForwarded:
		if cl.ForwardTo == 0 {
			return Errorf(EINVALID, "forwarding with notice needs the operator who takes the case")
		}
		if cl.ForwardTo == c.OwnerID {
			return Errorf(EINVALID, "case %s already belongs to operator %d; forward it to someone else", c.Label(), cl.ForwardTo)
		}
		if !cl.ExtendTo.IsZero() {
			return Errorf(EINVALID, "a new review date goes with on_control_extended, not with forwarding")
		}
		next.Status, next.OwnerID, next.ForwardedTo = StatusDelayedAnswer, cl.ForwardTo, cl.ForwardTo
	case ResultExtended:
		if cl.ExtendTo.IsZero() {
			return Errorf(EINVALID, "extending the deadline needs the new review date")
		}
		if !cl.ExtendTo.After(now) {
			return Errorf(EINVALID, "the new review date %s is not in the future", cl.ExtendTo.Format(DateLayout))
		}
		if cl.ForwardTo != 0 {
			return Errorf(EINVALID, "a target operator goes with forwarded_with_notice, not with an extension")
		}
		next.Status, next.ExtendTo = StatusUnderReview, cl.ExtendTo
	default:
		if cl.ForwardTo != 0 || !cl.ExtendTo.IsZero() {
			return Errorf(EINVALID, "a target operator or a new date only go with forwarding or an extension")
		}
		next.Status = StatusUnderReview
	}
	*c = next
	return nil
}

// Forward closes the case with «Переадресация с уведомлением обратившегося» to operator to.
func (c *Case) Forward(by Actor, to int64, comment string, now time.Time) error {
	return c.Close(by, Closing{Result: ResultForwarded, Comment: comment, ForwardTo: to}, now)
}

// Extend closes the case with «Находится на контроле, сроки рассмотрения продлены» until date.
func (c *Case) Extend(by Actor, until time.Time, reason string, now time.Time) error {
	return c.Close(by, Closing{Result: ResultExtended, Comment: reason, ExtendTo: until}, now)
}

// HandOver gives a case that is being worked to operator to, who now talks to the person (a live
// transfer, then «*26»): the case stays «В работе», theirs; the history says who handed it. It is
// not the result «Переадресация с уведомлением» (§6.1), which closes the case as a delayed answer
// for an operator the person is not talking to.
func (c *Case) HandOver(by Actor, to int64, now time.Time) error {
	if err := c.CanWork(by); err != nil {
		return err
	}
	if c.Status != StatusInProgress && c.Status != StatusDelayedAnswer {
		return Errorf(ECONFLICT, "case %s is %s; only a case being worked can be handed over", c.Label(), c.Status)
	}
	if to == 0 {
		return Errorf(EINVALID, "handing a case over needs the operator who takes it")
	}
	if to == c.OwnerID {
		return Errorf(EINVALID, "case %s already belongs to operator %d", c.Label(), to)
	}
	c.Status, c.OwnerID, c.UpdatedAt = StatusInProgress, to, now
	return nil
}

// SetInProgress is what the owner of a delayed answer does after calling the person back: the
// case is «В работе» again and can be closed.
func (c *Case) SetInProgress(by Actor, now time.Time) error {
	if err := c.CanWork(by); err != nil {
		return err
	}
	if c.Status != StatusDelayedAnswer {
		return Errorf(ECONFLICT, "case %s is %s; only a delayed answer is set in progress", c.Label(), c.Status)
	}
	c.Status, c.UpdatedAt = StatusInProgress, now
	return nil
}

// AwaitCallback makes a case «Отсроченный ответ» without closing it: the person must be called
// back (they asked for a callback, or the call dropped) by ownerID, or by whoever takes it when
// ownerID is 0. A case in progress or already awaiting a callback (reassigned) qualifies.
func (c *Case) AwaitCallback(by Actor, ownerID int64, now time.Time) error {
	if err := c.CanWork(by); err != nil {
		return err
	}
	if c.Status != StatusInProgress && c.Status != StatusDelayedAnswer {
		return Errorf(ECONFLICT, "case %s is %s; only a case in progress or a delayed answer can await a callback", c.Label(), c.Status)
	}
	c.Status, c.OwnerID, c.UpdatedAt = StatusDelayedAnswer, ownerID, now
	return nil
}

// Approve is the administrator's check of a case «На рассмотрении». An ordinary result closes the
// case for good. An extension is approved as a deadline: the case stays on control, «В работе»
// with its owner, due on the new date, until it is closed again.
func (c *Case) Approve(by Actor, now time.Time) error {
	if err := by.RequireAdministrator("approve a case"); err != nil {
		return err
	}
	if c.Status != StatusUnderReview {
		return Errorf(ECONFLICT, "case %s is %s; only a case under review can be approved", c.Label(), c.Status)
	}
	if c.Result == ResultExtended {
		c.Status, c.DueAt, c.ExtendTo = StatusInProgress, c.ExtendTo, time.Time{}
	} else {
		c.Status = StatusApproved
	}
	c.ReviewNote, c.UpdatedAt = "", now
	return nil
}

// Return sends a case under review back to its owner, in progress, with the administrator's reason.
func (c *Case) Return(by Actor, reason string, now time.Time) error {
	if err := by.RequireAdministrator("return a case"); err != nil {
		return err
	}
	if c.Status != StatusUnderReview {
		return Errorf(ECONFLICT, "case %s is %s; only a case under review can be returned", c.Label(), c.Status)
	}
	return c.backToWork("returning", reason, now)
}

// Reopen puts an approved case back in progress, with the administrator's reason.
func (c *Case) Reopen(by Actor, reason string, now time.Time) error {
	if err := by.RequireAdministrator("reopen a case"); err != nil {
		return err
	}
	if c.Status != StatusApproved {
		return Errorf(ECONFLICT, "case %s is %s; only an approved case can be reopened", c.Label(), c.Status)
	}
	return c.backToWork("reopening", reason, now)
}

func (c *Case) backToWork(what, reason string, now time.Time) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Errorf(EINVALID, "%s a case needs a reason", what)
	}
	if err := checkLen("reason", reason, MaxCommentLen); err != nil {
		return err
	}
	c.Status, c.Result, c.ExtendTo, c.ReviewNote, c.UpdatedAt = StatusInProgress, "", time.Time{}, reason, now
	return nil
}

// CanLink refuses linking a case to itself; any two distinct cases may be linked (a caller's
// earlier cases are linked whatever their status).
func (c *Case) CanLink(other *Case) error {
	if c.ID == other.ID {
		return Errorf(EINVALID, "case %s cannot be linked to itself", c.Label())
	}
	return nil
}

// CanLinkHistory refuses linking a new case, as it is registered, to anything but the same
// person's earlier case (§5.1.7 «история обращений»): the same caller number or the same policy
// number. A registration cannot reach into other people's cases.
func (c *Case) CanLinkHistory(other *Case) error {
	if err := c.CanLink(other); err != nil {
		return err
	}
	if c.CallerNumber != "" && other.CallerNumber == c.CallerNumber ||
		c.Person.PolicyNumber != "" && other.Person.PolicyNumber == c.Person.PolicyNumber {
		return nil
	}
	return Errorf(EFORBIDDEN, "case %s is not in the history of case %s's caller (neither the number nor the policy number match): only the caller's own cases are linked", other.Label(), c.Label())
}

// Validate checks an operator's fields.
func (o *Operator) Validate() error {
	if strings.TrimSpace(o.Name) == "" {
		return Errorf(EINVALID, "an operator needs a name")
	}
	if o.Role != RoleOperator && o.Role != RoleAdministrator {
		return Errorf(EINVALID, "unknown role %q (want operator or administrator)", o.Role)
	}
	if o.Level != Level1 && o.Level != Level2 {
		return Errorf(EINVALID, "unknown level %d (want 1 or 2)", o.Level)
	}
	if o.Extension != "" && !ValidPhoneNumber(o.Extension) {
		return Errorf(EINVALID, "invalid extension %q: want 2 to 20 digits", o.Extension)
	}
	if o.MaxConcurrent < 0 {
		return Errorf(EINVALID, "maximum concurrent work cannot be negative")
	}
	for _, f := range []struct {
		name string
		v    string
		max  int
	}{
		{"name", o.Name, MaxNameLen}, {"login", o.Login, MaxShortLen}, {"organisation", o.Organisation, MaxNameLen},
	} {
		if err := checkLen(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	for _, t := range append(append([]string{}, o.Topics...), o.Languages...) {
		if err := checkLen("topic or language", t, MaxShortLen); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks a topic's fields.
func (t *Topic) Validate() error {
	if t.Code == "" || strings.ContainsAny(t.Code, " \t\n,") {
		return Errorf(EINVALID, "a topic needs a code without spaces or commas, e.g. policy-replace")
	}
	if !t.Type.Valid() {
		return Errorf(EINVALID, "topic %s: unknown case type %q", t.Code, t.Type)
	}
	if strings.TrimSpace(t.Title) == "" {
		return Errorf(EINVALID, "topic %s needs a title", t.Code)
	}
	if t.Number < 0 || t.Number > 9999 {
		return Errorf(EINVALID, "topic %s: the handset number must be 0 (none) to 9999", t.Code)
	}
	if err := checkLen("topic code", t.Code, MaxShortLen); err != nil {
		return err
	}
	if err := checkLen("title", t.Title, MaxNameLen); err != nil {
		return err
	}
	return checkLen("keywords", strings.Join(t.Keywords, " "), MaxCommentLen)
}

// Validate checks a script's fields.
func (s *Script) Validate() error {
	if s.Topic == "" {
		return Errorf(EINVALID, "a script needs a topic")
	}
	if strings.TrimSpace(s.Title) == "" || strings.TrimSpace(s.Text) == "" {
		return Errorf(EINVALID, "a script needs a title and a text")
	}
	if err := checkLen("title", s.Title, MaxNameLen); err != nil {
		return err
	}
	return checkLen("script text", s.Text, MaxScriptLen)
}

// Attachment is a document registered with a case (a letter, a scan, a reply).
type Attachment struct {
	ID             int64     `json:"id"`
	CaseID         int64     `json:"case_id"`
	DocumentNumber string    `json:"document_number"`
	RegisteredOn   string    `json:"registered_on"` // YYYY-MM-DD
	FilePath       string    `json:"file_path,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// Validate checks an attachment's fields.
func (a *Attachment) Validate() error {
	if strings.TrimSpace(a.DocumentNumber) == "" {
		return Errorf(EINVALID, "an attachment needs a document number")
	}
	if _, err := time.Parse(DateLayout, a.RegisteredOn); err != nil {
		return Errorf(EINVALID, "invalid registration date %q: want YYYY-MM-DD", a.RegisteredOn)
	}
	if err := checkLen("document number", a.DocumentNumber, MaxShortLen); err != nil {
		return err
	}
	return checkLen("file path", a.FilePath, MaxPathLen)
}

// Validate checks a leg's fields: known end, a valid caller number, times in order.
func (l *Leg) Validate() error {
	switch l.End {
	case "", LegCompleted, LegAbandoned, LegOverflow, LegTransferred, LegFailed:
	default:
		return Errorf(EINVALID, "unknown leg end %q", l.End)
	}
	switch l.HungUpBy {
	case "", SideCaller, SideOperator:
	default:
		return Errorf(EINVALID, "unknown side %q hung up", l.HungUpBy)
	}
	if err := checkLen("operator channel", l.OperatorChannel, MaxNameLen); err != nil {
		return err
	}
	if err := checkLen("caller number", l.CallerNumber, MaxShortLen); err != nil {
		return err
	}
	if l.ArrivedAt.IsZero() {
		return Errorf(EINVALID, "a leg needs the time the call arrived")
	}
	if !l.EndedAt.IsZero() && l.EndedAt.Before(l.ArrivedAt) {
		return Errorf(EINVALID, "a leg cannot end before it arrived")
	}
	if err := checkLen("call id", l.CallID, MaxNameLen); err != nil {
		return err
	}
	return checkLen("recording name", l.RecordingName, MaxPathLen)
}

// MayControl refuses to let anyone but an administrator, or the operator themself, change an
// operator's live state (pause, resume, log in or out).
func (a Actor) MayControl(op Operator) error {
	if a.IsAdministrator() || (a.OperatorID != 0 && a.OperatorID == op.ID) {
		return nil
	}
	return Errorf(EFORBIDDEN, "%s may not change the state of operator %d (%s): only administrators, or the operator themself", a.Login, op.ID, op.Name)
}

// MayHearRecording refuses to play a recorded conversation to anyone but those it concerns:
// administrators; the owner or the forward target of a case the call belongs to (cases); an
// operator who took part in the call (one of its legs, legs, is theirs). A recording is personal
// data: seeing a case's card (every operator may) is not hearing its calls.
func (a Actor) MayHearRecording(legs []Leg, cases []Case) error {
	if a.IsAdministrator() {
		return nil
	}
	if a.OperatorID != 0 {
		for _, l := range legs {
			if l.OperatorID == a.OperatorID || l.TransferredFrom == a.OperatorID {
				return nil
			}
		}
		for _, c := range cases {
			if c.OwnerID == a.OperatorID || c.ForwardedTo == a.OperatorID {
				return nil
			}
		}
	}
	return Errorf(EFORBIDDEN, "%s may not hear this recording: only administrators, the case's owner or forward target, and the operators who took part in the call", a.Login)
}

// MayListen refuses to let anyone but an administrator listen to an operator's call, whisper to
// the operator or join the call (a supervisor's listen, whisper, barge): hearing a conversation
// live is more than hearing its recording, and the caller is not told.
func (a Actor) MayListen() error {
	return a.RequireAdministrator("listen to, whisper in or join an operator's call")
}
