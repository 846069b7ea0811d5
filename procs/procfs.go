package procs

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Pure readers of /proc text, apart from the I/O so that fixtures test
// them on any OS. Every reader is given at most a bounded prefix of the
// file (see readBounded in the Linux code): a process controls its comm
// and arguments, and the kernel its tables, but pktop's memory stays ours.

var errFormat = errors.New("unexpected format")

// parseSocketLink reads the target of a /proc/PID/fd/N link: "socket:[123]"
// gives 123 and true; anything else (files, pipes, anon inodes) false.
func parseSocketLink(b []byte) (uint32, bool) {
	if !bytes.HasPrefix(b, []byte("socket:[")) || len(b) < 10 || b[len(b)-1] != ']' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[8:len(b)-1]), 10, 32)
	if err != nil {
		return 0, false
	}
	return uint32(n), true
}

// parseNsLink reads the target of /proc/PID/ns/net: "net:[4026531840]".
func parseNsLink(b []byte) (uint64, bool) {
	if !bytes.HasPrefix(b, []byte("net:[")) || len(b) < 7 || b[len(b)-1] != ']' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[5:len(b)-1]), 10, 64)
	return n, err == nil
}

// procStat is what pktop takes from /proc/PID/stat.
type procStat struct {
	Comm  string
	Start uint64 // field 22, clock ticks after boot
}

// parseStat reads /proc/PID/stat. The command sits between the first '('
// and the LAST ')' and may itself hold spaces and parentheses.
func parseStat(b []byte) (procStat, error) {
	var s procStat
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return s, fmt.Errorf("stat: no (comm): %w", errFormat)
	}
	s.Comm = capString(string(b[open+1:closing]), MaxCommand)
	// After ") ": field 3 (state) is the first; start time is field 22.
	fields := bytes.Fields(b[closing+1:])
	if len(fields) < 20 {
		return s, fmt.Errorf("stat: %d fields after comm, want 20: %w", len(fields), errFormat)
	}
	n, err := strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return s, fmt.Errorf("stat: start time %q: %w", fields[19], errFormat)
	}
	s.Start = n
	return s, nil
}

// parseCmdline joins the NUL-separated arguments of /proc/PID/cmdline with
// spaces, capped at MaxCmdline bytes.
func parseCmdline(b []byte) string {
	b = bytes.TrimRight(b, "\x00")
	if len(b) > MaxCmdline {
		b = b[:MaxCmdline]
	}
	return strings.ReplaceAll(string(b), "\x00", " ")
}

// capString cuts s to at most n bytes, on a rune boundary when it can.
func capString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > n-4 && cut > 0 && s[cut]&0xc0 == 0x80 {
		cut--
	}
	return s[:cut]
}

// containerOf names the container or service of a process from the lines
// of /proc/PID/cgroup ("hierarchy-id:controllers:path", v1 and v2 alike):
// the first path that names a container runtime wins, then a systemd
// service. Empty when none does.
func containerOf(cgroupFile []byte) string {
	var unit string
	sc := bufio.NewScanner(io.LimitReader(bytes.NewReader(cgroupFile), 64<<10))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		line := sc.Text()
		i := strings.IndexByte(line, ':')
		if i < 0 {
			continue
		}
		j := strings.IndexByte(line[i+1:], ':')
		if j < 0 {
			continue
		}
		path := line[i+1+j+1:]
		if c := containerOfPath(path); c != "" {
			return c
		}
		if unit == "" {
			unit = unitOfPath(path)
		}
	}
	return unit
}

// containerOfPath recognises the cgroup paths container runtimes make:
//
//	/docker/<id>, /system.slice/docker-<id>.scope          docker
//	/machine.slice/libpod-<id>.scope, /libpod_parent/...   podman
//	.../cri-containerd-<id>.scope, /containerd/...         containerd
//	.../crio-<id>.scope                                    cri-o
//	/kubepods/.../pod<uid>/<id>, kubepods-...-pod<uid>.slice  k8s-pod
//	/lxc/<name>, /lxc.payload.<name>                       lxc
func containerOfPath(path string) string {
	parts := strings.Split(path, "/")
	var pod string
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, "pod") && strings.Contains(path, "kubepods"):
			uid := strings.TrimSuffix(strings.TrimPrefix(p, "pod"), ".slice")
			pod = strings.ReplaceAll(uid, "_", "-")
		case strings.HasPrefix(p, "kubepods-") && strings.Contains(p, "-pod"):
			k := strings.LastIndex(p, "-pod")
			pod = strings.ReplaceAll(strings.TrimSuffix(p[k+4:], ".slice"), "_", "-")
		}
		for _, rt := range [...]struct{ prefix, name string }{
			{"docker-", "docker"}, {"libpod-", "podman"}, {"cri-containerd-", "containerd"},
			{"crio-", "cri-o"}, {"containerd-", "containerd"},
		} {
			if strings.HasPrefix(p, rt.prefix) && strings.HasSuffix(p, ".scope") {
				id := strings.TrimSuffix(strings.TrimPrefix(p, rt.prefix), ".scope")
				if isHexID(id) {
					return withPod(pod, rt.name+":"+shortID(id))
				}
			}
		}
		if i > 0 && isHexID(p) && len(p) >= 32 {
			switch parts[i-1] {
			case "docker":
				return "docker:" + shortID(p)
			case "libpod_parent", "machine.slice":
				return "podman:" + shortID(p)
			case "containerd", "default":
				return "containerd:" + shortID(p)
			}
			if pod != "" {
				return withPod(pod, "")
			}
		}
		if i > 0 && parts[i-1] == "lxc" && p != "" {
			return "lxc:" + capString(p, MaxContainer-4)
		}
		if strings.HasPrefix(p, "lxc.payload.") {
			return "lxc:" + capString(strings.TrimPrefix(p, "lxc.payload."), MaxContainer-4)
		}
	}
	if pod != "" {
		return withPod(pod, "")
	}
	return ""
}

