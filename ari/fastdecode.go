package ari

import (
	"strconv"
	"time"
	"unicode/utf8"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	ptypes "github.com/gogo/protobuf/types"
)

// The events of a call (StasisStart, ChannelHangupRequest, StasisEnd, ChannelDestroyed,
// PlaybackFinished) are decoded here in one pass into ari/v6's own types. encoding/json parses a
// channel twice (ChannelData.UnmarshalJSON decodes its bytes again into a shadow struct) and each
// DateTime twice (DateTime.UnmarshalJSON unmarshals its string first): half of a call's decoding.
//
// The result must be, field for field, what encoding/json gives, for every input. So this decoder
// accepts only the plain shape Asterisk writes (keys spelt exactly, each once, values of the
// field's own type, strings without escapes, integers without fraction or exponent) and gives up
// (returns nil) on anything else: a null, a repeated or differently-cased key, an escape, a date
// that does not parse; Decode then takes encoding/json's path, so odd input costs a second parse,
// never a different event. FuzzDecode holds both to the head-first decode. (All of this is
// encoding/json v1's behaviour as built without GOEXPERIMENT=jsonv2, which changes v1 in places.)

// fastDecoders decodes the events of a call; the others take encoding/json's path.
var fastDecoders = map[string]func(*lexer) Event{
	ariv6.Events.StasisStart: func(l *lexer) Event {
		e := new(ariv6.StasisStart)
		var ok bool
		ok = l.object(func(k []byte) fieldResult {
			switch string(k) {
			case "args":
				return l.fieldOnce(0, func() bool { e.Args, ok = l.strings(); return ok })
			case "channel":
				return l.fieldOnce(1, func() bool { return l.channel(&e.Channel) })
			case "replace_channel":
				return l.fieldOnce(2, func() bool { return l.channel(&e.ReplaceChannel) })
			}
			return l.eventData(&e.EventData, k, stasisStartKeys)
		})
		return result(e, ok)
	},
	ariv6.Events.StasisEnd: func(l *lexer) Event {
		e := new(ariv6.StasisEnd)
		var ok bool
		ok = l.object(func(k []byte) fieldResult {
			if string(k) == "channel" {
				return l.fieldOnce(0, func() bool { return l.channel(&e.Channel) })
			}
			return l.eventData(&e.EventData, k, channelEventKeys)
		})
		return result(e, ok)
	},
	ariv6.Events.ChannelHangupRequest: func(l *lexer) Event {
		e := new(ariv6.ChannelHangupRequest)
		var ok bool
		ok = l.object(func(k []byte) fieldResult {
			switch string(k) {
			case "cause":
				return l.fieldOnce(0, func() bool { e.Cause, ok = l.int(); return ok })
			case "channel":
				return l.fieldOnce(1, func() bool { return l.channel(&e.Channel) })
			case "soft":
				return l.fieldOnce(2, func() bool { e.Soft, ok = l.bool(); return ok })
			}
			return l.eventData(&e.EventData, k, hangupRequestKeys)
		})
		return result(e, ok)
	},
	ariv6.Events.ChannelDestroyed: func(l *lexer) Event {
		e := new(ariv6.ChannelDestroyed)
		var ok bool
		ok = l.object(func(k []byte) fieldResult {
			switch string(k) {
			case "cause":
				return l.fieldOnce(0, func() bool { e.Cause, ok = l.int(); return ok })
			case "cause_txt":
				return l.fieldOnce(1, func() bool { e.CauseTxt, ok = l.string(); return ok })
			case "channel":
				return l.fieldOnce(2, func() bool { return l.channel(&e.Channel) })
			}
			return l.eventData(&e.EventData, k, channelDestroyedKeys)
		})
		return result(e, ok)
	},
	ariv6.Events.PlaybackFinished: func(l *lexer) Event {
		e := new(ariv6.PlaybackFinished)
		var ok bool
		ok = l.object(func(k []byte) fieldResult {
			if string(k) == "playback" {
				return l.fieldOnce(0, func() bool { return l.playback(&e.Playback) })
			}
			return l.eventData(&e.EventData, k, playbackEventKeys)
		})
		return result(e, ok)
	},
}

// Each type's JSON keys (its own and EventData's), in the order of the bits fieldOnce uses; an
// unknown key that matches one of them but for case makes the decoder give up, as encoding/json
// would match it. TestFastDecodeKeys checks them against the types' tags.
var (
	eventDataKeys        = []string{"application", "dialog", "asterisk_id", "timestamp", "type"}
	stasisStartKeys      = append([]string{"args", "channel", "replace_channel"}, eventDataKeys...)
	channelEventKeys     = append([]string{"channel"}, eventDataKeys...)
	hangupRequestKeys    = append([]string{"cause", "channel", "soft"}, eventDataKeys...)
	channelDestroyedKeys = append([]string{"cause", "cause_txt", "channel"}, eventDataKeys...)
	playbackEventKeys    = append([]string{"playback"}, eventDataKeys...)
	channelKeys6         = []string{"key", "id", "name", "state", "accountcode", "caller", "connected",
		"creationtime", "dialplan", "language", "channelvars", "protocol_id"}
	callerIDKeys = []string{"name", "number"}
	dialplanKeys = []string{"context", "exten", "priority", "app_name", "app_data"}
	playbackKeys = []string{"key", "id", "language", "media_uri", "state", "target_uri"}
)

