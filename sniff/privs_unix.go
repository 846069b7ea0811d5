//go:build unix && !linux

package sniff

import "os"

// DropPrivileges gives up root once the capture is open and the output
// files are created: it becomes the user who ran sudo (SUDO_UID,
// SUDO_GID), or else nobody, and hands files to that user first. A pktop
// that is not root has nothing to give up here.
func DropPrivileges(files ...*os.File) (string, error) {
	if os.Geteuid() != 0 {
		return "no privileges to drop", nil
	}
	return dropRoot(files, nil)
}
