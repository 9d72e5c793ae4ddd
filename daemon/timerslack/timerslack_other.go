//go:build !linux || !cgo

package timerslack

func applied() (ns int64, state int, value string) { return 0, stateNone, "" }
