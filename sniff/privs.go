//go:build unix

package sniff

import (
	"os"
	"os/user"
	"strconv"
)

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
