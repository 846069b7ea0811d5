package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// endUpstream ends the writers of the pipe pktop reads (tcpdump, or the
// ssh that runs it on another host: ssh host tcpdump -w - | pktop -r -)
// when the user quits the screen, as Ctrl-C would have: left alone, a
// writer learns that nobody reads only when it next writes, which on a
// quiet link may be much later, and the shell waits for it. Only the
// processes of pktop's own job are told: those of its process group that
// hold the pipe's write end. It returns how many it signalled.
func endUpstream() int {
	var st syscall.Stat_t
	if syscall.Fstat(0, &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFIFO {
		return 0
	}
	pipe := "pipe:[" + strconv.FormatUint(st.Ino, 10) + "]"
	self, group := os.Getpid(), syscall.Getpgrp()
	procs, _ := filepath.Glob("/proc/[0-9]*")
	n := 0
	for _, dir := range procs {
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil || pid == self {
			continue
		}
		if pg, err := syscall.Getpgid(pid); err != nil || pg != group {
			continue
		}
		if writesTo(dir, pipe) {
			if syscall.Kill(pid, syscall.SIGTERM) == nil {
				n++
			}
		}
	}
	return n
}

// writesTo reports whether the process of /proc directory dir holds the
// pipe open for writing.
func writesTo(dir, pipe string) bool {
	fds, _ := os.ReadDir(dir + "/fd")
	for _, fd := range fds {
		if target, err := os.Readlink(dir + "/fd/" + fd.Name()); err != nil || target != pipe {
			continue
		}
		info, err := os.ReadFile(dir + "/fdinfo/" + fd.Name())
		if err != nil {
			continue
		}
		for _, l := range bytes.Split(info, []byte("\n")) {
			if f, ok := strings.CutPrefix(string(l), "flags:"); ok {
				flags, err := strconv.ParseUint(strings.TrimSpace(f), 8, 32)
				if err == nil && flags&syscall.O_ACCMODE != syscall.O_RDONLY {
					return true
				}
			}
		}
	}
	return false
}