func result(e Event, ok bool) Event {
	if !ok {
		return nil
	}
	return e
}

// decodeFast decodes data as an event of type typ, or returns nil when it cannot be sure to give
// what encoding/json gives.
func decodeFast(typ string, data []byte) Event {
	dec, ok := fastDecoders[typ]
	if !ok {
		return nil
	}
	l := &lexer{b: data}
	ev := dec(l)
	if ev == nil {
		return nil
	}
	l.ws()
	if l.i != len(l.b) {
		return nil // something after the object: encoding/json rejects the message
	}
	return ev
}

// lexer reads one JSON message; every method returns false where it gives up.
type lexer struct {
	b    []byte
	i    int
	seen uint64 // the known keys of the object being read, one bit each (fieldOnce)
}

// fieldResult is what an object's field function did with a key's value.
type fieldResult int

const (
	fieldDone    fieldResult = iota // the value was read
	fieldUnknown                    // not a field: skip the value
	fieldGiveUp
)

func (l *lexer) ws() {
	for l.i < len(l.b) {
		switch l.b[l.i] {
		case ' ', '\t', '\n', '\r':
			l.i++
		default:
			return
		}
	}
}

func (l *lexer) next(c byte) bool {
	l.ws()
	if l.i < len(l.b) && l.b[l.i] == c {
		l.i++
		return true
	}
	return false
}

// object reads an object, calling field for each key with the lexer at the key's value.
func (l *lexer) object(field func(key []byte) fieldResult) bool {
	if !l.next('{') {
		return false
	}
	saved := l.seen
	defer func() { l.seen = saved }()
	l.seen = 0
	if l.next('}') {
		return true
	}
	for {
		k, ok := l.rawString()
		if !ok || !l.next(':') {
			return false
		}
		switch field(k) {
		case fieldGiveUp:
			return false
		case fieldUnknown:
			if !l.skip(0) {
				return false
			}
		}
		if l.next(',') {
			continue
		}
		return l.next('}')
	}
}

// fieldOnce reads a known key's value with read, giving up on a repeated key: encoding/json merges
// a repeated object into the first, but resets a ChannelData (its UnmarshalJSON).
func (l *lexer) fieldOnce(bit uint, read func() bool) fieldResult {
	if l.seen&(1<<bit) != 0 {
		return fieldGiveUp
	}
	l.seen |= 1 << bit
	if !read() {
		return fieldGiveUp
	}
	return fieldDone
}

// unknownKey is what to do with a key that is none of keys: skip its value, unless encoding/json
// would match it to one of them (it matches keys case-insensitively, with Unicode folding).
func unknownKey(k []byte, keys []string) fieldResult {
	for _, c := range k {
		if c >= utf8.RuneSelf {
			return fieldGiveUp
		}
	}
	for _, name := range keys {
		if equalFold(k, name) {
			return fieldGiveUp
		}
	}
	return fieldUnknown
}

// eventData reads EventData's keys (bits 32 and up, so they never meet an event's own); keys are
// the event's, for unknownKey.
func (l *lexer) eventData(e *ariv6.EventData, k []byte, keys []string) fieldResult {
	var ok bool
	switch string(k) {
	case "application":
		return l.fieldOnce(32, func() bool { e.Application, ok = l.string(); return ok })
	case "dialog":
		return l.fieldOnce(33, func() bool { e.Dialog, ok = l.string(); return ok })
	case "asterisk_id":
		return l.fieldOnce(34, func() bool { e.Node, ok = l.string(); return ok })
	case "timestamp":
		return l.fieldOnce(35, func() bool {
			var t time.Time
			t, ok = l.dateTime()
			e.Timestamp = ariv6.DateTime(t)
			return ok
		})
	case "type":
		return l.fieldOnce(36, func() bool { e.Type, ok = l.string(); return ok })
	}
	return unknownKey(k, keys)
}

