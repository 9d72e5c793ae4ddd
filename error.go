package hotline

import (
	"errors"
	"fmt"
)

// Error codes: stable, machine-readable kinds of failure. The CLI maps each to an exit code, the
// local API to an HTTP status, once, in one place.
const (
	EINVALID     = "invalid"     // the request is malformed or breaks a rule
	ENOTFOUND    = "not_found"   // no such case, operator, topic...
	ECONFLICT    = "conflict"    // the state changed under the request (e.g. case already closed)
	EFORBIDDEN   = "forbidden"   // the actor may not do this (e.g. an operator approving)
	EUNAVAILABLE = "unavailable" // a dependency (Asterisk, the database) cannot serve now
	EINTERNAL    = "internal"    // a bug or an unexpected failure
)

// Error is a domain error: a code for programs and a message for people.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any other error,
// and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of the first *Error in err's chain, or a generic text
// for other errors (their details belong in logs, not in front of users).
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// Wrapf is Errorf for a failure with a cause: the *Error says what happened to people (its
// message usually quotes the cause), and the cause stays in the chain for errors.Is and
// errors.As, so a program can still tell a missing file from a refused connection. Error() is the
// *Error's alone: the cause is not printed twice.
func Wrapf(code string, cause error, format string, args ...any) error {
	e := Errorf(code, format, args...)
	if cause == nil {
		return e
	}
	return &causedError{err: e, cause: cause}
}

type causedError struct {
	err   *Error
	cause error
}

func (c *causedError) Error() string { return c.err.Error() }

// Unwrap gives the *Error first, so ErrorCode and ErrorMessage find it before any *Error the
// cause may hold.
func (c *causedError) Unwrap() []error { return []error{c.err, c.cause} }
