package ariadapter

import (
	"bufio"
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/switchboard"
)

// Answers as Asterisk 22 gives them (the sandbox's, ids shortened): what the requests that create
// something send back.
const (
	answerChannel  = `{"id":"op-1700000000.42","name":"PJSIP/1001-00000018","state":"Down","protocol_id":"","caller":{"name":"","number":"5550100"},"connected":{"name":"","number":""},"accountcode":"","dialplan":{"context":"hotline-operators","exten":"s","priority":1,"app_name":"","app_data":""},"creationtime":"2026-12-07T13:30:00.190+0000","language":"en","channelvars":{}}`
	answerBridge   = `{"id":"b-1700000000.41-7","technology":"simple_bridge","bridge_type":"mixing","bridge_class":"stasis","creator":"Stasis","name":"hotline","channels":[],"creationtime":"2026-12-07T13:30:01.020+0000","video_mode":"talker"}`
	answerPlayback = `{"id":"pb-1700000000.41-3","media_uri":"sound:hotline/greeting","target_uri":"channel:1700000000.41","language":"ru","state":"queued"}`
)

// fakeAsterisk answers REST requests on a kept connection as Asterisk does, allocating little, so
// a benchmark's allocations are the client's. It returns the base URL.
func fakeAsterisk(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go serveFake(nc)
		}
	}()
	return "http://" + ln.Addr().String() + "/ari"
}

func serveFake(nc net.Conn) {
	defer nc.Close()
	br := bufio.NewReader(nc)
	bw := bufio.NewWriter(nc)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		method, rest, _ := strings.Cut(string(line), " ")
		path, _, _ := strings.Cut(rest, " ")
		path, _, _ = strings.Cut(path, "?")
		length := 0
		for {
			h, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(h) <= 2 {
				break
			}
			if v, ok := strings.CutPrefix(string(h), "Content-Length: "); ok {
				length, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		if _, err := br.Discard(length); err != nil {
			return
		}
		seg := strings.Split(strings.Trim(path, "/"), "/") // ari, channels|bridges, id, ...
		status, body := "204 No Content", ""
		switch {
		case method == "POST" && len(seg) == 3 && seg[1] == "channels":
			status, body = "200 OK", answerChannel
		case method == "POST" && len(seg) == 3 && seg[1] == "bridges":
			status, body = "200 OK", answerBridge
		case method == "POST" && len(seg) == 5 && seg[3] == "play":
			status, body = "201 Created", answerPlayback
		}
		bw.WriteString("HTTP/1.1 " + status + "\r\nServer: Asterisk/22.10.1\r\nDate: Mon, 07 Dec 2026 13:30:00 GMT\r\nCache-Control: no-cache, no-store\r\n")
		if body != "" {
			bw.WriteString("Content-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
		} else {
			bw.WriteString("Content-Length: 0\r\n\r\n")
		}
		if err := bw.Flush(); err != nil {
			return
		}
	}
}

// callRequests are the REST requests of one answered call as the load benchmark counts them
// (docs/benchmark.md: 8 a call), in a call's order.
func callRequests() []switchboard.Op {
	const caller, handset, bridge = "1700000000.41", "op-1700000000.42", "b-1700000000.41-7"
	return []switchboard.Op{
		switchboard.StartMOH{Channel: caller, Class: "default"},
		switchboard.Play{Channel: caller, Media: []string{"sound:hotline/position"}, Playback: "pb-1700000000.41-3", Language: "ru"},
		switchboard.Originate{Channel: handset, Endpoint: "PJSIP/1001", CallerID: "5550100", Timeout: 20 * time.Second,
			Entry: switchboard.Offer{Call: caller}, Originator: caller, Variables: map[string]string{"PJSIP_TRANSFER_HANDLING()": "ari-only"}},
		switchboard.StopMOH{Channel: caller},
		switchboard.CreateBridge{Bridge: bridge},
		switchboard.AddToBridge{Bridge: bridge, Channels: []string{caller, handset}},
		switchboard.DestroyBridge{Bridge: bridge},
		switchboard.Hangup{Channel: handset, Reason: "normal"},
	}
}

// BenchmarkTelephonyCall: one call's REST requests through Telephony.Do, each a round trip on a
// kept connection to a local fake Asterisk (whose own allocations are few). allocs/op is per call.
func BenchmarkTelephonyCall(b *testing.B) {
	conn, err := ari.New(ari.Config{URL: fakeAsterisk(b), Username: "u", Password: "p", Application: "hotline"})
	if err != nil {
		b.Fatal(err)
	}
	tel := Telephony{Conn: conn}
	ops := callRequests()
	ctx := context.Background()
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		for _, op := range ops {
			// The switchboard's workers give each request its own deadline.
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := tel.Do(rctx, op)
			cancel()
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	cpu := processCPU() - cpu0
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/call")
}

// TestTelephonyCallAgainstFake: the benchmark's fake answers every request of a call.
func TestTelephonyCallAgainstFake(t *testing.T) {
	conn, err := ari.New(ari.Config{URL: fakeAsterisk(t), Username: "u", Password: "p", Application: "hotline"})
	if err != nil {
		t.Fatal(err)
	}
	tel := Telephony{Conn: conn}
	for _, op := range callRequests() {
		if err := tel.Do(context.Background(), op); err != nil {
			t.Fatalf("%v: %v", op, err)
		}
	}
}
