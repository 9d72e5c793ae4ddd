//go:build !linux

package control

import (
	"fmt"
	"net"
	"runtime"
)

// peerOf: hotline reads peer credentials on Linux only; elsewhere every request is refused.
func peerOf(net.Conn) (Peer, error) {
	return Peer{}, fmt.Errorf("control: peer credentials are not read on %s", runtime.GOOS)
}
