//go:build linux

package sniff

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// DropPrivileges gives up what pktop no longer needs once its capture is
// open and its output files are created. Started as root, it becomes the
// user who ran sudo (SUDO_UID, SUDO_GID), or else nobody: groups, gid and
// uid all change, which also clears every capability. Started as another
// user with file capabilities (setcap), it clears its capabilities on every
// thread. files are handed to that user first, so that a -w file belongs to
// whoever ran sudo. It returns what it did, for a diagnostic line.
func DropPrivileges(files ...*os.File) (string, error) {
	if os.Geteuid() == 0 {
		return dropRoot(files, nil)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return "", fmt.Errorf("dropping capabilities: %v", err)
	}
	if data[0].Permitted == 0 && data[1].Permitted == 0 {
		return "no privileges to drop", nil
	}
	data = [2]unix.CapUserData{}
	_, _, e := syscall.AllThreadsSyscall(unix.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0)
	if e != 0 {
		if e == syscall.ENOTSUP {
			return "", errors.New("cannot drop capabilities in a cgo build of pktop (build it with CGO_ENABLED=0)")
		}
		return "", fmt.Errorf("dropping capabilities: %v", e)
	}
	return "capabilities dropped", nil
}
