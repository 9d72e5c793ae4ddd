package integrationtests

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/integration-tests/kamailiotest"
	"github.com/hotline-dev/hotline/integration-tests/sandbox"
	"github.com/hotline-dev/hotline/integration-tests/sipphone"
	"github.com/hotline-dev/hotline/kamailio"
	"github.com/hotline-dev/hotline/switchboard"
)

// Several Asterisk nodes behind Kamailio (docs/scaling.md): the test's own sandbox instance is
// node a, the next instance (HOTLINE_NODES_SECOND_INSTANCE to choose another) node b; both are
// (re)started here as nodes behind a real Kamailio on 127.0.0.(100+instance), and b is stopped
// when the test ends.
type twoNodes struct {
	d    *hotlinetest.Daemon
	kam  *kamailiotest.Kamailio
	node map[string]sandbox.Config // by node name: "a", "b"
}

func startTwoNodes(t testing.TB, ops []hotlinetest.Operator, tweaks ...func(*config.Config)) *twoNodes {
	t.Helper()
	first, err := sandbox.Load()
	if err != nil {
		t.Fatal(err)
	}
	b, kamAddr := sandbox.AsNodes(t, first)
	tn := &twoNodes{node: map[string]sandbox.Config{"a": first, "b": b}}
	tn.kam = kamailiotest.Start(t, kamAddr, []string{first.SIPAddr, b.SIPAddr})
	tn.d = hotlinetest.Start(t, ops, func(c *config.Config) {
		for _, name := range []string{"a", "b"} {
			s := tn.node[name]
			c.ARI.Nodes = append(c.ARI.Nodes, config.ARINode{Name: name, URL: s.ARIURL, Websocket: s.ARIWebsocket,
				User: s.ARIUser, Password: config.Secret(s.ARIPassword), Operators: "PJSIP/{extension}@kamailio",
				AMI: config.AMI{Addr: s.AMIAddr, User: s.AMIUser, Password: config.Secret(s.AMIPassword)}})
		}
		c.ARI.NodeLostAfter = 2 * time.Second
		// The handsets' presence from Kamailio's location table, as production runs it.
		c.Kamailio.RPC, c.Kamailio.Poll = tn.kam.RPCURL, 500*time.Millisecond
		for _, tw := range tweaks {
			tw(c)
		}
	})
	return tn
}

// handset registers ext with Kamailio as an operator's handset: the operator's tone, listening
// for the caller's.
func (tn *twoNodes) handset(t testing.TB, ext string) *sipphone.Phone {
	t.Helper()
	return tn.phone(t, ext, hotlinetest.OperatorTone, hotlinetest.CallerTone)
}

