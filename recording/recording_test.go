package recording_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/ari"
	"github.com/hotline-dev/hotline/recording"
)

func TestCheckName(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"call-1795438264.2", true},
		{"hotline/call-1795438264.2", true},
		{"", false},
		{"/etc/passwd", false},
		{"../secret", false},
		{"..", false},
		{"a/../../b", false},
		{"a/./b", false},
		{`a\b`, false},
		{"a\x00b", false},
		{"a\nb", false},
	} {
		if err := recording.CheckName(tt.name); (err == nil) != tt.ok {
			t.Errorf("CheckName(%q) = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

// Dir serves files inside its directory only: a symbolic link out of it is refused like a
// missing file.
func TestDirStaysInside(t *testing.T) {
	top := t.TempDir()
	dir := filepath.Join(top, "recording")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "call-1.wav"), []byte("RIFF-one"), 0o600))
	must(os.WriteFile(filepath.Join(top, "secret.wav"), []byte("secret"), 0o600))
	must(os.Symlink(filepath.Join(top, "secret.wav"), filepath.Join(dir, "link.wav")))
	d := recording.Dir{Path: dir}
	f, err := d.Open(context.Background(), "call-1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "RIFF-one" || f.ContentType != "audio/wav" {
		t.Fatalf("call-1: %q %q", b, f.ContentType)
	}
	for _, name := range []string{"link", "../secret", "missing"} {
		if f, err := d.Open(context.Background(), name); err == nil {
			f.Close()
			t.Errorf("%s was opened", name)
		} else if c := hotline.ErrorCode(err); c != hotline.ENOTFOUND && c != hotline.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
}

type fakeAsterisk map[string][]byte

func (f fakeAsterisk) DownloadStoredRecording(_ context.Context, name string, w io.Writer) (int64, string, error) {
	b, ok := f[name]
	if !ok {
		return 0, "", ari.ErrNotFound
	}
	n, err := io.Copy(w, bytes.NewReader(b))
	return n, "audio/wav", err
}

func TestARIDownloadsToAnUnlinkedFile(t *testing.T) {
	tmp := t.TempDir()
	a := recording.ARI{Conn: fakeAsterisk{"call-1": []byte("RIFF-data")}, Temp: tmp}
	f, err := a.Open(context.Background(), "call-1")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("the download is left on disk: %v", left)
	}
	if _, err := f.Seek(4, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(f); string(b) != "-data" {
		t.Errorf("read %q", b)
	}
	if _, err := a.Open(context.Background(), "gone"); hotline.ErrorCode(err) != hotline.ENOTFOUND {
		t.Errorf("a recording Asterisk lacks: %v", err)
	}
	_, _, err = recording.Download(context.Background(), fakeAsterisk{}, "../x", io.Discard)
	if hotline.ErrorCode(err) != hotline.EINVALID || errors.Is(err, ari.ErrNotFound) {
		t.Errorf("a climbing name: %v", err)
	}
}

// downNode is a node out of reach.
type downNode struct{}

func (downNode) DownloadStoredRecording(context.Context, string, io.Writer) (int64, string, error) {
	return 0, "", errors.New("dial tcp: connection refused")
}

// Nodes finds a recording on the node that has it, past nodes that lack it or are down; none
// having it is "not found", unless a node could not be asked ("unavailable").
func TestNodesFindTheNodeThatRecorded(t *testing.T) {
	a := fakeAsterisk{"call-node4-1.0-1": []byte("from a")}
	b := fakeAsterisk{"call-node5-1.0-2": []byte("from b")}
	tests := []struct {
		name, recording string
		nodes           recording.Nodes
		want            string
		code            string
	}{
		{"on the first", "call-node4-1.0-1", recording.Nodes{a, b}, "from a", ""},
		{"on the second", "call-node5-1.0-2", recording.Nodes{a, b}, "from b", ""},
		{"past a node down", "call-node5-1.0-2", recording.Nodes{downNode{}, b}, "from b", ""},
		{"on no node", "call-x-3", recording.Nodes{a, b}, "", hotline.ENOTFOUND},
		{"maybe on the node down", "call-x-3", recording.Nodes{a, downNode{}}, "", hotline.EUNAVAILABLE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, _, err := recording.Download(context.Background(), tt.nodes, tt.recording, &buf)
			if got := hotline.ErrorCode(err); err != nil && got != tt.code || err == nil && tt.code != "" {
				t.Fatalf("Download = %v, want code %q", err, tt.code)
			}
			if buf.String() != tt.want {
				t.Errorf("downloaded %q, want %q", buf.String(), tt.want)
			}
		})
	}
}

