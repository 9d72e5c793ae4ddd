// Package kamailiotest starts a real Kamailio (Debian's kamailio package) for integration tests,
// with hotline's configuration (asterisk-conf/kamailio/kamailio.cfg): on a loopback address, with
// its own runtime directory, the dispatcher over the given Asterisk nodes, stopped when the test
// ends. A missing kamailio binary fails the test: it is never skipped. Handsets authenticate with
// the sandbox's handset passwords: Kamailio's credentials are generated from the pjsip_operators.conf
// of the sandbox instance the test runs on (WriteHandsets, as asterisk-conf/kamailio/handsets), as in
// production from the nodes' file.
package kamailiotest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hotline-dev/hotline/integration-tests/sandbox"
)

// Kamailio is one running Kamailio.
type Kamailio struct {
	Addr   string // its SIP UDP address, IP:PORT
	RPCURL string // its JSON-RPC over HTTP (hotline's kamailio.rpc): http://IP:5071/RPC
	// WebSocket is where browsers' softphones reach its SIP over WebSocket: ws://IP:WSPort/ws,
	// the IP of Addr.
	WebSocket string
	LogPath   string
	// DB is its handsets' credentials, a db_text directory: WriteHandsets there changes them
	// (Kamailio rereads the table at its next authentication, as after `run reload`).
	DB   string
	cmd  *exec.Cmd
	done chan error
}

// Binary is where the kamailio program is looked for: $KAMAILIO, /usr/sbin/kamailio, then PATH.
func Binary() (string, error) {
	for _, p := range []string{os.Getenv("KAMAILIO"), "/usr/sbin/kamailio"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath("kamailio")
	if err != nil {
		return "", errors.New("kamailiotest: no kamailio binary (apt-get install kamailio; or set KAMAILIO)")
	}
	return p, nil
}

// RPCPort is the port of Kamailio's JSON-RPC listener, on its SIP address's IP.
const RPCPort = 5071

// RPCURL is the JSON-RPC URL of the Kamailio at addr (its SIP IP:PORT).
func RPCURL(addr string) string {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("http://%s/RPC", netip.AddrPortFrom(ap.Addr(), RPCPort))
}

// WSPort is the TCP port of Kamailio's SIP WebSocket listener, on the IP of its UDP address.
const WSPort = 5066

// WebSocketURL is the softphones' address of a Kamailio whose SIP UDP address is addr.
func WebSocketURL(addr string) string {
	host, _, _ := net.SplitHostPort(addr)
	return fmt.Sprintf("ws://%s/ws", net.JoinHostPort(host, fmt.Sprint(WSPort)))
}

// Config writes kamailio.cfg for addr (IP:PORT on loopback) and nodes (their SIP IP:PORT) into dir,
// with the handsets of the sandbox instance's pjsip_operators.conf, and returns its path.
func Config(dir, addr string, nodes []string) (string, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().IsLoopback() {
		return "", fmt.Errorf("kamailiotest: %q is not a loopback IP:PORT", addr)
	}
	script, err := sandbox.Script()
	if err != nil {
		return "", err
	}
	sb, err := sandbox.Load()
	if err != nil {
		return "", fmt.Errorf("kamailiotest: the handsets come from the sandbox's pjsip_operators.conf: %w", err)
	}
	if sb.Root == "" {
		return "", errors.New("kamailiotest: the sandbox's root is unknown (HOTLINE_SANDBOX_ROOT): no pjsip_operators.conf for the handsets")
	}
	db := filepath.Join(dir, "db")
	// As asterisk-conf/kamailio/handsets does (hotline-lab kamailio-handsets), without a build.
	if _, _, err := WriteHandsets(filepath.Join(sb.Root, "etc", "asterisk", "pjsip_operators.conf"), db); err != nil {
		return "", fmt.Errorf("kamailiotest: handsets: %w", err)
	}
	tmpl, err := os.ReadFile(filepath.Join(filepath.Dir(script), "kamailio", "kamailio.cfg"))
	if err != nil {
		return "", fmt.Errorf("kamailiotest: %w", err)
	}
	var list strings.Builder
	for _, n := range nodes {
		fmt.Fprintf(&list, "1 sip:%s\n", n)
	}
	listPath := filepath.Join(dir, "dispatcher.list")
	if err := os.WriteFile(listPath, []byte(list.String()), 0o644); err != nil {
		return "", fmt.Errorf("kamailiotest: %w", err)
	}
	rpc := netip.AddrPortFrom(ap.Addr(), RPCPort)
	ws := net.JoinHostPort(ap.Addr().String(), fmt.Sprint(WSPort))
	cfg := strings.NewReplacer("KAMAILIO_WS_LISTEN", "tcp:"+ws, "KAMAILIO_WS_PORT", fmt.Sprint(WSPort), "KAMAILIO_LISTEN", "udp:"+addr, "KAMAILIO_LIST", listPath, "KAMAILIO_RUNDIR", dir,
		"KAMAILIO_DB", db, "KAMAILIO_RPC_LISTEN", "tcp:"+rpc.String(), "KAMAILIO_RPC_PORT", fmt.Sprint(RPCPort)).Replace(string(tmpl))
	cfgPath := filepath.Join(dir, "kamailio.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return "", fmt.Errorf("kamailiotest: %w", err)
	}
	return cfgPath, nil
}

// Start runs Kamailio on addr in front of nodes until the test ends, and waits until it answers
// OPTIONS.
func Start(tb testing.TB, addr string, nodes []string) *Kamailio {
	tb.Helper()
	dir := tb.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	k, err := Run(ctx, dir, addr, nodes)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		k.Stop()
		if tb.Failed() {
			if b, err := os.ReadFile(k.LogPath); err == nil {
				tb.Logf("kamailio log:\n%s", b)
			}
		}
	})
	return k
}

