package me

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewToken returns n random bytes from crypto/rand as unpadded lower-case
// base32: for ids and keys that nobody may guess and that must never
// collide. crypto/rand.Read never fails since Go 1.24 (the program stops
// rather than use predictable bytes), so there is no error to handle.
func NewToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.ToLower(tokenEncoding.EncodeToString(b))
}
