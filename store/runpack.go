package store

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// On SQLite a run's checks and verdicts (vdir_runs.body and .verdicts) and
// the latest checks and strip cells (vdir_latest.body and .cells) are stored
// zstd-compressed, as BLOBs. As JSON a run took ~3 KB, a page of its own: a
// third of the WAL pages a push wrote, and the single writer's WAL writes
// and fsync are what bound the push rate (docs/PERFORMANCE.md, phase 16).
// Compressed (~0.7 KB) five runs share a page, and a latest row (2.7 KB, an
// overflow page rewritten whenever a latency changed) fits in its leaf.
// PostgreSQL compresses these columns itself (lz4, migration 0013) and keeps
// them as text. Readers take both (decodeRun): rows stored before are JSON.

// zstdMagic starts every zstd frame; JSON never starts so.
const zstdMagic = "\x28\xb5\x2f\xfd"

// maxRunText bounds what one stored run may decompress to: far above the
// JSON of the 1,000 checks a report may hold, so a damaged row cannot take
// the memory.
const maxRunText = 64 << 20

var (
	runEncoder = must(zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1)))
	runDecoder = must(zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(maxRunText)))
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// packRun compresses a run's JSON for SQLite.
func packRun(text string) []byte {
	return runEncoder.EncodeAll([]byte(text), make([]byte, 0, len(text)/3))
}

// decodeRun decodes a stored run's JSON, packed (packRun) or not, into v.
func decodeRun(stored string, v any) error {
	text, err := unpackRun(stored)
	if err != nil {
		return err
	}
	return json.Unmarshal(text, v)
}

// unpackRun returns a stored run's JSON, packed (packRun) or not.
func unpackRun(stored string) ([]byte, error) {
	if !strings.HasPrefix(stored, zstdMagic) {
		return []byte(stored), nil
	}
	b, err := runDecoder.DecodeAll([]byte(stored), nil)
	if err != nil {
		return nil, fmt.Errorf("decompress stored checks: %w", err)
	}
	return b, nil
}
