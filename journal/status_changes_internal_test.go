package journal

import (
	"encoding/json"
	"slices"
	"testing"
)

// statusOnly is what a full decode gives of changes' status entries (ok false: not JSON).
func statusOnly(changes []byte) ([]Change, bool) {
	var all []Change
	if err := json.Unmarshal(changes, &all); err != nil {
		return nil, false
	}
	var out []Change
	for _, c := range all {
		if c.Field == "status" {
			out = append(out, c)
		}
	}
	return out, true
}

// checkStatusChanges: whatever statusChanges reads, a full decode reads the same status entries.
func checkStatusChanges(t *testing.T, changes []byte) (fast bool) {
	t.Helper()
	got, ok := statusChanges(changes)
	if !ok {
		return false
	}
	want, valid := statusOnly(changes)
	if !valid {
		t.Fatalf("%q: read as status changes %v, but it does not decode", changes, got)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%q: status changes %v, a full decode gives %v", changes, got, want)
	}
	return true
}

func TestStatusChangesAsDecoded(t *testing.T) {
	marshal := func(cs ...Change) string {
		b, err := json.Marshal(cs)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range []struct {
		name    string
		changes string
		fast    bool
	}{
		{"created", marshal(Change{"birth_date", "", "1964-11-22"}, Change{"status", "", "delayed_answer"}), true},
		{"round trip", marshal(Change{"status", "delayed_answer", "in_progress"}, Change{"comment", "", "перезвонили"}), true},
		{"no status", marshal(Change{"comment", "", "delayed_answer"}), true},
		{"two", marshal(Change{"status", "in_progress", "delayed_answer"}, Change{"status", "delayed_answer", "under_review"}), true},
		{"empty", `[]`, true},
		{"a value that quotes the pattern", marshal(Change{"comment", "", `{"field":"status","from":"x","to":"y"}`}), true},
		{"a value that is the word", marshal(Change{"comment", "", "status"}), true},
		{"a number", `"0"`, false},
		{"an array of numbers", `[1]`, false},
		{"an escaped field", `[{"field":"st\u0061tus","from":"","to":"x"}]`, false},
		{"escaped text elsewhere", marshal(Change{"comment", "", "a \"b\" <c>"}, Change{"status", "", "delayed_answer"}), true},
		{"keys in another order", `[{"from":"in_progress","field":"status","to":"delayed_answer"}]`, false},
		{"spaces", `[{"field": "status", "from": "", "to": "delayed_answer"}]`, false},
		{"escaped status", `[{"field":"status","from":"in\u005fprogress","to":"delayed_answer"}]`, false},
		{"an extra key", `[{"field":"status","from":"","to":"delayed_answer","by":"x"}]`, false},
		{"not JSON", `[{"field":"status","from":"","to":"delayed_answer"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if fast := checkStatusChanges(t, []byte(tc.changes)); fast != tc.fast {
				t.Errorf("read without a full decode: %v, want %v", fast, tc.fast)
			}
		})
	}
}

func FuzzStatusChanges(f *testing.F) {
	for _, s := range []string{
		`[{"field":"status","from":"","to":"delayed_answer"}]`,
		`[{"field":"comment","from":"","to":"{\"field\":\"status\",\"from\":\"\",\"to\":\"x\"}"},{"field":"status","from":"a","to":"b"}]`,
		`[{"field":"status","from":"a\"","to":"b"}]`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, changes []byte) { checkStatusChanges(t, changes) })
}
