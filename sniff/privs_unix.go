//go:build unix && !linux

package sniff

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// DropPrivileges gives up root once the capture is open and the output
// files are created: it becomes the user who ran sudo (SUDO_UID,
// SUDO_GID), or else nobody, and hands files to that user first. A pktop
// that is not root has nothing to give up here.
func DropPrivileges(files ...*os.File) (string, error) {
	if os.Geteuid() != 0 {
		return "no privileges to drop", nil
	}
	uid, gid, who := dropTarget()
	for _, f := range files {
		if f != nil {
			f.Chown(uid, gid)
		}
	}
	if err := syscall.Setgroups(nil); err != nil {
		return "", fmt.Errorf("dropping privileges: setgroups: %v", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return "", fmt.Errorf("dropping privileges: setgid %d: %v", gid, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return "", fmt.Errorf("dropping privileges: setuid %d: %v", uid, err)
	}
	if os.Geteuid() == 0 {
		return "", errors.New("dropping privileges: still root after setuid")
	}
	return fmt.Sprintf("now running as %s (uid %d, gid %d)", who, uid, gid), nil
}
