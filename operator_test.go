package hotline

import (
	"testing"
	"time"
)

// The presence history names an operator acting at their handset by login, or by id without one.
func TestOperatorActorName(t *testing.T) {
	for _, tt := range []struct {
		o    Operator
		want string
	}{
		{Operator{ID: 7, Login: "ivanova"}, "ivanova"},
		{Operator{ID: 7}, "operator:7"},
	} {
		if got := tt.o.ActorName(); got != tt.want {
			t.Errorf("%+v.ActorName() = %q, want %q", tt.o, got, tt.want)
		}
		if err := (PresenceEvent{OperatorID: 7, At: time.Unix(1_800_000_000, 0), Presence: PresenceAvailable, How: PresenceByFeatureCode, Actor: tt.o.ActorName()}).Validate(); err != nil {
			t.Errorf("an event by %q is refused: %v", tt.want, err)
		}
	}
}
