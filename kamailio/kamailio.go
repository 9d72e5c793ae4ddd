// Package kamailio is a client of Kamailio's JSON-RPC (the jsonrpcs module over xhttp): what
// hotline asks of the Kamailio in front of its Asterisk nodes: which users are registered in its
// location table (ul.dump), keeping entries of its hash tables (htable.sets, htable.delete, htable.flush, htable.get: the
// softphones' passwords, and a mark that they are all set, whose absence tells a restart). It knows SIP and Kamailio, no contact-centre words; the
// switchboard's adapter is switchboard/kamailioadapter.
package kamailio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// maxAnswer bounds an answer read: ul.dump of a few thousand contacts is well under it.
const maxAnswer = 16 << 20

// Client asks one Kamailio over JSON-RPC. The zero HTTP uses a client with a 5 s timeout.
type Client struct {
	URL  string // e.g. http://127.0.0.1:5071/RPC
	HTTP *http.Client
}

// Registered returns the users (AoRs) of the location table with at least one live contact.
func (c *Client) Registered(ctx context.Context) (map[string]bool, error) {
	body, err := c.call(ctx, "ul.dump", nil)
	if err != nil {
		return nil, err
	}
	return ParseDump(body)
}

// call sends one JSON-RPC request and returns the answer's body. Errors name the method, never
// the parameters (a password may be one).
func (c *Client) call(ctx context.Context, method string, params []string) ([]byte, error) {
	msg := map[string]any{"jsonrpc": "2.0", "method": method, "id": 1}
	if params != nil {
		msg["params"] = params
	}
	req, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(req))
	if err != nil {
		return nil, fmt.Errorf("kamailio %s: %w", method, err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Second}
	}
	res, err := hc.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("kamailio %s: %w", method, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("kamailio %s: reading the answer: %w", method, err)
	}
	if len(b) > maxAnswer {
		return nil, fmt.Errorf("kamailio %s: answer larger than %d bytes", method, maxAnswer)
	}
	// jsonrpcs answers an RPC's error with the error's code as the HTTP status too (404: a key not
	// found): such an answer is the caller's to read.
	if res.StatusCode != http.StatusOK && !isRPCError(b) {
		return nil, fmt.Errorf("kamailio %s: HTTP %s: %.200q", method, res.Status, b)
	}
	return b, nil
}

// HTableSet sets key to the string value in the hash table table (htable.sets): the table must be
// declared in kamailio.cfg. The value is never put in an error.
func (c *Client) HTableSet(ctx context.Context, table, key, value string) error {
	body, err := c.call(ctx, "htable.sets", []string{table, key, value})
	if err != nil {
		return err
	}
	if _, err := ParseAnswer("htable.sets", body); err != nil {
		return fmt.Errorf("%s %s: %w", table, key, err)
	}
	return nil
}

// HTableDelete deletes key from the hash table table (htable.delete). A key the table does not
// hold is not an error: it is what was asked.
func (c *Client) HTableDelete(ctx context.Context, table, key string) error {
	body, err := c.call(ctx, "htable.delete", []string{table, key})
	if err != nil {
		return err
	}
	_, err = ParseAnswer("htable.delete", body)
	var re *RPCError
	if errors.As(err, &re) && re.Code == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", table, key, err)
	}
	return nil
}

// HTableFlush empties the hash table table (htable.flush).
func (c *Client) HTableFlush(ctx context.Context, table string) error {
	body, err := c.call(ctx, "htable.flush", []string{table})
	if err != nil {
		return err
	}
	if _, err := ParseAnswer("htable.flush", body); err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	return nil
}

// HTableGet reads key's string value in the hash table table (htable.get); found is false when
// the table has no such key.
func (c *Client) HTableGet(ctx context.Context, table, key string) (value string, found bool, err error) {
	body, err := c.call(ctx, "htable.get", []string{table, key})
	if err != nil {
		return "", false, err
	}
	return ParseHTableGet(body)
}

// missingKey is htable.get's error message for a key the table does not hold (Kamailio 5.6; its
// code, 500, is the one of a table that does not exist too).
const missingKey = "Key name doesn't exist in htable."

