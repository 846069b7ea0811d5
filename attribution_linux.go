package main

import (
	"io"
	"os"

	"github.com/pktop/pktop/procs"
	"github.com/pktop/pktop/sniff"
)

// dropPrivileges gives up the privileges once the capture is open, as
// sniff.DropPrivileges does, but, while attribution is on, keeps the
// capabilities it needs after its start (procs.KeepWhileOn:
// CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH to read which process of
// another user holds a socket, CAP_SYS_ADMIN to enter the network
// namespaces of containers that start later). A pktop started by root
// becomes the sudo user or nobody keeping them; one given file
// capabilities keeps those of them it has.
func dropPrivileges(a *attribution, created *os.File, stderr io.Writer) {
	if a != nil {
		var err error
		if os.Geteuid() == 0 {
			_, err = sniff.DropRootWith(func(uid, gid int) error {
				return procs.SetuidKeeping(uid, gid, procs.KeepWhileOn)
			}, created)
			if err == nil {
				a.kept = capNames(procs.KeepWhileOn)
				return
			}
		} else {
			var kept []int
			if kept, err = procs.KeepCapabilities(procs.KeepWhileOn); err == nil {
				a.kept = capNames(kept)
				return
			}
		}
		complain(stderr, "process attribution cannot keep its capabilities (%v): it sees only the processes of the user pktop runs as", err)
	}
	if _, err := sniff.DropPrivileges(created); err != nil {
		complain(stderr, "warning: %v", err)
	}
}

// stop ends attribution and gives up the capabilities kept for it.
func (a *attribution) stop() {
	a.Close()
	if len(a.kept) > 0 {
		procs.DropCapabilities()
	}
}

var capName = map[int]string{procs.CapDacReadSearch: "CAP_DAC_READ_SEARCH", procs.CapNetAdmin: "CAP_NET_ADMIN",
	procs.CapSysPtrace: "CAP_SYS_PTRACE", procs.CapSysAdmin: "CAP_SYS_ADMIN", procs.CapBPF: "CAP_BPF"}

func capNames(cs []int) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, capName[c])
	}
	return out
}
