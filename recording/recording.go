// Package recording finds the conversations hotline recorded. Asterisk stores them (its
// "stored recordings", named by the call flow and kept on each leg in the journal); hotline reads
// them over ARI, so it needs no access to Asterisk's disk, or, where the workplace runs beside
// Asterisk, from its recording directory. The CLI (`hotline recording get`) and the workplace's
// player both fetch through Download.
package recording

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"path"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hotline-dev/hotline"
	"github.com/hotline-dev/hotline/ari"
)

// Downloader is what Download needs of Asterisk (*ari.Conn).
type Downloader interface {
	DownloadStoredRecording(ctx context.Context, name string, w io.Writer) (int64, string, error)
}

// CheckName refuses a recording name that could leave the recordings' directory or is not one
// Asterisk would have made: empty, absolute, "..", a backslash or a control character. Names
// come from the journal, which the call flow wrote; this keeps a damaged or forged row from
// naming another file.
func CheckName(name string) error {
	bad := name == "" || len(name) > hotline.MaxPathLen || strings.HasPrefix(name, "/") || strings.ContainsAny(name, "\\") ||
		path.Clean(name) != name || name == ".." || strings.HasPrefix(name, "../")
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			bad = true
		}
	}
	if bad {
		return hotline.Errorf(hotline.EINVALID, "%q is not a recording name", name)
	}
	return nil
}

// FileName is the file a recording is saved as by default: its base name with ".wav".
func FileName(name string) string { return path.Base(name) + ".wav" }

// Download copies stored recording name from Asterisk into w and returns the bytes copied and
// its Content-Type. A recording Asterisk does not have is ENOTFOUND; Asterisk out of reach is
// EUNAVAILABLE.
func Download(ctx context.Context, d Downloader, name string, w io.Writer) (int64, string, error) {
	if err := CheckName(name); err != nil {
		return 0, "", err
	}
	n, ct, err := d.DownloadStoredRecording(ctx, name, w)
	switch {
	case err == nil:
		return n, ct, nil
	case errors.Is(err, ari.ErrNotFound):
		return n, "", hotline.Errorf(hotline.ENOTFOUND, "Asterisk has no recording %q (deleted by retention, or misspelt)", name)
	default:
		return n, "", hotline.Wrapf(hotline.EUNAVAILABLE, err, "download %q: %v", name, err)
	}
}

// File is an open recording: seekable, for range requests.
type File struct {
	*os.File
	ContentType string
	ModTime     time.Time
}

// Store opens recordings by name.
type Store interface {
	Open(ctx context.Context, name string) (*File, error)
}

// ARI opens recordings by downloading them from Asterisk into an unlinked temporary file (in
// Temp, or the system's): nothing is left on disk when it is closed.
type ARI struct {
	Conn Downloader
	Temp string
}

// Open downloads recording name.
func (a ARI) Open(ctx context.Context, name string) (*File, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(a.Temp, "hotline-recording-*")
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", name, err)
	}
	// Unlinked at once: only this open file reaches the bytes (personal data).
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("recording %s: %w", name, err)
	}
	_, ct, err := Download(ctx, a.Conn, name, f)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	if ct == "" {
		ct = "audio/wav"
	}
	return &File{File: f, ContentType: ct, ModTime: time.Now()}, nil
}

// Dir opens recordings from Asterisk's recording directory on this host (e.g.
// /var/spool/asterisk/recording): NAME.wav, or NAME with another of Formats. Files are opened
// through os.Root, so no name reaches outside the directory, symbolic links included.
type Dir struct {
	Path    string
	Formats []string // extensions tried in order; nil: wav, WAV, gsm
}

// Open opens recording name.
func (d Dir) Open(_ context.Context, name string) (*File, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(d.Path)
	if err != nil {
		return nil, hotline.Wrapf(hotline.EUNAVAILABLE, err, "the recordings directory: %v", err)
	}
	defer root.Close()
	formats := d.Formats
	if formats == nil {
		formats = []string{"wav", "WAV", "gsm"}
	}
	for _, ext := range formats {
		f, err := root.Open(name + "." + ext)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, hotline.Wrapf(hotline.ENOTFOUND, err, "recording %s cannot be read: %v", name, err)
		}
		st, err := f.Stat()
		if err != nil || !st.Mode().IsRegular() {
			f.Close()
			return nil, hotline.Errorf(hotline.ENOTFOUND, "recording %s is not a regular file", name)
		}
		ct := mime.TypeByExtension("." + strings.ToLower(ext))
		if ct == "" || strings.EqualFold(ext, "wav") {
			ct = "audio/wav"
		}
		return &File{File: f, ContentType: ct, ModTime: st.ModTime()}, nil
	}
	return nil, hotline.Errorf(hotline.ENOTFOUND, "no file of recording %s in %s (deleted by retention?)", name, d.Path)
}

