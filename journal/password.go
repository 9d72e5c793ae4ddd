package journal

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// HashParams are argon2id's costs for new password hashes. A stored hash names the parameters it
// was made with and is checked with those; one made with other parameters than the Store's is
// made again at the next successful login.
type HashParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultHashParams is OWASP's recommended minimum for argon2id (19 MiB, 2 passes, 1 lane):
// about 0.2 s per login on a two-core server, so that a few logins at once do not
// starve the call flow, and still costly to guess in bulk. Raise it here; stored hashes follow
// at each operator's next login.
func DefaultHashParams() HashParams { return HashParams{Memory: 19 << 10, Time: 2, Threads: 1} }

const (
	saltLen = 16
	keyLen  = 32
)

// hashPassword hashes password with a new random salt and encodes it as a PHC string:
// $argon2id$v=19$m=65536,t=3,p=4$SALT$HASH (unpadded standard base64).
func hashPassword(password string, p HashParams) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// parsedHash is a PHC string taken apart.
type parsedHash struct {
	params    HashParams
	salt, key []byte
}

// parseHash reads a PHC string hashPassword made. Its error never quotes the string.
func parseHash(s string) (parsedHash, error) {
	var h parsedHash
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return h, fmt.Errorf("stored password hash: not an argon2id PHC string")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return h, fmt.Errorf("stored password hash: unsupported argon2 version")
	}
	p := &h.params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory < 8 || p.Memory > 4<<20 || p.Time < 1 || p.Time > 100 || p.Threads < 1 {
		return h, fmt.Errorf("stored password hash: bad parameters")
	}
	var err error
	b64 := base64.RawStdEncoding
	if h.salt, err = b64.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return h, fmt.Errorf("stored password hash: bad salt")
	}
	if h.key, err = b64.DecodeString(parts[5]); err != nil || len(h.key) < 16 {
		return h, fmt.Errorf("stored password hash: bad hash")
	}
	return h, nil
}

// verify reports whether password hashes to h, comparing in constant time.
func (h parsedHash) verify(password string) bool {
	key := argon2.IDKey([]byte(password), h.salt, h.params.Time, h.params.Memory, h.params.Threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1
}

// spendHashTime does the work of checking a password against nothing, so that a login that does
// not exist (or has no password) takes as long to refuse as a wrong password.
func spendHashTime(password string, p HashParams) {
	salt := make([]byte, saltLen)
	_ = argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
}