// channel reads a ChannelData as its UnmarshalJSON does: the fields, then the creation time
// converted to a protobuf Timestamp (giving up where that conversion fails, as UnmarshalJSON would
// then put in the current time).
func (l *lexer) channel(d *ariv6.ChannelData) bool {
	var created time.Time
	var ok bool
	ok = l.object(func(k []byte) fieldResult {
		switch string(k) {
		case "id":
			return l.fieldOnce(1, func() bool { d.ID, ok = l.string(); return ok })
		case "name":
			return l.fieldOnce(2, func() bool { d.Name, ok = l.string(); return ok })
		case "state":
			return l.fieldOnce(3, func() bool { d.State, ok = l.string(); return ok })
		case "accountcode":
			return l.fieldOnce(4, func() bool { d.Accountcode, ok = l.string(); return ok })
		case "caller":
			return l.fieldOnce(5, func() bool { d.Caller, ok = l.callerID(); return ok })
		case "connected":
			return l.fieldOnce(6, func() bool { d.Connected, ok = l.callerID(); return ok })
		case "creationtime":
			return l.fieldOnce(7, func() bool { created, ok = l.dateTime(); return ok })
		case "dialplan":
			return l.fieldOnce(8, func() bool { d.Dialplan, ok = l.dialplan(); return ok })
		case "language":
			return l.fieldOnce(9, func() bool { d.Language, ok = l.string(); return ok })
		case "channelvars":
			return l.fieldOnce(10, func() bool { d.ChannelVars, ok = l.stringMap(); return ok })
		case "protocol_id":
			return l.fieldOnce(11, func() bool { d.ProtocolId, ok = l.string(); return ok })
		}
		return unknownKey(k, channelKeys6) // "key" included: Asterisk does not send it
	})
	if !ok {
		return false
	}
	ts, err := ptypes.TimestampProto(created)
	if err != nil {
		return false
	}
	d.Creationtime = ts
	return true
}

func (l *lexer) callerID() (*ariv6.CallerID, bool) {
	c := new(ariv6.CallerID)
	var ok bool
	ok = l.object(func(k []byte) fieldResult {
		switch string(k) {
		case "name":
			return l.fieldOnce(0, func() bool { c.Name, ok = l.string(); return ok })
		case "number":
			return l.fieldOnce(1, func() bool { c.Number, ok = l.string(); return ok })
		}
		return unknownKey(k, callerIDKeys)
	})
	return c, ok
}

func (l *lexer) dialplan() (*ariv6.DialplanCEP, bool) {
	d := new(ariv6.DialplanCEP)
	var ok bool
	ok = l.object(func(k []byte) fieldResult {
		switch string(k) {
		case "context":
			return l.fieldOnce(0, func() bool { d.Context, ok = l.string(); return ok })
		case "exten":
			return l.fieldOnce(1, func() bool { d.Exten, ok = l.string(); return ok })
		case "priority":
			return l.fieldOnce(2, func() bool { d.Priority, ok = l.int64(); return ok })
		case "app_name":
			return l.fieldOnce(3, func() bool { d.AppName, ok = l.string(); return ok })
		case "app_data":
			return l.fieldOnce(4, func() bool { d.AppData, ok = l.string(); return ok })
		}
		return unknownKey(k, dialplanKeys)
	})
	return d, ok
}

func (l *lexer) playback(p *ariv6.PlaybackData) bool {
	var ok bool
	return l.object(func(k []byte) fieldResult {
		switch string(k) {
		case "id":
			return l.fieldOnce(1, func() bool { p.ID, ok = l.string(); return ok })
		case "language":
			return l.fieldOnce(2, func() bool { p.Language, ok = l.string(); return ok })
		case "media_uri":
			return l.fieldOnce(3, func() bool { p.MediaURI, ok = l.string(); return ok })
		case "state":
			return l.fieldOnce(4, func() bool { p.State, ok = l.string(); return ok })
		case "target_uri":
			return l.fieldOnce(5, func() bool { p.TargetURI, ok = l.string(); return ok })
		}
		return unknownKey(k, playbackKeys) // "key" included
	})
}

