package switchboard

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
)

// Overflow actions: what a caller who waited too long, or found the queue full, is offered.
const (
	OverflowMessage  = "message"  // leave a recorded message; it becomes a case with the recording
	OverflowCallback = "callback" // press 1 to keep one's place and be called back, else leave a message
)

// Config is the administrator's rules for calls: the one copy the core uses. The daemon maps the
// configuration file's calls section onto it (daemon.callRules), and New derives the queue's
// routing.Rules from it; each bound is checked here (Validate), config reports it under its key.
// The prompts have defaults from Asterisk's core sounds so a stock Asterisk works.
type Config struct {
	Language         string        // prompts' language: "ru" or "en"
	Greeting         string        // media URI played on answer, e.g. "sound:hotline/greeting"
	MusicClass       string        // musiconhold.conf class while waiting
	AnnounceInterval time.Duration // position and estimated wait; 0: never
	Strategy         string        // routing strategy name: longest-idle, fewest-calls, round-robin
	RingTimeout      time.Duration // how long a handset rings before the next operator
	WrapUp           time.Duration // after each call, before the next offer
	MaxWait          time.Duration // then overflow; 0: never
	MaxQueue         int           // callers waiting at most; beyond that, overflow at once; 0: no limit
	Overflow         string        // OverflowMessage or OverflowCallback
	CallbackDial     string        // endpoint dialled to call a caller back, {number} replaced; "": the operator does
	CallbackAttempts int           // dialling attempts per callback
	CallbackRetry    time.Duration // between attempts
	MissedOffers     int           // unanswered offers in a row that pause an operator; 0: never
	ReturningToOwner bool          // a caller with an open case is offered to its owner first
	OwnerWait        time.Duration // how long the owner is waited for before anyone may answer
	SkillFallback    time.Duration // a line's topic or language need is dropped after this wait; 0: never
	PriorityNumbers  []string      // callers who join the queue ahead of everyone else
	// PhoneRegion reads callers' and priority numbers as the journal does (journal.Store.PhoneRegion),
	// so "8 912 …" in the configuration is the caller +7912….
	PhoneRegion     hotline.PhoneRegion
	RecordCalls     bool          // record every bridged conversation (both sides)
	RecordingFormat string        // Asterisk's recording format, e.g. "wav"
	MaxMessage      time.Duration // longest overflow message

	// DefaultHandleTime seeds the estimated wait until calls have been answered today.
	DefaultHandleTime time.Duration

	Prompts Prompts
}

// Prompts are the media URIs hotline plays besides the greeting. Each is a list played in order.
type Prompts struct {
	LoginOK        []string // feature code: logged in
	AlreadyOn      []string // feature code: logged in already
	LoggedOff      []string // feature code: logged out
	Paused         []string // feature code: paused
	Resumed        []string // feature code: resumed
	UnknownHandset []string // feature code from a handset no operator owns
	TopicSaved     []string // an operator keyed a topic code
	WrapUp         []string // the caller hung up: the operator may key a topic now
	Invalid        []string // a code that cannot be applied
	LeaveMessage   []string // overflow: before recording the caller's message
	MessageSaved   []string // overflow: after the message
	CallbackOffer  []string // overflow: press 1 to be called back
	CallbackTaken  []string // overflow: the callback is registered
	CallingBack    []string // to a caller called back, before the operator comes on
}

// DefaultConfig returns the rules used where the administrator says nothing. The configuration
// file's defaults (config.Default) are the same values: a daemon test holds them together.
func DefaultConfig() Config {
	return Config{
		Language:         "ru",
		Greeting:         "sound:hello-world",
		MusicClass:       "default",
		AnnounceInterval: 30 * time.Second,
		Strategy:         "longest-idle",
		RingTimeout:      15 * time.Second,
		WrapUp:           10 * time.Second,
		MaxWait:          2 * time.Minute,
		MaxQueue:         50,
		Overflow:         OverflowCallback,
		CallbackAttempts: 3,
		CallbackRetry:    10 * time.Minute,
		MissedOffers:     3,
		ReturningToOwner: true,
		OwnerWait:        30 * time.Second,
		SkillFallback:    time.Minute,
		RecordCalls:      true,
		// What the configuration file does not name.
		RecordingFormat:   "wav",
		MaxMessage:        2 * time.Minute,
		DefaultHandleTime: 3 * time.Minute,
		Prompts:           DefaultPrompts(),
	}
}

// DefaultPrompts are Asterisk core sounds that exist in both the English and the Russian packs.
func DefaultPrompts() Prompts {
	return Prompts{
		LoginOK:        []string{"sound:agent-loginok"},
		AlreadyOn:      []string{"sound:agent-alreadyon"},
		LoggedOff:      []string{"sound:agent-loggedoff"},
		Paused:         []string{"sound:beep", "sound:beep"},
		Resumed:        []string{"sound:beep"},
		UnknownHandset: []string{"sound:agent-incorrect"},
		TopicSaved:     []string{"sound:beep"},
		WrapUp:         []string{"sound:beep"},
		Invalid:        []string{"sound:beeperr"},
		LeaveMessage:   []string{"sound:vm-leavemsg", "sound:beep"},
		MessageSaved:   []string{"sound:vm-msgsaved", "sound:vm-goodbye"},
		CallbackOffer:  []string{"sound:queue-periodic-announce", "sound:vm-press", "digits:1"},
		CallbackTaken:  []string{"sound:auth-thankyou", "sound:vm-goodbye"},
		CallingBack:    []string{"sound:pls-hold-while-try"},
	}
}

