package journal

import (
	"context"
	"database/sql"
	"errors"

	"github.com/hotline-dev/hotline"
	"github.com/jmoiron/sqlx"
)

// Card is a new registration card as the workplace saves it (§5.1.2–§5.1.7, §5.2.1): the case,
// the call it is for (0: a written, e-mail or in-person case), the caller's earlier cases the
// operator marked to link, and a document registered with it.
type Card struct {
	Case       *hotline.Case
	CallID     int64
	Links      []int64
	Attachment *hotline.Attachment
}

// OpenCard registers a card in one transaction: the case «В работе», the call attached (with
// RegisterCall's rules: whoever talked to the caller, or an administrator; one open card per
// operator and call), the links, the document. Nothing is written unless all of it is. It sets
// the case's and the attachment's ids.
func (s *Store) OpenCard(ctx context.Context, by hotline.Actor, card Card) error {
	c := card.Case
	var call callRow
	if card.CallID != 0 {
		if err := s.r.GetContext(ctx, &call, `SELECT `+callCols+` FROM calls WHERE id = ?`, card.CallID); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return hotline.Errorf(hotline.ENOTFOUND, "no call %d: see `hotline call list`", card.CallID)
			}
			return s.dbError(err, "register a card")
		}
		c.Channel = hotline.ChannelPhone
		if c.CallerNumber == "" && call.CallerValid {
			c.CallerNumber = call.CallerNumber
		}
		if c.CreatedAt.IsZero() {
			c.CreatedAt = fromMS(call.ArrivedAt)
		}
	}
	if err := s.prepareNew(by, c); err != nil {
		return err
	}
	if err := checkLinks(card.Links); err != nil {
		return err
	}
	if a := card.Attachment; a != nil {
		if err := s.prepareAttachment(a, 0); err != nil {
			return err
		}
	}
	err := s.write(ctx, "register a card", func(tx *sqlx.Tx) error {
		if card.CallID != 0 {
			if err := mayRegister(ctx, tx, by, call); err != nil {
				return err
			}
		}
		if err := s.insertCase(ctx, tx, by, c); err != nil {
			return err
		}
		if card.CallID != 0 {
			if err := s.attachCall(ctx, tx, by, c.ID, card.CallID, call.Channel); err != nil {
				return err
			}
		}
		if err := s.linkHistory(ctx, tx, by, *c, call, card.Links); err != nil {
			return err
		}
		if a := card.Attachment; a != nil {
			a.CaseID = c.ID
			return s.attach(ctx, tx, by, *c, a)
		}
		return nil
	})
	if err != nil {
		c.ID, c.Number, c.Version = 0, "", 0 // rolled back: no such case
		if card.Attachment != nil {
			card.Attachment.ID, card.Attachment.CaseID = 0, 0
		}
	}
	return err
}

// checkLinks refuses more links than a registration makes (hotline.MaxLinks) and a case named
// twice, before any transaction.
func checkLinks(ids []int64) error {
	if len(ids) > hotline.MaxLinks {
		return hotline.Errorf(hotline.EINVALID, "%d cases to link: at most %d", len(ids), hotline.MaxLinks)
	}
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return hotline.Errorf(hotline.EINVALID, "case #%d is named twice to link", id)
		}
		seen[id] = true
	}
	return nil
}

// linkHistory links new case c, registered for call (zero: none), to the caller's earlier cases
// ids in tx: each must be the same person's (hotline.Case.CanLinkHistory), by the case's number
// and policy or by the number the call came from (the history the card showed).
func (s *Store) linkHistory(ctx context.Context, tx *sqlx.Tx, by hotline.Actor, c hotline.Case, call callRow, ids []int64) error {
	byCall := c
	if call.CallerValid {
		byCall.CallerNumber = call.CallerNumber
	}
	for _, id := range ids {
		b, err := getCase(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := c.CanLinkHistory(&b); err != nil && byCall.CanLinkHistory(&b) != nil {
			return err
		}
		if err := s.link(ctx, tx, by, c, id); err != nil {
			return err
		}
	}
	return nil
}
