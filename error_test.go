package hotline

import (
	"context"
	"errors"
	"io/fs"
	"testing"
)

// Wrapf keeps the cause in the chain without changing what people read: Error() and the message
// are those of the *Error, whose code wins over any the cause holds.
func TestWrapf(t *testing.T) {
	inner := Errorf(ENOTFOUND, "the cause's own code")
	for _, tc := range []struct {
		name    string
		cause   error
		wantMsg string
	}{
		{"a file missing", fs.ErrNotExist, "cannot read x: file does not exist"},
		{"an interruption", context.Canceled, "cannot read x: context canceled"},
		{"a domain error as the cause", inner, "cannot read x: not_found: the cause's own code"},
		{"no cause", nil, "cannot read x: <nil>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Wrapf(EUNAVAILABLE, tc.cause, "cannot read x: %v", tc.cause)
			if got, want := err.Error(), "unavailable: "+tc.wantMsg; got != want {
				t.Errorf("Error() = %q, want %q", got, want)
			}
			if ErrorCode(err) != EUNAVAILABLE || ErrorMessage(err) != tc.wantMsg {
				t.Errorf("code %q, message %q; want %q, %q", ErrorCode(err), ErrorMessage(err), EUNAVAILABLE, tc.wantMsg)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("the cause %v is not in the chain", tc.cause)
			}
		})
	}
}
