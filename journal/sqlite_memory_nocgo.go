//go:build !cgo

package journal

// SQLiteMemory is 0 without cgo: there is no SQLite in the binary then.
func SQLiteMemory() (used, highwater int64) { return 0, 0 }
