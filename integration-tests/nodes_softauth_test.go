package integrationtests

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hotline-dev/hotline/config"
	"github.com/hotline-dev/hotline/integration-tests/hotlinetest"
	"github.com/hotline-dev/hotline/integration-tests/kamailiotest"
	"github.com/hotline-dev/hotline/kamailio"
	"github.com/hotline-dev/hotline/softphone"
)

// TestNodesSoftphoneAuthentication: softphones register with Kamailio over SIP WebSocket only
// with the password hotline issued them (docs/scaling.md, "The browser softphone through
// Kamailio"). A WebSocket REGISTER as 9101 with a wrong password is challenged again (401) and
// 9101 is not in Kamailio's location table; one as 9102, to whom nothing was issued, is refused
// (403) and not there either; with the password the workplace issued (GET /work/softphone) 9101
// registers. Kamailio restarted (its table empty), hotline sets the password there again and the
// same credentials register once more. Kamailio's log never holds the password.
func TestNodesSoftphoneAuthentication(t *testing.T) {
	kamAddr := kamailioAddr(t)
	ws := kamailiotest.WebSocketURL(kamAddr)
	web := freeLoopbackAddr(t)
	tn := startTwoNodes(t, []hotlinetest.Operator{{Extension: "9101"}, {Extension: "9102"}}, func(c *config.Config) {
		for i := range c.ARI.Nodes {
			c.ARI.Nodes[i].Softphones = "PJSIP/{extension}@kamailio-webrtc"
		}
		c.Web.Listen, c.Web.Softphone = web, ws
	})
	ctx := within(t, 3*time.Minute)
	by, err := tn.d.Store.Actor(ctx, "test-admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := tn.d.Store.SetPassword(ctx, by, tn.d.OperatorID("9101"), workplacePassword); err != nil {
		t.Fatal(err)
	}
	creds := softphoneCredentials(t, "http://"+web, "op9101")
	if creds.User != "9101" || creds.Password == "" || creds.WebSocket != ws {
		t.Fatalf("the workplace issued %s at %s (password set: %v); want 9101 at %s", creds.User, creds.WebSocket, creds.Password != "", ws)
	}
	kam := &kamailio.Client{URL: tn.kam.RPCURL}
	notRegistered := func(ext string) {
		t.Helper()
		regs, err := kam.Registered(within(t, 5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		if regs[ext] {
			t.Errorf("Kamailio's location table has %s after its refused REGISTER: %v", ext, regs)
		}
	}

	if code := wsRegister(t, ws, "9101", "not-"+creds.Password); code != 401 {
		t.Errorf("9101 with a wrong password: %d, want 401 (challenged again)", code)
	}
	notRegistered("9101")
	if code := wsRegister(t, ws, "9102", creds.Password); code != 403 {
		t.Errorf("9102, never issued credentials, with 9101's password: %d, want 403", code)
	}
	notRegistered("9102")
	if code := wsRegister(t, ws, "9101", creds.Password); code != 200 {
		t.Fatalf("9101 with the issued password: %d, want 200", code)
	}
	regs, err := kam.Registered(within(t, 5*time.Second))
	if err != nil || !regs["9101"] {
		t.Fatalf("9101 registered with the issued password is not in Kamailio's location table: %v %v", regs, err)
	}

	// Kamailio restarts: its table is empty until hotline sets the passwords again.
	before := tn.kam
	tn.kam.Stop()
	tn.kam = kamailiotest.Start(t, kamAddr, []string{tn.node["a"].SIPAddr, tn.node["b"].SIPAddr})
	waitFor(t, 30*time.Second, "9101 registering with its password at the restarted Kamailio", func() bool {
		return wsRegister(t, ws, "9101", creds.Password) == 200
	})

	// Kamailio's JSON-RPC serves hotline's own commands only: never the softphones' passwords
	// (htable.dump, htable.get of that table) nor any other command, nor another path.
	for _, tc := range []struct{ path, body string }{
		{"/RPC", `{"jsonrpc":"2.0","method":"htable.dump","params":["softphones"],"id":1}`},
		{"/RPC", `{"id":1,"jsonrpc":"2.0","method":"htable.get","params":["softphones","9101"]}`},
		{"/RPC", `{"id":1,"jsonrpc":"2.0","method":"core.kill"}`},
		{"/RPC", `{"id":1,"jsonrpc":"2.0","method":"ul.dump"} {"method":"core.kill"}`},
		{"/RPCx", `{"id":1,"jsonrpc":"2.0","method":"ul.dump"}`},
	} {
		u := strings.TrimSuffix(tn.kam.RPCURL, "/RPC") + tc.path
		res, err := http.Post(u, "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatalf("JSON-RPC %s: %v", tc.body, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden || strings.Contains(string(b), creds.Password) {
			t.Errorf("JSON-RPC %s %s: %s %q, want 403 without the password", tc.path, tc.body, res.Status, b)
		}
	}
	if regs, err := (&kamailio.Client{URL: tn.kam.RPCURL}).Registered(within(t, 5*time.Second)); err != nil {
		t.Errorf("ul.dump as hotline asks it, after the refusals: %v (%v)", err, regs)
	}

	for _, k := range []*kamailiotest.Kamailio{before, tn.kam} {
		log, err := os.ReadFile(k.LogPath)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(log), creds.Password) {
			t.Errorf("Kamailio's log %s holds the softphone's password", k.LogPath)
		}
	}
	log, err := os.ReadFile(before.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"softphone authentication failed: REGISTER from", "as 9101", "softphone authentication refused: REGISTER from", "as 9102 (no credentials issued)"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("Kamailio's log has no %q", want)
		}
	}
}

