package chaostest

import "syscall"

// workerProcAttr ties a worker to the test process: the kernel SIGKILLs it
// when the test process dies, so no worker outlives a crashed or timed-out
// test.
func workerProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
