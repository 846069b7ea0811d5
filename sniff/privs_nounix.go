//go:build !unix

package sniff

import "os"

// DropPrivileges does nothing where there are no Unix users.
func DropPrivileges(files ...*os.File) (string, error) { return "no privileges to drop", nil }

// DropRootWith does nothing where there are no Unix users.
func DropRootWith(setuid func(uid, gid int) error, files ...*os.File) (string, error) {
	return "no privileges to drop", nil
}
