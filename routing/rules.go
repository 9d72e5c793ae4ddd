package routing

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Strategy is how an operator is chosen among the free operators of one priority tier.
// The zero value is LongestIdle.
type Strategy int

const (
	// LongestIdle offers the call to the operator who has been free the longest.
	LongestIdle Strategy = iota
	// FewestCalls offers the call to the operator who has taken the fewest calls today;
	// ties go to the longest idle.
	FewestCalls
	// RoundRobin offers the call to the next operator by id after the one last offered a call
	// (Router.Cursor), wrapping around, like app_queue's rrmemory.
	RoundRobin
)

var strategyNames = [...]string{
	LongestIdle: "longest-idle",
	FewestCalls: "fewest-calls",
	RoundRobin:  "round-robin",
}

// String returns the strategy's configuration name, e.g. "longest-idle".
func (s Strategy) String() string {
	if s < 0 || int(s) >= len(strategyNames) {
		return fmt.Sprintf("Strategy(%d)", int(s))
	}
	return strategyNames[s]
}

// ErrUnknownStrategy is returned (wrapped) by ParseStrategy for a name it does not know.
var ErrUnknownStrategy = errors.New("unknown routing strategy")

// ParseStrategy returns the strategy named s: exactly "longest-idle", "fewest-calls" or
// "round-robin", as the configuration file writes them (calls.strategy). It is the one check of a
// strategy's name: config reports its error under calls.strategy.
func ParseStrategy(s string) (Strategy, error) {
	for i, n := range strategyNames {
		if n == s {
			return Strategy(i), nil
		}
	}
	return 0, fmt.Errorf("%w %q: want one of %s", ErrUnknownStrategy, s, strings.Join(strategyNames[:], ", "))
}

// MarshalText implements encoding.TextMarshaler so config files hold the name.
func (s Strategy) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(strategyNames) {
		return nil, fmt.Errorf("%w: %d", ErrUnknownStrategy, int(s))
	}
	return []byte(strategyNames[s]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler (YAML, JSON, TOML and flag decoders use it).
func (s *Strategy) UnmarshalText(b []byte) error {
	v, err := ParseStrategy(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// CheckNotNegative reports a negative duration or count. It is the one check of the bound for
// every rule where 0 means "none" or "never" (WrapUp, MaxWait, MaxQueueLen...): Validate uses it,
// and config reports it under the rule's key.
func CheckNotNegative[T time.Duration | int](v T) error {
	if v < 0 {
		return fmt.Errorf("must not be negative: %v", v)
	}
	return nil
}

// Rules are the administrator's routing rules. The zero value is valid: longest idle, no wrap-up,
// no auto-pause, no queue limits, skills never relaxed, case owners not preferred.
type Rules struct {
	// Strategy chooses among free operators of the same tier.
	Strategy Strategy
	// WrapUp is how long after a call ends (Candidate.LastCallEnd) an operator is not offered
	// calls, whatever their presence says.
	WrapUp time.Duration
	// MaxMissed is how many offers in a row an operator may leave unanswered before OfferMissed
	// says to pause them; an operator at or above it is never offered a call. 0: never.
	MaxMissed int
	// SkillFallback is how long a caller waits for an operator with their topic and language
	// before any level-1 operator may take the call. 0: never relax.
	SkillFallback time.Duration
	// PreferOwner routes a returning caller (Caller.Owner) to the operator who owns their open
	// case when that operator is free.
	PreferOwner bool
	// OwnerWait is how long a returning caller is held for their case's owner only; after it any
	// operator may take the call (the owner still first when free). 0: only if free right now.
	OwnerWait time.Duration
	// MaxWait is the longest a caller waits before Queue.Overdue reports them for overflow. 0: no limit.
	MaxWait time.Duration
	// MaxQueueLen is the most callers waiting; Admit refuses the next one. 0: no limit.
	MaxQueueLen int
	// DefaultLanguage is the hotline's language (calls.language), e.g. "ru": the language of
	// operators who list none (hotline.Operator.Languages is empty), and the call flow's prompts'.
	DefaultLanguage string
}

// Validate reports every invalid value, joined, each naming its field.
func (r Rules) Validate() error {
	var errs []error
	if r.Strategy < 0 || int(r.Strategy) >= len(strategyNames) {
		errs = append(errs, fmt.Errorf("strategy: %w: %d", ErrUnknownStrategy, int(r.Strategy)))
	}
	check := func(name string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	check("wrap_up", CheckNotNegative(r.WrapUp))
	check("skill_fallback", CheckNotNegative(r.SkillFallback))
	check("owner_wait", CheckNotNegative(r.OwnerWait))
	check("max_wait", CheckNotNegative(r.MaxWait))
	check("max_missed", CheckNotNegative(r.MaxMissed))
	check("max_queue_len", CheckNotNegative(r.MaxQueueLen))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("routing rules: %w", err)
	}
	return nil
}

// OfferMissed is what the call flow applies when an offer to an operator rang out unanswered:
// missed is the operator's count of consecutive missed offers before this one. It returns the new
// count to store and whether to pause the operator now (the call flow does it, and resets the count
// to 0 on the next answered call or resume).
func (r Rules) OfferMissed(missed int) (n int, pause bool) {
	n = missed + 1
	return n, r.MaxMissed > 0 && n >= r.MaxMissed
}

// Overflow says why the call flow should move a caller out of the queue (message or callback).
type Overflow int

const (
	NoOverflow  Overflow = iota // the caller may wait
	QueueFull                   // MaxQueueLen callers already wait
	WaitTooLong                 // the caller has waited MaxWait
)

func (o Overflow) String() string {
	switch o {
	case NoOverflow:
		return "none"
	case QueueFull:
		return "queue_full"
	case WaitTooLong:
		return "wait_too_long"
	}
	return fmt.Sprintf("Overflow(%d)", int(o))
}

// Admit says whether a new caller may join a queue of queueLen waiting callers.
func (r Rules) Admit(queueLen int) Overflow {
	if r.MaxQueueLen > 0 && queueLen >= r.MaxQueueLen {
		return QueueFull
	}
	return NoOverflow
}

// CheckWait says whether a caller who joined at joined has waited too long at now.
func (r Rules) CheckWait(joined, now time.Time) Overflow {
	if r.MaxWait > 0 && now.Sub(joined) >= r.MaxWait {
		return WaitTooLong
	}
	return NoOverflow
}
