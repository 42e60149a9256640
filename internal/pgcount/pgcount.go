// Package pgcount is a loopback TCP proxy in front of PostgreSQL that counts
// the protocol messages its clients send: how many round trips a request
// costs, for the end-to-end benchmarks (bench/e2e -pgcount) and for tests
// that hold a write to its round trips.
package pgcount

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Counter is a loopback TCP proxy in front of PostgreSQL that counts the
// messages the clients send, by type: Sync (S) ends each extended-protocol
// exchange and Query (Q) is a simple one, so S+Q is the number of round
// trips; Parse (P) counts statements prepared, Bind (B) and Execute (E)
// statements run; Ping the pool's pings among the Queries. Only for
// counting: it adds latency to every round trip.
type Counter struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	counts map[byte]int64
}

// Start proxies the PostgreSQL server of the URL pgBase and returns the URL
// of the proxy, pgBase with the proxy's host and port.
func Start(pgBase string) (*Counter, string, error) {
	u, err := url.Parse(pgBase)
	if err != nil {
		return nil, "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	c := &Counter{ln: ln, target: u.Host, counts: map[byte]int64{}}
	go c.serve()
	u.Host = ln.Addr().String()
	return c, u.String(), nil
}

func (c *Counter) serve() {
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			return
		}
		go c.relay(conn)
	}
}

func (c *Counter) relay(client net.Conn) {
	defer client.Close()
	backend, err := net.Dial("tcp", c.target)
	if err != nil {
		return
	}
	defer backend.Close()
	go io.Copy(client, backend)
	// The startup packet has no type byte (a length, then the protocol
	// version, or an SSL/GSS request code answered by one byte).
	for {
		var hdr [8]byte
		if _, err := io.ReadFull(client, hdr[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr[:4])
		code := binary.BigEndian.Uint32(hdr[4:])
		rest := make([]byte, n-8)
		if _, err := io.ReadFull(client, rest); err != nil {
			return
		}
		if _, err := backend.Write(append(hdr[:], rest...)); err != nil {
			return
		}
		if code == 196608 { // protocol 3.0: typed messages follow
			break
		}
	}
	var hdr [5]byte
	for {
		if _, err := io.ReadFull(client, hdr[:]); err != nil {
			return
		}
		n := int64(binary.BigEndian.Uint32(hdr[1:])) - 4
		if _, err := backend.Write(hdr[:]); err != nil {
			return
		}
		var body bytes.Buffer // the start of a simple query, to tell a ping
		var w io.Writer = backend
		if hdr[0] == 'Q' {
			w = io.MultiWriter(backend, &body)
		}
		if _, err := io.CopyN(w, client, n); err != nil {
			return
		}
		c.mu.Lock()
		c.counts[hdr[0]]++
		if bytes.HasPrefix(body.Bytes(), []byte(pingQuery)) {
			c.counts[Ping]++
		}
		c.mu.Unlock()
	}
}

// Ping is the key under which Take counts the connection pool's pings (a
// Query each, counted under 'Q' as well): pgx's database/sql driver pings a
// connection idle for over a second when it is taken from the pool.
const Ping = 'p'

// pingQuery is the query text of pgx's ping.
const pingQuery = "-- ping"

// Take returns the counts so far and starts again from zero.
func (c *Counter) Take() map[byte]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.counts
	c.counts = map[byte]int64{}
	return out
}

// Close stops taking connections.
func (c *Counter) Close() { c.ln.Close() }

// RoundTrips is how many round trips counts hold: a Sync (S) ends each
// extended-protocol exchange, a Query (Q) is a simple one.
func RoundTrips(counts map[byte]int64) int64 { return counts['S'] + counts['Q'] }

// PerRequest formats counts divided by n: "round trips 7.0 (S 6.0 Q 1.0) P 0.0 B 6.0 E 6.0".
func PerRequest(counts map[byte]int64, n int64) string {
	if n == 0 {
		return ""
	}
	var keys []string
	for k := range counts {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "round trips/req %.2f;", float64(RoundTrips(counts))/float64(n))
	for _, k := range keys {
		fmt.Fprintf(&b, " %s %.2f", k, float64(counts[k[0]])/float64(n))
	}
	return b.String()
}
