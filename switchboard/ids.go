package switchboard

import (
	"slices"
	"strconv"
	"strings"
)

// The ids hotline gives Asterisk's objects, built and read here only. An id says whose it is, so a
// restarted daemon can tell its own channels and bridges from a stranger's (reconcile.go), and
// every event about a channel can be matched before the request that made it returns. n is the
// switchboard's sequence (Switchboard.id): ids are unique per leg, never reused while Asterisk may
// still hold one.
//
//	<call>-op<n>          channel   an operator's handset rung for a caller (offer.go)
//	<call>-xf<n>          channel   a transfer target's handset (transfer.go)
//	<A2>-cs<n>            channel   the colleague's handset in a consultation (consult.go)
//	<call>-cb<n>          channel   a caller dialled back (callback.go)
//	<call>-sv<n>          channel   an administrator's device listening to a call (supervise.go)
//	<call>-sn<n>          channel   the snoop channel on the operator's side of a call (supervise.go)
//	<call>-sb<n>          bridge    the administrator's device and the snoop channel (supervise.go)
//	<channel>-pb<n>       playback  a prompt or announcement on a channel
//	<call>-greeting       playback  a call's greeting
//	<call>-bridge<n>      bridge    a caller and the operator talking
//	<A2>-cs<n>-bridge     bridge    a consultation
//	call-<call>-<n>       recording a leg's conversation
//	message-<call>        recording a caller's message at overflow
//	callback:<call>       queue key a callback's place in the queue (no channel)

// idKind is what one of hotline's ids names.
type idKind int

const (
	idOffer         idKind = iota + 1 // <call>-op<n>
	idTransfer                        // <call>-xf<n>
	idConsult                         // <A2>-cs<n>
	idCallback                        // <call>-cb<n>
	idPlayback                        // <channel>-pb<n>
	idGreeting                        // <call>-greeting
	idBridge                          // <call>-bridge<n>
	idConsultBridge                   // <A2>-cs<n>-bridge
	idRecording                       // call-<call>-<n>
	idMessage                         // message-<call>
	idCallbackKey                     // callback:<call>

	// An administrator listening (supervise.go).
	idSupervisor        // <call>-sv<n>
	idSnoop             // <call>-sn<n>
	idSupervisionBridge // <call>-sb<n>
)

// numbered are the kinds written <of><tag><n>, by tag.
func numbered() [9]struct {
	kind idKind
	tag  string
} {
	return [...]struct {
		kind idKind
		tag  string
	}{{idOffer, "-op"}, {idTransfer, "-xf"}, {idConsult, "-cs"}, {idCallback, "-cb"}, {idPlayback, "-pb"}, {idBridge, "-bridge"},
		{idSupervisor, "-sv"}, {idSnoop, "-sn"}, {idSupervisionBridge, "-sb"}}
}

// ourID is one of hotline's ids, read: its kind, whose it is (a call, a channel, A2) and its
// number (0 for the kinds without one).
type ourID struct {
	kind idKind
	of   string
	n    uint64
}

func (id ourID) String() string {
	n := strconv.FormatUint(id.n, 10)
	switch id.kind {
	case idGreeting:
		return id.of + "-greeting"
	case idConsultBridge:
		return id.of + "-cs" + n + "-bridge"
	case idRecording:
		return "call-" + id.of + "-" + n
	case idMessage:
		return "message-" + id.of
	case idCallbackKey:
		return "callback:" + id.of
	}
	for _, k := range numbered() {
		if k.kind == id.kind {
			return id.of + k.tag + n
		}
	}
	return ""
}

// parseID reads an id hotline built; false for anything else (a foreign channel, a malformed
// id). The number must be written as String writes it: parseID(s).String() == s. The prefixed
// kinds come first: their call may itself be a numbered id (a called-back caller, <call>-cb<n>,
// leaves a message-<call>-cb<n>); a channel id never starts with those prefixes.
func parseID(s string) (ourID, bool) {
	if of, ok := strings.CutPrefix(s, "callback:"); ok && of != "" {
		return ourID{idCallbackKey, of, 0}, true
	}
	if of, ok := strings.CutPrefix(s, "message-"); ok && of != "" {
		return ourID{idMessage, of, 0}, true
	}
	if rest, ok := strings.CutPrefix(s, "call-"); ok {
		if of, n, ok := cutNumber(rest, "-"); ok {
			return ourID{idRecording, of, n}, true
		}
	}
	if base, ok := strings.CutSuffix(s, "-bridge"); ok {
		if cs, ok := parseNumbered(base); ok && cs.kind == idConsult {
			return ourID{idConsultBridge, cs.of, cs.n}, true
		}
	}
	if of, ok := strings.CutSuffix(s, "-greeting"); ok && of != "" {
		return ourID{idGreeting, of, 0}, true
	}
	return parseNumbered(s)
}

