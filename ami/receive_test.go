package ami

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

const sampleNewchannel = "Event: Newchannel\r\nPrivilege: call,all\r\nTimestamp: 1795437538.194701\r\n" +
	"Channel: Local/*43@hotline-operators-00000001;1\r\nChannelState: 0\r\nChannelStateDesc: Down\r\n" +
	"CallerIDNum: <unknown>\r\nCallerIDName: <unknown>\r\nConnectedLineNum: <unknown>\r\n" +
	"ConnectedLineName: <unknown>\r\nLanguage: en\r\nAccountCode: \r\nContext: hotline-operators\r\n" +
	"Exten: *43\r\nPriority: 1\r\nUniqueid: 1795437538.2\r\nLinkedid: 1795437538.2\r\n\r\n"

// FuzzReceive feeds arbitrary bytes, in arbitrary chunk sizes, through the whole receive path:
// a session reading a net.Pipe (banner, framing, parsing, correlation with waiting actions,
// delivery). It must not panic, must end when the peer closes, and must complete every waiting
// action one way or the other.
func FuzzReceive(f *testing.F) {
	seeds := []string{
		sampleNewchannel,
		"Response: Success\r\nActionID: 1\r\nEventList: start\r\n\r\nEvent: X\r\nActionID: 1\r\nA: b\r\n\r\n" +
			"Event: XComplete\r\nActionID: 1\r\nEventList: Complete\r\n\r\n",
		"ActionID: 2\r\nDevice: PJSIP/1\r\nState: INUSE\r\n\r\n",
		"Response: Error\r\nActionID: 3\r\nMessage: nope\r\n\r\n\r\n",
		"Event: OriginateResponse\r\nActionID: 3\r\nResponse: Success\r\n\r\n",
		"garbage without colon\r\n\r\n",
		"A: 1\r\nA: 2\r\nA: 3\r\nActionID: 1\r\nActionID: 2\r\n\r\n",
		"Event: Big\r\nValue: " + strings.Repeat("x", 70000) + "\r\n\r\n",
		"\r\n\r\n\r\n\r",
		"\n\n\n",
		"Event: X\rY: z\r\n\r\n",
		"x\r",
		"\x00\xff\r\n:\r\n\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint8(7))
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		client, server := net.Pipe()
		release := make(chan struct{})
		go func() {
			defer server.Close()
			if _, err := io.WriteString(server, "Asterisk Call Manager/11.0.0\r\n"); err != nil {
				return
			}
			<-release
			// Partial reads: the reader must reassemble. At most ~256 writes per input, so that
			// long inputs stay cheap (net.Pipe hands over each write synchronously).
			step := max(int(chunk)+1, len(data)/256)
			for len(data) > 0 {
				n := min(step, len(data))
				if _, err := server.Write(data[:n]); err != nil {
					return
				}
				data = data[n:]
			}
		}()
		go io.Copy(io.Discard, server) // swallow what the client writes

		delivered := 0
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s, err := newSession(ctx, client, 64<<10, time.Second, &counters{}, func(m *Message) {
			if m == nil {
				t.Fatal("delivered a nil message")
			}
			delivered++
		})
		if err != nil {
			t.Fatalf("banner: %v", err)
		}
		// Actions waiting on IDs the seeds use: a plain one, a list, and one awaiting an event.
		waits := []*pending{
			{action: "A", id: "1", list: true},
			{action: "B", id: "2", list: true},
			{action: "C", id: "3", waitEvent: "OriginateResponse"},
		}
		s.mu.Lock()
		for _, p := range waits {
			p.done = make(chan struct{})
			s.pending[p.id] = p
		}
		s.mu.Unlock()
		s.goLive(func() {})
		close(release)

		select {
		case <-s.readerDone():
		case <-time.After(10 * time.Second):
			t.Fatal("reader still running 10s after the peer closed")
		}
		for _, p := range waits {
			select {
			case <-p.done:
			default:
				t.Fatalf("action %s still waiting after the session ended", p.action)
			}
		}
		_ = delivered
	})
}

