//go:build linux

package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// The bare limit: a minimal net/http server in a process of its own that
// answers every request with the very bytes (and headers) serve answered
// one request with. Loaded by wrk with the same settings, it shows what
// this machine can do at all for an answer of that size: serve's rate over
// the bare rate is how close to that limit the endpoint is.

// bareCommand is the hidden first argument that turns this program into
// the bare server (the harness starts itself with it).
const bareCommand = "bare-serve"

// answer is one HTTP answer as serve sent it.
type answer struct {
	Header http.Header
	Body   []byte
}

// fetchAnswer GETs u with the given request headers, as the bytes go on the
// wire (no decompression).
func fetchAnswer(u string, header ...string) (answer, error) {
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		return answer{}, err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		return answer{}, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return answer{}, err
	}
	if res.StatusCode != http.StatusOK {
		return answer{}, fmt.Errorf("GET %s: %s", u, res.Status)
	}
	h := res.Header.Clone()
	h.Del("Date") // net/http writes its own
	return answer{Header: h, Body: body}, nil
}

// bareServe is the bare server's main: -addr, and -answer, a JSON file of
// the answer.
func bareServe(args []string) error {
	fs := flag.NewFlagSet(bareCommand, flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	file := fs.String("answer", "", "the answer (JSON: Header, Body)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	var a answer
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	return http.ListenAndServe(*addr, bareHandler(a))
}

// bareHandler answers every request with a: its headers, its length, its
// bytes, and nothing else.
func bareHandler(a answer) http.Handler {
	a.Header = a.Header.Clone()
	a.Header.Set("Content-Length", strconv.Itoa(len(a.Body)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range a.Header {
			h[k] = v
		}
		w.WriteHeader(http.StatusOK)
		w.Write(a.Body)
	})
}

// bare is a running bare server.
type bare struct {
	url  string
	cmd  *exec.Cmd
	exit chan error
}

// startBare starts this program as the bare server answering a, and waits
// until it answers.
func startBare(dir, label string, a answer) (*bare, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	file, err := writeTemp(dir, label+"-"+nonce()+".json", b)
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := &bare{url: "http://" + addr, exit: make(chan error, 1)}
	s.cmd = exec.Command(self, bareCommand, "-addr", addr, "-answer", file)
	log, err := os.Create(filepath.Join(dir, label+"-"+nonce()+".log"))
	if err != nil {
		return nil, err
	}
	defer log.Close()
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.exit <- s.cmd.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if res, err := http.Get(s.url + "/"); err == nil {
			res.Body.Close()
			return s, nil
		}
		select {
		case err := <-s.exit:
			return nil, fmt.Errorf("the bare server exited: %v (log: %s)", err, log.Name())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("the bare server did not answer within 30 s")
		}
	}
}

func (s *bare) target(name string) target {
	return target{name: name, pids: []int{s.cmd.Process.Pid}}
}

func (s *bare) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exit:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exit
	}
}
