package daemon

import (
	"fmt"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/routing"
	"github.com/hotline-dev/hotline/switchboard"
)

// callRules is the one place the configuration file's calls section becomes the rules the core
// uses: switchboard.Config, whose Routing is the queue's routing.Rules as they are. What the file
// does not name (the prompts, the recording format, the longest message) keeps the core's
// defaults. region reads the priority numbers as the journal stores callers' numbers. c has
// passed config's Validate, which reports the core's checks under the file's keys; the error is
// for a Calls that has not.
func callRules(c config.Calls, region hotline.PhoneRegion) (switchboard.Config, error) {
	strategy, err := routing.ParseStrategy(c.Strategy)
	if err != nil {
		return switchboard.Config{}, fmt.Errorf("calls.strategy: %w", err)
	}
	cfg := switchboard.DefaultConfig()
	cfg.Routing = routing.Rules{
		DefaultLanguage: c.Language,
		Strategy:        strategy,
		WrapUp:          c.WrapUp,
		MaxWait:         c.MaxWait,
		MaxQueueLen:     c.MaxQueue,
		MaxMissed:       c.MissedOffersPause,
		PreferOwner:     c.ReturningToOwner,
		OwnerWait:       c.OwnerWait,
		SkillFallback:   c.SkillFallback,
	}
	cfg.Greeting = c.Greeting
	cfg.MusicClass = c.MusicClass
	cfg.AnnounceInterval = c.AnnounceInterval
	cfg.RingTimeout = c.RingTimeout
	cfg.Overflow = c.Overflow
	cfg.CallbackDial = c.CallbackDial
	cfg.CallbackAttempts = c.CallbackAttempts
	cfg.CallbackRetry = c.CallbackRetry
	cfg.PriorityNumbers = c.PriorityNumbers
	cfg.RecordCalls = c.RecordCalls
	cfg.PhoneRegion = region
	return cfg, nil
}
