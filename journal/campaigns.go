package journal

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/informing"
	"github.com/jmoiron/sqlx"
)

// The informing campaigns of the module «ЕИР263» (§7.1). A campaign is saved with the persons of
// the register its organisation, type and period select; the switchboard's progressive dialler
// claims them one at a time for a representative (ClaimInforming), tells how each dialling ended
// (RecordInformingAttempt), and the representative saves the result (SaveInformingResult). Whom
// to dial and when is package informing's decision; the store keeps the states and the history.

// CampaignCounts are a campaign's figures: the page's «ВСЕГО», «ИЗ НИХ С ТЕЛЕФОНОМ»,
// «ОПОВЕЩЕНО», and the report's reached, refused and wrong numbers.
type CampaignCounts struct {
	Total     int `db:"total" json:"total"`           // «ВСЕГО»
	WithPhone int `db:"with_phone" json:"with_phone"` // «ИЗ НИХ С ТЕЛЕФОНОМ»: a number not marked wrong
	Informed  int `db:"informed" json:"informed"`     // «ОПОВЕЩЕНО»
	Reached   int `db:"reached" json:"reached"`       // answered at least one call
	Refused   int `db:"refused" json:"refused"`
	Wrong     int `db:"wrong" json:"wrong_numbers"` // «Телефон указан неверно или принадлежит другому ЗЛ»
	Attempts  int `db:"attempts" json:"attempts"`   // calls dialled
}

// CampaignSummary is a campaign with its figures: a row of the page's list and of the report.
type CampaignSummary struct {
	hotline.Campaign
	CampaignCounts
}

// periodWhere selects the register's persons due in a campaign's period: a month within it, or
// the whole of a year it touches (disp_month 0).
func periodWhere(c hotline.Campaign) (string, []any) {
	from, _ := time.Parse(hotline.PeriodLayout, c.From)
	to, _ := time.Parse(hotline.PeriodLayout, c.To)
	fy, fm, ty, tm := from.Year(), int(from.Month()), to.Year(), int(to.Month())
	w := `((i.disp_month > 0 AND i.disp_year * 100 + i.disp_month BETWEEN ? AND ?) OR (i.disp_month = 0 AND i.disp_year BETWEEN ? AND ?))`
	args := []any{fy*100 + fm, ty*100 + tm, fy, ty}
	switch c.Type {
	case hotline.InformObservation:
		w += ` AND i.diagnosis <> ''`
	case hotline.InformSecondStage:
		w += ` AND i.stage = 1`
	}
	return w, args
}

// mayInform checks hotline.MayInform for by, reading the operator they act as.
func (s *Store) mayInform(ctx context.Context, by hotline.Actor, what string) error {
	var op hotline.Operator
	if !by.IsAdministrator() && by.OperatorID != 0 {
		o, err := s.Operator(ctx, by.OperatorID)
		if err != nil && hotline.ErrorCode(err) != hotline.ENOTFOUND {
			return err
		}
		op = o
	}
	return hotline.MayInform(by, op, what)
}

