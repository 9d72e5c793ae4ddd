package hotline

import "time"

// CaseType is the kind of a case (тип обращения).
type CaseType string

const (
	TypeComplaint    CaseType = "complaint"    // Жалоба
	TypeConsultation CaseType = "consultation" // Консультация
	TypeApplication  CaseType = "application"  // Заявление
	TypeProposal     CaseType = "proposal"     // Предложение
	TypeGratitude    CaseType = "gratitude"    // Благодарность
)

// CaseTypes lists every case type in the manual's order.
var CaseTypes = []CaseType{TypeComplaint, TypeConsultation, TypeApplication, TypeProposal, TypeGratitude}

// CaseStatus is where a case is in its life.
type CaseStatus string

const (
	// StatusInProgress «В работе»: accepted; measures are being taken or the answer is being given.
	StatusInProgress CaseStatus = "in_progress"
	// StatusDelayedAnswer «Отсроченный ответ»: its owner must call the person back.
	StatusDelayedAnswer CaseStatus = "delayed_answer"
	// StatusUnderReview «На рассмотрении»: closed by the operator, awaiting the administrator's approval.
	StatusUnderReview CaseStatus = "under_review"
	// StatusApproved: the administrator approved the result; the case is closed for good.
	StatusApproved CaseStatus = "approved"
)

// Result is the outcome an operator records when closing a case («Результат обращения»).
type Result string

const (
	// ResultAnswered: information of a reference and consultative nature was given.
	ResultAnswered Result = "answered"
	// ResultMeasuresTaken: the necessary measures were taken.
	ResultMeasuresTaken Result = "measures_taken"
	// ResultForwarded «Переадресация с уведомлением обратившегося»: forwarded to another operator, the
	// caller told who; the case becomes "delayed answer" for that operator.
	ResultForwarded Result = "forwarded_with_notice"
	// ResultExtended «Находится на контроле, сроки рассмотрения продлены»: on control, the deadline
	// extended to a new date for a stated reason; the administrator approves the extension.
	ResultExtended Result = "on_control_extended"
)

// Channel is how a case reached the hotline.
type Channel string

const (
	ChannelPhone    Channel = "phone"
	ChannelWritten  Channel = "written"
	ChannelEmail    Channel = "email"
	ChannelInPerson Channel = "in_person"
)

// Person is the optional personal data of the person who turned to the hotline.
type Person struct {
	FullName     string `json:"full_name,omitempty"`
	BirthDate    string `json:"birth_date,omitempty"`    // YYYY-MM-DD
	PolicyNumber string `json:"policy_number,omitempty"` // the compulsory medical insurance policy number
	Address      string `json:"address,omitempty"`
}

// Case is one contact with the hotline (обращение) as registered in the journal.
type Case struct {
	ID           int64      `json:"id"`
	Number       string     `json:"number"` // human-facing, e.g. 2026-000123
	CreatedAt    time.Time  `json:"created_at"`
	Channel      Channel    `json:"channel"`
	CallerNumber string     `json:"caller_number,omitempty"` // auto-detected for calls
	Person       Person     `json:"person,omitzero"`
	Type         CaseType   `json:"type,omitempty"`
	Topic        string     `json:"topic,omitempty"` // topic code from the catalogue of its type
	Description  string     `json:"description,omitempty"`
	OwnerID      int64      `json:"owner_id,omitempty"` // the operator who must act on it; 0: none yet
	DueAt        time.Time  `json:"due_at,omitzero"`
	Status       CaseStatus `json:"status"`
	Result       Result     `json:"result,omitempty"`
	Comment      string     `json:"comment,omitempty"`
	ForwardedTo  int64      `json:"forwarded_to,omitempty"` // with ResultForwarded: the operator who takes it as a delayed answer
	UpdatedAt    time.Time  `json:"updated_at,omitzero"`

	// ExtendTo is the new review date an operator asked for with ResultExtended; it becomes DueAt
	// only when an administrator approves the extension.
	ExtendTo time.Time `json:"extend_to,omitzero"`
	// ReviewNote is the administrator's reason for returning or reopening the case.
	ReviewNote string `json:"review_note,omitempty"`
	// CreatedBy is the login of whoever registered the case ("system" for the call flow).
	CreatedBy string `json:"created_by"`
}

// LegEnd is how one call leg of a case ended.
type LegEnd string

const (
	LegCompleted   LegEnd = "completed"   // talked, then one side hung up
	LegAbandoned   LegEnd = "abandoned"   // the caller hung up while waiting
	LegOverflow    LegEnd = "overflow"    // the queue was too long or the wait too long: message or callback
	LegTransferred LegEnd = "transferred" // handed to another operator
	LegFailed      LegEnd = "failed"      // could not be connected (error, Asterisk restart...)
)

// Leg is one call that belongs to a case: the caller's time in the queue and with one operator.
type Leg struct {
	ID              int64     `json:"id"`
	CaseID          int64     `json:"case_id"`
	CallID          string    `json:"call_id,omitempty"` // Asterisk's channel id of the caller
	CallerNumber    string    `json:"caller_number,omitempty"`
	OperatorID      int64     `json:"operator_id,omitempty"` // who answered; 0: nobody
	ArrivedAt       time.Time `json:"arrived_at"`
	GreetingEndAt   time.Time `json:"greeting_end_at,omitzero"`
	QueuedAt        time.Time `json:"queued_at,omitzero"`
	AnsweredAt      time.Time `json:"answered_at,omitzero"`
	EndedAt         time.Time `json:"ended_at,omitzero"`
	End             LegEnd    `json:"end,omitempty"`
	RecordingName   string    `json:"recording_name,omitempty"`   // Asterisk's stored recording name
	TransferredFrom int64     `json:"transferred_from,omitempty"` // the operator who transferred this leg in; 0: from the queue
}

// QueueWait is how long the caller waited in the queue on this leg (until answered, or until the
// leg ended if never answered).
func (l Leg) QueueWait() time.Duration {
	if l.QueuedAt.IsZero() {
		return 0
	}
	end := l.AnsweredAt
	if end.IsZero() {
		end = l.EndedAt
	}
	if end.IsZero() || end.Before(l.QueuedAt) {
		return 0
	}
	return end.Sub(l.QueuedAt)
}

// TalkTime is how long the caller and operator were connected on this leg.
func (l Leg) TalkTime() time.Duration {
	if l.AnsweredAt.IsZero() || l.EndedAt.IsZero() || l.EndedAt.Before(l.AnsweredAt) {
		return 0
	}
	return l.EndedAt.Sub(l.AnsweredAt)
}