// dateTime reads a DateTime as its UnmarshalJSON does (the same time.Parse).
func (l *lexer) dateTime() (time.Time, bool) {
	s, ok := l.rawString()
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(ariv6.DateFormat, string(s))
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

func (l *lexer) string() (string, bool) {
	s, ok := l.rawString()
	return string(s), ok
}

// rawString reads a string without escapes, whose bytes encoding/json keeps as they are: valid
// UTF-8 (it replaces invalid bytes with U+FFFD).
func (l *lexer) rawString() ([]byte, bool) {
	if !l.next('"') {
		return nil, false
	}
	start := l.i
	ascii := true
	for ; l.i < len(l.b); l.i++ {
		c := l.b[l.i]
		switch {
		case c == '"':
			s := l.b[start:l.i]
			l.i++
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			return s, true
		case c == '\\' || c < ' ':
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

// strings reads an array of strings; [] is an empty slice, not nil, as encoding/json makes it.
func (l *lexer) strings() ([]string, bool) {
	if !l.next('[') {
		return nil, false
	}
	out := []string{}
	if l.next(']') {
		return out, true
	}
	for {
		s, ok := l.string()
		if !ok {
			return nil, false
		}
		out = append(out, s)
		if l.next(',') {
			continue
		}
		return out, l.next(']')
	}
}

// stringMap reads an object of strings; {} is an empty map, not nil, as encoding/json makes it.
// A repeated key keeps the last value, as encoding/json's map assignment does.
func (l *lexer) stringMap() (map[string]string, bool) {
	m := map[string]string{}
	var ok bool
	ok = l.object(func(k []byte) fieldResult {
		v, ok := l.string()
		if !ok {
			return fieldGiveUp
		}
		m[string(k)] = v
		return fieldDone
	})
	return m, ok
}

// int reads an integer: digits with an optional minus, no fraction or exponent (encoding/json
// refuses those for an int), within int (32 bits on a 32-bit build, as encoding/json's check).
func (l *lexer) int() (int, bool) {
	v, ok := l.integer(strconv.IntSize)
	return int(v), ok
}

// int64 reads an integer as int does, within int64.
func (l *lexer) int64() (int64, bool) { return l.integer(64) }

func (l *lexer) integer(bits int) (int64, bool) {
	l.ws()
	start := l.i
	if l.i < len(l.b) && l.b[l.i] == '-' {
		l.i++
	}
	digits := l.i
	for l.i < len(l.b) && '0' <= l.b[l.i] && l.b[l.i] <= '9' {
		l.i++
	}
	n := l.i - digits
	if n == 0 || (n > 1 && l.b[digits] == '0') {
		return 0, false
	}
	if l.i < len(l.b) {
		switch l.b[l.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	v, err := strconv.ParseInt(string(l.b[start:l.i]), 10, bits)
	if err != nil {
		return 0, false
	}
	return v, true
}

func (l *lexer) bool() (bool, bool) {
	l.ws()
	switch {
	case l.literal("true"):
		return true, true
	case l.literal("false"):
		return false, true
	}
	return false, false
}

func (l *lexer) literal(s string) bool {
	if len(l.b)-l.i >= len(s) && string(l.b[l.i:l.i+len(s)]) == s {
		l.i += len(s)
		return true
	}
	return false
}

// maxSkipDepth bounds the nesting skip follows; deeper values take encoding/json's path.
const maxSkipDepth = 64

// skip reads past one value of a key no field has, checking it is valid JSON.
func (l *lexer) skip(depth int) bool {
	if depth > maxSkipDepth {
		return false
	}
	l.ws()
	if l.i >= len(l.b) {
		return false
	}
	switch c := l.b[l.i]; {
	case c == '{':
		l.i++
		if l.next('}') {
			return true
		}
		for {
			if !l.skipString() || !l.next(':') || !l.skip(depth+1) {
				return false
			}
			if l.next(',') {
				continue
			}
			return l.next('}')
		}
	case c == '[':
		l.i++
		if l.next(']') {
			return true
		}
		for {
			if !l.skip(depth + 1) {
				return false
			}
			if l.next(',') {
				continue
			}
			return l.next(']')
		}
	case c == '"':
		return l.skipString()
	case c == '-' || '0' <= c && c <= '9':
		return l.skipNumber()
	default:
		return l.literal("true") || l.literal("false") || l.literal("null")
	}
}

// skipString reads past a string, escapes included, with encoding/json's rules: no control
// characters, only JSON's escapes; any other byte is accepted.
func (l *lexer) skipString() bool {
	if !l.next('"') {
		return false
	}
	for l.i < len(l.b) {
		c := l.b[l.i]
		l.i++
		switch {
		case c == '"':
			return true
		case c < ' ':
			return false
		case c == '\\':
			if l.i >= len(l.b) {
				return false
			}
			e := l.b[l.i]
			l.i++
			switch e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if len(l.b)-l.i < 4 {
					return false
				}
				for _, h := range l.b[l.i : l.i+4] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				l.i += 4
			default:
				return false
			}
		}
	}
	return false
}

// skipNumber reads past a number with JSON's grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (l *lexer) skipNumber() bool {
	digits := func() int {
		n := 0
		for l.i < len(l.b) && '0' <= l.b[l.i] && l.b[l.i] <= '9' {
			l.i++
			n++
		}
		return n
	}
	if l.b[l.i] == '-' {
		l.i++
	}
	if l.i < len(l.b) && l.b[l.i] == '0' {
		l.i++
	} else if digits() == 0 {
		return false
	}
	if l.i < len(l.b) && l.b[l.i] == '.' {
		l.i++
		if digits() == 0 {
			return false
		}
	}
	if l.i < len(l.b) && (l.b[l.i] == 'e' || l.b[l.i] == 'E') {
		l.i++
		if l.i < len(l.b) && (l.b[l.i] == '+' || l.b[l.i] == '-') {
			l.i++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}
