package switchboard

// Why a channel entered the application: the typed side of the Asterisk contract. The dialplan
// (asterisk-conf/extensions.conf) and hotline's own Originate requests pass Stasis arguments as
// strings; the adapter (ariadapter/stasisargs.go) decodes them into one of these on StasisStart
// and encodes them for Originate, so the switchboard never reads a raw argument list.

// Entry is why a channel entered the application: one of Inbound, Offer, TransferTarget, Consult,
// Consulted, Callback, SupervisorDevice, SnoopChannel, Feature, or Malformed when its arguments said nothing the contract knows.
type Entry interface{ entry() }

// Inbound: a caller dialled a hotline number (dialplan: inbound[,language=LANG][,topic=CODE]).
type Inbound struct {
	Language string // the line's language, lower case; "" the hotline's own
	Topic    string // the line's topic code; "" any
	// Ignored are the options the contract does not know (a typo such as "langauge=en"): logged,
	// and the call is taken all the same, never dropped over a dialplan mistake.
	Ignored []string
}

// Offer: an operator's handset, rung by hotline for caller Call, answered.
type Offer struct{ Call string }

// TransferTarget: a transfer target's handset, rung by hotline for caller Call, answered.
type TransferTarget struct{ Call string }

// Consult: an operator's handset dialled another extension (dialplan: consult,${EXTEN}); the
// channel is the operator's second call, A2.
type Consult struct{ Extension string }

// Consulted: the colleague's handset, rung by hotline for consultation A2, answered.
type Consulted struct{ A2 string }

// Callback: a caller hotline dialled back, for call Call, answered. The number travels with the
// call, so a run that did not dial it (after a restart) can still take the caller in.
type Callback struct{ Call, Number string }

// SupervisorDevice: an administrator's device (handset or softphone), rung by hotline to listen to
// caller Call's conversation (supervise.go), answered.
type SupervisorDevice struct{ Call string }

// SnoopChannel: the snoop channel hotline put on the operator's channel of caller Call, for the
// administrator listening to it (supervise.go).
type SnoopChannel struct{ Call string }

// Feature: a handset keyed a feature code (dialplan: feature,ACTION[,ARG]). Action is as keyed:
// the switchboard refuses an action it does not know with a prompt, as for any refused code.
type Feature struct{ Action, Arg string }

// Known says whether the action is one the switchboard applies (operator.go's onFeature); the
// dialplan's feature codes are checked against it (ariadapter's TestDialplanEntries).
func (f Feature) Known() bool {
	switch f.Action {
	case "login", "logout", "pause", "resume", "topic", "forwarded":
		return true
	}
	return false
}

// Malformed: the arguments fit no entry (a misconfigured dialplan, a foreign Originate). The
// switchboard logs them and hangs the channel up.
type Malformed struct {
	Args []string
	Err  error
}

func (Inbound) entry()        {}
func (Offer) entry()          {}
func (TransferTarget) entry() {}
func (Consult) entry()        {}
func (Consulted) entry()      {}
func (Callback) entry()       {}
func (Feature) entry()        {}
func (Malformed) entry()      {}

func (SupervisorDevice) entry() {}
func (SnoopChannel) entry()     {}
