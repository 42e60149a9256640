package probes

import (
	"crypto/sha256"
	"encoding/hex"
)

// Receipt is what the API answers for an accepted document; the same
// document sent again (a replay) gets the same receipt.
type Receipt struct {
	ID     string `json:"id"`
	Server string `json:"server,omitempty"`
}

// Digest identifies a document's content, to tell a replay (same id, same
// content: fine) from a reused id (same id, other content: a conflict).
func Digest(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}
