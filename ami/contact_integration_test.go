package ami_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/hotline-dev/hotline/ami"
)

// A handset registers (a real SIP REGISTER with digest auth, through sipgo) and unregisters:
// AMI reports the new contact's ContactStatus and then Removed, and PJSIPShowContacts lists the contact
// meanwhile. Handset 1060, the last operator, to keep clear of tests that use the first ones.
func TestSandboxContactStatus(t *testing.T) {
	const handset = "1060"
	c, cfg := dialSandbox(t, ami.AuthMD5)
	sub := c.Subscribe("ContactStatus")
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	ua, err := sipgo.NewUA(sipgo.WithUserAgent("hotline-ami-test"))
	if err != nil {
		t.Fatalf("SIP user agent: %v", err)
	}
	defer ua.Close()
	sc, err := sipgo.NewClient(ua, sipgo.WithClientHostname("127.0.0.1"))
	if err != nil {
		t.Fatalf("SIP client: %v", err)
	}
	defer sc.Close()
	contact := "sip:" + handset + "@127.0.0.1:5999"
	register := func(expires int) error {
		var aor sip.Uri
		if err := sip.ParseUri("sip:"+handset+"@"+cfg.SIPAddr, &aor); err != nil {
			return err
		}
		req := sip.NewRequest(sip.REGISTER, aor)
		// Asterisk identifies the endpoint by the From user; sipgo would put its UA name there.
		from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: handset, Host: aor.Host, Port: aor.Port}, Params: sip.NewParams()}
		from.Params.Add("tag", sip.GenerateTagN(16))
		req.AppendHeader(from)
		req.AppendHeader(sip.NewHeader("Contact", "<"+contact+">"))
		req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
		res, err := sc.Do(ctx, req, sipgo.ClientRequestRegisterBuild)
		if err == nil && res.StatusCode == sip.StatusUnauthorized {
			res, err = sc.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: handset, Password: cfg.HandsetPassword})
		}
		if err != nil {
			return err
		}
		if res.StatusCode != sip.StatusOK {
			return fmt.Errorf("REGISTER expires %d: %d %s", expires, res.StatusCode, res.Reason)
		}
		return nil
	}
	statusOf := func(e ami.Event) (*ami.ContactStatus, bool) {
		cs, ok := e.Decode().(*ami.ContactStatus)
		return cs, ok && cs.AOR == handset && cs.EndpointName == handset
	}

	if err := register(120); err != nil {
		t.Fatalf("register %s: %v", handset, err)
	}
	registered := true
	defer func() {
		if registered {
			register(0)
		}
	}()
	// Asterisk 22 announces a new contact as NonQualified (or Created, Reachable) and keeps the
	// address the REGISTER came from (rewrite_contact), not the Contact header's.
	var uri string
	waitFor(t, ctx, sub, "ContactStatus of the new contact", func(e ami.Event) bool {
		cs, ok := statusOf(e)
		if ok && cs.ContactStatus != "Removed" && cs.ContactStatus != "Unreachable" {
			uri = cs.URI
			return true
		}
		return false
	})
	contacts, err := c.PJSIPShowContacts(ctx)
	if err != nil {
		t.Fatalf("PJSIPShowContacts: %v", err)
	}
	listed := false
	for _, ct := range contacts {
		listed = listed || (ct.Aor == handset && ct.URI == uri)
	}
	if !listed {
		t.Errorf("PJSIPShowContacts: %s not listed among %+v", uri, contacts)
	}

	if err := register(0); err != nil {
		t.Fatalf("unregister %s: %v", handset, err)
	}
	registered = false
	waitFor(t, ctx, sub, "ContactStatus Removed", func(e ami.Event) bool {
		cs, ok := statusOf(e)
		return ok && cs.ContactStatus == "Removed" && cs.URI == uri
	})
}