// ParseHTableGet reads htable.get's answer: {"result":{"item":{"name":…,"value":…}}}, or the
// error of a missing key (found false).
func ParseHTableGet(b []byte) (value string, found bool, err error) {
	res, err := ParseAnswer("htable.get", b)
	var re *RPCError
	if errors.As(err, &re) && re.Message == missingKey {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	var got struct {
		Item *struct {
			Value *string `json:"value"`
		} `json:"item"`
	}
	if err := json.Unmarshal(res, &got); err != nil || got.Item == nil || got.Item.Value == nil {
		return "", false, fmt.Errorf("kamailio htable.get: the result has no item with a string value: %.100s", res)
	}
	return *got.Item.Value, true, nil
}

// ParseAnswer reads a JSON-RPC answer: its result, or its error as an *RPCError. An answer with
// neither, or not JSON, is an error naming method.
func ParseAnswer(method string, b []byte) (json.RawMessage, error) {
	var a struct {
		Result json.RawMessage `json:"result"`
		Error  *RPCError       `json:"error"`
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("kamailio %s: not a JSON-RPC answer: %w", method, err)
	}
	if a.Error != nil {
		return nil, fmt.Errorf("kamailio %s: %w", method, a.Error)
	}
	if len(a.Result) == 0 || string(a.Result) == "null" {
		return nil, fmt.Errorf("kamailio %s: the answer has neither a result nor an error", method)
	}
	return a.Result, nil
}

// isRPCError tells whether b is a JSON-RPC error answer.
func isRPCError(b []byte) bool {
	var a struct {
		Error *RPCError `json:"error"`
	}
	return json.Unmarshal(b, &a) == nil && a.Error != nil
}

// RPCError is a JSON-RPC error answer.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *RPCError) Error() string {
	return fmt.Sprintf("kamailio: JSON-RPC error %d: %s", e.Code, e.Message)
}

// The parts of ul.dump's answer read here (Kamailio 5.6 usrloc):
//
//	{"jsonrpc":"2.0","result":{"Domains":[{"Domain":{"Domain":"location","AoRs":[
//	  {"Info":{"AoR":"1001","Contacts":[{"Contact":{"Address":"sip:1001@…","Expires":117,…}}]}}]}}]},"id":1}
type dumpAnswer struct {
	Result *struct {
		Domains *[]struct {
			Domain struct {
				Domain string
				AoRs   *[]struct {
					Info struct {
						AoR      *string
						Contacts []struct {
							Contact struct {
								Address string
								Expires json.RawMessage
							}
						}
					}
				}
			}
		}
	} `json:"result"`
	Error *RPCError `json:"error"`
}

// ParseDump reads ul.dump's answer: the AoRs of the "location" table with at least one live
// contact (Expires a number of seconds left, or "permanent"; not "expired" or "deleted"). An
// answer that is not one (not JSON, an error, no result, no location table) is an error: the
// caller keeps what it knew. Expiry is the answer's own (the seconds it counts left), not a clock.
func ParseDump(b []byte) (map[string]bool, error) {
	var a dumpAnswer
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("kamailio ul.dump: not a JSON-RPC answer: %w", err)
	}
	if a.Error != nil {
		return nil, a.Error
	}
	if a.Result == nil || a.Result.Domains == nil {
		return nil, errors.New("kamailio ul.dump: the answer has no result.Domains")
	}
	found := false
	regs := map[string]bool{}
	for _, d := range *a.Result.Domains {
		if d.Domain.Domain != "location" {
			continue
		}
		if d.Domain.AoRs == nil {
			return nil, errors.New("kamailio ul.dump: the location table has no AoRs list")
		}
		found = true
		for i, aor := range *d.Domain.AoRs {
			if aor.Info.AoR == nil || *aor.Info.AoR == "" {
				return nil, fmt.Errorf("kamailio ul.dump: AoR %d has no name", i)
			}
			for _, c := range aor.Info.Contacts {
				live, err := liveContact(c.Contact.Expires)
				if err != nil {
					return nil, fmt.Errorf("kamailio ul.dump: AoR %q contact %q: %w", *aor.Info.AoR, c.Contact.Address, err)
				}
				if live {
					regs[*aor.Info.AoR] = true
				}
			}
		}
	}
	if !found {
		return nil, errors.New("kamailio ul.dump: no location table in the answer")
	}
	return regs, nil
}

// liveContact reads a contact's Expires: seconds left (a number), or a word.
func liveContact(raw json.RawMessage) (bool, error) {
	var word string
	if err := json.Unmarshal(raw, &word); err == nil {
		switch word {
		case "permanent":
			return true, nil
		case "expired", "deleted":
			return false, nil
		}
		return false, fmt.Errorf("unknown Expires %.40q", word)
	}
	var secs json.Number
	if err := json.Unmarshal(raw, &secs); err != nil {
		return false, fmt.Errorf("Expires is neither a number nor a word: %.40q", raw)
	}
	n, err := strconv.ParseFloat(string(secs), 64)
	if err != nil {
		return false, fmt.Errorf("Expires %q: %w", secs, err)
	}
	return n > 0, nil
}