// CreateCampaign saves a campaign («Сохранить»): the organisation, type and period, and the
// persons of the register they select, in the register's order. Only a level-2 representative or
// an administrator saves one.
func (s *Store) CreateCampaign(ctx context.Context, by hotline.Actor, c hotline.Campaign) (CampaignSummary, error) {
	if err := s.mayInform(ctx, by, "save an informing campaign"); err != nil {
		return CampaignSummary{}, err
	}
	if err := c.Validate(); err != nil {
		return CampaignSummary{}, err
	}
	var name string
	if err := s.r.GetContext(ctx, &name, `SELECT name FROM medical_organisations WHERE code = ?`, c.Organisation.Code); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return CampaignSummary{}, hotline.Errorf(hotline.ENOTFOUND, "no medical organisation %q in the register", clip(c.Organisation.Code))
		}
		return CampaignSummary{}, s.dbError(err, "find the medical organisation")
	}
	c.Organisation.Name = name
	c.CreatedAt = s.now().Truncate(time.Millisecond)
	c.CreatedBy = by.Login
	c.OperatorID = by.OperatorID
	err := s.write(ctx, "save an informing campaign", func(tx *sqlx.Tx) error {
		res, err := insertReturningID(ctx, tx, `INSERT INTO campaigns (mo_code, kind, period_from, period_to, created_at, created_by, operator_id)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, c.Organisation.Code, string(c.Type), c.From, c.To, c.CreatedAt.UnixMilli(), c.CreatedBy, c.OperatorID)
		if err != nil {
			return err
		}
		if c.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		w, args := periodWhere(c)
		res, err = tx.ExecContext(ctx, `INSERT INTO campaign_persons (campaign_id, person_id, position)
			SELECT ?, i.id, row_number() OVER (ORDER BY i.id) FROM insured i WHERE i.mo_code = ? AND `+w,
			append([]any{c.ID, c.Organisation.Code}, args...)...)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		return s.record(ctx, tx, by, "campaign", c.ID, 0, "created", []Change{
			{Field: "organisation", To: c.Organisation.Code}, {Field: "type", To: string(c.Type)},
			{Field: "period", To: c.From + "–" + c.To}, {Field: "persons", To: strconv.FormatInt(n, 10)},
		})
	})
	if err != nil {
		return CampaignSummary{}, err
	}
	counts, err := s.CampaignCounts(ctx, c.ID)
	return CampaignSummary{Campaign: c, CampaignCounts: counts}, err
}

type campaignRow struct {
	ID         int64  `db:"id"`
	MOCode     string `db:"mo_code"`
	MOName     string `db:"mo_name"`
	Kind       string `db:"kind"`
	From       string `db:"period_from"`
	To         string `db:"period_to"`
	CreatedAt  int64  `db:"created_at"`
	CreatedBy  string `db:"created_by"`
	OperatorID int64  `db:"operator_id"`
}

func (r campaignRow) campaign() hotline.Campaign {
	return hotline.Campaign{ID: r.ID, Organisation: hotline.MedicalOrganisation{Code: r.MOCode, Name: r.MOName},
		Type: hotline.InformingType(r.Kind), From: r.From, To: r.To, CreatedAt: time.UnixMilli(r.CreatedAt),
		CreatedBy: r.CreatedBy, OperatorID: r.OperatorID}
}

const campaignColumns = `c.id, c.mo_code, coalesce(m.name, '') AS mo_name, c.kind, c.period_from, c.period_to, c.created_at, c.created_by, c.operator_id`

// Campaign returns campaign id (ENOTFOUND when there is none).
func (s *Store) Campaign(ctx context.Context, id int64) (hotline.Campaign, error) {
	var r campaignRow
	err := s.r.GetContext(ctx, &r, `SELECT `+campaignColumns+` FROM campaigns c LEFT JOIN medical_organisations m ON m.code = c.mo_code WHERE c.id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return hotline.Campaign{}, hotline.Errorf(hotline.ENOTFOUND, "no informing campaign %d", id)
	}
	if err != nil {
		return hotline.Campaign{}, s.dbError(err, "read an informing campaign")
	}
	return r.campaign(), nil
}

// MaxCampaignsListed bounds Campaigns.
const MaxCampaignsListed = 200

// Campaigns lists the newest campaigns first with their figures; moCode "" lists every
// organisation's.
func (s *Store) Campaigns(ctx context.Context, moCode string) ([]CampaignSummary, error) {
	var rows []campaignRow
	err := s.r.SelectContext(ctx, &rows, `SELECT `+campaignColumns+` FROM campaigns c LEFT JOIN medical_organisations m ON m.code = c.mo_code
		WHERE ? = '' OR c.mo_code = ? ORDER BY c.id DESC LIMIT ?`, moCode, moCode, MaxCampaignsListed)
	if err != nil {
		return nil, s.dbError(err, "list informing campaigns")
	}
	out := make([]CampaignSummary, len(rows))
	for i, r := range rows {
		out[i].Campaign = r.campaign()
		if out[i].CampaignCounts, err = s.CampaignCounts(ctx, r.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CampaignCounts counts a campaign's persons as they stand now (a wrong-number mark made
// anywhere, the survey journals too, takes the person out of «С ТЕЛЕФОНОМ» at once).
func (s *Store) CampaignCounts(ctx context.Context, id int64) (CampaignCounts, error) {
	var c CampaignCounts
	err := s.r.GetContext(ctx, &c, `SELECT count(*) AS total,
		coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM insured_phones ph WHERE ph.person_id = cp.person_id AND ph.wrong = 0) THEN 1 ELSE 0 END), 0) AS with_phone,
		coalesce(sum(CASE WHEN cp.status = 'informed' THEN 1 ELSE 0 END), 0) AS informed,
		coalesce(sum(cp.reached), 0) AS reached,
		coalesce(sum(CASE WHEN cp.status = 'refused' THEN 1 ELSE 0 END), 0) AS refused,
		coalesce(sum(CASE WHEN cp.status = 'wrong_number' THEN 1 ELSE 0 END), 0) AS wrong,
		coalesce(sum(cp.attempts), 0) AS attempts
		FROM campaign_persons cp WHERE cp.campaign_id = ?`, id)
	return c, s.dbError(err, "count an informing campaign")
}

// InformingClaim is the person the dialler is to call next for a representative, or, when
// nobody is due (PersonID 0), when to ask again (Wake; zero: nobody left to call). Awaiting: the
// representative has a person who answered and whose result is not saved yet (after a restart
// of the daemon, say): nothing is claimed until it is.
type InformingClaim struct {
	CampaignID int64
	PersonID   int64
	Number     string
	Wake       time.Time
	Awaiting   int64
}

// cpRow is a campaign person's dialling state.
type cpRow struct {
	PersonID  int64  `db:"person_id"`
	Status    string `db:"status"`
	Attempts  int    `db:"attempts"`
	NextAt    int64  `db:"next_at"`
	ClaimedAt int64  `db:"claimed_at"`
	ClaimedBy int64  `db:"claimed_by"`
	Number    string `db:"number"`
	CallID    string `db:"call_id"`
	Reached   bool   `db:"reached"`
	Result    string `db:"result"`
	Comment   string `db:"comment"`
	Version   int64  `db:"version"`
}

func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// personsToDial reads the persons of campaign id who may still be dialled, in order, with their
// phones, as package informing sees them.
func personsToDial(ctx context.Context, tx *sqlx.Tx, id int64) ([]informing.Person, error) {
	var rows []cpRow
	if err := tx.SelectContext(ctx, &rows, `SELECT person_id, status, attempts, next_at, claimed_at, claimed_by, number, call_id, reached, result, comment, version
		FROM campaign_persons WHERE campaign_id = ? AND status IN ('pending', 'no_answer', 'dialling') ORDER BY position`, id); err != nil {
		return nil, err
	}
	var phones []struct {
		PersonID int64  `db:"person_id"`
		Number   string `db:"number"`
		Wrong    bool   `db:"wrong"`
	}
	if err := tx.SelectContext(ctx, &phones, `SELECT ph.person_id, ph.number, ph.wrong FROM campaign_persons cp
		JOIN insured_phones ph ON ph.person_id = cp.person_id
		WHERE cp.campaign_id = ? AND cp.status IN ('pending', 'no_answer', 'dialling') ORDER BY ph.person_id, ph.position`, id); err != nil {
		return nil, err
	}
	byID := make(map[int64][]hotline.InsuredPhone, len(rows))
	for _, ph := range phones {
		byID[ph.PersonID] = append(byID[ph.PersonID], hotline.InsuredPhone{Number: ph.Number, Wrong: ph.Wrong})
	}
	out := make([]informing.Person, len(rows))
	for i, r := range rows {
		out[i] = informing.Person{ID: r.PersonID, Status: hotline.InformingStatus(r.Status), Phones: byID[r.PersonID],
			Attempts: r.Attempts, NextAt: msTime(r.NextAt), ClaimedAt: msTime(r.ClaimedAt)}
	}
	return out, nil
}

// ClaimInforming picks whom of campaign campaignID to dial next at now for representative
// operatorID (plan decides: calling hours, back-off, numbers not marked wrong) and claims them, so
// that no other representative's dialling takes them meanwhile. Nobody due: the claim's Wake says
// when to ask again.
func (s *Store) ClaimInforming(ctx context.Context, campaignID, operatorID int64, plan informing.Plan, now time.Time) (InformingClaim, error) {
	claim := InformingClaim{CampaignID: campaignID}
	err := s.write(ctx, "claim a person to inform", func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM campaigns WHERE id = ?`, campaignID); err != nil {
			return err
		}
		if n == 0 {
			return hotline.Errorf(hotline.ENOTFOUND, "no informing campaign %d", campaignID)
		}
		err := tx.GetContext(ctx, &claim.Awaiting, `SELECT person_id FROM campaign_persons WHERE campaign_id = ? AND claimed_by = ?
			AND status = 'answered' LIMIT 1`, campaignID, operatorID)
		if err == nil {
			return nil // their result first
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		persons, err := personsToDial(ctx, tx, campaignID)
		if err != nil {
			return err
		}
		i, number, wake := plan.Next(persons, now)
		if i < 0 {
			claim.Wake = wake
			return nil
		}
		claim.PersonID, claim.Number = persons[i].ID, number
		_, err = tx.ExecContext(ctx, `UPDATE campaign_persons SET status = 'dialling', claimed_by = ?, claimed_at = ?, number = ?,
			version = version + 1 WHERE campaign_id = ? AND person_id = ?`, operatorID, now.UnixMilli(), number, campaignID, claim.PersonID)
		return err
	})
	return claim, err
}

// InformingAttempt is how one dialling of a campaign's person ended.
type InformingAttempt struct {
	CampaignID int64
	PersonID   int64
	OperatorID int64
	Number     string
	Outcome    hotline.DialOutcome
	CallID     string    // the call filed for the person, when answered
	Cause      string    // why it was not answered, as Asterisk said
	At         time.Time // dialled
	EndedAt    time.Time // answered or given up; zero: At
}

// RecordInformingAttempt files an attempt and moves the person on as plan says: answered (the
// representative's result awaited), to be dialled again after the back-off, or given up.
func (s *Store) RecordInformingAttempt(ctx context.Context, a InformingAttempt, plan informing.Plan) error {
	if !a.Outcome.Valid() {
		return hotline.Errorf(hotline.EINVALID, "unknown dialling outcome %q", clip(string(a.Outcome)))
	}
	return s.write(ctx, "record an informing call", func(tx *sqlx.Tx) error {
		var r cpRow
		err := tx.GetContext(ctx, &r, `SELECT person_id, status, attempts, next_at, claimed_at, claimed_by, number, call_id, reached, result, comment, version
			FROM campaign_persons WHERE campaign_id = ? AND person_id = ?`, a.CampaignID, a.PersonID)
		if errors.Is(err, sql.ErrNoRows) {
			return hotline.Errorf(hotline.ENOTFOUND, "person %d is not in informing campaign %d", a.PersonID, a.CampaignID)
		}
		if err != nil {
			return err
		}
		if a.EndedAt.IsZero() {
			a.EndedAt = a.At
		}
		if a.OperatorID == 0 {
			// Dialled by an earlier run of the daemon: the claim names the representative.
			a.OperatorID = r.ClaimedBy
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO campaign_attempts (campaign_id, person_id, operator_id, number, at, ended_at, outcome, call_id, cause)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.CampaignID, a.PersonID, a.OperatorID, a.Number, a.At.UnixMilli(), a.EndedAt.UnixMilli(), string(a.Outcome), a.CallID, a.Cause); err != nil {
			return err
		}
		var phones []hotline.InsuredPhone
		if err := tx.SelectContext(ctx, &phones, `SELECT number, wrong FROM insured_phones WHERE person_id = ? ORDER BY position`, a.PersonID); err != nil {
			return err
		}
		p := informing.Person{ID: r.PersonID, Status: hotline.InformingStatus(r.Status), Phones: phones, Attempts: r.Attempts}
		status, next := plan.AfterDial(p, a.Outcome, a.EndedAt)
		if hotline.InformingStatus(r.Status).Final() {
			status = hotline.InformingStatus(r.Status) // a result saved meanwhile stands
		}
		claimedBy, callID := int64(0), r.CallID
		if a.Outcome == hotline.DialAnswered {
			claimedBy, callID = a.OperatorID, a.CallID // theirs until they save the result
		}
		nextMS := int64(0)
		if !next.IsZero() {
			nextMS = next.UnixMilli()
		}
		if _, err := tx.ExecContext(ctx, `UPDATE campaign_persons SET status = ?, attempts = attempts + 1, next_at = ?, claimed_by = ?,
			number = ?, call_id = ?, reached = CASE WHEN ? = 1 THEN 1 ELSE reached END, updated_at = ?, version = version + 1 WHERE campaign_id = ? AND person_id = ?`,
			string(status), nextMS, claimedBy, a.Number, callID, a.Outcome == hotline.DialAnswered, a.EndedAt.UnixMilli(), a.CampaignID, a.PersonID); err != nil {
			return err
		}
		changes := []Change{{Field: "status", From: r.Status, To: string(status)}, {Field: "outcome", To: string(a.Outcome)},
			{Field: "number", To: a.Number}}
		if a.CallID != "" {
			changes = append(changes, Change{Field: "call", To: a.CallID})
		}
		return s.record(ctx, tx, hotline.SystemActor, "campaign_person", campaignPersonID(a.CampaignID, a.PersonID), 0, "dialled", changes)
	})
}

func campaignPersonID(campaign, person int64) string { return fmt.Sprintf("%d/%d", campaign, person) }

// InformingResultInput is what the representative saves on the person's card.
type InformingResultInput struct {
	Result  hotline.InformingResult
	Comment string
	// Version is the card's version as shown: a save over someone else's newer one is refused.
	Version int64
}

// SaveInformingResult saves the result of informing a campaign's person («Сохранить»), with the
// call it belongs to (the person's last answered call). «Телефон указан неверно или принадлежит
// другому ЗЛ» marks the number dialled wrong in the register (never dialled again, by any
// campaign). «Перезвонить позже» puts the person back for another call after plan's first wait.
func (s *Store) SaveInformingResult(ctx context.Context, by hotline.Actor, campaignID, personID int64, in InformingResultInput, plan informing.Plan) error {
	if err := s.mayInform(ctx, by, "save an informing result"); err != nil {
		return err
	}
	if !in.Result.Valid() {
		return hotline.Errorf(hotline.EINVALID, "choose the result of informing")
	}
	in.Comment = strings.TrimSpace(in.Comment)
	if len([]rune(in.Comment)) > hotline.MaxCommentLen {
		return hotline.Errorf(hotline.EINVALID, "the comment is too long: at most %d characters", hotline.MaxCommentLen)
	}
	now := s.now()
	return s.write(ctx, "save an informing result", func(tx *sqlx.Tx) error {
		var r cpRow
		err := tx.GetContext(ctx, &r, `SELECT person_id, status, attempts, next_at, claimed_at, claimed_by, number, call_id, reached, result, comment, version
			FROM campaign_persons WHERE campaign_id = ? AND person_id = ?`, campaignID, personID)
		if errors.Is(err, sql.ErrNoRows) {
			return hotline.Errorf(hotline.ENOTFOUND, "person %d is not in informing campaign %d", personID, campaignID)
		}
		if err != nil {
			return err
		}
		if in.Version != r.Version {
			return hotline.Errorf(hotline.ECONFLICT, "the card changed meanwhile (dialled again, or saved by someone else): open it again")
		}
		// A result is for a person who answered the representative's call: a card shown while the
		// number was still being dialled (the person did not answer, another was dialled next)
		// must not give an unreached person a result, nor mark their number wrong.
		if !by.IsAdministrator() && (hotline.InformingStatus(r.Status) != hotline.InformAnswered || r.ClaimedBy != by.OperatorID) {
			return hotline.Errorf(hotline.ECONFLICT, "person %d has not answered your call in this campaign (%s): a result is saved after the person answers", personID, r.Status)
		}
		status := in.Result.Status()
		nextMS := r.NextAt
		if in.Result == hotline.ResultCallBack {
			nextMS = now.Add(plan.Retry.Wait(1)).UnixMilli()
		}
		if in.Result == hotline.ResultWrong {
			if r.Number == "" {
				return hotline.Errorf(hotline.ECONFLICT, "no number of person %d was dialled in this campaign: nothing to mark wrong", personID)
			}
			if err := s.markPhone(ctx, tx, by, personID, r.Number, true); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE campaign_persons SET status = ?, result = ?, comment = ?, next_at = ?, claimed_by = 0,
			updated_at = ?, updated_by = ?, version = version + 1 WHERE campaign_id = ? AND person_id = ?`,
			string(status), string(in.Result), in.Comment, nextMS, now.UnixMilli(), by.Login, campaignID, personID); err != nil {
			return err
		}
		return s.record(ctx, tx, by, "campaign_person", campaignPersonID(campaignID, personID), 0, "result", diff(
			map[string]string{"status": r.Status, "result": r.Result, "comment": r.Comment, "call": ""},
			map[string]string{"status": string(status), "result": string(in.Result), "comment": in.Comment, "call": r.CallID}))
	})
}

// InformingCard is a campaign's person as the representative's card shows them.
type InformingCard struct {
	CampaignID int64
	Person     hotline.Insured
	Status     hotline.InformingStatus
	Attempts   int
	Number     string // the number dialled
	CallID     string // the answered call
	Result     hotline.InformingResult
	Comment    string
	Version    int64
	History    []InformingAttempt
}

// CurrentInforming is the person whose card representative operatorID has open in campaign
// campaignID: being dialled for them, or answered with the result not saved yet. ok is false
// when there is none (the dialler has not claimed the next one yet).
func (s *Store) CurrentInforming(ctx context.Context, campaignID, operatorID int64) (InformingCard, bool, error) {
	var id int64
	err := s.r.GetContext(ctx, &id, `SELECT person_id FROM campaign_persons WHERE campaign_id = ? AND claimed_by = ?
		AND status IN ('dialling', 'answered') ORDER BY status = 'answered' DESC, claimed_at DESC LIMIT 1`, campaignID, operatorID)
	if errors.Is(err, sql.ErrNoRows) {
		return InformingCard{}, false, nil
	}
	if err != nil {
		return InformingCard{}, false, s.dbError(err, "find the person being informed")
	}
	c, err := s.InformingCard(ctx, campaignID, id)
	return c, err == nil, err
}

// InformingCard reads person personID of campaign campaignID with their attempts.
func (s *Store) InformingCard(ctx context.Context, campaignID, personID int64) (InformingCard, error) {
	var r cpRow
	err := s.r.GetContext(ctx, &r, `SELECT person_id, status, attempts, next_at, claimed_at, claimed_by, number, call_id, reached, result, comment, version
		FROM campaign_persons WHERE campaign_id = ? AND person_id = ?`, campaignID, personID)
	if errors.Is(err, sql.ErrNoRows) {
		return InformingCard{}, hotline.Errorf(hotline.ENOTFOUND, "person %d is not in informing campaign %d", personID, campaignID)
	}
	if err != nil {
		return InformingCard{}, s.dbError(err, "read a campaign's person")
	}
	p, err := s.Insured(ctx, personID)
	if err != nil {
		return InformingCard{}, err
	}
	var hist []struct {
		OperatorID int64  `db:"operator_id"`
		Number     string `db:"number"`
		At         int64  `db:"at"`
		EndedAt    int64  `db:"ended_at"`
		Outcome    string `db:"outcome"`
		CallID     string `db:"call_id"`
		Cause      string `db:"cause"`
	}
	if err := s.r.SelectContext(ctx, &hist, `SELECT operator_id, number, at, ended_at, outcome, call_id, cause FROM campaign_attempts
		WHERE campaign_id = ? AND person_id = ? ORDER BY id`, campaignID, personID); err != nil {
		return InformingCard{}, s.dbError(err, "read a campaign person's calls")
	}
	c := InformingCard{CampaignID: campaignID, Person: p, Status: hotline.InformingStatus(r.Status), Attempts: r.Attempts,
		Number: r.Number, CallID: r.CallID, Result: hotline.InformingResult(r.Result), Comment: r.Comment, Version: r.Version}
	for _, h := range hist {
		c.History = append(c.History, InformingAttempt{CampaignID: campaignID, PersonID: personID, OperatorID: h.OperatorID,
			Number: h.Number, At: time.UnixMilli(h.At), EndedAt: time.UnixMilli(h.EndedAt), Outcome: hotline.DialOutcome(h.Outcome), CallID: h.CallID, Cause: h.Cause})
	}
	return c, nil
}

// CampaignAttempts lists every attempt of campaign id, in order (tests and the report compare
// them with the calls).
func (s *Store) CampaignAttempts(ctx context.Context, id int64) ([]InformingAttempt, error) {
	var rows []struct {
		PersonID   int64  `db:"person_id"`
		OperatorID int64  `db:"operator_id"`
		Number     string `db:"number"`
		At         int64  `db:"at"`
		EndedAt    int64  `db:"ended_at"`
		Outcome    string `db:"outcome"`
		CallID     string `db:"call_id"`
		Cause      string `db:"cause"`
	}
	if err := s.r.SelectContext(ctx, &rows, `SELECT person_id, operator_id, number, at, ended_at, outcome, call_id, cause FROM campaign_attempts
		WHERE campaign_id = ? ORDER BY id`, id); err != nil {
		return nil, s.dbError(err, "read a campaign's calls")
	}
	out := make([]InformingAttempt, len(rows))
	for i, h := range rows {
		out[i] = InformingAttempt{CampaignID: id, PersonID: h.PersonID, OperatorID: h.OperatorID, Number: h.Number,
			At: time.UnixMilli(h.At), EndedAt: time.UnixMilli(h.EndedAt), Outcome: hotline.DialOutcome(h.Outcome), CallID: h.CallID, Cause: h.Cause}
	}
	return out, nil
}

// MedicalOrganisations lists the register's organisations by name (the campaign form's choice).
func (s *Store) MedicalOrganisations(ctx context.Context) ([]hotline.MedicalOrganisation, error) {
	var out []hotline.MedicalOrganisation
	err := s.r.SelectContext(ctx, &out, `SELECT code, name FROM medical_organisations ORDER BY name, code`)
	return out, s.dbError(err, "list medical organisations")
}

// CampaignReportHeader is the CSV report's header (WriteCampaignReport).
var CampaignReportHeader = []string{"campaign", "mo_code", "mo_name", "type", "period_from", "period_to",
	"total", "with_phone", "informed", "reached", "refused", "wrong_numbers", "attempts"}

// WriteCampaignReport writes the report per campaign (moCode "": every organisation's, the newest
// MaxCampaignsListed) as CSV: one line per campaign, then one per organisation with its
// campaigns' sums (campaign column «итого»).
func (s *Store) WriteCampaignReport(ctx context.Context, w io.Writer, moCode string) error {
	list, err := s.Campaigns(ctx, moCode)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CampaignReportHeader); err != nil {
		return err
	}
	n := func(i int) string { return strconv.Itoa(i) }
	line := func(campaign string, c CampaignSummary) []string {
		return []string{campaign, c.Organisation.Code, csvSafe(c.Organisation.Name), string(c.Type), c.From, c.To,
			n(c.Total), n(c.WithPhone), n(c.Informed), n(c.Reached), n(c.Refused), n(c.Wrong), n(c.Attempts)}
	}
	sums := map[string]*CampaignSummary{}
	var order []string
	for _, c := range list {
		if err := cw.Write(line(strconv.FormatInt(c.ID, 10), c)); err != nil {
			return err
		}
		t := sums[c.Organisation.Code]
		if t == nil {
			t = &CampaignSummary{Campaign: hotline.Campaign{Organisation: c.Organisation}}
			sums[c.Organisation.Code] = t
			order = append(order, c.Organisation.Code)
		}
		t.Total += c.Total
		t.WithPhone += c.WithPhone
		t.Informed += c.Informed
		t.Reached += c.Reached
		t.Refused += c.Refused
		t.Wrong += c.Wrong
		t.Attempts += c.Attempts
	}
	for _, code := range order {
		if err := cw.Write(line("итого", *sums[code])); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula (an organisation's name comes
// from an imported file).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
