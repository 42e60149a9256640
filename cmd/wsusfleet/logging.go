package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/wsusfleet/wsusfleet/internal/logsink"
)

// newLogger builds the slog logger of --log-format (text or json) and
// --log-level, writing to w from a goroutine of its own (logsink: a request
// never waits for its access-log line to be written). closeLog writes out
// what is buffered; call it before the command returns.
func newLogger(w io.Writer, format, level string) (log *slog.Logger, closeLog func(), err error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, nil, usageError(fmt.Sprintf("--log-level: %q is not debug, info, warn or error", level))
	}
	opts := &slog.HandlerOptions{Level: lv}
	f := strings.ToLower(format)
	if f != "text" && f != "json" {
		return nil, nil, usageError(fmt.Sprintf("--log-format: %q is not text or json", format))
	}
	sink := logsink.New(w, logsink.DefaultLimit)
	var h slog.Handler = slog.NewTextHandler(sink, opts)
	if f == "json" {
		h = slog.NewJSONHandler(sink, opts)
	}
	return slog.New(h), func() { sink.Close() }, nil
}
