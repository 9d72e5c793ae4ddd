//go:build !linux || !cgo

package timerslack

import "os"

func applied() (ns int64, state int, value string) { return 0, stateNone, os.Getenv(Env) }