// softphoneCredentials logs in to the workplace at base as login and gets the softphone's
// credentials, as the page's script does.
func softphoneCredentials(t *testing.T, base, login string) softphone.Credentials {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	res, err := c.PostForm(base+"/login", url.Values{"login": {login}, "password": {workplacePassword}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("workplace login as %s: %s", login, res.Status)
	}
	var a softphone.Credentials
	if err := json.Unmarshal([]byte(httpGet(t, c, base+"/work/softphone")), &a); err != nil {
		t.Fatalf("/work/softphone: %v", err)
	}
	return a
}

// wsRegister sends a REGISTER for ext over a new SIP WebSocket connection to ws, as a browser's
// softphone does (Via and Contact on an invented ….invalid host), answers a digest challenge with
// password, and returns the final status code.
func wsRegister(t *testing.T, ws, ext, password string) int {
	t.Helper()
	ctx := within(t, 10*time.Second)
	conn, _, err := websocket.Dial(ctx, ws, &websocket.DialOptions{Subprotocols: []string{"sip"}})
	if err != nil {
		t.Fatalf("SIP WebSocket %s: %v", ws, err)
	}
	defer conn.CloseNow()
	host := strings.TrimSuffix(strings.TrimPrefix(ws, "ws://"), "/ws")
	domain, _, _ := strings.Cut(host, ":")
	callID, tag := randomToken(), randomToken()
	var authz string
	for cseq := 1; cseq <= 2; cseq++ {
		msg := fmt.Sprintf("REGISTER sip:%s SIP/2.0\r\n"+
			"Via: SIP/2.0/WS %s.invalid;branch=z9hG4bK%s\r\n"+
			"Max-Forwards: 70\r\n"+
			"To: <sip:%s@%s>\r\n"+
			"From: <sip:%s@%s>;tag=%s\r\n"+
			"Call-ID: %s\r\n"+
			"CSeq: %d REGISTER\r\n"+
			"Contact: <sip:%s@%s.invalid;transport=ws>;expires=60\r\n"+
			"Expires: 60\r\n%s"+
			"Content-Length: 0\r\n\r\n",
			domain, tag, randomToken(), ext, domain, ext, domain, tag, callID, cseq, ext, tag, authz)
		if err := conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatalf("REGISTER over %s: %v", ws, err)
		}
		var code int
		var challenge string
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				t.Fatalf("REGISTER %s over %s: no answer: %v", ext, ws, err)
			}
			code, challenge = sipStatus(t, string(b))
			if code >= 200 {
				break
			}
		}
		if code != 401 || cseq == 2 {
			return code
		}
		authz = "Authorization: " + digestAnswer(t, challenge, ext, password, "REGISTER", "sip:"+domain) + "\r\n"
	}
	panic("unreachable")
}

// sipStatus reads a SIP response's status code and its WWW-Authenticate header.
func sipStatus(t *testing.T, msg string) (int, string) {
	t.Helper()
	lines := strings.Split(msg, "\r\n")
	f := strings.Fields(lines[0])
	if len(f) < 2 || f[0] != "SIP/2.0" {
		t.Fatalf("not a SIP response: %.200q", msg)
	}
	code, err := strconv.Atoi(f[1])
	if err != nil {
		t.Fatalf("SIP status %q: %v", f[1], err)
	}
	for _, l := range lines[1:] {
		if name, value, ok := strings.Cut(l, ":"); ok && strings.EqualFold(strings.TrimSpace(name), "WWW-Authenticate") {
			return code, strings.TrimSpace(value)
		}
	}
	return code, ""
}

// digestAnswer answers a Digest challenge (RFC 2617, MD5, qop=auth when offered).
func digestAnswer(t *testing.T, challenge, user, password, method, uri string) string {
	t.Helper()
	params := map[string]string{}
	rest, ok := strings.CutPrefix(challenge, "Digest ")
	if !ok {
		t.Fatalf("not a Digest challenge: %q", challenge)
	}
	for _, p := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		params[k] = strings.Trim(v, `"`)
	}
	h := func(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }
	ha1, ha2 := h(user+":"+params["realm"]+":"+password), h(method+":"+uri)
	a := fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", algorithm=MD5`, user, params["realm"], params["nonce"], uri)
	if strings.Contains(params["qop"], "auth") {
		cnonce := randomToken()
		return a + fmt.Sprintf(`, qop=auth, nc=00000001, cnonce="%s", response="%s"`, cnonce, h(ha1+":"+params["nonce"]+":00000001:"+cnonce+":auth:"+ha2))
	}
	return a + fmt.Sprintf(`, response="%s"`, h(ha1+":"+params["nonce"]+":"+ha2))
}

func randomToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
