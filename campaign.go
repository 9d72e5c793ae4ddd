package hotline

import (
	"strings"
	"time"
)

// Informing campaigns (§7.1, the module «ЕИР263»): a level-2 representative chooses a medical
// organisation, the informing type and the period and saves them («Сохранить»); the persons of the
// register the choice selects are the campaign's. «Начать информирование» then has hotline dial
// them one after another for that representative (a progressive dialler), and the representative
// saves each person's result.

// InformingType is what a campaign informs the insured persons of (тип информирования).
type InformingType string

const (
	// InformCheckup: the person is due for the check-up (диспансеризация) in the period.
	InformCheckup InformingType = "checkup"
	// InformObservation: the person is under dispensary observation (a diagnosis) in the period.
	InformObservation InformingType = "observation"
	// InformSecondStage: the person passed the first stage and is invited to the second.
	InformSecondStage InformingType = "second_stage"
)

// InformingTypes lists the types in the order the page offers them.
var InformingTypes = []InformingType{InformCheckup, InformObservation, InformSecondStage}

// Valid reports whether t is a known informing type.
func (t InformingType) Valid() bool {
	for _, x := range InformingTypes {
		if t == x {
			return true
		}
	}
	return false
}

// PeriodLayout is a campaign period's month: YYYY-MM.
const PeriodLayout = "2006-01"

// Campaign is one saved choice of organisation, type and period, and who saved it.
type Campaign struct {
	ID           int64               `json:"id"`
	Organisation MedicalOrganisation `json:"organisation"`
	Type         InformingType       `json:"type"`
	From         string              `json:"from"` // YYYY-MM, the first month of the period
	To           string              `json:"to"`   // YYYY-MM, the last month
	CreatedAt    time.Time           `json:"created_at,omitzero"`
	CreatedBy    string              `json:"created_by,omitempty"`
	OperatorID   int64               `json:"operator_id,omitempty"` // the representative who saved it
}

// MaxCampaignMonths bounds a campaign's period: a year at most.
const MaxCampaignMonths = 12

// Validate checks a campaign to be saved: an organisation code, a known type, a period of whole
// months (From not after To, at most MaxCampaignMonths).
func (c *Campaign) Validate() error {
	if strings.TrimSpace(c.Organisation.Code) == "" {
		return Errorf(EINVALID, "choose a medical organisation")
	}
	if err := (MedicalOrganisation{Code: c.Organisation.Code}).Validate(); err != nil {
		return err
	}
	if !c.Type.Valid() {
		return Errorf(EINVALID, "unknown informing type %q", clipText(string(c.Type)))
	}
	from, err := time.Parse(PeriodLayout, c.From)
	if err != nil {
		return Errorf(EINVALID, "invalid start of the period %q: want YYYY-MM", clipText(c.From))
	}
	to, err := time.Parse(PeriodLayout, c.To)
	if err != nil {
		return Errorf(EINVALID, "invalid end of the period %q: want YYYY-MM", clipText(c.To))
	}
	if to.Before(from) {
		return Errorf(EINVALID, "the period ends (%s) before it starts (%s)", c.To, c.From)
	}
	if months := (to.Year()-from.Year())*12 + int(to.Month()-from.Month()) + 1; months > MaxCampaignMonths {
		return Errorf(EINVALID, "the period is %d months: at most %d", months, MaxCampaignMonths)
	}
	if from.Year() < 2000 || to.Year() > 2100 {
		return Errorf(EINVALID, "the period %s–%s is not plausible", c.From, c.To)
	}
	return nil
}

// MayInform refuses anyone but a level-2 representative (or an administrator): the module is
// theirs (§7.1). op is the operator the actor acts as (zero for an administrator without one).
func MayInform(by Actor, op Operator, what string) error {
	if by.IsAdministrator() {
		return nil
	}
	if by.OperatorID == 0 || op.ID != by.OperatorID || op.Level != Level2 {
		return Errorf(EFORBIDDEN, "only a level-2 representative may %s (you act as %q)", what, by.Login)
	}
	return nil
}

// InformingStatus is where one person of a campaign stands.
type InformingStatus string

const (
	InformPending  InformingStatus = "pending"  // not dialled yet, or due for another attempt
	InformDialling InformingStatus = "dialling" // claimed for a representative: being dialled
	InformAnswered InformingStatus = "answered" // answered: the representative's result is awaited
	InformNoAnswer InformingStatus = "no_answer"
	InformInformed InformingStatus = "informed"     // «Оповещен»
	InformRefused  InformingStatus = "refused"      // declined to be informed
	InformWrong    InformingStatus = "wrong_number" // «Телефон указан неверно или принадлежит другому ЗЛ»
	InformNoPhone  InformingStatus = "no_phone"     // no number left to dial
	InformGaveUp   InformingStatus = "gave_up"      // the attempts ran out
)

// Final reports whether no more calls are made to a person in this status.
func (s InformingStatus) Final() bool {
	switch s {
	case InformInformed, InformRefused, InformWrong, InformNoPhone, InformGaveUp:
		return true
	}
	return false
}

// InformingResult is what the representative saves after a call (the person's card's result).
type InformingResult string

const (
	ResultInformed InformingResult = "informed"     // «Оповещен»
	ResultRefused  InformingResult = "refused"      // «Отказ от информирования»
	ResultWrong    InformingResult = "wrong_number" // «Телефон указан неверно или принадлежит другому ЗЛ»
	ResultCallBack InformingResult = "call_back"    // «Перезвонить позже»: not reached for informing
)

// InformingResults lists the results in the order the card offers them.
var InformingResults = []InformingResult{ResultInformed, ResultRefused, ResultCallBack, ResultWrong}

// Valid reports whether r is a known result.
func (r InformingResult) Valid() bool {
	for _, x := range InformingResults {
		if r == x {
			return true
		}
	}
	return false
}

// Status is the person's status once r is saved.
func (r InformingResult) Status() InformingStatus {
	switch r {
	case ResultInformed:
		return InformInformed
	case ResultRefused:
		return InformRefused
	case ResultWrong:
		return InformWrong
	}
	return InformPending
}

// DialOutcome is how a campaign call's dialling ended, as the switchboard saw it.
type DialOutcome string

const (
	DialAnswered DialOutcome = "answered"
	DialNoAnswer DialOutcome = "no_answer"
	DialBusy     DialOutcome = "busy"
	DialFailed   DialOutcome = "failed" // Asterisk could not dial, or the number does not exist
)

// Valid reports whether o is a known outcome.
func (o DialOutcome) Valid() bool {
	switch o {
	case DialAnswered, DialNoAnswer, DialBusy, DialFailed:
		return true
	}
	return false
}
