package procs

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Capability numbers (linux/capability.h).
const (
	CapDacReadSearch = 2  // list other users' /proc/PID/fd
	CapNetAdmin      = 12 // join sock_diag's close-notice groups; attach the hook (with CapBPF)
	CapSysPtrace     = 19 // read the links in other users' /proc/PID/fd, open /proc/PID/ns/net
	CapSysAdmin      = 21 // setns(2) into a network namespace
	CapBPF           = 39 // load the hook (Linux 5.8+; CapSysAdmin before)
)

// KeepWhileOn are the capabilities attribution uses after New has
// returned, for as long as the Resolver runs: CapSysPtrace and
// CapDacReadSearch to read which process holds a socket when the process
// is another user's, CapSysAdmin to enter network namespaces (containers)
// that appear later. The hook, the close notices and the sockets inside
// the namespaces that exist when New runs are set up by New itself and
// need CapBPF, CapNetAdmin and CapSysAdmin only then: start the Resolver
// before giving up privileges.
var KeepWhileOn = []int{CapSysPtrace, CapDacReadSearch, CapSysAdmin}

// SetuidKeeping turns a root process into uid and gid (supplementary
// groups cleared) on every thread, keeping only the capabilities in keep,
// permitted and effective. It is what a capture tool's privilege drop
// does, with PR_SET_KEEPCAPS around the setuid so that the kept set
// survives it. It needs a pure-Go build (CGO_ENABLED=0): cgo programs
// cannot change every thread's credentials from Go.
func SetuidKeeping(uid, gid int, keep []int) error {
	if os.Geteuid() != 0 {
		return errors.New("keeping capabilities through setuid: not root")
	}
	if _, _, e := syscall.AllThreadsSyscall(unix.SYS_PRCTL, unix.PR_SET_KEEPCAPS, 1, 0); e != 0 {
		if e == syscall.ENOTSUP {
			return errCgo
		}
		return fmt.Errorf("keeping capabilities through setuid: PR_SET_KEEPCAPS: %v", e)
	}
	if err := syscall.Setgroups(nil); err != nil {
		return fmt.Errorf("setgroups: %v", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("setgid %d: %v", gid, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("setuid %d: %v", uid, err)
	}
	syscall.AllThreadsSyscall(unix.SYS_PRCTL, unix.PR_SET_KEEPCAPS, 0, 0)
	return setCaps(keep)
}

var errCgo = errors.New("cannot change the credentials of every thread in a cgo build (build with CGO_ENABLED=0)")

// KeepCapabilities makes those of keep that the process has its only
// capabilities, permitted and effective, on every thread, and returns
// them: what a process that is not root but was given file capabilities
// (setcap) keeps for attribution once its capture is open.
func KeepCapabilities(keep []int) ([]int, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return nil, fmt.Errorf("capget: %v", err)
	}
	var have []int
	for _, c := range keep {
		if c >= 0 && c < 64 && data[c/32].Permitted&(1<<(c%32)) != 0 {
			have = append(have, c)
		}
	}
	return have, setCaps(have)
}

// DropCapabilities clears every capability of every thread: what to call
// when attribution is turned off after SetuidKeeping.
func DropCapabilities() error { return setCaps(nil) }

// setCaps makes keep the permitted and effective set of every thread.
func setCaps(keep []int) error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	for _, c := range keep {
		if c < 0 || c >= 64 {
			return fmt.Errorf("capability %d out of range", c)
		}
		data[c/32].Permitted |= 1 << (c % 32)
		data[c/32].Effective |= 1 << (c % 32)
	}
	_, _, e := syscall.AllThreadsSyscall(unix.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0)
	if e != 0 {
		if e == syscall.ENOTSUP {
			return errCgo
		}
		return fmt.Errorf("capset: %v", e)
	}
	return nil
}