// Ring-timeout bounds: shorter and an operator cannot reach the handset; longer and a caller waits
// on one absent operator while others are free.
const (
	MinRingTimeout = 5 * time.Second
	MaxRingTimeout = 2 * time.Minute
)

// MinAnnounceInterval keeps music between a waiting caller's announcements.
const MinAnnounceInterval = 5 * time.Second

// CheckRingTimeout reports a ring timeout out of bounds. It is the one check of the bound:
// Validate uses it, and config reports it under calls.ring_timeout.
func CheckRingTimeout(d time.Duration) error {
	if d < MinRingTimeout || d > MaxRingTimeout {
		return fmt.Errorf("between %s and %s: %s", fmtDur(MinRingTimeout), fmtDur(MaxRingTimeout), d)
	}
	return nil
}

// CheckAnnounceInterval reports an announcement interval that is neither 0 (off) nor at least
// MinAnnounceInterval. Validate uses it, and config reports it under calls.announce_interval.
func CheckAnnounceInterval(d time.Duration) error {
	if d != 0 && d < MinAnnounceInterval {
		return fmt.Errorf("at least %s (or 0 for none), so callers hear music between announcements: %s", fmtDur(MinAnnounceInterval), d)
	}
	return nil
}

// fmtDur writes a bound as people write it: 5s, 2m, 1h (not 2m0s).
func fmtDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Validate reports every rule that cannot work, naming the field.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch c.Language {
	case "ru", "en":
	default:
		bad("language: %q: want ru or en", c.Language)
	}
	if !isMedia(c.Greeting) {
		bad("greeting: %q: want a media URI such as sound:hello-world or recording:name", c.Greeting)
	}
	if c.MusicClass == "" {
		bad("music class: empty: name a class from musiconhold.conf, e.g. default")
	}
	if err := CheckAnnounceInterval(c.AnnounceInterval); err != nil {
		bad("announce interval: %w", err)
	}
	if err := CheckRingTimeout(c.RingTimeout); err != nil {
		bad("ring timeout: %w", err)
	}
	if c.WrapUp < 0 {
		bad("wrap-up: %s: must not be negative", c.WrapUp)
	}
	if c.MaxWait < 0 {
		bad("max wait: %s: must not be negative", c.MaxWait)
	}
	if c.MaxQueue < 0 {
		bad("max queue: %d: must not be negative", c.MaxQueue)
	}
	switch c.Overflow {
	case OverflowMessage, OverflowCallback:
	default:
		bad("overflow: %q: want message or callback", c.Overflow)
	}
	if c.CallbackDial != "" && !strings.Contains(c.CallbackDial, "{number}") {
		bad("callback dial: %q: want an endpoint with {number}, e.g. PJSIP/{number}@trunk", c.CallbackDial)
	}
	if c.CallbackDial != "" && (c.CallbackAttempts < 1 || c.CallbackRetry <= 0) {
		bad("callback attempts %d, retry %s: want at least one attempt and a positive retry", c.CallbackAttempts, c.CallbackRetry)
	}
	if c.MissedOffers < 0 {
		bad("missed offers: %d: must not be negative", c.MissedOffers)
	}
	if c.SkillFallback < 0 {
		bad("skill fallback: %s: must not be negative", c.SkillFallback)
	}
	if c.OwnerWait < 0 {
		bad("owner wait: %s: must not be negative", c.OwnerWait)
	}
	if c.RecordCalls && c.RecordingFormat == "" {
		bad("recording format: empty: want e.g. wav")
	}
	if c.MaxMessage <= 0 {
		bad("max message: %s: must be positive", c.MaxMessage)
	}
	if c.DefaultHandleTime <= 0 {
		bad("default handle time: %s: must be positive", c.DefaultHandleTime)
	}
	for _, n := range c.PriorityNumbers {
		if strings.TrimSpace(n) == "" {
			bad("priority numbers: an empty number")
		}
	}
	p := c.Prompts
	for name, list := range map[string][]string{
		"login ok": p.LoginOK, "already on": p.AlreadyOn, "logged off": p.LoggedOff, "paused": p.Paused,
		"resumed": p.Resumed, "unknown handset": p.UnknownHandset, "topic saved": p.TopicSaved, "wrap-up": p.WrapUp, "invalid": p.Invalid,
		"leave message": p.LeaveMessage, "message saved": p.MessageSaved,
		"callback offer": p.CallbackOffer, "callback taken": p.CallbackTaken, "calling back": p.CallingBack,
	} {
		if len(list) == 0 {
			bad("prompt %s: empty", name)
		}
		for _, m := range list {
			if !isMedia(m) {
				bad("prompt %s: %q: not a media URI", name, m)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("switchboard config: %w", err)
	}
	return nil
}

// isMedia accepts the URI schemes ARI's play understands.
func isMedia(s string) bool {
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || rest == "" {
		return false
	}
	switch scheme {
	case "sound", "recording", "number", "digits", "characters", "tone":
		return true
	}
	return false
}
