// Package integrationtests holds the tests that run against a real Asterisk 22 (the sandbox,
// asterisk-conf/sandbox) with real SIP phones (package sipphone): phones registering and calling
// each other through Asterisk, transfers, session timers, and the end-to-end smoke test of the
// hotline number.
//
//	sudo asterisk-conf/sandbox up
//	go test ./integration-tests/...
//
// HOTLINE_SANDBOX_INSTANCE=N selects a sandbox of one's own when several people share a machine:
// a test process locks its instance, and a second run on it fails at once naming the holder;
// HOTLINE_TEST_DEBUG=1 shows the phones' SIP-level log. The tests never skip: without a running
// sandbox they fail and say how to start it. A failing test prints hotline's log and the lines
// Asterisk logged while it ran.
package integrationtests