// TestReceiveFraming checks what the reader makes of awkward but valid input.
func TestReceiveFraming(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string // Event or first header value of each delivered message
	}{
		{"one", sampleNewchannel, []string{"Newchannel"}},
		{"blank lines between", "\r\n\r\nEvent: A\r\n\r\n\r\nEvent: B\r\n\r\n", []string{"A", "B"}},
		{"LF only", "Event: A\nX: 1\n\nEvent: B\r\n\r\n", []string{"A", "B"}},
		{"lenient: name with underscore", "Event: U\r\nX_Y: 1\r\n\r\n", []string{"U"}},
		{"long value", "Event: L\r\nV: " + strings.Repeat("v", 40000) + "\r\n\r\n", []string{"L"}},
		{"truncated last message is not delivered", "Event: A\r\n\r\nEvent: B\r\n", []string{"A"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			s := &session{
				br: bufio.NewReaderSize(strings.NewReader(tt.input), 16<<10), maxMsg: 1 << 20,
				counts: &counters{}, pending: map[string]*pending{}, live: true,
				deliver: func(m *Message) { got = append(got, m.Field("Event")) },
			}
			err := s.receive()
			if err == nil {
				t.Fatal("receive returned nil at EOF")
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("delivered %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseLenientKeepsEverything(t *testing.T) {
	m := parseMessage("Response: Follows\r\nPrivilege: Command\r\nline one\r\nX_Y:  v\r\n\r\n", nil)
	want := []Header{{Name: "Response", Value: "Follows"}, {Name: "Privilege", Value: "Command"}, {Name: "", Value: "line one"}, {Name: "X_Y", Value: "v"}}
	got := m.Headers()
	if len(got) != len(want) {
		t.Fatalf("headers %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("header %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// BenchmarkReceive measures the receive path (framing, goami2 parse, routing, delivery) on a
// stream of typical events, one op per message; see doc.go for figures.
func BenchmarkReceive(b *testing.B) {
	n := 0
	s := &session{
		br:     bufio.NewReaderSize(&repeatReader{msg: sampleNewchannel, left: b.N}, 16<<10),
		maxMsg: 1 << 20, counts: &counters{}, pending: map[string]*pending{}, live: true,
		deliver: func(*Message) { n++ },
	}
	b.SetBytes(int64(len(sampleNewchannel)))
	b.ReportAllocs()
	b.ResetTimer()
	if err := s.receive(); err == nil {
		b.Fatal("no EOF")
	}
	b.StopTimer()
	if n != b.N {
		b.Fatalf("delivered %d, want %d", n, b.N)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

// repeatReader yields msg left times, then EOF, without holding the whole stream in memory.
type repeatReader struct {
	msg  string
	left int
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && r.left > 0 {
		c := copy(p[n:], r.msg[r.off:])
		n += c
		r.off += c
		if r.off == len(r.msg) {
			r.off, r.left = 0, r.left-1
		}
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// BenchmarkDecode measures turning a parsed Newchannel into the typed event.
func BenchmarkDecode(b *testing.B) {
	m := parseMessage(sampleNewchannel, nil)
	b.ReportAllocs()
	for b.Loop() {
		if Decode(m) == nil {
			b.Fatal("not decoded")
		}
	}
}

// BenchmarkClientEvents measures the client end to end: a fake Asterisk writes events into a
// net.Pipe, the client frames, parses and routes them, and one subscriber receives them. One op
// is one event received by the subscriber.
func BenchmarkClientEvents(b *testing.B) {
	f := newFake()
	f.handle = func(fc *fakeConn, m *Message) {
		n, _ := strconv.Atoi(m.Field("Count"))
		go func() {
			for range n {
				if fc.write(sampleNewchannel) != nil {
					return
				}
			}
		}()
		fc.send("Response", "Success", "ActionID", m.ActionID())
	}
	cfg := Config{Addr: "fake", Username: "u", Secret: "s3cret", Dial: f.dial, PingInterval: -1,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	c, err := Dial(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	sub := c.SubscribeBuffer(1<<16, "Newchannel")
	defer sub.Close()
	<-sub.Events() // the state item
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := c.Action(context.Background(), NewAction("Burst", "Count", strconv.Itoa(b.N))); err != nil {
		b.Fatal(err)
	}
	// A loaded machine may make the subscriber fall behind; count losses rather than hang.
	got := 0
	for got+int(sub.Dropped()) < b.N {
		<-sub.Events()
		got++
	}
	b.StopTimer()
	b.ReportMetric(float64(got)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(sub.Dropped()), "dropped")
}
