package kamailio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// A real answer of Kamailio 5.6's ul.dump (one contact; fields trimmed), and variations.
const dumpOne = `{"jsonrpc":"2.0","result":{"Domains":[{"Domain":{"Domain":"location","Size":1024,"AoRs":[
 {"Info":{"AoR":"1001","HashID":924766748,"Contacts":[{"Contact":{"Address":"sip:1001@127.0.0.1:35124","Expires":116,"Q":-1}}]}},
 {"Info":{"AoR":"1002","Contacts":[{"Contact":{"Address":"sip:1002@127.0.0.1:1","Expires":"expired"}},{"Contact":{"Address":"sip:1002@127.0.0.1:2","Expires":"deleted"}}]}},
 {"Info":{"AoR":"1003","Contacts":[{"Contact":{"Address":"sip:1003@127.0.0.1:3","Expires":"permanent"}}]}},
 {"Info":{"AoR":"1004","Contacts":[]}}],
 "Stats":{"Records":4,"Max-Slots":1}}}]},"id":1}`

func TestParseDump(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string // registered
		err      string   // a part of the error
	}{
		{"real answer", dumpOne, []string{"1001", "1003"}, ""},
		{"empty table", `{"jsonrpc":"2.0","result":{"Domains":[{"Domain":{"Domain":"location","Size":1024,"AoRs":[],"Stats":{}}}]},"id":1}`, nil, ""},
		{"other tables ignored", `{"result":{"Domains":[{"Domain":{"Domain":"other","AoRs":[{"Info":{"AoR":"9","Contacts":[{"Contact":{"Expires":5}}]}}]}},{"Domain":{"Domain":"location","AoRs":[]}}]}}`, nil, ""},
		{"not JSON", `<html>`, nil, "not a JSON-RPC answer"},
		{"empty", ``, nil, "not a JSON-RPC answer"},
		{"truncated", dumpOne[:200], nil, "not a JSON-RPC answer"},
		{"rpc error", `{"jsonrpc":"2.0","error":{"code":500,"message":"Method Not Found"},"id":1}`, nil, "Method Not Found"},
		{"no result", `{"jsonrpc":"2.0","id":1}`, nil, "no result.Domains"},
		{"no domains", `{"result":{}}`, nil, "no result.Domains"},
		{"no location table", `{"result":{"Domains":[]}}`, nil, "no location table"},
		{"no AoRs", `{"result":{"Domains":[{"Domain":{"Domain":"location"}}]}}`, nil, "no AoRs list"},
		{"AoR without name", `{"result":{"Domains":[{"Domain":{"Domain":"location","AoRs":[{"Info":{"Contacts":[]}}]}}]}}`, nil, "has no name"},
		{"unknown Expires word", `{"result":{"Domains":[{"Domain":{"Domain":"location","AoRs":[{"Info":{"AoR":"1","Contacts":[{"Contact":{"Expires":"soon"}}]}}]}}]}}`, nil, "unknown Expires"},
		{"Expires an object", `{"result":{"Domains":[{"Domain":{"Domain":"location","AoRs":[{"Info":{"AoR":"1","Contacts":[{"Contact":{"Expires":{}}}]}}]}}]}}`, nil, "neither a number nor a word"},
		{"Domains wrong type", `{"result":{"Domains":{}}}`, nil, "not a JSON-RPC answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDump([]byte(tc.in))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseDump: %v, want an error with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, tc.want) {
				t.Errorf("registered %v, want %v", keys, tc.want)
			}
		})
	}
}

