package ari

import "time"

// Backoff exposes the reconnect delay to the tests.
func Backoff(c *Conn, attempt int) time.Duration { return c.backoff(attempt) }

// RESTKind exposes how requests are counted.
func RESTKind(method, path string) string { return restKind(method, path) }

// DecodeHeadFirst is Decode without reading the type off the bytes: the reference of FuzzDecode.
func DecodeHeadFirst(data []byte) Event { return decodeHeadFirst(data) }

// DecodeFast is the one-pass decoder of a call's events alone: nil where it gives up.
func DecodeFast(typ string, data []byte) Event { return decodeFast(typ, data) }

// PeekType exposes how Decode reads the type off the bytes.
func PeekType(data []byte) ([]byte, bool) { return peekType(data) }
