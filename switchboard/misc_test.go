package switchboard

import "errors"

var errTest = errors.New("test: refused")