// Run starts Kamailio on addr in front of nodes, its configuration, log and pid file in dir, and
// waits (within ctx) until it answers OPTIONS. The caller stops it (Stop); outside tests too (the
// load benchmark, loadgen).
func Run(ctx context.Context, dir, addr string, nodes []string) (*Kamailio, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	cfg, err := Config(dir, addr, nodes)
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "kamailio.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("kamailiotest: %w", err)
	}
	// -DD: in the foreground, its children too; -E: log to stderr (the file); -Y: runtime dir.
	cmd := exec.Command(bin, "-f", cfg, "-DD", "-E", "-Y", dir, "-P", filepath.Join(dir, "kamailio.pid"), "-m", "32", "-M", "8")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("kamailiotest: start %s: %w", bin, err)
	}
	k := &Kamailio{Addr: addr, RPCURL: RPCURL(addr), WebSocket: WebSocketURL(addr), LogPath: logPath, DB: filepath.Join(dir, "db"), cmd: cmd, done: make(chan error, 1)}
	go func() { k.done <- cmd.Wait(); logf.Close() }()
	if err := k.waitReady(ctx); err != nil {
		k.Stop()
		b, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("kamailiotest: %w\n%s", err, b)
	}
	return k, nil
}

// Pid is the main Kamailio process's pid (its children are in its process group).
func (k *Kamailio) Pid() int { return k.cmd.Process.Pid }

// Stop ends Kamailio (its whole process group: the main process and its children).
func (k *Kamailio) Stop() {
	if k.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-k.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-k.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-k.cmd.Process.Pid, syscall.SIGKILL)
		<-k.done
	}
	k.done <- nil // a second Stop returns at once
}

// waitReady sends OPTIONS until Kamailio answers 200.
func (k *Kamailio) waitReady(ctx context.Context) error {
	for {
		select {
		case err := <-k.done:
			k.done <- err
			return fmt.Errorf("kamailio exited: %v", err)
		default:
		}
		if err := ping(ctx, k.Addr); err == nil {
			return nil
		} else if ctx.Err() != nil {
			return fmt.Errorf("kamailio does not answer OPTIONS at %s: %w", k.Addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func ping(ctx context.Context, addr string) error {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	local := c.LocalAddr().String()
	req := "OPTIONS sip:" + addr + " SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK" + fmt.Sprint(time.Now().UnixNano()) + "\r\n" +
		"Max-Forwards: 70\r\nFrom: <sip:probe@" + local + ">;tag=probe\r\nTo: <sip:" + addr + ">\r\n" +
		"Call-ID: probe-" + fmt.Sprint(time.Now().UnixNano()) + "\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		return err
	}
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	buf := make([]byte, 2048)
	n, err := c.Read(buf)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(string(buf[:n]), "SIP/2.0 200") {
		return fmt.Errorf("answered %q", strings.SplitN(string(buf[:n]), "\r\n", 2)[0])
	}
	return nil
}
