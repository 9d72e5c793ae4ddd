package spool

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
)

const (
	magic        = "hotline-spool 1\n"
	genLen       = 16                      // hex digits
	headerLen    = len(magic) + genLen + 1 // magic, generation, '\n'
	recHeaderLen = 4 + 4 + 8               // length, CRC-32C, seq
	readBufSize  = 64 << 10                // Open's read buffer
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// recordCRC is the CRC-32C of a record's seq (8 bytes, little-endian) followed by its data.
func recordCRC(seq uint64, data []byte) uint32 {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seq)
	return crc32.Update(crc32.Update(0, castagnoli, b[:]), castagnoli, data)
}

func appendHeader(buf []byte, gen string) []byte {
	buf = append(buf, magic...)
	buf = append(buf, gen...)
	return append(buf, '\n')
}

func appendRecord(buf []byte, seq uint64, data []byte) []byte {
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(data)))
	buf = binary.LittleEndian.AppendUint32(buf, recordCRC(seq, data))
	buf = binary.LittleEndian.AppendUint64(buf, seq)
	return append(buf, data...)
}

// What scanFile found after the last intact record.
type damage int

const (
	intact     damage = iota // the file ends right after its last record
	tornTail                 // what an interrupted Append leaves: cut the file at end
	tornHeader               // shorter than a header, and a prefix of one: no records, no generation
	corrupt                  // anything else: keep the file aside
)

type scanResult struct {
	kind   damage
	gen    string   // the header's generation ("" if the header is not intact)
	recs   []Record // the intact records, seqs 1..len(recs)
	end    int64    // the offset just past the last intact record (0 if the header is not intact)
	reason string   // what is wrong at end, for the log
}

// scanFile reads a spool file of the given size from r. It fails only on a read error.
func scanFile(r io.ReaderAt, size int64, maxRecord int) (scanResult, error) {
	br := bufio.NewReaderSize(io.NewSectionReader(r, 0, size), readBufSize)
	var res scanResult

	hdr := make([]byte, min(size, int64(headerLen)))
	if _, err := io.ReadFull(br, hdr); err != nil {
		return res, err
	}
	if len(hdr) < headerLen {
		if isHeaderPrefix(hdr) {
			res.kind, res.reason = tornHeader, "shorter than a header"
		} else {
			res.kind, res.reason = corrupt, "bad header: not a hotline spool file, or another version of one"
		}
		return res, nil
	}
	if !isHeaderPrefix(hdr[:headerLen-1]) || hdr[headerLen-1] != '\n' {
		res.kind, res.reason = corrupt, "bad header: not a hotline spool file, or another version of one"
		return res, nil
	}
	res.gen = string(hdr[len(magic) : len(magic)+genLen])
	res.end = int64(headerLen)

	var rh [recHeaderLen]byte
	for {
		off := res.end
		rest := size - off
		if rest == 0 {
			res.kind = intact
			return res, nil
		}
		want := uint64(len(res.recs)) + 1
		if rest < recHeaderLen {
			res.kind, res.reason = tornTail, fmt.Sprintf("record %d: partial header", want)
			return res, nil
		}
		if _, err := io.ReadFull(br, rh[:]); err != nil {
			return res, err
		}
		length := binary.LittleEndian.Uint32(rh[0:4])
		sum := binary.LittleEndian.Uint32(rh[4:8])
		seq := binary.LittleEndian.Uint64(rh[8:16])
		if uint64(length) > uint64(maxRecord) {
			res.kind, res.reason = corrupt, fmt.Sprintf("record %d: length %d over MaxRecord %d", want, length, maxRecord)
			return res, nil
		}
		if int64(length) > rest-recHeaderLen {
			// A partial last record, unless its length field is what is damaged and the
			// records that follow it are still in the file: look for the next one in what is
			// left (less than MaxRecord bytes).
			after := make([]byte, rest-recHeaderLen)
			if _, err := io.ReadFull(br, after); err != nil {
				return res, err
			}
			if at := findRecord(after, want+1, maxRecord); at >= 0 {
				res.kind, res.reason = corrupt, fmt.Sprintf(
					"record %d: length %d runs past the end of the file, but record %d follows at offset %d",
					want, length, want+1, off+recHeaderLen+int64(at))
				return res, nil
			}
			res.kind, res.reason = tornTail, fmt.Sprintf("record %d: partial (%d of %d data bytes)", want, rest-recHeaderLen, length)
			return res, nil
		}
		data := make([]byte, length)
		if _, err := io.ReadFull(br, data); err != nil {
			return res, err
		}
		if recordCRC(seq, data) != sum {
			after := rest - recHeaderLen - int64(length)
			if after == 0 {
				res.kind, res.reason = tornTail, fmt.Sprintf("record %d, the last: CRC mismatch", want)
				return res, nil
			}
			zeros, err := onlyZeros(br)
			if err != nil {
				return res, err
			}
			if zeros {
				res.kind, res.reason = tornTail, fmt.Sprintf("record %d: CRC mismatch, followed by %d zero bytes only", want, after)
			} else {
				res.kind, res.reason = corrupt, fmt.Sprintf("record %d: CRC mismatch, followed by %d more bytes", want, after)
			}
			return res, nil
		}
		if seq != want {
			res.kind, res.reason = corrupt, fmt.Sprintf("record %d: seq %d out of order", want, seq)
			return res, nil
		}
		res.recs = append(res.recs, Record{Seq: seq, Data: data})
		res.end = off + recHeaderLen + int64(length)
	}
}

// isHeaderPrefix reports whether b (shorter than a header) is the start of a valid header.
func isHeaderPrefix(b []byte) bool {
	for i, c := range b {
		switch {
		case i < len(magic):
			if c != magic[i] {
				return false
			}
		case i < len(magic)+genLen:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		default:
			if c != '\n' {
				return false
			}
		}
	}
	return true
}

// findRecord returns the offset in b of an intact record with the given seq, or -1.
func findRecord(b []byte, seq uint64, maxRecord int) int {
	for i := 0; i+recHeaderLen <= len(b); i++ {
		if binary.LittleEndian.Uint64(b[i+8:]) != seq {
			continue
		}
		length := int64(binary.LittleEndian.Uint32(b[i:]))
		if length > int64(maxRecord) || int64(i)+recHeaderLen+length > int64(len(b)) {
			continue
		}
		if recordCRC(seq, b[i+recHeaderLen:i+recHeaderLen+int(length)]) == binary.LittleEndian.Uint32(b[i+4:]) {
			return i
		}
	}
	return -1
}

// onlyZeros reports whether what is left in r is all zero bytes.
func onlyZeros(r *bufio.Reader) (bool, error) {
	for {
		b, err := r.Peek(readBufSize)
		for _, c := range b {
			if c != 0 {
				return false, nil
			}
		}
		if err == io.EOF {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		r.Discard(len(b))
	}
}
