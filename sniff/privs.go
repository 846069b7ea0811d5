//go:build unix

package sniff

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// dropRoot turns a root pktop into the user dropTarget names: files are
// handed to that user, then groups, gid and uid change for every thread
// (which, on Linux, also clears every capability), or setuid, when set,
// makes the change.
func dropRoot(files []*os.File, setuid func(uid, gid int) error) (string, error) {
	uid, gid, who := dropTarget()
	for _, f := range files {
		if f != nil {
			f.Chown(uid, gid)
		}
	}
	if setuid != nil {
		if err := setuid(uid, gid); err != nil {
			return "", fmt.Errorf("dropping privileges: %v", err)
		}
	} else if err := dropIDs(uid, gid); err != nil {
		return "", err
	}
	if os.Geteuid() == 0 {
		return "", errors.New("dropping privileges: still root after setuid")
	}
	return fmt.Sprintf("now running as %s (uid %d, gid %d)", who, uid, gid), nil
}

// DropRootWith is DropPrivileges for a pktop started as root whose change
// of user setuid makes (it must change groups, gid and uid on every
// thread), so that the caller can keep capabilities through it (process
// attribution does). It does nothing when pktop is not root.
func DropRootWith(setuid func(uid, gid int) error, files ...*os.File) (string, error) {
	if os.Geteuid() != 0 {
		return "not root", nil
	}
	return dropRoot(files, setuid)
}

// dropIDs changes groups, gid and uid of every thread.
func dropIDs(uid, gid int) error {
	if err := syscall.Setgroups(nil); err != nil {
		return fmt.Errorf("dropping privileges: setgroups: %v", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("dropping privileges: setgid %d: %v", gid, err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("dropping privileges: setuid %d: %v", uid, err)
	}
	return nil
}

// dropTarget is the user a root pktop becomes: the one sudo ran it for,
// or nobody.
func dropTarget() (uid, gid int, who string) {
	if u, err := strconv.Atoi(os.Getenv("SUDO_UID")); err == nil && u > 0 {
		g, err := strconv.Atoi(os.Getenv("SUDO_GID"))
		if err != nil {
			g = u
		}
		name := os.Getenv("SUDO_USER")
		if name == "" {
			name = "uid " + strconv.Itoa(u)
		}
		return u, g, name
	}
	uid, gid = 65534, 65534
	if u, err := user.Lookup("nobody"); err == nil {
		if n, err := strconv.Atoi(u.Uid); err == nil {
			uid = n
		}
		if n, err := strconv.Atoi(u.Gid); err == nil {
			gid = n
		}
	}
	return uid, gid, "nobody"
}
