package daemon

import (
	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/switchboard"
)

// callRules is the one place the configuration file's calls section becomes the rules the core
// uses: switchboard.Config, from which the switchboard derives its routing.Rules. What the file
// does not name (the prompts, the recording format, the longest message) keeps the core's
// defaults. region reads the priority numbers as the journal stores callers' numbers.
func callRules(c config.Calls, region hotline.PhoneRegion) switchboard.Config {
	cfg := switchboard.DefaultConfig()
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
	cfg.PhoneRegion = region
	return cfg
}