// parseNumbered reads <of><tag><n>.
func parseNumbered(s string) (ourID, bool) {
	for _, k := range numbered() {
		if of, n, ok := cutNumber(s, k.tag); ok {
			return ourID{k.kind, of, n}, true
		}
	}
	return ourID{}, false
}

// cutNumber reads <of><tag><n>: of non-empty, n decimal as FormatUint writes it.
func cutNumber(s, tag string) (of string, n uint64, ok bool) {
	i := strings.LastIndex(s, tag)
	if i <= 0 {
		return "", 0, false
	}
	digits := s[i+len(tag):]
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || strconv.FormatUint(n, 10) != digits {
		return "", 0, false
	}
	return s[:i], n, true
}

func offerChannel(call string, n uint64) string    { return ourID{idOffer, call, n}.String() }
func transferChannel(call string, n uint64) string { return ourID{idTransfer, call, n}.String() }
func consultChannel(a2 string, n uint64) string    { return ourID{idConsult, a2, n}.String() }
func callbackChannel(call string, n uint64) string { return ourID{idCallback, call, n}.String() }
func playbackID(channel string, n uint64) string   { return ourID{idPlayback, channel, n}.String() }
func callBridge(call string, n uint64) string      { return ourID{idBridge, call, n}.String() }
func legRecording(call string, n uint64) string    { return ourID{idRecording, call, n}.String() }
func messageRecording(call string) string          { return ourID{idMessage, call, 0}.String() }

func supervisorChannel(call string, n uint64) string { return ourID{idSupervisor, call, n}.String() }
func snoopChannel(call string, n uint64) string      { return ourID{idSnoop, call, n}.String() }
func supervisionBridge(call string, n uint64) string {
	return ourID{idSupervisionBridge, call, n}.String()
}

// consultBridge is the bridge of the consultation whose colleague's channel is target.
func consultBridge(target string) string { return target + "-bridge" }

// greetingPlayback is the id of a call's greeting: known without the run that started it, so a
// restarted daemon can stop the rest of a greeting before putting the caller through.
func greetingPlayback(call string) string { return ourID{idGreeting, call, 0}.String() }

// callbackKey is a callback's place in the queue, beside the callers' channel ids.
func callbackKey(callID string) string { return ourID{idCallbackKey, callID, 0}.String() }

// callbackOf returns the call of a callback's queue key.
func callbackOf(key string) (string, bool) {
	return ofKind(key, idCallbackKey)
}

// consultOf returns A2 of a consultation's colleague channel, <A2>-cs<n>.
func consultOf(target string) (string, bool) {
	return ofKind(target, idConsult)
}

// ourBridge says whether a bridge id is one hotline makes: <call>-bridge<n> for a conversation,
// <A2>-cs<n>-bridge for a consultation, <call>-sb<n> for an administrator listening.
func ourBridge(bridge string) bool {
	_, ok := ofKind(bridge, idBridge, idConsultBridge, idSupervisionBridge)
	return ok
}

// ownerCall returns the call id of one of our operator channels: <call>-op<n>, <call>-xf<n>, or
// the colleague's side of a consultation, <channel>-cs<n>.
func ownerCall(ch string) (string, bool) {
	return ofKind(ch, idOffer, idTransfer, idConsult)
}

// supervisionOf returns the call of an administrator's listening channel or its snoop channel.
func supervisionOf(ch string) (string, bool) {
	return ofKind(ch, idSupervisor, idSnoop)
}

// ofKind returns whose s is when it is one of hotline's ids of those kinds.
func ofKind(s string, kinds ...idKind) (string, bool) {
	if id, ok := parseID(s); ok && slices.Contains(kinds, id.kind) {
		return id.of, true
	}
	return "", false
}
