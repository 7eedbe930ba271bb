//go:build unix

package callback_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user+system) this process used so far: on a
// shared, noisy machine it measures cost far more steadily than wall time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