// Nodes finds a recording on whichever of several Asterisk nodes made it (docs/scaling.md): a
// node records the conversations it carries, into its own recordings directory. Names are unique
// across nodes (each built from a call's channel id, which each node's systemname prefixes), so
// the nodes are asked at once and the one that has it answers; the others say "not found". A
// node out of reach is skipped: the recording is only "unavailable" when no node had it and one
// could not be asked.
type Nodes []Downloader

const (
	// maxNodesAsked bounds how many nodes are asked for one recording at a time.
	maxNodesAsked = 8
	// nodeAnswerWait bounds how long a node may take to begin sending a recording or say it has
	// none: a node that drops packets would otherwise hold the player until the request's end.
	// Once its bytes flow, the download is bounded by ctx alone.
	nodeAnswerWait = 5 * time.Second
)

// errTaken stops a node's download when another node is already writing the recording.
var errTaken = errors.New("recording: another node answered")

// DownloadStoredRecording copies stored recording name from the node that has it into w. The
// nodes are asked concurrently (at most maxNodesAsked at once): the first to send a byte (or to
// succeed) writes into w, and the others are cancelled. A node that says nothing within
// nodeAnswerWait counts as out of reach.
func (ns Nodes) DownloadStoredRecording(ctx context.Context, name string, w io.Writer) (int64, string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type answer struct {
		n   int64
		ct  string
		err error
		won bool
	}
	var owner atomic.Int32 // 1 + the index of the node writing into w; 0: none yet
	answers := make(chan answer, len(ns))
	sem := make(chan struct{}, maxNodesAsked)
	for i, d := range ns {
		go func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				answers <- answer{err: ctx.Err()}
				return
			}
			nctx, ncancel := context.WithCancel(ctx)
			defer ncancel()
			// Stopped by the node's first byte: from then on it is the download, bounded by ctx.
			// The node's first byte and its timer race for its fate (0 waiting, 1 answering, 2 too
			// late): a timer firing as the first byte comes must not cut the download that won.
			var fate atomic.Int32
			wait := time.AfterFunc(nodeAnswerWait, func() {
				if fate.CompareAndSwap(0, 2) {
					ncancel()
				}
			})
			cw := &claimWriter{w: w, owner: &owner, id: int32(i + 1), fate: &fate}
			n, ct, err := d.DownloadStoredRecording(nctx, name, cw)
			wait.Stop()
			// An empty recording writes nothing: its node wins by succeeding first.
			won := cw.won || err == nil && owner.CompareAndSwap(0, int32(i+1))
			if err != nil && !cw.won && nctx.Err() != nil && ctx.Err() == nil {
				err = fmt.Errorf("no answer within %s: %w", nodeAnswerWait, err)
			}
			answers <- answer{n: n, ct: ct, err: err, won: won}
		}()
	}
	var unreachable error
	for range ns {
		a := <-answers
		switch {
		case a.won:
			return a.n, a.ct, a.err // a.err after a byte: not to be mixed with another node's answer
		case errors.Is(a.err, ari.ErrNotFound), errors.Is(a.err, errTaken):
		default:
			if unreachable == nil {
				unreachable = a.err
			}
		}
	}
	if unreachable != nil {
		return 0, "", fmt.Errorf("not on any node that answered: %w", unreachable)
	}
	return 0, "", fmt.Errorf("%q on no node: %w", name, ari.ErrNotFound)
}

// claimWriter passes one node's download into w once that node has claimed w with its first byte;
// another node's bytes are refused.
type claimWriter struct {
	w     io.Writer
	owner *atomic.Int32
	id    int32
	won   bool
	fate  *atomic.Int32 // this node's: 0 waiting, 1 answering (its timer stopped), 2 too late
}

func (c *claimWriter) Write(p []byte) (int, error) {
	if !c.won {
		if !c.fate.CompareAndSwap(0, 1) && c.fate.Load() != 1 {
			return 0, fmt.Errorf("recording: the node began answering after %s", nodeAnswerWait)
		}
		if !c.owner.CompareAndSwap(0, c.id) {
			return 0, errTaken
		}
		c.won = true
	}
	return c.w.Write(p)
}
