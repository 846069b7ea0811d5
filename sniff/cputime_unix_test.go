//go:build unix

package sniff

import "syscall"

// cpuTime is the process's CPU time so far (user and system), in
// nanoseconds: what a benchmark costs the machine, every goroutine and
// the kernel's work for it included, which wall time on a shared machine
// does not tell.
func cpuTime() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