// blackhole is a node that accepts connections and never answers (a node dropping packets after
// the handshake). pending counts the requests it has read and holds unanswered, their connection
// still open. (A connection with no request is the client's idle one, kept for later: Go's
// transport keeps a connection dialled for a request cancelled meanwhile.)
func blackhole(t *testing.T) (addr string, pending *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	pending = new(atomic.Int32)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				pending.Add(1)
				_, _ = io.Copy(io.Discard, c) // says nothing, until the client hangs up
				pending.Add(-1)
			}()
		}
	}()
	return l.Addr().String(), pending
}

// ariNode is a real ARI client of a node at base.
func ariNode(t *testing.T, base string) *ari.Conn {
	t.Helper()
	c, err := ari.New(ari.Config{URL: base + "/ari", Username: "hotline", Password: "x", Application: "hotline"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// storedRecordings serves GET /ari/recordings/stored/NAME/file for the recordings it holds, 404 for
// the others, as Asterisk does.
func storedRecordings(t *testing.T, files map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/ari/recordings/stored/"), "/file")
		body, has := files[name]
		if !ok || !has {
			http.Error(w, `{"message":"Recording not found"}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "audio/wav")
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// The nodes are asked at once: a node that accepts and never answers, asked first, neither
// delays the node that has the recording nor keeps its request once that one answered (it is
// cancelled); more nodes than are asked at a time are all asked. The context has no deadline
// here: asking in turn would wait on the silent node for ever (until the test's timeout).
func TestNodesAskedAtOnce(t *testing.T) {
	silent, pending := blackhole(t)
	lacking := storedRecordings(t, nil)
	having := storedRecordings(t, map[string]string{"call-node8-1.0-7": "RIFF-b"})
	tests := []struct {
		name  string
		nodes []string
	}{
		{"a silent node first", []string{"http://" + silent, lacking, having}},
		{"more nodes than asked at once", append(slices.Repeat([]string{lacking}, 11), having)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ns recording.Nodes
			for _, base := range tt.nodes {
				ns = append(ns, ariNode(t, base))
			}
			var buf bytes.Buffer
			n, ct, err := recording.Download(context.Background(), ns, "call-node8-1.0-7", &buf)
			if err != nil || buf.String() != "RIFF-b" || n != 6 || ct != "audio/wav" {
				t.Fatalf("Download = %d, %q, %v: %q; want the recording of the node that has it", n, ct, err, buf.String())
			}
			// The silent node's request (if it was sent before the answer came) was cancelled, not
			// left waiting.
			for i := 0; pending.Load() != 0; i++ {
				if i == 100 {
					t.Fatalf("the silent node still holds %d requests after the answer", pending.Load())
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
	// Not on any node that answered, and a node silent: maybe on it, so unavailable, once the
	// caller's context ends.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, _, err := recording.Download(ctx, recording.Nodes{ariNode(t, "http://"+silent), ariNode(t, lacking)}, "call-none", io.Discard)
	if hotline.ErrorCode(err) != hotline.EUNAVAILABLE {
		t.Errorf("a recording on no node that answered, one silent: %v, want unavailable", err)
	}
}
