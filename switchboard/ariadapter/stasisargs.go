package ariadapter

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/hotline-dev/hotline/switchboard"
)

// The Stasis argument contract: what the dialplan (asterisk-conf/extensions.conf) and hotline's
// own Originate requests pass as Stasis arguments, and the switchboard.Entry each list means.
// DecodeEntry reads a StasisStart's arguments; EncodeEntry writes an Originate's. The two are one
// pair: whatever EncodeEntry writes, DecodeEntry reads back to the same Entry (stasisargs_test.go).
//
//	inbound[,language=LANG][,topic=CODE]   Inbound        dialplan: a caller on a hotline number
//	offer,CALL                             Offer          Originate: an operator's handset for CALL
//	transfer,CALL                          TransferTarget Originate: a transfer target for CALL
//	consult,EXTENSION                      Consult        dialplan: a handset dialled EXTENSION
//	consulted,A2                           Consulted      Originate: the colleague for consultation A2
//	callback,CALL,NUMBER                   Callback       Originate: CALL's caller dialled back at NUMBER
//	supervisor,CALL                        SupervisorDevice Originate: an administrator's device listening to CALL
//	snoop,CALL                             SnoopChannel   Snoop: the snoop channel on CALL's operator channel
//	feature[,ACTION[,ARG]]                 Feature        dialplan: a feature code (*21, *23N...)

// ErrStasisArgs is DecodeEntry's error for arguments the contract does not know, and
// EncodeEntry's for an entry it cannot write.
var ErrStasisArgs = errors.New("stasis arguments outside hotline's contract")

// DecodeEntry returns the entry a StasisStart's arguments name. Arguments that fit no entry
// decode to a switchboard.Malformed and an error wrapping ErrStasisArgs. Unknown options of
// inbound are not an error (Inbound.Ignored): a caller is never dropped over a dialplan typo.
func DecodeEntry(args []string) (switchboard.Entry, error) {
	e, err := decode(args)
	if err != nil {
		err = fmt.Errorf("%w: %q: %s", ErrStasisArgs, args, err.Error())
		return switchboard.Malformed{Args: args, Err: err}, err
	}
	return e, nil
}

func decode(args []string) (switchboard.Entry, error) {
	if len(args) == 0 {
		return nil, errors.New("no arguments")
	}
	kind, rest := args[0], args[1:]
	// one is the single non-empty argument the kind takes.
	one := func() (string, error) {
		if len(rest) != 1 || rest[0] == "" {
			return "", fmt.Errorf("%s takes one non-empty argument, got %d", kind, len(rest))
		}
		return rest[0], nil
	}
	switch kind {
	case "inbound":
		return decodeInbound(rest), nil
	case "offer":
		call, err := one()
		return switchboard.Offer{Call: call}, err
	case "transfer":
		call, err := one()
		return switchboard.TransferTarget{Call: call}, err
	case "consult":
		ext, err := one()
		return switchboard.Consult{Extension: ext}, err
	case "consulted":
		a2, err := one()
		return switchboard.Consulted{A2: a2}, err
	case "supervisor":
		call, err := one()
		return switchboard.SupervisorDevice{Call: call}, err
	case "snoop":
		call, err := one()
		return switchboard.SnoopChannel{Call: call}, err
	case "callback":
		if len(rest) != 2 || rest[0] == "" {
			return nil, fmt.Errorf("callback takes a call and a number, got %d arguments", len(rest))
		}
		return switchboard.Callback{Call: rest[0], Number: rest[1]}, nil
	case "feature":
		// The action as keyed, known or not: the switchboard answers an unknown one with the
		// "invalid" prompt, as it does any refused code.
		var f switchboard.Feature
		switch len(rest) {
		case 2:
			f.Arg = rest[1]
			fallthrough
		case 1:
			f.Action = rest[0]
		case 0:
		default:
			return nil, fmt.Errorf("feature takes an action and at most one argument, got %d arguments", len(rest))
		}
		return f, nil
	}
	return nil, fmt.Errorf("unknown kind %q", kind)
}

// decodeInbound reads inbound's key=value options; what it does not understand is kept for the
// log, so a typo in the dialplan does not silently drop a caller's need.
func decodeInbound(opts []string) switchboard.Inbound {
	var in switchboard.Inbound
	for _, a := range opts {
		k, v, ok := strings.Cut(a, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case ok && k == "language" && v != "":
			in.Language = strings.ToLower(v)
		case ok && k == "topic" && v != "":
			in.Topic = v
		case strings.TrimSpace(a) == "":
		default:
			in.Ignored = append(in.Ignored, a)
		}
	}
	return in
}

// EncodeEntry returns the Stasis arguments for e, as an Originate's AppArgs. It refuses an entry
// DecodeEntry would not read back as e: a value holding a character Asterisk's argument parser
// treats specially (a comma splits, quotes and brackets group), surrounding spaces, a missing
// required value.
func EncodeEntry(e switchboard.Entry) ([]string, error) {
	var args []string
	switch e := e.(type) {
	case switchboard.Inbound:
		args = []string{"inbound"}
		if e.Language != "" {
			args = append(args, "language="+e.Language)
		}
		if e.Topic != "" {
			args = append(args, "topic="+e.Topic)
		}
		args = append(args, e.Ignored...)
	case switchboard.Offer:
		args = []string{"offer", e.Call}
	case switchboard.TransferTarget:
		args = []string{"transfer", e.Call}
	case switchboard.Consult:
		args = []string{"consult", e.Extension}
	case switchboard.Consulted:
		args = []string{"consulted", e.A2}
	case switchboard.Callback:
		args = []string{"callback", e.Call, e.Number}
	case switchboard.SupervisorDevice:
		args = []string{"supervisor", e.Call}
	case switchboard.SnoopChannel:
		args = []string{"snoop", e.Call}
	case switchboard.Feature:
		args = []string{"feature", e.Action, e.Arg}
	default:
		return nil, fmt.Errorf("%w: cannot encode %T", ErrStasisArgs, e)
	}
	for _, a := range args {
		if strings.ContainsAny(a, ",\"\\()[]{}") || strings.TrimSpace(a) != a {
			return nil, fmt.Errorf("%w: %T: %q would not reach Asterisk intact", ErrStasisArgs, e, a)
		}
	}
	// The pair's promise, checked rather than hoped for: what is written reads back the same.
	if back, err := decode(args); err != nil || !reflect.DeepEqual(back, e) {
		return nil, fmt.Errorf("%w: %#v does not read back from %q", ErrStasisArgs, e, args)
	}
	return args, nil
}