// phone registers ext with Kamailio, sending tone and listening for detect, answering after 300 ms.
// Its password is node a's handset password: Kamailio's credentials are generated from node a's
// pjsip_operators.conf (kamailiotest).
func (tn *twoNodes) phone(t testing.TB, ext string, tone float64, detect ...float64) *sipphone.Phone {
	t.Helper()
	p, err := sipphone.New(tbWithin(t, 10*time.Second), sipphone.Config{Server: tn.kam.Addr, User: ext, Password: tn.node["a"].HandsetPassword,
		Tone: tone, Detect: detect, AutoAnswer: true, AnswerDelay: 300 * time.Millisecond})
	if err != nil {
		t.Fatalf("handset %s at Kamailio: %v", ext, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// call dials the hotline number through Kamailio, listening for the operator's tone.
func (tn *twoNodes) call(t testing.TB, number string) *sipphone.Call {
	t.Helper()
	return tn.callHearing(t, number, hotlinetest.OperatorTone)
}

// callHearing dials the hotline number through Kamailio with the caller's tone, listening for
// detect.
func (tn *twoNodes) callHearing(t testing.TB, number string, detect ...float64) *sipphone.Call {
	t.Helper()
	p, err := sipphone.New(tbWithin(t, 10*time.Second), sipphone.Config{Server: tn.kam.Addr, User: number,
		Tone: hotlinetest.CallerTone, Detect: detect})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	c, err := p.Dial(tbWithin(t, 20*time.Second), "100")
	if err != nil {
		t.Fatalf("caller %s: %v", number, err)
	}
	return c
}

// kamailioAddr is where startTwoNodes starts Kamailio for the test's sandbox instance, known
// before it starts (for a configuration naming Kamailio's WebSocket, the softphones').
func kamailioAddr(t testing.TB) string {
	t.Helper()
	first, err := sandbox.Load()
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(first.Instance)
	if err != nil {
		t.Fatalf("sandbox instance %q: %v", first.Instance, err)
	}
	return sandbox.KamailioAddr(n)
}

// channelsOf counts, per node, the channels whose caller id is number (the caller's own channel,
// and the operator's, which shows the caller's number).
func (tn *twoNodes) channelsOf(t testing.TB, number string) map[string]int {
	t.Helper()
	got := map[string]int{}
	for name, s := range tn.node {
		req, _ := http.NewRequestWithContext(tbWithin(t, 5*time.Second), http.MethodGet, s.ARIURL+"/channels", nil)
		req.SetBasicAuth(s.ARIUser, s.ARIPassword)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue // a node stopped by the test
		}
		var chans []struct {
			Caller struct{ Number string } `json:"caller"`
		}
		err = json.NewDecoder(resp.Body).Decode(&chans)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("node %s channels: %v", name, err)
		}
		for _, c := range chans {
			if c.Caller.Number == number {
				got[name]++
			}
		}
	}
	return got
}

// nodeOf is the node the caller with number talks on; the call (caller and operator) must be on
// that node alone.
func (tn *twoNodes) nodeOf(t testing.TB, number string) string {
	t.Helper()
	got := tn.channelsOf(t, number)
	for name, n := range got {
		if n == 2 && len(got) == 1 {
			return name
		}
	}
	t.Fatalf("caller %s and the operator are not on one node: channels per node %v", number, got)
	return ""
}

func (tn *twoNodes) login(t testing.TB, exts ...string) {
	t.Helper()
	for _, ext := range exts {
		if err := tn.d.API.Login(tbWithin(t, 5*time.Second), tn.d.OperatorID(ext)); err != nil {
			t.Fatalf("login %s: %v", ext, err)
		}
	}
}

func tbWithin(tb testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	tb.Cleanup(cancel)
	return ctx
}

func queueNumbers(st switchboard.Status) []string {
	var out []string
	for _, q := range st.Queue {
		out = append(out, q.CallerNumber)
	}
	return out
}

// Calls spread over two nodes behind Kamailio, one queue and one operator pool: a caller entering
// on one node is put through to an operator whose handset is registered with Kamailio, both
// hearing each other, and so is a caller entering on the other node; with both operators busy the
// next two callers (one per node) wait in one queue in the order they came, and an operator freed
// after a call on one node takes the first of them even when it waits on the other node.
func TestNodesCallsSpreadOverTwoNodes(t *testing.T) {
	tn := startTwoNodes(t, []hotlinetest.Operator{{Extension: "1001"}, {Extension: "1002"}})
	h1, h2 := tn.handset(t, "1001"), tn.handset(t, "1002")
	tn.login(t, "1001")
	const n1, n2, n3, n4 = "+79004440001", "+79004440002", "+79004440003", "+79004440004"

	c1 := tn.call(t, n1)
	operatorTakes(t, h1, c1, n1)
	node1 := tn.nodeOf(t, n1)

	tn.login(t, "1002")
	c2 := tn.call(t, n2)
	operatorTakes(t, h2, c2, n2)
	node2 := tn.nodeOf(t, n2)
	if node1 == node2 {
		t.Fatalf("both calls entered node %s: Kamailio's dispatcher should take turns", node1)
	}

	c3 := tn.call(t, n3)
	if _, err := tn.d.WaitStatus(15*time.Second, queued(1)); err != nil {
		t.Fatalf("third caller not queued: %v", err)
	}
	c4 := tn.call(t, n4)
	st, err := tn.d.WaitStatus(15*time.Second, queued(2))
	if err != nil {
		t.Fatalf("fourth caller not queued: %v", err)
	}
	if got := queueNumbers(st); len(got) != 2 || got[0] != n3 || got[1] != n4 {
		t.Fatalf("queue %v, want [%s %s]", got, n3, n4)
	}
	if got := tn.channelsOf(t, n3); got[node1] != 1 {
		t.Fatalf("third caller's channels per node %v, want it on %s (the dispatcher's turn)", got, node1)
	}

	// Operator 1002 ends its call on node2; the first in the one queue waits on node1.
	if err := c2.Hangup(within(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	operatorTakes(t, h2, c3, n3)
	if got := tn.nodeOf(t, n3); got != node1 {
		t.Errorf("third call talks on %s, want %s where it entered", got, node1)
	}
	if err := c1.Hangup(within(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	operatorTakes(t, h1, c4, n4)
	if got := tn.nodeOf(t, n4); got != node2 {
		t.Errorf("fourth call talks on %s, want %s where it entered", got, node2)
	}
	for _, c := range []*sipphone.Call{c3, c4} {
		_ = c.Hangup(within(t, 5*time.Second))
	}
	for _, n := range []string{n1, n2} {
		if _, leg := waitLegEnded(t, tn.d, n); leg.End != hotline.LegCompleted {
			t.Errorf("caller %s's leg ended %q, want completed", n, leg.End)
		}
	}
}

// Node b lost mid-call with a caller waiting on it, stopped (Asterisk hangs its channels up as it
// goes) or killed (nothing is said: the node is given up after ari.node_lost_after): those calls
// end in the journal as failed (ended away when the node was killed), the operator who talked on
// b is free again and takes the caller waiting on a, a new call goes to a and is put through, and
// no operator is left busy.
func TestNodesNodeLost(t *testing.T) {
	tests := []struct {
		name      string
		endedAway bool
		lose      func(ctx context.Context, b sandbox.Config) error
	}{
		{"stopped", false, func(ctx context.Context, b sandbox.Config) error { return sandbox.Run(ctx, b.Instance, nil, "down") }},
		{"killed", true, func(ctx context.Context, b sandbox.Config) error {
			pid, err := os.ReadFile(filepath.Join(b.Root, "run", "asterisk", "asterisk.pid"))
			if err != nil {
				return err
			}
			p, err := strconv.Atoi(strings.TrimSpace(string(pid)))
			if err != nil {
				return err
			}
			if err := syscall.Kill(p, syscall.SIGKILL); err != nil {
				return err
			}
			return sandbox.Run(ctx, b.Instance, nil, "down") // unmounts what the chroot had
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { nodeLost(t, tt.endedAway, tt.lose) })
	}
}

func nodeLost(t *testing.T, endedAway bool, lose func(ctx context.Context, b sandbox.Config) error) {
	tn := startTwoNodes(t, []hotlinetest.Operator{{Extension: "1001"}, {Extension: "1002"}})
	h1, h2 := tn.handset(t, "1001"), tn.handset(t, "1002")
	tn.login(t, "1001")
	const n1, n2, n3, n4, n5 = "+79005550001", "+79005550002", "+79005550003", "+79005550004", "+79005550005"

	c1 := tn.call(t, n1)
	operatorTakes(t, h1, c1, n1)
	tn.login(t, "1002")
	c2 := tn.call(t, n2)
	operatorTakes(t, h2, c2, n2)
	calls := map[string]*sipphone.Call{n1: c1, n2: c2}
	handsets := map[string]*sipphone.Phone{n1: h1, n2: h2}
	onA, onB := n1, n2
	if tn.nodeOf(t, n1) == "b" {
		onA, onB = n2, n1
	}
	if tn.nodeOf(t, onA) != "a" || tn.nodeOf(t, onB) != "b" {
		t.Fatalf("calls not one per node")
	}
	// Two callers wait, one per node.
	c3 := tn.call(t, n3)
	if _, err := tn.d.WaitStatus(15*time.Second, queued(1)); err != nil {
		t.Fatal(err)
	}
	c4 := tn.call(t, n4)
	if _, err := tn.d.WaitStatus(15*time.Second, queued(2)); err != nil {
		t.Fatal(err)
	}
	waitA, waitB, cWaitA := n3, n4, c3
	if tn.channelsOf(t, n3)["b"] == 1 {
		waitA, waitB, cWaitA = n4, n3, c4
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := lose(ctx, tn.node["b"]); err != nil {
		t.Fatal(err)
	}

	// b's talking call and b's waiting caller end in the journal, failed.
	for _, n := range []string{onB, waitB} {
		_, leg := waitLegEnded(t, tn.d, n)
		if leg.End != hotline.LegFailed || leg.EndedAway != endedAway {
			t.Errorf("caller %s on the lost node: leg ended %q (ended away %v), want failed (ended away %v)", n, leg.End, leg.EndedAway, endedAway)
		}
	}
	// The operator of b's call is not left busy: it takes the caller waiting on a.
	operatorTakes(t, handsets[onB], cWaitA, waitA)
	if got := tn.nodeOf(t, waitA); got != "a" {
		t.Errorf("caller %s talks on %s, want a", waitA, got)
	}
	// a's call went on: both sides still hear each other.
	if err := heardMore(within(t, 10*time.Second), calls[onA], hotlinetest.OperatorTone, calls[onA].Stats().Tones[hotlinetest.OperatorTone]); err != nil {
		t.Errorf("the call on a no longer carries audio: %v", err)
	}

	// A new call enters a (Kamailio stopped sending to b) and is put through once a's first call ends.
	c5 := tn.call(t, n5)
	if _, err := tn.d.WaitStatus(15*time.Second, queued(1)); err != nil {
		t.Fatalf("new caller not queued: %v", err)
	}
	if got := tn.channelsOf(t, n5); got["a"] != 1 {
		t.Fatalf("new caller's channels %v, want it on a", got)
	}
	if err := calls[onA].Hangup(within(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	operatorTakes(t, handsets[onA], c5, n5)
	// Nobody stays busy: once a's calls end, both operators are available again.
	_ = c5.Hangup(within(t, 5*time.Second))
	_ = cWaitA.Hangup(within(t, 5*time.Second))
	if st, err := tn.d.WaitStatus(15*time.Second, func(st switchboard.Status) bool {
		available := 0
		for _, o := range st.Operators {
			if o.Extension != "" && o.Presence == hotline.PresenceAvailable {
				available++
			}
		}
		return available == 2
	}); err != nil {
		t.Errorf("an operator is left busy after node b's loss: %v (%+v)", err, st.Operators)
	}
}

// Presence from Kamailio (kamailio.rpc): an operator logged in whose handset is not registered
// with Kamailio is unreachable («Телефон недоступен» on the live board) and is not offered the
// caller at all; the caller goes to the registered operator. Once the handset registers, the
// operator is available and takes the next caller.
func TestNodesUnregisteredHandset(t *testing.T) {
	web := freeLoopbackAddr(t)
	tn := startTwoNodes(t, []hotlinetest.Operator{{Extension: "1001"}, {Extension: "1002"}}, func(c *config.Config) {
		c.Web.Listen = web
	})
	h2 := tn.handset(t, "1002")
	tn.login(t, "1001") // no handset registered: idle longest, would be offered first
	if _, err := tn.d.WaitStatus(10*time.Second, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, "1001") == hotline.PresenceUnreachable
	}); err != nil {
		t.Fatalf("1001 with no handset registered at Kamailio is not unreachable: %v", err)
	}
	board := httpGet(t, workplaceAdmin(t, tn.d, "http://"+web), "http://"+web+"/live")
	if !strings.Contains(board, "Телефон недоступен") {
		t.Errorf("the live board does not show 1001's handset as unavailable:\n%.3000s", board)
	}
	tn.login(t, "1002")
	if _, err := tn.d.WaitStatus(10*time.Second, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, "1002") == hotline.PresenceAvailable
	}); err != nil {
		t.Fatalf("1002, registered at Kamailio, is not available: %v", err)
	}
	const number = "+79006660001"
	c := tn.call(t, number)
	operatorTakes(t, h2, c, number)
	st, err := tn.d.WaitStatus(5*time.Second, func(st switchboard.Status) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range st.Operators {
		if o.Extension == "1001" && (o.Missed != 0 || o.Presence != hotline.PresenceUnreachable) {
			t.Errorf("1001 (not registered): %s, missed %d offers; want unreachable and never offered", o.Presence, o.Missed)
		}
	}
	// 1001's handset registers: available, and the next caller (1002 is busy) is put through to it.
	h1 := tn.handset(t, "1001")
	if _, err := tn.d.WaitStatus(10*time.Second, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, "1001") == hotline.PresenceAvailable
	}); err != nil {
		t.Fatalf("1001 registered later is not available: %v", err)
	}
	const next = "+79006660002"
	c2 := tn.call(t, next)
	operatorTakes(t, h1, c2, next)
	_ = c.Hangup(within(t, 5*time.Second))
	_ = c2.Hangup(within(t, 5*time.Second))
}

// Handsets authenticate at Kamailio with the passwords of the nodes' pjsip_operators.conf: one with
// the right password registers and keys *21 (logged in); one with a wrong password is refused and
// is not in Kamailio's location table; an INVITE with From: an operator's extension and no
// credentials is challenged and never reaches a node, so nobody keys an operator's codes by naming
// the extension; a caller (no handset) still comes in, an X-Hotline-Operator header it forges
// dropped: it is a caller put through to the operator, not a feature code.
func TestNodesHandsetAuthentication(t *testing.T) {
	tn := startTwoNodes(t, []hotlinetest.Operator{{Extension: "1001"}, {Extension: "1002"}, {Extension: "1003"}})
	h := tn.handset(t, "1001")
	tn.d.FeatureCode(h, "*21")
	if _, err := tn.d.WaitStatus(10*time.Second, func(st switchboard.Status) bool {
		return hotlinetest.Presence(st, "1001") == hotline.PresenceAvailable
	}); err != nil {
		t.Fatalf("1001 authenticated keyed *21: %v, want logged in", err)
	}

	_, err := sipphone.New(tbWithin(t, 10*time.Second), sipphone.Config{Server: tn.kam.Addr, User: "1002",
		Password: "not-" + tn.node["a"].HandsetPassword})
	var re *sipphone.ResponseError
	if !errors.As(err, &re) || (re.Code != 401 && re.Code != 403) {
		t.Fatalf("1002 with a wrong password: %v, want refused with 401 or 403", err)
	}
	regs, err := (&kamailio.Client{URL: tn.kam.RPCURL}).Registered(tbWithin(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if regs["1002"] || !regs["1001"] {
		t.Errorf("Kamailio's location table has %v: want 1001 and not 1002", regs)
	}

	// No password: the phone cannot answer the challenge.
	forger, err := sipphone.New(tbWithin(t, 10*time.Second), sipphone.Config{Server: tn.kam.Addr, User: "1003"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { forger.Close() })
	_, err = forger.Dial(tbWithin(t, 10*time.Second), "*21", sip.NewHeader("X-Hotline-Operator", "1003"))
	if !errors.As(err, &re) || (re.Code != 407 && re.Code != 401 && re.Code != 403) {
		t.Fatalf("1003 unauthenticated dialling *21: %v, want challenged (407) or refused", err)
	}
	log, err := os.ReadFile(tn.kam.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(log), "from 1003 to node") {
		t.Errorf("1003's unauthenticated call went to a node; Kamailio's log:\n%s", log)
	}
	if strings.Contains(string(log), tn.node["a"].HandsetPassword) {
		t.Error("Kamailio's log holds the handsets' password")
	}

	const number = "+79006660003"
	p, err := sipphone.New(tbWithin(t, 10*time.Second), sipphone.Config{Server: tn.kam.Addr, User: number,
		Tone: hotlinetest.CallerTone, Detect: []float64{hotlinetest.OperatorTone}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	c, err := p.Dial(tbWithin(t, 20*time.Second), "100", sip.NewHeader("X-Hotline-Operator", "1001"))
	if err != nil {
		t.Fatalf("caller %s: %v", number, err)
	}
	operatorTakes(t, h, c, number)
	st, err := tn.d.WaitStatus(5*time.Second, func(st switchboard.Status) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"1002", "1003"} {
		if p := hotlinetest.Presence(st, ext); p != hotline.PresenceLoggedOut {
			t.Errorf("%s is %s, want logged out: only an authenticated handset keys codes", ext, p)
		}
	}
	_ = c.Hangup(within(t, 5*time.Second))

	// An md5_cred handset, the table rewritten as `run reload` does: 1002 given as
	// MD5(1002:hotline:password) (realm hotline, a template's type) registers with that password,
	// a new one (refused above).
	pw := tn.node["a"].HandsetPassword
	ha1 := md5.Sum([]byte("1002:hotline:not-" + pw))
	conf := filepath.Join(t.TempDir(), "pjsip_operators.conf")
	if err := os.WriteFile(conf, []byte("[handset](!)\ntype = auth\n[1001](handset)\nusername = 1001\npassword = "+pw+
		"\n[1002](handset)\nauth_type = md5\nusername = 1002\nrealm = hotline\nmd5_cred = "+hex.EncodeToString(ha1[:])+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := kamailiotest.WriteHandsets(conf, tn.kam.DB); err != nil {
		t.Fatal(err)
	}
	h2, err := sipphone.New(tbWithin(t, 10*time.Second), sipphone.Config{Server: tn.kam.Addr, User: "1002", Password: "not-" + pw})
	if err != nil {
		t.Fatalf("1002 with its md5_cred's password: %v, want registered", err)
	}
	t.Cleanup(func() { h2.Close() })
	if regs, err = (&kamailio.Client{URL: tn.kam.RPCURL}).Registered(tbWithin(t, 5*time.Second)); err != nil || !regs["1002"] {
		t.Errorf("Kamailio's location table has %v, %v: want 1002 (md5_cred)", regs, err)
	}
}

// Each node records the conversations it carries with its own AMI: node b's call is recorded by
// MixMonitor on the operator's channel there (the bridge stays a 2-party simple_bridge) into b's
// recordings, both voices in the file; node a, whose AMI is out of reach, records its call in the
// bridge over ARI instead (the fallback), both voices too. The metrics say which node's AMI is
// connected, and the workplace plays each recording, fetched from the node that made it.
func TestNodesRecordingOnEveryNode(t *testing.T) {
	web, metrics := freeLoopbackAddr(t), freeLoopbackAddr(t)
	tn := startTwoNodes(t, []hotlinetest.Operator{{Extension: "1001"}, {Extension: "1002"}}, func(c *config.Config) {
		c.ARI.Nodes[0].AMI.Addr = "127.0.0.1:1" // nothing listens: node a has no AMI
		c.Web.Listen, c.Metrics.Listen = web, metrics
	})
	h1, h2 := tn.handset(t, "1001"), tn.handset(t, "1002")
	const n1, n2 = "+79008880001", "+79008880002"
	tn.login(t, "1001")
	c1 := tn.call(t, n1)
	operatorTakes(t, h1, c1, n1)
	tn.login(t, "1002")
	c2 := tn.call(t, n2)
	operatorTakes(t, h2, c2, n2)
	onNode := map[string]string{tn.nodeOf(t, n1): n1, tn.nodeOf(t, n2): n2}
	if onNode["a"] == "" || onNode["b"] == "" {
		t.Fatalf("calls not one per node: %v", onNode)
	}
	calls := map[string]*sipphone.Call{n1: c1, n2: c2}
	time.Sleep(2 * time.Second) // a conversation long enough for both voices in the recordings

	type bridge struct {
		Technology string   `json:"technology"`
		Channels   []string `json:"channels"`
	}
	var onB, onA []bridge
	ariGet(t, tn.node["b"], "/bridges", &onB)
	ariGet(t, tn.node["a"], "/bridges", &onA)
	if len(onB) != 1 || onB[0].Technology != "simple_bridge" || len(onB[0].Channels) != 2 {
		t.Errorf("node b's bridges during the conversation = %+v; want one simple_bridge of 2 channels (MixMonitor over b's AMI)", onB)
	}
	// A recorded bridge is a softmix one (its recorder is not listed among its channels).
	if len(onA) != 1 || onA[0].Technology != "softmix" {
		t.Errorf("node a's bridges during the conversation = %+v; want one softmix bridge (recorded over ARI: a's AMI is down)", onA)
	}
	metricsText := httpGet(t, http.DefaultClient, "http://"+metrics+"/metrics")
	for _, want := range []string{`hotline_ami_connected{node="a"} 0`, `hotline_ami_connected{node="b"} 1`} {
		if !strings.Contains(metricsText, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	browser := workplaceAdmin(t, tn.d, "http://"+web)
	for _, node := range []string{"a", "b"} {
		number := onNode[node]
		_ = calls[number].Hangup(within(t, 5*time.Second))
		_, leg := waitLegEnded(t, tn.d, number)
		if leg.RecordingName == "" {
			t.Errorf("node %s's call has no recording", node)
			continue
		}
		wav := tn.recording(t, node, leg.RecordingName)
		for _, tone := range []float64{hotlinetest.CallerTone, hotlinetest.OperatorTone} {
			if n := sipphone.ToneFrames(wav.Samples, tone, 0.2); n < 25 {
				t.Errorf("node %s's recording %s holds %v Hz in %d frames; want both voices", node, leg.RecordingName, tone, n)
			}
		}
		onDisk, err := os.ReadFile(tn.recordingPath(node, leg.RecordingName))
		if err != nil {
			t.Fatal(err)
		}
		played := httpGet(t, browser, fmt.Sprintf("http://%s/recordings/%d", web, leg.ID))
		if played != string(onDisk) {
			t.Errorf("the workplace played %d bytes for node %s's recording; the file on %s holds %d", len(played), node, node, len(onDisk))
		}
	}
}

// workplaceAdmin is an HTTP client logged in to the workplace at base as the test's administrator.
func workplaceAdmin(t *testing.T, d *hotlinetest.Daemon, base string) *http.Client {
	t.Helper()
	ctx := within(t, 10*time.Second)
	by, err := d.Store.Actor(ctx, "test-admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Store.SetPassword(ctx, by, by.OperatorID, workplacePassword); err != nil {
		t.Fatal(err)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	res, err := c.PostForm(base+"/login", url.Values{"login": {"test-admin"}, "password": {workplacePassword}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("workplace login: %s", res.Status)
	}
	return c
}

// httpGet is the body of a GET that must answer 200.
func httpGet(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %.300s", u, res.Status, body)
	}
	return string(body)
}

// recordingPath is where node keeps stored recording name.
func (tn *twoNodes) recordingPath(node, name string) string {
	return filepath.Join(tn.node[node].Root, "var", "spool", "asterisk", "recording", name+".wav")
}

// A handset registered with Kamailio keys its feature codes there: *21 logs its operator in, *22
// out, *21 in again, whichever node the dispatcher gives each (turn by turn: both nodes take one,
// asserted from Kamailio's log); the node reads the handset's extension from Kamailio's
// X-Hotline-Operator. Logged in so, the operator is put through a caller.
func TestNodesFeatureCodesThroughKamailio(t *testing.T) {
	tn := startTwoNodes(t, []hotlinetest.Operator{{Extension: "1001"}})
	h := tn.handset(t, "1001")
	for _, step := range []struct {
		code string
		want hotline.Presence
	}{{"*21", hotline.PresenceAvailable}, {"*22", hotline.PresenceLoggedOut}, {"*21", hotline.PresenceAvailable}} {
		tn.d.FeatureCode(h, step.code)
		if _, err := tn.d.WaitStatus(10*time.Second, func(st switchboard.Status) bool {
			return hotlinetest.Presence(st, "1001") == step.want
		}); err != nil {
			t.Fatalf("after %s through Kamailio: %v, want 1001 %s", step.code, err, step.want)
		}
	}
	log, err := os.ReadFile(tn.kam.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		if !strings.Contains(string(log), "from 1001 to node sip:"+tn.node[name].SIPAddr) {
			t.Errorf("no feature code of 1001 went to node %s (%s); Kamailio's log:\n%s", name, tn.node[name].SIPAddr, log)
		}
	}
	const number = "+79009990001"
	c := tn.call(t, number)
	operatorTakes(t, h, c, number)
	_ = c.Hangup(within(t, 5*time.Second))
}

// recording reads a stored recording from node's disk, waiting for Asterisk to close it.
func (tn *twoNodes) recording(t *testing.T, node, name string) *sipphone.WAV {
	t.Helper()
	path := tn.recordingPath(node, name)
	var wav *sipphone.WAV
	var err error
	for range 50 {
		if wav, err = sipphone.LoadWAV(path); err == nil && len(wav.Samples) > 8000 {
			return wav
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("node %s's recording %s: %v", node, path, err)
	}
	return wav
}

// asteriskCPU is the CPU time (user + system) the node's Asterisk has used so far.
func asteriskCPU(tb testing.TB, s sandbox.Config) time.Duration {
	tb.Helper()
	pid, err := os.ReadFile(filepath.Join(s.Root, "run", "asterisk", "asterisk.pid"))
	if err != nil {
		tb.Fatal(err)
	}
	stat, err := os.ReadFile(filepath.Join("/proc", strings.TrimSpace(string(pid)), "stat"))
	if err != nil {
		tb.Fatal(err)
	}
	// The fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(f) < 13 {
		tb.Fatalf("asterisk stat: %q", stat)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		tb.Fatalf("asterisk stat: %q", stat)
	}
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// Two nodes behind Kamailio carrying b.N calls in pairs (two operators, a pair dialled back to
// back, which Kamailio sends one to each node): how the calls divided and each node's Asterisk
// CPU per call it carried. Each call is put through, talks a second (tones both ways checked by
// the caller hearing the operator) and the caller hangs up. The CPU figures depend on the
// machine's other load.
func BenchmarkNodesCallsPerNode(b *testing.B) {
	tn := startTwoNodes(b, []hotlinetest.Operator{{Extension: "1001"}, {Extension: "1002"}})
	tn.handset(b, "1001")
	tn.handset(b, "1002")
	tn.login(b, "1001", "1002")
	perNode := map[string]int{}
	cpu0 := map[string]time.Duration{"a": asteriskCPU(b, tn.node["a"]), "b": asteriskCPU(b, tn.node["b"])}
	b.ResetTimer()
	for i := 0; i < b.N; i += 2 {
		var calls []*sipphone.Call
		var numbers []string
		for k := range min(2, b.N-i) {
			n := fmt.Sprintf("+7900777%04d", i+k)
			calls = append(calls, tn.call(b, n))
			numbers = append(numbers, n)
		}
		for k, c := range calls {
			if err := c.WaitTone(tbWithin(b, 20*time.Second), hotlinetest.OperatorTone); err != nil {
				b.Fatalf("caller %s does not hear an operator: %v", numbers[k], err)
			}
			perNode[tn.nodeOf(b, numbers[k])]++
		}
		time.Sleep(time.Second)
		for _, c := range calls {
			_ = c.Hangup(tbWithin(b, 5*time.Second))
		}
		// Both operators free again (after wrap-up) before the next pair.
		if _, err := tn.d.WaitStatus(20*time.Second, func(st switchboard.Status) bool {
			free := 0
			for _, o := range st.Operators {
				if o.Extension != "" && o.Presence == hotline.PresenceAvailable {
					free++
				}
			}
			return free == 2 && st.Calls == 0
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	for _, name := range []string{"a", "b"} {
		cpu := asteriskCPU(b, tn.node[name]) - cpu0[name]
		b.ReportMetric(float64(perNode[name]), "calls-on-"+name)
		if perNode[name] > 0 {
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(perNode[name]), "cpu-ms/call-on-"+name)
		}
	}
}
