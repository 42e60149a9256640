//go:build !unix

package iislog

import "time"

// cpuTime is not measured here; benchmarks then omit their cpu-MB/s metric.
func cpuTime() time.Duration { return 0 }
