package sniff

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LiveOptions configure a live capture.
type LiveOptions struct {
	// Interface is the interface to capture on; "any" captures on all of
	// them.
	Interface string
	// Filter is a tcpdump filter expression ("" keeps every frame).
	Filter string
	// Snaplen is how many bytes of each frame are kept (0: 262144, as
	// tcpdump).
	Snaplen int
	// NoPromisc leaves the interface out of promiscuous mode (tcpdump -p).
	NoPromisc bool
	// Count stops the capture after that many packets (0: no limit).
	Count int
	// LearnNames learns host names from DNS answers, TLS SNI and HTTP
	// Host headers.
	LearnNames bool
}

// DefaultSnaplen is tcpdump's default snap length.
const DefaultSnaplen = 262144

// LiveStats are a live capture's counters so far.
type LiveStats struct {
	// Captured counts the frames that passed the filter and were read.
	Captured uint64
	// KernelDrops counts frames the kernel dropped because the capture
	// ring was full.
	KernelDrops uint64
	// QueueDrops counts frames pktop read but could not hand to the model
	// because it had fallen behind (they are still written by -w).
	QueueDrops uint64
	// Filtered counts frames rejected by a filter run inside pktop (a
	// filter attached to the socket rejects frames uncounted).
	Filtered uint64
	// NotWritten counts frames -w could not write, and WriteError says
	// why: the first write error (a full disk, an I/O error). Writing
	// stops there; the capture goes on.
	NotWritten uint64
	WriteError string
}

// Interface describes a network interface for -D.
type Interface struct {
	Index    int
	Name     string
	Up       bool
	Running  bool
	Loopback bool
	// Link names the kind of link (ethernet, loopback, raw IP, ...).
	Link  string
	Addrs []string
}

// String formats the interface as one line of pktop -D.
func (i Interface) String() string {
	var st []string
	if i.Up {
		st = append(st, "Up")
	} else {
		st = append(st, "Down")
	}
	if i.Running {
		st = append(st, "Running")
	}
	if i.Loopback {
		st = append(st, "Loopback")
	}
	s := fmt.Sprintf("%d.%s [%s]", i.Index, i.Name, strings.Join(st, ", "))
	if i.Link != "" {
		s += " " + i.Link
	}
	if len(i.Addrs) > 0 {
		s += " " + strings.Join(i.Addrs, " ")
	}
	return s
}

// ErrNoLive says that this build of pktop cannot capture live.
var ErrNoLive = errors.New("live capture needs Linux in this build of pktop; replay a capture instead: tcpdump -w - | pktop -r -")

// PermissionError says that pktop may not open a capture socket.
type PermissionError struct {
	Interface string
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("no permission to capture on %s: run pktop as root, or once: sudo setcap cap_net_raw,cap_net_admin=eip %s (replaying needs none: pktop -r FILE, pktop --demo)", e.Interface, selfPath())
}

// selfPath is the path of the running binary, links resolved (setcap
// must name the file itself), as a shell word.
func selfPath() string {
	p, err := os.Executable()
	if err != nil {
		return "$(command -v pktop)"
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	if strings.ContainsAny(p, " \t'\"$`\\") {
		return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
	}
	return p
}

// liveTick is how often a live capture sends a batch, packets or not, so
// that rates decay while the interface is quiet; it is also how long a
// read waits before it looks at ctx again.
const liveTick = 100 * time.Millisecond
