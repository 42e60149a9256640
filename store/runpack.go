package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"strings"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"
)

// A run's checks and verdicts (vdir_runs.body and .verdicts) and the latest
// checks and strip cells (vdir_latest.body and .cells) are stored
// compressed: BLOBs on SQLite, bytea on PostgreSQL (migration 0015). As JSON
// a run took ~3 KB, a SQLite page of its own: a third of the WAL pages a
// push wrote, and the single writer's WAL writes and fsync are what bound
// the push rate (docs/PERFORMANCE.md, phase 16). Compressed (~0.5-0.7 KB)
// several runs share a page, and a latest row (2.7 KB, an overflow page
// rewritten whenever a latency changed) fits in its leaf. On PostgreSQL a
// push group's statement, one at a time, bounds the rate, and 100-150 KB of
// JSON text a group, which PostgreSQL then compressed again (lz4), was much
// of its time (phase 18). A client's own view (client_reports.body, every
// client report rewrites it) is packed the same way (migration 0016): on
// SQLite a WITHOUT ROWID row keeps ~1 KB in its leaf, and with a ~0.9 KB
// view each row spilled onto an overflow page of its own. So are a server's
// sections (sections.body, migration 0017): a collector's vDir
// configuration is ~2.5 KB of JSON, ~0.4 KB packed. Readers take every
// form (decodeRun): rows stored before are JSON, or zstd frames (SQLite,
// phase 16).
//
// S2 (a Snappy extension) rather than zstd: every push compresses its
// checks in its request's goroutine, where zstd's fastest level took ~22 %
// of the handler's CPU; S2 compresses ~4x and decodes ~3x as fast, for runs
// ~20 % larger (docs/PERFORMANCE.md, phase 17).

// s2Tag starts a run packed by packRun; the CRC-32C of the JSON follows
// (big-endian: an S2 block, unlike a zstd frame, has no checksum of its
// own), then the S2 block. JSON, and zstd (zstdMagic), never start so.
const s2Tag = "\x00S2"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// zstdMagic starts every zstd frame, which packed runs were until phase 17.
const zstdMagic = "\x28\xb5\x2f\xfd"

// maxRunText bounds what one stored run may decompress to: far above the
// JSON of the 1,000 checks a report may hold, so a damaged row cannot take
// the memory.
const maxRunText = 64 << 20

var (
	runDecoder = must(zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(maxRunText)))
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// packRun compresses a run's JSON for storing.
func packRun(src []byte) []byte {
	const head = len(s2Tag) + 4
	out := make([]byte, head+s2.MaxEncodedLen(len(src)))
	copy(out, s2Tag)
	binary.BigEndian.PutUint32(out[len(s2Tag):], crc32.Checksum(src, castagnoli))
	n := len(s2.Encode(out[head:], src))
	return out[:head+n]
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
	switch {
	case strings.HasPrefix(stored, s2Tag):
		const head = len(s2Tag) + 4
		if len(stored) < head {
			return nil, fmt.Errorf("decompress stored JSON: %d bytes, cut short", len(stored))
		}
		block := []byte(stored[head:])
		if n, err := s2.DecodedLen(block); err != nil || n > maxRunText {
			return nil, fmt.Errorf("decompress stored JSON: %d bytes, or not S2 (%v)", n, err)
		}
		b, err := s2.Decode(nil, block)
		if err != nil {
			return nil, fmt.Errorf("decompress stored JSON: %w", err)
		}
		if crc32.Checksum(b, castagnoli) != binary.BigEndian.Uint32([]byte(stored[len(s2Tag):head])) {
			return nil, fmt.Errorf("decompress stored JSON: checksum mismatch")
		}
		return b, nil
	case strings.HasPrefix(stored, zstdMagic):
		b, err := runDecoder.DecodeAll([]byte(stored), nil)
		if err != nil {
			return nil, fmt.Errorf("decompress stored JSON: %w", err)
		}
		return b, nil
	}
	return []byte(stored), nil
}
