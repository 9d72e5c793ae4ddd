package switchboard

// Asterisk reports a handset's reachability two ways, through ARI and through AMI alike: a device
// state (PJSIP/1001 NOT_INUSE, UNAVAILABLE...) and a contact status (Reachable, Removed...). These
// say what each means for offering calls, once, for both adapters.

// DeviceReachable reads a device state. known is false for states that say nothing (UNKNOWN:
// Asterisk has not looked yet), which must not change an operator's presence.
func DeviceReachable(state string) (reachable, known bool) {
	switch state {
	case "UNAVAILABLE", "INVALID":
		return false, true
	case "UNKNOWN", "":
		return false, false
	}
	// NOT_INUSE, INUSE, BUSY, RINGING, RINGINUSE, ONHOLD: registered and answering.
	return true, true
}

// ContactReachable reads a PJSIP contact status.
func ContactReachable(status string) (reachable, known bool) {
	switch status {
	case "Reachable", "NonQualified", "Created":
		return true, true
	case "Unreachable", "Removed":
		return false, true
	}
	return false, false // Unknown, Updated: no news
}
