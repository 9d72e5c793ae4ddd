package ari

import "time"

// Backoff exposes the reconnect delay to the tests.
func Backoff(c *Conn, attempt int) time.Duration { return c.backoff(attempt) }

// RESTKind exposes how requests are counted.
func RESTKind(method, path string) string { return restKind(method, path) }

// DecodeHeadFirst is Decode without reading the type off the bytes: the reference of FuzzDecode.
func DecodeHeadFirst(data []byte) Event { return decodeHeadFirst(data) }
