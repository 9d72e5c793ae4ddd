package integrationtests

import (
	"errors"

	"github.com/hotline-dev/hotline/integration-tests/sipphone"
)

func asResponseError(err error, target **sipphone.ResponseError) bool { return errors.As(err, target) }