func withPod(pod, ctr string) string {
	if pod == "" {
		return ctr
	}
	s := "k8s-pod:" + capString(pod, 64)
	if ctr != "" {
		s += " " + ctr
	}
	return capString(s, MaxContainer)
}

// unitOfPath names a systemd service from a cgroup path: the last
// component ending in ".service" under system.slice (user services too,
// under user@UID.service).
func unitOfPath(path string) string {
	if !strings.Contains(path, "system.slice/") && !strings.Contains(path, ".service/") {
		return ""
	}
	parts := strings.Split(path, "/")
	for i := len(parts) - 1; i >= 0; i-- {
		if p := parts[i]; strings.HasSuffix(p, ".service") && !strings.HasPrefix(p, "user@") {
			return "systemd:" + capString(p, MaxContainer-8)
		}
	}
	return ""
}

func isHexID(s string) bool {
	if len(s) < 12 {
		return false
	}
	_, err := hex.DecodeString(s[:len(s)&^1])
	return err == nil
}

func shortID(id string) string { return id[:12] }

// procNetSock is one line of /proc/net/{tcp,tcp6,udp,udp6}.
type procNetSock struct {
	Local, Remote netip.AddrPort
	State         uint8
	UID           uint32
	Inode         uint32
}

// parseProcNet reads /proc/net/{tcp,udp}[6] and calls fn for each socket
// line. Addresses are hexadecimal in the kernel's memory order: an IPv4
// address is one 32-bit word printed in host byte order (little-endian:
// "0100007F" is 127.0.0.1), an IPv6 address four such words, each
// byte-swapped the same way. It stops at the first malformed line and says
// which.
func parseProcNet(r io.Reader, fn func(procNetSock)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), 4096)
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			continue // header
		}
		f := strings.Fields(sc.Text())
		if len(f) < 10 {
			return fmt.Errorf("line %d: %d fields, want at least 10: %w", line, len(f), errFormat)
		}
		var s procNetSock
		var err error
		if s.Local, err = parseHexAddrPort(f[1]); err != nil {
			return fmt.Errorf("line %d: local address %q: %w", line, f[1], err)
		}
		if s.Remote, err = parseHexAddrPort(f[2]); err != nil {
			return fmt.Errorf("line %d: remote address %q: %w", line, f[2], err)
		}
		st, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil {
			return fmt.Errorf("line %d: state %q: %w", line, f[3], errFormat)
		}
		s.State = uint8(st)
		uid, err := strconv.ParseUint(f[7], 10, 32)
		if err != nil {
			return fmt.Errorf("line %d: uid %q: %w", line, f[7], errFormat)
		}
		s.UID = uint32(uid)
		ino, err := strconv.ParseUint(f[9], 10, 32)
		if err != nil {
			return fmt.Errorf("line %d: inode %q: %w", line, f[9], errFormat)
		}
		s.Inode = uint32(ino)
		fn(s)
	}
	return sc.Err()
}

func parseHexAddrPort(s string) (netip.AddrPort, error) {
	i := strings.IndexByte(s, ':')
	if i < 0 {
		return netip.AddrPort{}, errFormat
	}
	port, err := strconv.ParseUint(s[i+1:], 16, 16)
	if err != nil {
		return netip.AddrPort{}, errFormat
	}
	raw, err := hex.DecodeString(s[:i])
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, errFormat
	}
	for w := 0; w < len(raw); w += 4 {
		raw[w], raw[w+1], raw[w+2], raw[w+3] = raw[w+3], raw[w+2], raw[w+1], raw[w]
	}
	var a netip.Addr
	if len(raw) == 4 {
		a = netip.AddrFrom4([4]byte(raw))
	} else {
		a = netip.AddrFrom16([16]byte(raw)).Unmap()
	}
	return netip.AddrPortFrom(a, uint16(port)), nil
}

// parsePasswd reads /etc/passwd into uid -> name, at most max names.
func parsePasswd(r io.Reader, max int) map[uint32]string {
	out := make(map[uint32]string)
	sc := bufio.NewScanner(io.LimitReader(r, 4<<20))
	for sc.Scan() && len(out) < max {
		f := strings.SplitN(sc.Text(), ":", 4)
		if len(f) < 3 || f[0] == "" || strings.HasPrefix(f[0], "#") {
			continue
		}
		uid, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			continue
		}
		if _, dup := out[uint32(uid)]; !dup {
			out[uint32(uid)] = capString(f[0], MaxUser)
		}
	}
	return out
}
