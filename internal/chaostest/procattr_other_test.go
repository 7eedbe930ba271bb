//go:build !linux

package chaostest

import "syscall"

// workerProcAttr is unused off Linux: the chaos tests skip there.
func workerProcAttr() *syscall.SysProcAttr { return nil }
