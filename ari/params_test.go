package ari

import (
	"net/url"
	"testing"
	"time"
)

// TestParamsEncodeAsURLValues: the queries built without a map say what url.Values said (the same
// parameters, values escaped, empty ones left out, a repeated one repeated).
func TestParamsEncodeAsURLValues(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want url.Values
	}{
		{"originate", OriginateRequest{Endpoint: "PJSIP/1001", App: "hotline", AppArgs: "offer,1700000000.41",
			CallerID: `"Иван" <+7 900>`, Timeout: 1500 * time.Millisecond, Originator: "1700000000.41", Priority: 2}.params(),
			url.Values{"endpoint": {"PJSIP/1001"}, "app": {"hotline"}, "appArgs": {"offer,1700000000.41"},
				"callerId": {`"Иван" <+7 900>`}, "timeout": {"2"}, "originator": {"1700000000.41"}, "priority": {"2"}}},
		{"play", PlayRequest{Media: []string{"sound:a&b", "digits:12"}, Lang: "ru", Skip: time.Second}.params(),
			url.Values{"media": {"sound:a&b", "digits:12"}, "lang": {"ru"}, "skipms": {"1000"}}},
		{"empty", new(params).add("reason", "").String(), url.Values{}},
		{"one", new(params).add("mohClass", "default").String(), url.Values{"mohClass": {"default"}}},
	}
	for _, tt := range tests {
		got, err := url.ParseQuery(tt.got)
		if err != nil {
			t.Errorf("%s: %q does not parse: %v", tt.name, tt.got, err)
			continue
		}
		if got.Encode() != tt.want.Encode() {
			t.Errorf("%s: %q, want %q", tt.name, tt.got, tt.want.Encode())
		}
	}
}
