package hotline

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Every exported field of the domain types has an explicit snake_case JSON name: the CLI's
// -o json and the switchboard's spool (journal writes kept as JSON) speak these names, never Go's.
func TestJSONNamesAreSnakeCase(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	for _, v := range []any{Person{}, Case{}, Leg{}, Operator{}, PresenceEvent{}, Topic{}, Script{}, Actor{}, Closing{}, Attachment{}, Error{}} {
		typ := reflect.TypeOf(v)
		seen := map[string]string{}
		for i := range typ.NumField() {
			f := typ.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !snake.MatchString(name) {
				t.Errorf("%s.%s: JSON name %q is not snake_case (tag %q)", typ.Name(), f.Name, name, f.Tag)
			}
			if other, dup := seen[name]; dup {
				t.Errorf("%s: %s and %s share the JSON name %q", typ.Name(), other, f.Name, name)
			}
			seen[name] = f.Name
		}
	}
}

// A case in JSON: snake_case names, and what is not set (no owner, due date, result, person) left out.
func TestCaseJSON(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	c := Case{ID: 7, Number: "2026-000007", CreatedAt: at, Channel: ChannelPhone, CallerNumber: "+78652123456",
		Status: StatusInProgress, UpdatedAt: at, CreatedBy: "system"}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":7,"number":"2026-000007","created_at":"2026-11-23T09:00:00Z","channel":"phone","caller_number":"+78652123456",` +
		`"status":"in_progress","updated_at":"2026-11-23T09:00:00Z","created_by":"system"}`
	if string(b) != want {
		t.Errorf("case JSON\n got %s\nwant %s", b, want)
	}
	c.OwnerID, c.DueAt, c.Person.FullName = 3, at.Add(72*time.Hour), "Смирнов С.С."
	b, _ = json.Marshal(c)
	for _, s := range []string{`"owner_id":3`, `"due_at":"2026-11-26T09:00:00Z"`, `"person":{"full_name":"Смирнов С.С."}`} {
		if !strings.Contains(string(b), s) {
			t.Errorf("case JSON lacks %s: %s", s, b)
		}
	}
}

// Legs and presence events go through JSON and back unchanged (the switchboard's spool keeps
// the journal's writes as JSON until the journal has them), set or not.
func TestLegAndPresenceJSONRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	legs := []Leg{
		{CallID: "1700000000.1", CallerNumber: "+78652123456", ArrivedAt: at},
		{ID: 2, CallID: "1700000000.1", CallerNumber: "+78652123456", OperatorID: 3, ArrivedAt: at,
			GreetingEndAt: at.Add(5 * time.Second), QueuedAt: at.Add(5 * time.Second), AnsweredAt: at.Add(20 * time.Second),
			EndedAt: at.Add(5 * time.Minute), End: LegTransferred, RecordingName: "call-1", TransferredFrom: 4},
	}
	for _, l := range legs {
		roundTrip(t, l)
	}
	b, _ := json.Marshal(legs[0])
	if want := `{"id":0,"call_id":"1700000000.1","caller_number":"+78652123456","arrived_at":"2026-11-23T09:00:00Z"}`; string(b) != want {
		t.Errorf("leg JSON\n got %s\nwant %s", b, want)
	}
	for _, e := range []PresenceEvent{
		{OperatorID: 3, At: at, Presence: PresencePaused, Reason: "2", How: PresenceByFeatureCode},
		{OperatorID: 3, At: at, Presence: PresenceAvailable, How: PresenceByAdmin},
	} {
		roundTrip(t, e)
	}
}

func roundTrip[T comparable](t *testing.T, v T) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var got T
	if err := json.Unmarshal(b, &got); err != nil || got != v {
		t.Errorf("%s came back as %+v (%v)", b, got, err)
	}
}
