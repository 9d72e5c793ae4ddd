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
	// CreatedByID is the operator who registered the case (0: the system, or a case registered
	// before the journal kept it and under a login no operator had). Rules compare people by it,
	// never by login, which an administrator may change or give to someone else.
	CreatedByID int64 `json:"created_by_id,omitempty"`
	// Version counts the writes of the case (1 when registered, +1 on every change): an edit
	// based on an older version is refused, so two people editing one card never overwrite each
	// other silently.
	Version int64 `json:"version,omitempty"`
}
