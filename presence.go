package hotline

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

// PresenceHow says what caused an operator's presence to change.
type PresenceHow string

const (
	PresenceByFeatureCode PresenceHow = "feature_code" // keyed on the handset (*21, *22, *23x, *24)
	PresenceByAdmin       PresenceHow = "admin"        // an administrator's command (hotline operator pause...)
	PresenceByHandset     PresenceHow = "handset"      // the handset became unreachable or reachable again
	PresenceByDaemonStart PresenceHow = "daemon_start" // restored from the journal when the daemon started
	PresenceBySwitchboard PresenceHow = "switchboard"  // the switchboard itself: paused after missed offers
)

// Valid reports whether h is one of the known causes.
func (h PresenceHow) Valid() bool {
	switch h {
	case PresenceByFeatureCode, PresenceByAdmin, PresenceByHandset, PresenceByDaemonStart, PresenceBySwitchboard:
		return true
	}
	return false
}

// PresenceEvent is one change of an operator's standing presence, as the journal keeps it. Only
// the standing states are recorded (logged out, available, paused, unreachable): ringing, talking
// and wrap-up are transient and already in the call legs. Available means logged in and not
// paused, whether or not a call is under way.
type PresenceEvent struct {
	OperatorID int64     `json:"operator_id"`
	At         time.Time `json:"at"`
	Presence   Presence  `json:"presence"` // PresenceLoggedOut, PresenceAvailable, PresencePaused or PresenceUnreachable
	// Reason is the pause reason code. An unreachable operator who was paused keeps it here, so
	// that a restart restores the pause beneath.
	Reason string      `json:"reason,omitempty"`
	How    PresenceHow `json:"how"`
	// Actor is who made the change: the login of the administrator or operator who asked
	// (through the daemon's socket, where the kernel says who they are, or their own handset:
	// Operator.ActorName), or "system" for the daemon itself (restored at start, the handset lost,
	// paused after missed offers). Empty in events recorded before the journal kept it: unknown.
	Actor string `json:"actor,omitempty"`
}

// ValidPauseReason refuses a pause reason a person gives (the CLI, the control API) unless it is
// one a handset can key: a digit 0-9 (*23N), or none. A reason is kept for good in the operator's
// presence history, so nothing else is let in. (The switchboard's own pause after missed offers
// says "missed".)
func ValidPauseReason(reason string) error {
	if reason == "" || (len(reason) == 1 && reason[0] >= '0' && reason[0] <= '9') {
		return nil
	}
	return Errorf(EINVALID, "pause reason %.80q is not a reason code: a digit 0-9, as keyed with *23N on a handset, or none", reason)
}

// Standing reports whether p is a presence the journal records (PresenceEvent.Presence).
func (p Presence) Standing() bool {
	switch p {
	case PresenceLoggedOut, PresenceAvailable, PresencePaused, PresenceUnreachable:
		return true
	}
	return false
}

// LoggedIn reports whether an operator in standing presence p is logged in.
func (p Presence) LoggedIn() bool { return p != PresenceLoggedOut && p != "" }

// Validate checks an event before it is stored.
func (e PresenceEvent) Validate() error {
	switch {
	case e.OperatorID <= 0:
		return Errorf(EINVALID, "presence event: no operator")
	case e.At.IsZero():
		return Errorf(EINVALID, "presence event: no time")
	case !e.Presence.Standing():
		return Errorf(EINVALID, "presence event: %q is not a recorded presence (logged_out, available, paused, unreachable)", e.Presence)
	case !e.How.Valid():
		return Errorf(EINVALID, "presence event: unknown cause %q", e.How)
	case e.Reason != "" && e.Presence != PresencePaused && e.Presence != PresenceUnreachable:
		return Errorf(EINVALID, "presence event: a reason code (%q) only goes with paused or unreachable", e.Reason)
	case len(e.Actor) > MaxShortLen || strings.IndexFunc(e.Actor, unicode.IsControl) >= 0:
		return Errorf(EINVALID, "presence event: the actor must be a login of at most %d characters without control characters", MaxShortLen)
	}
	return nil
}

func (e PresenceEvent) String() string {
	s := fmt.Sprintf("operator %d %s %s by %s", e.OperatorID, e.At.Format(time.RFC3339), e.Presence, e.How)
	if e.Actor != "" {
		s += " (" + e.Actor + ")"
	}
	if e.Reason != "" {
		s += " (reason " + e.Reason + ")"
	}
	return s
}
