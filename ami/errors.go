package ami

import (
	"errors"
	"fmt"
)

var (
	// ErrActionFailed is what every ActionError unwraps to: Asterisk answered "Response: Error".
	ErrActionFailed = errors.New("ami: action failed")
	// ErrNotConnected is returned by actions while the client has no logged-in connection (it is
	// reconnecting). Actions are not queued across a reconnect: the caller decides whether to retry.
	ErrNotConnected = errors.New("ami: not connected")
	// ErrDisconnected is returned to actions that were waiting when the connection was lost: they
	// may or may not have been carried out by Asterisk.
	ErrDisconnected = errors.New("ami: connection lost")
	// ErrClosed is returned after Close or Logoff.
	ErrClosed = errors.New("ami: client closed")
	// ErrProtocol wraps what the peer sent that is not AMI (bad banner, oversized message).
	ErrProtocol = errors.New("ami: protocol error")
	// ErrLogin wraps a refused login or challenge.
	ErrLogin = errors.New("ami: login failed")
)

// ActionError is Asterisk's "Response: Error" to an action. errors.Is(err, ErrActionFailed) holds.
type ActionError struct {
	Action   string   // the action's name, e.g. "Originate"
	ActionID string   // the ActionID hotline sent
	Message  string   // Asterisk's "Message" header, e.g. "Channel not found"
	Response *Message // the whole response, for headers beyond Message
}

func (e *ActionError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("ami: %s: Asterisk answered Error", e.Action)
	}
	return fmt.Sprintf("ami: %s: %s", e.Action, e.Message)
}

// Unwrap lets errors.Is(err, ErrActionFailed) match.
func (e *ActionError) Unwrap() error { return ErrActionFailed }
