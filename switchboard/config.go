package switchboard

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/routing"
)

// Overflow actions: what a caller who waited too long, or found the queue full, is offered.
const (
	OverflowMessage  = "message"  // leave a recorded message; it becomes a case with the recording
	OverflowCallback = "callback" // press 1 to keep one's place and be called back, else leave a message
)

// Config is the administrator's rules for calls: the one copy the core uses. The daemon maps the
// configuration file's calls section onto it (daemon.callRules); the queue's rules are its
// Routing, used as they are. Each bound is checked once, by a Check function here or in routing
// that Validate uses and config reports under its key. The prompts have defaults from Asterisk's
// core sounds so a stock Asterisk works.
type Config struct {
	// Routing is who is offered which caller, and when a caller overflows: strategy, wrap-up,
	// missed offers, case owners, skills, the longest wait and queue. Its DefaultLanguage is the
	// hotline's language, the prompts' too: "ru" or "en".
	Routing          routing.Rules
	Greeting         string        // media URI played on answer, e.g. "sound:hotline/greeting"
	MusicClass       string        // musiconhold.conf class while waiting
	AnnounceInterval time.Duration // position and estimated wait; 0: never
	RingTimeout      time.Duration // how long a handset rings before the next operator
	Overflow         string        // OverflowMessage or OverflowCallback
	CallbackDial     string        // endpoint dialled to call a caller back, {number} replaced; "": the operator does
	CallbackAttempts int           // dialling attempts per callback
	CallbackRetry    time.Duration // between attempts
	// InformDial is the endpoint the informing campaigns' persons are dialled through, {number}
	// replaced (informing.go); "": hotline does not dial campaigns. InformRing is how long their
	// phone rings (0: DefaultInformRing).
	InformDial      string
	InformRing      time.Duration
	PriorityNumbers []string // callers who join the queue ahead of everyone else
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
		Routing: routing.Rules{
			DefaultLanguage: "ru",
			Strategy:        routing.LongestIdle,
			WrapUp:          10 * time.Second,
			MaxWait:         2 * time.Minute,
			MaxQueueLen:     50,
			MaxMissed:       3,
			PreferOwner:     true,
			OwnerWait:       30 * time.Second,
			SkillFallback:   time.Minute,
		},
		Greeting:         "sound:hello-world",
		MusicClass:       "default",
		AnnounceInterval: 30 * time.Second,
		RingTimeout:      15 * time.Second,
		Overflow:         OverflowCallback,
		CallbackAttempts: 3,
		CallbackRetry:    10 * time.Minute,
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

// CheckLanguage reports a language the prompts are not in (calls.language).
func CheckLanguage(lang string) error {
	if lang != "ru" && lang != "en" {
		return fmt.Errorf("ru or en: %q", lang)
	}
	return nil
}

// CheckMedia reports a string that is not a media URI ARI plays (calls.greeting).
func CheckMedia(uri string) error {
	if !isMedia(uri) {
		return fmt.Errorf("a media URI such as sound:hotline/greeting or recording:name: %q", uri)
	}
	return nil
}

// CheckMusicClass reports an empty music-on-hold class (calls.music_class).
func CheckMusicClass(class string) error {
	if class == "" {
		return errors.New("empty: name a class from musiconhold.conf, e.g. default")
	}
	return nil
}

// CheckOverflow reports an overflow action other than OverflowMessage and OverflowCallback
// (calls.overflow).
func CheckOverflow(action string) error {
	if action != OverflowMessage && action != OverflowCallback {
		return fmt.Errorf("message or callback: %q", action)
	}
	return nil
}

// CheckCallbackDial reports a callback endpoint that is neither "" (the operator calls back) nor
// an Asterisk endpoint with {number} (calls.callback_dial).
func CheckCallbackDial(dial string) error {
	if dial != "" && (!strings.Contains(dial, "{number}") || !strings.Contains(dial, "/")) {
		return fmt.Errorf("an Asterisk endpoint with {number} for the caller's number, e.g. PJSIP/{number}@trunk: %q", dial)
	}
	return nil
}

// Callback bounds: at least one attempt and no more than a caller would bear, and time between
// them for the caller to be free again.
const (
	MinCallbackAttempts = 1
	MaxCallbackAttempts = 10
	MinCallbackRetry    = 30 * time.Second
)

// CheckCallbackAttempts reports a number of dialling attempts out of bounds
// (calls.callback_attempts).
func CheckCallbackAttempts(n int) error {
	if n < MinCallbackAttempts || n > MaxCallbackAttempts {
		return fmt.Errorf("between %d and %d: %d", MinCallbackAttempts, MaxCallbackAttempts, n)
	}
	return nil
}

// CheckCallbackRetry reports a time between callback attempts below MinCallbackRetry
// (calls.callback_retry).
func CheckCallbackRetry(d time.Duration) error {
	if d < MinCallbackRetry {
		return fmt.Errorf("at least %s: %s", fmtDur(MinCallbackRetry), d)
	}
	return nil
}

// CheckPriorityNumber reports a priority number that is not a phone number as people write them
// ("8 912 123-45-67", "+7 (912) ..."): the switchboard reads it in the journal's region
// (hotline.PhoneRegion.Same). config reports it under calls.priority_numbers[i].
func CheckPriorityNumber(n string) error {
	s := strings.TrimPrefix(strings.NewReplacer(" ", "", "-", "", "(", "", ")", "", ".", "").Replace(strings.TrimSpace(n)), "+")
	ok := len(s) > 0 && len(s) <= 20
	for _, r := range s {
		ok = ok && r >= '0' && r <= '9'
	}
	if !ok {
		return fmt.Errorf("not a phone number (digits, optional leading +): %q", n)
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
	check := func(name string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	check("language", CheckLanguage(c.Routing.DefaultLanguage))
	check("greeting", CheckMedia(c.Greeting))
	check("music class", CheckMusicClass(c.MusicClass))
	check("announce interval", CheckAnnounceInterval(c.AnnounceInterval))
	check("ring timeout", CheckRingTimeout(c.RingTimeout))
	check("overflow", CheckOverflow(c.Overflow))
	check("callback dial", CheckCallbackDial(c.CallbackDial))
	check("callback attempts", CheckCallbackAttempts(c.CallbackAttempts))
	check("inform dial", CheckCallbackDial(c.InformDial))
	if c.InformRing < 0 || c.InformRing > 5*time.Minute {
		bad("inform ring %v: want up to 5m (0: %v)", c.InformRing, DefaultInformRing)
	}
	check("callback retry", CheckCallbackRetry(c.CallbackRetry))
	for _, n := range c.PriorityNumbers {
		check("priority numbers", CheckPriorityNumber(n))
	}
	if err := c.Routing.Validate(); err != nil {
		errs = append(errs, err) // "routing rules: wrap_up: ..."
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
