package switchboard

import "github.com/hotline-dev/hotline/config"

// FromCalls returns the switchboard's rules for the daemon's calls section; what the file does not
// name (the prompts, the recording format, the longest message) comes from builtins.
func FromCalls(c config.Calls) Config {
	cfg := builtins()
	cfg.Language = c.Language
	cfg.Greeting = c.Greeting
	cfg.MusicClass = c.MusicClass
	cfg.AnnounceInterval = c.AnnounceInterval
	cfg.Strategy = c.Strategy
	cfg.RingTimeout = c.RingTimeout
	cfg.WrapUp = c.WrapUp
	cfg.MaxWait = c.MaxWait
	cfg.MaxQueue = c.MaxQueue
	cfg.Overflow = c.Overflow
	cfg.CallbackDial = c.CallbackDial
	cfg.CallbackAttempts = c.CallbackAttempts
	cfg.CallbackRetry = c.CallbackRetry
	cfg.MissedOffers = c.MissedOffersPause
	cfg.ReturningToOwner = c.ReturningToOwner
	cfg.OwnerWait = c.OwnerWait
	cfg.SkillFallback = c.SkillFallback
	cfg.PriorityNumbers = c.PriorityNumbers
	cfg.RecordCalls = c.RecordCalls
	return cfg
}
