package ari

import (
	"encoding/json"
	"maps"
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
	// ChannelData decodes through ari/v6's unexported shadow struct; its MarshalJSON writes that
	// struct, every key but an empty "key": those are the keys its UnmarshalJSON reads.
	b, err := (&ariv6.ChannelData{Key: &ariv6.Key{ID: "c1"}}).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var shadow map[string]json.RawMessage
	if err := json.Unmarshal(b, &shadow); err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(slices.Values(channelKeys6)), slices.Sorted(maps.Keys(shadow)); !slices.Equal(got, want) {
		t.Errorf("channel keys %v, ChannelData's shadow struct's %v", got, want)
	}
	for typ := range fastDecoders {
		if !KnownEvent(typ) {
			t.Errorf("one-pass decoder for %q, which Decode does not type", typ)
		}
	}
}
