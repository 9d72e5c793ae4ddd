package hotline

import (
	"fmt"
	"time"
)

// Level is an operator's tier: level 1 answers the hotline, level 2 specialists take what level 1
// forwards by topic (and register written, e-mail and in-person cases themselves).
type Level int

const (
	Level1 Level = 1
	Level2 Level = 2
)

// Role is what an actor may do in the journal.
type Role string

const (
	RoleOperator      Role = "operator"      // registers and works cases
	RoleAdministrator Role = "administrator" // also approves or returns closed cases, manages operators and rules
)

// Presence is an operator's live state as the hotline sees it. The manual's three states are
// free (Available), talking (Talking) and inactive (LoggedOut); the rest are what a contact
// centre needs between them.
type Presence string

const (
	PresenceLoggedOut   Presence = "logged_out"  // «Не активен»: not working; offered no calls
	PresenceAvailable   Presence = "available"   // «Свободен»: logged in, idle, may be offered a call
	PresenceRinging     Presence = "ringing"     // a call is being offered to the handset
	PresenceTalking     Presence = "talking"     // «Разговаривает»: on a call
	PresenceWrapUp      Presence = "wrap_up"     // after a call, finishing the case; offered no calls
	PresencePaused      Presence = "paused"      // logged in but away (with a reason code)
	PresenceUnreachable Presence = "unreachable" // logged in but the handset is unregistered or does not answer OPTIONS
)

// Operator is a person who answers calls or works cases: a level-1 operator or a level-2 specialist.
type Operator struct {
	ID            int64     `json:"id"`
	Name          string    `json:"name"`
	Login         string    `json:"login,omitempty"` // the operating-system user or --as name mapped to this operator
	Role          Role      `json:"role"`
	Level         Level     `json:"level"`
	Organisation  string    `json:"organisation,omitempty"`   // level 2 may belong to an organisation, e.g. an insurer
	Extension     string    `json:"extension,omitempty"`      // the handset's SIP endpoint (pjsip.conf section name), e.g. "1001"
	Topics        []string  `json:"topics,omitempty"`         // topic codes handled (skills); empty: any
	Languages     []string  `json:"languages,omitempty"`      // e.g. "ru", "en"; empty: the hotline's default language
	MaxConcurrent int       `json:"max_concurrent,omitempty"` // cases in work at once (by training level); 0: no limit
	Priority      int       `json:"priority"`                 // routing tier: lower is offered calls first
	Active        bool      `json:"active"`                   // false: removed from service (kept for history)
	CreatedAt     time.Time `json:"created_at"`
}

// ActorName is how histories name the operator acting themself (a feature code on their
// handset): their login, or "operator:ID" for an operator who has none (handset only).
func (o Operator) ActorName() string {
	if o.Login != "" {
		return o.Login
	}
	return fmt.Sprintf("operator:%d", o.ID)
}
