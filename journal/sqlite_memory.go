//go:build cgo

package journal

/*
// SQLite's own allocator statistics, from the copy of SQLite that github.com/mattn/go-sqlite3
// compiles into the binary (its API symbols are global, so declaring them is enough).
extern long long sqlite3_memory_used(void);
extern long long sqlite3_memory_highwater(int resetFlag);
*/
import "C"

// SQLiteMemory is what SQLite has allocated now, and at most since the process started, in
// bytes: its page caches, prepared statements and schemas, for every connection of the
// process. It lives on the C heap, outside the Go heap and its profiles, so a long run's RSS
// can only be explained with it.
func SQLiteMemory() (used, highwater int64) {
	return int64(C.sqlite3_memory_used()), int64(C.sqlite3_memory_highwater(0))
}
