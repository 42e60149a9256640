package web

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// unevenReader hands out its content in reads of random sizes, then err.
type unevenReader struct {
	b   []byte
	rng *rand.Rand
	err error
}

func (u *unevenReader) Read(p []byte) (int, error) {
	if len(u.b) == 0 {
		return 0, u.err
	}
	n := copy(p[:min(len(p), 1+u.rng.IntN(300<<10))], u.b)
	u.b = u.b[n:]
	return n, nil
}

// TestReadAheadSameBytesAndError: what the read-ahead gives is its source's
// bytes, then its source's error (EOF or a failure, after the last byte),
// read a little at a time or drained through WriteTo; it hashes all it read.
func TestReadAheadSameBytesAndError(t *testing.T) {
	content := make([]byte, 3<<20+12345)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range content {
		content[i] = byte(rng.Uint32())
	}
	cut := errors.New("connection reset")
	for _, srcErr := range []error{io.EOF, cut} {
		for _, via := range []string{"read", "writeto", "both"} {
			h := sha256.New()
			a := readAhead(&unevenReader{b: content, rng: rand.New(rand.NewPCG(3, uint64(len(via)))), err: srcErr}, h, nil)
			var got bytes.Buffer
			var err error
			switch via {
			case "read", "both":
				buf := make([]byte, 1000+rng.IntN(5000))
				for err == nil && (via == "read" || got.Len() < len(content)/2) {
					var n int
					n, err = a.Read(buf)
					got.Write(buf[:n])
				}
				if via == "read" {
					break
				}
				fallthrough
			case "writeto":
				_, err = a.WriteTo(&got)
				if err == nil {
					err = io.EOF // WriteTo ends at EOF without an error
				}
			}
			a.Close()
			if !bytes.Equal(got.Bytes(), content) {
				t.Errorf("%v via %s: %d bytes, differ from the %d of the source", srcErr, via, got.Len(), len(content))
			}
			if err != srcErr {
				t.Errorf("%v via %s: error %v", srcErr, via, err)
			}
			if sum := sha256.Sum256(content); !bytes.Equal(h.Sum(nil), sum[:]) {
				t.Errorf("%v via %s: the hash is not the content's", srcErr, via)
			}
			if n, err := a.Read(make([]byte, 10)); n != 0 || err != srcErr {
				t.Errorf("%v via %s: a read after the end gave %d, %v", srcErr, via, n, err)
			}
		}
	}
}

// stallReader gives one chunk, then waits until it is abandoned.
type stallReader struct {
	first     []byte
	abandoned chan struct{}
	reads     atomic.Int32
	inRead    atomic.Bool
}

func (s *stallReader) Read(p []byte) (int, error) {
	s.reads.Add(1)
	s.inRead.Store(true)
	defer s.inRead.Store(false)
	if len(s.first) > 0 {
		n := copy(p, s.first)
		s.first = s.first[n:]
		return n, nil
	}
	<-s.abandoned
	return 0, errors.New("read deadline in the past")
}

// TestReadAheadCloseAbandons: closed before its source ended (the parser
// refused the file), the read-ahead abandons the source, whose waiting read
// then fails, and Close returns only once nothing reads the source any more.
func TestReadAheadCloseAbandons(t *testing.T) {
	src := &stallReader{first: []byte("not an IIS log\n"), abandoned: make(chan struct{})}
	var abandons atomic.Int32
	a := readAhead(src, nil, func() {
		abandons.Add(1)
		close(src.abandoned)
	})
	if b, err := io.ReadAll(io.LimitReader(a, 15)); err != nil || string(b) != "not an IIS log\n" {
		t.Fatalf("read %q, %v", b, err)
	}
	closed := make(chan struct{})
	go func() {
		a.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(20 * time.Second):
		t.Fatal("Close waits for a stalled source instead of abandoning it")
	}
	reads := src.reads.Load()
	if abandons.Load() != 1 || src.inRead.Load() {
		t.Errorf("abandoned %d times, a read still in progress: %v", abandons.Load(), src.inRead.Load())
	}
	a.Close() // a second Close does nothing
	if abandons.Load() != 1 || src.reads.Load() != reads {
		t.Errorf("after a second Close: abandoned %d times, %d reads (were %d)", abandons.Load(), src.reads.Load(), reads)
	}

	// A source read to its end is not abandoned.
	done := readAhead(bytes.NewReader([]byte("all of it")), nil, func() { t.Error("abandoned a source read to its end") })
	io.Copy(io.Discard, done)
	done.Close()
}

type panicReader struct{}

func (panicReader) Read([]byte) (int, error) { panic("decoder bug") }

// TestReadAheadPanic: a source that panics (a decompressor's bug) fails the
// read with an error, as a panic in the handler fails only its request; it
// does not end the process.
func TestReadAheadPanic(t *testing.T) {
	a := readAhead(io.MultiReader(bytes.NewReader([]byte("start")), panicReader{}), nil, nil)
	defer a.Close()
	b, err := io.ReadAll(a)
	if string(b) != "start" || err == nil || !strings.Contains(err.Error(), "panic: decoder bug") {
		t.Errorf("read %q, %v; want the start, then the panic as an error", b, err)
	}
}
