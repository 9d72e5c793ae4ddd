package switchboard

import "time"

// Event is something Asterisk (through ARI or AMI) tells the switchboard. The adapters translate
// their library's events into these; tests and replays build them directly. Only what the call
// flow decides on is carried: ids, not whole channel snapshots.
type Event interface{ event() }

// StasisStart: a channel entered the application. Entry says why, decoded by the adapter from the
// Stasis() arguments of the dialplan (Inbound, Feature...) or of our Originate (Offer...): entry.go.
type StasisStart struct {
	Channel      string // Asterisk's channel id (our own id for channels we originated)
	Name         string // e.g. PJSIP/1001-00000012: the endpoint of an operator's handset
	CallerNumber string // caller ID number
	CallerName   string // caller ID name
	Exten        string // the dialplan extension the channel was at: the number the caller dialled
	Entry        Entry  // why it entered; Malformed when its arguments fit no entry
	Up           bool   // answered already (the dialplan's Answer() before Stasis)
}

// StasisEnd: a channel left the application (hung up, or continued in the dialplan).
type StasisEnd struct {
	Channel string
	At      time.Time // Asterisk's timestamp of the event, if known: for dispatch tracing only
}

// ChannelDestroyed: a channel is gone. For a channel we originated that never answered it is the
// only end we hear of; Cause is the Q.850 cause (17 busy, 19 no answer, 20 absent, 21 rejected).
type ChannelDestroyed struct {
	Channel string
	Cause   int
	At      time.Time // Asterisk's timestamp of the event, if known: for dispatch tracing only
}

// ChannelHangupRequest: someone asked to hang the channel up; the end follows as StasisEnd and
// ChannelDestroyed, which is what the switchboard acts on, except for a talking operator's handset
// hanging up (cut.go): that frees the operator at once.
type ChannelHangupRequest struct {
	Channel string
	Cause   int
	Soft    bool      // asked by Asterisk or an application (ARI hangup, shutdown), not by the SIP peer
	At      time.Time // Asterisk's timestamp of the event, if known: for dispatch tracing only
}

// PlaybackFinished: a playback we started (by our id) ended, done or failed.
type PlaybackFinished struct {
	Playback string
	Failed   bool
}

// DTMF: a digit was keyed on a channel in the application.
type DTMF struct {
	Channel string
	Digit   string // "0"-"9", "*", "#", "A"-"D"
}

// RecordingFinished: a recording (by its name) is stored.
type RecordingFinished struct{ Name string }

// RecordingFailed: a recording could not be made or stored.
type RecordingFailed struct{ Name, Cause string }

// Connected: the ARI connection is up (first time or again). After a Disconnected, the adapter
// must follow it with an Inventory: offers resume only then, so no operator is rung for a caller
// who is already gone.
type Connected struct{}

// Disconnected: the ARI connection is down: no request can be made until Connected.
type Disconnected struct{ Err error }

// Replaced: another client (a second hotline serve with the same ari.app) took the application
// over. Asterisk sends it new calls; this switchboard stops acting on Asterisk.
type Replaced struct{}

// Inventory is the channels Asterisk has now, listed after a (re)connection: the switchboard ends
// the calls that were live when the connection dropped and whose channels are gone, with LegFailed,
// instead of waiting for events that will never come; then offers resume. Adopting channels the
// switchboard does not know (left by a daemon restart) is not done: they are counted in the log
// and left alone.
type Inventory struct {
	Channels []string // channel ids
	// What the first inventory after start needs to adopt the calls of a previous run
	// (reconcile.go); an adapter that cannot list them leaves them empty.
	Details []ChannelInfo
	Bridges []BridgeInfo
}

// DeviceState: an operator's handset became reachable (registered, answering OPTIONS) or not,
// from AMI (ContactStatus, DeviceStateChange) or ARI's device state.
type DeviceState struct {
	Extension string // the endpoint, e.g. "1001"
	Reachable bool
	// Contact is the contact (its URI) a contact status is about; "" for a device state, which is
	// Asterisk's verdict on all of the extension's contacts. Gone: the contact was removed (a
	// handset re-registering from a new address removes its old contact).
	Contact string
	Gone    bool
}

func (StasisStart) event()          {}
func (StasisEnd) event()            {}
func (ChannelDestroyed) event()     {}
func (ChannelHangupRequest) event() {}
func (PlaybackFinished) event()     {}
func (DTMF) event()                 {}
func (RecordingFinished) event()    {}
func (RecordingFailed) event()      {}
func (Connected) event()            {}
func (Disconnected) event()         {}
func (Replaced) event()             {}
func (Inventory) event()            {}
func (DeviceState) event()          {}