func FuzzParseDump(f *testing.F) {
	f.Add([]byte(dumpOne))
	f.Add([]byte(`{"result":{"Domains":[{"Domain":{"Domain":"location","AoRs":[{"Info":{"AoR":"1","Contacts":[{"Contact":{"Expires":1e308}}]}}]}}]}}`))
	f.Add([]byte(`{"error":{"code":1}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		regs, err := ParseDump(b)
		if err != nil && regs != nil {
			t.Fatalf("an error with a result: %v %v", err, regs)
		}
		for aor := range regs {
			if aor == "" {
				t.Fatal("an empty AoR registered")
			}
		}
	})
}

// The client posts a JSON-RPC request for ul.dump and reads the answer; an HTTP error is an error.
func TestClientRegistered(t *testing.T) {
	var method string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 200)
		n, _ := r.Body.Read(b)
		method = string(b[:n])
		if r.URL.Path != "/RPC" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(dumpOne))
	}))
	defer srv.Close()
	c := &Client{URL: srv.URL + "/RPC"}
	regs, err := c.Registered(context.Background())
	if err != nil || !regs["1001"] || regs["1002"] {
		t.Fatalf("Registered: %v, %v", regs, err)
	}
	if !strings.Contains(method, `"method":"ul.dump"`) {
		t.Errorf("request %s, want ul.dump", method)
	}
	c.URL = srv.URL + "/other"
	if _, err := c.Registered(context.Background()); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("a 404: %v, want an error saying so", err)
	}
}

// BenchmarkParseDump: one poll's parsing of 90 registered handsets (the sandbox's 1001-1060 and
// 2001-2030), each contact with every field Kamailio 5.6 sends.
func BenchmarkParseDump(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"jsonrpc":"2.0","result":{"Domains":[{"Domain":{"Domain":"location","Size":1024,"AoRs":[`)
	for i := range 90 {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"Info":{"AoR":"%d","HashID":924766748,"Contacts":[{"Contact":{"Address":"sip:%d@127.0.0.1:35124","Expires":116,"Q":-1,"Call-ID":"8MQxHLKVo7t5zS7lC5gvRbUC","CSeq":3,"User-Agent":"n/a","Received":"[not set]","Path":"[not set]","State":"CS_NEW","Flags":0,"CFlags":0,"Socket":"udp:127.0.0.105:5060","Methods":7071,"Ruid":"uloc-6b16294f-595b-1","Instance":"[not set]","Reg-Id":0,"Server-Id":0,"Tcpconn-Id":-1,"Keepalive":0,"Last-Keepalive":1796614546,"KA-Roundtrip":0,"Last-Modified":1796614546}}]}}`, 1001+i, 1001+i)
	}
	sb.WriteString(`],"Stats":{"Records":90,"Max-Slots":1}}}]},"id":1}`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if regs, err := ParseDump(body); err != nil || len(regs) != 90 {
			b.Fatal(regs, err)
		}
	}
}

// htable.sets, htable.delete, htable.flush and htable.get against a server answering as Kamailio 5.6 does
// (answers and HTTP statuses copied from a real one: an RPC error's code is the HTTP status too),
// and answers that are not: each call sends its method and
// parameters, and a bad answer is a clear error that never holds the value set (a password).
func TestClientHTable(t *testing.T) {
	const secret = "s3cret-pass"
	for _, tc := range []struct {
		name   string
		call   func(c *Client) (string, error)
		status int
		answer string
		sent   string // a part of the request
		want   string // HTableGet's value
		err    string // a part of the error; "" none
	}{
		{"set", func(c *Client) (string, error) {
			return "", c.HTableSet(context.Background(), "softphones", "9101", secret)
		},
			200, `{"jsonrpc":"2.0","result":"Ok. Key set to new value.","id":1}`, `"method":"htable.sets","params":["softphones","9101","` + secret + `"]`, "", ""},
		{"set, no such table", func(c *Client) (string, error) {
			return "", c.HTableSet(context.Background(), "nosuch", "9101", secret)
		},
			500, `{"jsonrpc":"2.0","error":{"code":500,"message":"No such htable"},"id":1}`, `"htable.sets"`, "", "No such htable"},
		{"set, neither result nor error", func(c *Client) (string, error) {
			return "", c.HTableSet(context.Background(), "softphones", "9101", secret)
		},
			200, `{"jsonrpc":"2.0","id":1}`, `"htable.sets"`, "", "neither a result nor an error"},
		{"set, not JSON", func(c *Client) (string, error) {
			return "", c.HTableSet(context.Background(), "softphones", "9101", secret)
		},
			200, `<html>`, `"htable.sets"`, "", "not a JSON-RPC answer"},
		{"set, HTTP error", func(c *Client) (string, error) {
			return "", c.HTableSet(context.Background(), "softphones", "9101", secret)
		},
			403, `forbidden`, `"htable.sets"`, "", "HTTP 403"},
		{"delete", func(c *Client) (string, error) { return "", c.HTableDelete(context.Background(), "softphones", "9101") },
			200, `{"jsonrpc":"2.0","result":"Ok. Key deleted.","id":1}`, `"method":"htable.delete","params":["softphones","9101"]`, "", ""},
		{"delete, key not there", func(c *Client) (string, error) { return "", c.HTableDelete(context.Background(), "softphones", "9101") },
			404, `{"jsonrpc":"2.0","error":{"code":404,"message":"Key not found in htable."},"id":1}`, `"htable.delete"`, "", ""},
		{"delete, no such table", func(c *Client) (string, error) { return "", c.HTableDelete(context.Background(), "nosuch", "9101") },
			500, `{"jsonrpc":"2.0","error":{"code":500,"message":"No such htable"},"id":1}`, `"htable.delete"`, "", "No such htable"},
		{"delete, truncated", func(c *Client) (string, error) { return "", c.HTableDelete(context.Background(), "softphones", "9101") },
			200, `{"jsonrpc":"2.0","res`, `"htable.delete"`, "", "not a JSON-RPC answer"},
		{"flush", func(c *Client) (string, error) { return "", c.HTableFlush(context.Background(), "softphones") },
			200, `{"jsonrpc":"2.0","result":"Ok. Htable flushed.","id":1}`, `"method":"htable.flush","params":["softphones"]`, "", ""},
		{"flush, no such table", func(c *Client) (string, error) { return "", c.HTableFlush(context.Background(), "nosuch") },
			500, `{"jsonrpc":"2.0","error":{"code":500,"message":"No such htable"},"id":1}`, `"htable.flush"`, "", "No such htable"},
		{"get", func(c *Client) (string, error) {
			v, found, err := c.HTableGet(context.Background(), "softphonesync", "softphones")
			if err == nil && !found {
				return "", errors.New("not found")
			}
			return v, err
		},
			200, `{"jsonrpc":"2.0","result":{"item":{"name":"softphones","value":"gen1","flags":2,"expire":"NEVER"}},"id":1}`,
			`"method":"htable.get","params":["softphonesync","softphones"]`, "gen1", ""},
		{"get, key not there", func(c *Client) (string, error) {
			v, found, err := c.HTableGet(context.Background(), "softphonesync", "softphones")
			if err == nil && found {
				return "", errors.New("found")
			}
			return v, err
		},
			500, `{"jsonrpc":"2.0","error":{"code":500,"message":"Key name doesn't exist in htable."},"id":1}`, `"htable.get"`, "", ""},
		{"get, no such table", func(c *Client) (string, error) {
			_, _, err := c.HTableGet(context.Background(), "nosuch", "softphones")
			return "", err
		},
			500, `{"jsonrpc":"2.0","error":{"code":500,"message":"No such htable"},"id":1}`, `"htable.get"`, "", "No such htable"},
		{"get, an integer value", func(c *Client) (string, error) {
			_, _, err := c.HTableGet(context.Background(), "softphonesync", "softphones")
			return "", err
		},
			200, `{"jsonrpc":"2.0","result":{"item":{"name":"softphones","value":1}},"id":1}`, `"htable.get"`, "", "no item with a string value"},
		{"get, no item", func(c *Client) (string, error) {
			_, _, err := c.HTableGet(context.Background(), "softphonesync", "softphones")
			return "", err
		},
			200, `{"jsonrpc":"2.0","result":"Ok","id":1}`, `"htable.get"`, "", "no item with a string value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sent string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				sent = string(b)
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.answer))
			}))
			defer srv.Close()
			got, err := tc.call(&Client{URL: srv.URL + "/RPC"})
			if !strings.Contains(sent, tc.sent) {
				t.Errorf("request %s, want %s in it", sent, tc.sent)
			}
			if tc.err == "" {
				if err != nil || got != tc.want {
					t.Fatalf("got %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one with %q", err, tc.err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("the error %q holds the password", err)
			}
		})
	}
	// Kamailio not there.
	if err := (&Client{URL: "http://127.0.0.1:1/RPC"}).HTableSet(context.Background(), "softphones", "9101", secret); err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("no Kamailio: %v, want an error without the password", err)
	}
}

func FuzzParseHTableGet(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","result":{"item":{"name":"softphones","value":"gen1","flags":2,"expire":"NEVER"}},"id":1}`))
	f.Add([]byte(`{"jsonrpc":"2.0","error":{"code":500,"message":"Key name doesn't exist in htable."},"id":1}`))
	f.Add([]byte(`{"result":{"item":{"value":null}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, found, err := ParseHTableGet(b)
		if err != nil && (found || v != "") {
			t.Fatalf("an error with a value: %v %q %v", err, v, found)
		}
		if !found && v != "" {
			t.Fatalf("a value not found: %q", v)
		}
	})
}
