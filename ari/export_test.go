package ari

import "time"

// Backoff exposes the reconnect delay to the tests.
func Backoff(c *Conn, attempt int) time.Duration { return c.backoff(attempt) }
