package switchboard

import "testing"

// Every kind of id, built for the owners hotline meets (Asterisk's ids, ours, a called-back
// caller's channel as a call), reads back as what it was built from.
func TestIDsRoundTrip(t *testing.T) {
	kinds := []struct {
		kind  idKind
		build func(of string, n uint64) string
		want  string // built for "c1" and 42
	}{
		{idOffer, offerChannel, "c1-op42"},
		{idTransfer, transferChannel, "c1-xf42"},
		{idConsult, consultChannel, "c1-cs42"},
		{idCallback, callbackChannel, "c1-cb42"},
		{idPlayback, playbackID, "c1-pb42"},
		{idBridge, callBridge, "c1-bridge42"},
		{idConsultBridge, func(of string, n uint64) string { return consultBridge(consultChannel(of, n)) }, "c1-cs42-bridge"},
		{idRecording, legRecording, "call-c1-42"},
		{idGreeting, func(of string, _ uint64) string { return greetingPlayback(of) }, "c1-greeting"},
		{idMessage, func(of string, _ uint64) string { return messageRecording(of) }, "message-c1"},
		{idCallbackKey, func(of string, _ uint64) string { return callbackKey(of) }, "callback:c1"},
		{idSupervisor, supervisorChannel, "c1-sv42"},
		{idSnoop, snoopChannel, "c1-sn42"},
		{idSupervisionBridge, supervisionBridge, "c1-sb42"},
	}
	numberless := map[idKind]bool{idGreeting: true, idMessage: true, idCallbackKey: true}
	for _, k := range kinds {
		if got := k.build("c1", 42); got != k.want {
			t.Errorf("kind %d built %q, want %q", k.kind, got, k.want)
		}
		for _, of := range []string{"c1", "1763900000.99", "c1-cb3", "b-188487365-8", "x-op"} {
			for _, n := range []uint64{0, 7, 1763900000123} {
				s := k.build(of, n)
				want := ourID{k.kind, of, n}
				if numberless[k.kind] {
					want.n = 0
				}
				if got, ok := parseID(s); !ok || got != want {
					t.Errorf("parseID(%q) = %+v, %v; want %+v", s, got, ok, want)
				}
			}
		}
	}
}

// Ids hotline did not build are not read as its own: a restarted daemon must leave them alone.
func TestParseIDRejects(t *testing.T) {
	for _, s := range []string{
		"", "c1", "1763900000.99", "-op3", "c1-op", "c1-op3x", "c1-op03", "c1-op-3", "c1-op+3", "c1-op18446744073709551616",
		"c1-bridge", "-cs3-bridge", "c1-cs-bridge", "c1-cs3-bridge2-bridge", "-greeting", "callback:", "message-", "call-c1",
		"call--3", "call-c1-", "PJSIP/1001-0000002a", "c1-OP3", "c1–op3",
	} {
		if id, ok := parseID(s); ok {
			t.Errorf("parseID(%q) = %+v, want rejected", s, id)
		}
	}
}

// The readers reconciliation and routing use, each for its kinds only.
func TestIDReaders(t *testing.T) {
	tests := []struct {
		id                     string
		owner, consultA2, cbOf string // "" not that kind
		bridge                 bool
	}{
		{id: "c1-op3", owner: "c1"},
		{id: "c1-xf3", owner: "c1"},
		{id: "a2-cs3", owner: "a2", consultA2: "a2"},
		{id: "c1-cb3-op4", owner: "c1-cb3"},
		{id: "c1-op3-cs4", owner: "c1-op3", consultA2: "c1-op3"},
		{id: "c1-cb3"},
		{id: "c1-pb3"},
		{id: "c1-bridge3", bridge: true},
		{id: "a2-cs3-bridge", bridge: true},
		{id: "callback:c1", cbOf: "c1"},
		{id: "callback:c1-cb3", cbOf: "c1-cb3"},
		{id: "c1"},
		{id: "PJSIP/1001-0000002a"},
	}
	for _, tt := range tests {
		owner, _ := ownerCall(tt.id)
		a2, _ := consultOf(tt.id)
		cb, _ := callbackOf(tt.id)
		if owner != tt.owner || a2 != tt.consultA2 || cb != tt.cbOf || ourBridge(tt.id) != tt.bridge {
			t.Errorf("%q: ownerCall %q, consultOf %q, callbackOf %q, ourBridge %v; want %q, %q, %q, %v",
				tt.id, owner, a2, cb, ourBridge(tt.id), tt.owner, tt.consultA2, tt.cbOf, tt.bridge)
		}
	}
}

// FuzzParseID: whatever parseID accepts, it read exactly: the id it returns builds back to the
// input, with an owner; and the readers agree with it.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{"c1-op3", "c1-cs3-bridge", "call-c1-cb3-7", "message-c1-cb3", "callback:c1-cb3", "c1-greeting",
		"c1-op03", "c1-bridge", "-op3", "x-op1-cs2", "call--3", "1763900000.99-pb1763900000123"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok := parseID(s)
		if !ok {
			if _, owned := ownerCall(s); owned || ourBridge(s) {
				t.Fatalf("%q: a reader accepts what parseID rejects", s)
			}
			return
		}
		if id.of == "" || id.String() != s {
			t.Fatalf("parseID(%q) = %+v, which builds %q", s, id, id.String())
		}
		if _, owned := ownerCall(s); owned != (id.kind == idOffer || id.kind == idTransfer || id.kind == idConsult) {
			t.Fatalf("%q (%+v): ownerCall %v", s, id, owned)
		}
	})
}
