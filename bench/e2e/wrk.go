//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what one wrk run reports.
type wrkResult struct {
	Requests   int64
	Seconds    float64
	RPS        float64
	P50, P99   float64 // ms
	Non2xx     int64   // answers outside 2xx/3xx
	Unexpected int64   // answers other than the expected status (post.lua)
	SockErrs   int64   // connect, read, write errors and timeouts
	CPU        time.Duration
	Output     string
}

// wrkRun is one wrk invocation: a URL, optionally post.lua with its arguments.
type wrkRun struct {
	URL       string
	Conns     int
	Threads   int
	Duration  time.Duration
	Headers   []string
	Script    string
	ScriptArg []string
}

func (w wrkRun) start() (*exec.Cmd, *bytes.Buffer, error) {
	args := []string{"-t", strconv.Itoa(w.Threads), "-c", strconv.Itoa(w.Conns),
		"-d", fmt.Sprintf("%ds", int(w.Duration.Seconds())), "--latency", "--timeout", "30s"}
	for _, h := range w.Headers {
		args = append(args, "-H", h)
	}
	if w.Script != "" {
		args = append(args, "-s", w.Script)
	}
	args = append(args, w.URL)
	if w.Script != "" && len(w.ScriptArg) > 0 {
		args = append(append(args, "--"), w.ScriptArg...)
	}
	cmd := exec.Command("wrk", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out, cmd.Start()
}

// finish waits for a started wrk and parses what it printed.
func finish(cmd *exec.Cmd, out *bytes.Buffer) (wrkResult, error) {
	err := cmd.Wait()
	r, perr := parseWrk(out.String())
	if cmd.ProcessState != nil {
		r.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return r, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	return r, perr
}

func (w wrkRun) run() (wrkResult, error) {
	cmd, out, err := w.start()
	if err != nil {
		return wrkResult{}, err
	}
	return finish(cmd, out)
}

var (
	reTotal      = regexp.MustCompile(`(\d+) requests in ([\d.]+)(us|ms|s|m)`)
	reRPS        = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	rePct        = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$`)
	reNon2xx     = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	reUnexpected = regexp.MustCompile(`unexpected status: (\d+)`)
	reSock       = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// parseWrk reads wrk 4's summary (run with --latency).
func parseWrk(s string) (wrkResult, error) {
	r := wrkResult{Output: s}
	m := reTotal.FindStringSubmatch(s)
	if m == nil {
		return r, fmt.Errorf("wrk printed no request count:\n%s", s)
	}
	r.Requests, _ = strconv.ParseInt(m[1], 10, 64)
	r.Seconds = toMS(m[2], m[3]) / 1000
	if m := reRPS.FindStringSubmatch(s); m != nil {
		r.RPS, _ = strconv.ParseFloat(m[1], 64)
	}
	for _, m := range rePct.FindAllStringSubmatch(s, -1) {
		v := toMS(m[2], m[3])
		if m[1] == "50" {
			r.P50 = v
		} else {
			r.P99 = v
		}
	}
	if m := reNon2xx.FindStringSubmatch(s); m != nil {
		r.Non2xx, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := reUnexpected.FindStringSubmatch(s); m != nil {
		r.Unexpected, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := reSock.FindStringSubmatch(s); m != nil {
		for _, v := range m[1:] {
			n, _ := strconv.ParseInt(v, 10, 64)
			r.SockErrs += n
		}
	}
	return r, nil
}

func toMS(v, unit string) float64 {
	f, _ := strconv.ParseFloat(v, 64)
	switch strings.ToLower(unit) {
	case "us":
		return f / 1000
	case "s":
		return f * 1000
	case "m":
		return f * 60000
	}
	return f
}

// valid says why a run's numbers cannot be used, or "".
func (r wrkResult) invalid() string {
	var why []string
	if r.Non2xx > 0 {
		why = append(why, fmt.Sprintf("%d non-2xx answers", r.Non2xx))
	}
	if r.Unexpected > 0 {
		why = append(why, fmt.Sprintf("%d unexpected statuses", r.Unexpected))
	}
	if r.SockErrs > 0 {
		why = append(why, fmt.Sprintf("%d socket errors", r.SockErrs))
	}
	return strings.Join(why, ", ")
}
