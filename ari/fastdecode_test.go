package ari

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	ariv6 "github.com/CyCoreSystems/ari/v6"
)

// jsonKeys lists the keys encoding/json decodes into t: its tagged fields and its embedded
// structs'.
func jsonKeys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" && f.Anonymous && f.Type.Kind() == reflect.Struct {
			keys = append(keys, jsonKeys(f.Type)...)
			continue
		}
		if name == "" {
			name = f.Name
		}
		keys = append(keys, name)
	}
	slices.Sort(keys)
	return keys
}

// TestFastDecodeKeys: the one-pass decoder knows every key of the types it fills, so that a key
// differing but for case is never skipped where encoding/json would decode it.
func TestFastDecodeKeys(t *testing.T) {
	tests := []struct {
		v    any
		keys []string
	}{
		{ariv6.StasisStart{}, stasisStartKeys},
		{ariv6.StasisEnd{}, channelEventKeys},
		{ariv6.ChannelHangupRequest{}, hangupRequestKeys},
		{ariv6.ChannelDestroyed{}, channelDestroyedKeys},
		{ariv6.PlaybackFinished{}, playbackEventKeys},
		{ariv6.CallerID{}, callerIDKeys},
		{ariv6.DialplanCEP{}, dialplanKeys},
		{ariv6.PlaybackData{}, playbackKeys},
		{ariv6.ChannelData{}, channelKeys6}, // its UnmarshalJSON's shadow struct has the same tags
	}
	for _, tt := range tests {
		typ := reflect.TypeOf(tt.v)
		got := slices.Sorted(slices.Values(tt.keys))
		if want := jsonKeys(typ); !slices.Equal(got, want) {
			t.Errorf("%s: keys %v, its JSON tags %v", typ, got, want)
		}
	}
	for typ := range fastDecoders {
		if !KnownEvent(typ) {
			t.Errorf("one-pass decoder for %q, which Decode does not type", typ)
		}
	}
}
