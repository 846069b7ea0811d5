package procs

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hook is the socket-creation record: a 38-instruction eBPF program of
// type BPF_PROG_TYPE_CGROUP_SOCK attached at BPF_CGROUP_INET_SOCK_CREATE
// to the root of the cgroup v2 hierarchy. Each time any process creates
// an AF_INET or AF_INET6 socket, in any network namespace, the kernel runs
// it in that process's context; it stores, under the socket's cookie, the
// creating process's tgid, tid, uid, gid, cgroup id and comm in an LRU
// hash map. sock_diag gives the cookie of every socket, of its TIME_WAIT
// remnant (which inherits it) and of the sockets it reports closed, so a
// connection whose socket is gone by the time pktop looks can still be
// named.
//
// The program is assembled here, from Go, and loaded with bpf(2): no C
// compiler, no object file, no cgo and no eBPF library (cilium/ebpf would
// add about 2 MB to the binary for the four bpf(2) commands used). It is
// attached through a bpf_link, which the kernel detaches when the link's
// file descriptor closes, also when pktop dies. Loading and attaching need
// CAP_BPF and CAP_NET_ADMIN (or CAP_SYS_ADMIN); reading the map through
// its descriptor afterwards needs nothing.
//
// Sockets that accept(2) returns are cloned from the listener in the
// kernel, not created by a process: the hook never sees them, and the
// resolver finds their owner through /proc or the listener instead.
type hook struct {
	mapFD, leaderFD, progFD, linkFD int
}

// hookRecord is a map value: 48 bytes as the program writes them. Comm is
// the name of the creating thread, which for a multi-threaded program may
// be a worker's ("isc-net-0000" in dig); the program's own name is kept
// apart, by tgid, whenever its main thread creates a socket. Boot is when
// the socket was created, in CLOCK_BOOTTIME nanoseconds, the clock of a
// process's start time in /proc/PID/stat, so that a PID reused since is
// told apart.
type hookRecord struct {
	TGID, TID, UID, GID uint32
	Cgroup              uint64
	Comm                [16]byte
	Boot                uint64
}

const (
	hookValueSize  = 48
	hookMaxEntries = 65536
	leaderEntries  = 16384

	bpfMapCreate     = 0
	bpfMapLookupElem = 1
	bpfProgLoad      = 5
	bpfLinkCreate    = 28

	bpfMapTypeLRUHash       = 9
	bpfProgTypeCgroupSock   = 9
	bpfCgroupInetSockCreate = 2

	// Helper function numbers (include/uapi/linux/bpf.h).
	fnMapUpdateElem      = 2
	fnGetCurrentPidTgid  = 14
	fnGetCurrentUidGid   = 15
	fnGetCurrentComm     = 16
	fnGetSocketCookie    = 46
	fnGetCurrentCgroupID = 80
	fnKtimeGetBootNs     = 125
)

// bpfInsn encodes one eBPF instruction (struct bpf_insn, 8 bytes).
func bpfInsn(code uint8, dst, src uint8, off int16, imm int32) []byte {
	b := make([]byte, 8)
	b[0] = code
	b[1] = src<<4 | dst&0xf
	binary.LittleEndian.PutUint16(b[2:], uint16(off))
	binary.LittleEndian.PutUint32(b[4:], uint32(imm))
	return b
}

// Opcodes used (BPF_CLASS | BPF_OP | BPF_SRC / BPF_SIZE | BPF_MODE).
const (
	opMov64Reg = 0xbf // ALU64 | MOV | X
	opMov64Imm = 0xb7 // ALU64 | MOV | K
	opRsh64Imm = 0x77 // ALU64 | RSH | K
	opAdd64Imm = 0x07 // ALU64 | ADD | K
	opStxDW    = 0x7b // STX | MEM | DW
	opStxW     = 0x63 // STX | MEM | W
	opCall     = 0x85 // JMP | CALL
	opExit     = 0x95 // JMP | EXIT
	opLdImm64  = 0x18 // LD | IMM | DW (two slots)
	opLdxW     = 0x61 // LDX | MEM | W
	opJneReg   = 0x5d // JMP | JNE | X

	rFP              = 10
	bpfPseudoMapFD   = 1
	bpfAny           = 0
	keyOff, valueOff = -8, -56
)

// hookProgram assembles the program for the maps with descriptors
// sockMap (cookie -> record) and leaderMap (tgid -> comm):
//
//	r0 = get_socket_cookie(r1)       ; r1: the socket (context)
//	*(u64 *)(fp-8) = r0              ; key
//	r0 = get_current_pid_tgid()
//	r1 = r0; r1 >>= 32
//	*(u32 *)(fp-56) = r1             ; tgid
//	*(u32 *)(fp-52) = r0             ; tid
//	*(u64 *)(fp-48) = get_current_uid_gid()
//	*(u64 *)(fp-40) = get_current_cgroup_id()
//	*(u64 *)(fp-16) = ktime_get_boot_ns()
//	get_current_comm(fp-32, 16)
//	map_update_elem(sockMap, fp-8, fp-56, BPF_ANY)
//	if tgid != tid goto out          ; a thread's name is not the program's
//	map_update_elem(leaderMap, fp-56, fp-32, BPF_ANY)
//	out: r0 = 1; exit                ; allow the socket
func hookProgram(sockMap, leaderMap int) []byte {
	var p []byte
	add := func(b []byte) { p = append(p, b...) }
	add(bpfInsn(opCall, 0, 0, 0, fnGetSocketCookie))
	add(bpfInsn(opStxDW, rFP, 0, keyOff, 0))
	add(bpfInsn(opCall, 0, 0, 0, fnGetCurrentPidTgid))
	add(bpfInsn(opMov64Reg, 1, 0, 0, 0))
	add(bpfInsn(opRsh64Imm, 1, 0, 0, 32))
	add(bpfInsn(opStxW, rFP, 1, valueOff, 0))
	add(bpfInsn(opStxW, rFP, 0, valueOff+4, 0))
	add(bpfInsn(opCall, 0, 0, 0, fnGetCurrentUidGid))
	add(bpfInsn(opStxDW, rFP, 0, valueOff+8, 0))
	add(bpfInsn(opCall, 0, 0, 0, fnGetCurrentCgroupID))
	add(bpfInsn(opStxDW, rFP, 0, valueOff+16, 0))
	add(bpfInsn(opCall, 0, 0, 0, fnKtimeGetBootNs))
	add(bpfInsn(opStxDW, rFP, 0, valueOff+40, 0))
	add(bpfInsn(opMov64Reg, 1, rFP, 0, 0))
	add(bpfInsn(opAdd64Imm, 1, 0, 0, valueOff+24))
	add(bpfInsn(opMov64Imm, 2, 0, 0, 16))
	add(bpfInsn(opCall, 0, 0, 0, fnGetCurrentComm))
	add(bpfInsn(opLdImm64, 1, bpfPseudoMapFD, 0, int32(sockMap)))
	add(bpfInsn(0, 0, 0, 0, 0))
	add(bpfInsn(opMov64Reg, 2, rFP, 0, 0))
	add(bpfInsn(opAdd64Imm, 2, 0, 0, keyOff))
	add(bpfInsn(opMov64Reg, 3, rFP, 0, 0))
	add(bpfInsn(opAdd64Imm, 3, 0, 0, valueOff))
	add(bpfInsn(opMov64Imm, 4, 0, 0, bpfAny))
	add(bpfInsn(opCall, 0, 0, 0, fnMapUpdateElem))
	add(bpfInsn(opLdxW, 1, rFP, valueOff, 0))
	add(bpfInsn(opLdxW, 2, rFP, valueOff+4, 0))
	add(bpfInsn(opJneReg, 1, 2, 8, 0))
	add(bpfInsn(opLdImm64, 1, bpfPseudoMapFD, 0, int32(leaderMap)))
	add(bpfInsn(0, 0, 0, 0, 0))
	add(bpfInsn(opMov64Reg, 2, rFP, 0, 0))
	add(bpfInsn(opAdd64Imm, 2, 0, 0, valueOff))
	add(bpfInsn(opMov64Reg, 3, rFP, 0, 0))
	add(bpfInsn(opAdd64Imm, 3, 0, 0, valueOff+24))
	add(bpfInsn(opMov64Imm, 4, 0, 0, bpfAny))
	add(bpfInsn(opCall, 0, 0, 0, fnMapUpdateElem))
	add(bpfInsn(opMov64Imm, 0, 0, 0, 1))
	add(bpfInsn(opExit, 0, 0, 0, 0))
	return p
}

func bpfSyscall(cmd int, attr unsafe.Pointer, size uintptr) (int, error) {
	r, _, e := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(attr), size)
	runtime.KeepAlive(attr)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// openHook creates the map, loads the program and attaches it to the root
// of the cgroup v2 hierarchy.
func openHook() (*hook, error) {
	root, err := cgroup2Root()
	if err != nil {
		return nil, err
	}
	// Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK.
	unix.Setrlimit(unix.RLIMIT_MEMLOCK, &unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY})

	h := &hook{mapFD: -1, leaderFD: -1, progFD: -1, linkFD: -1}
	if h.mapFD, err = bpfMapLRU("pktop_sockets", 8, hookValueSize, hookMaxEntries); err != nil {
		return nil, err
	}
	if h.leaderFD, err = bpfMapLRU("pktop_leaders", 4, 16, leaderEntries); err != nil {
		h.close()
		return nil, err
	}
	insns := hookProgram(h.mapFD, h.leaderFD)
	license := []byte("GPL\x00")
	logBuf := make([]byte, 16<<10)
	var pattr [128]byte
	binary.LittleEndian.PutUint32(pattr[0:], bpfProgTypeCgroupSock)
	binary.LittleEndian.PutUint32(pattr[4:], uint32(len(insns)/8))
	binary.LittleEndian.PutUint64(pattr[8:], uint64(uintptr(unsafe.Pointer(&insns[0]))))
	binary.LittleEndian.PutUint64(pattr[16:], uint64(uintptr(unsafe.Pointer(&license[0]))))
	binary.LittleEndian.PutUint32(pattr[24:], 1) // log level
	binary.LittleEndian.PutUint32(pattr[28:], uint32(len(logBuf)))
	binary.LittleEndian.PutUint64(pattr[32:], uint64(uintptr(unsafe.Pointer(&logBuf[0]))))
	copy(pattr[48:64], "pktop_sock_new")
	binary.LittleEndian.PutUint32(pattr[68:], bpfCgroupInetSockCreate)
	h.progFD, err = bpfSyscall(bpfProgLoad, unsafe.Pointer(&pattr[0]), unsafe.Sizeof(pattr))
	runtime.KeepAlive(insns)
	runtime.KeepAlive(license)
	runtime.KeepAlive(logBuf)
	if err != nil {
		h.close()
		msg := strings.TrimSpace(string(bytes.TrimRight(logBuf, "\x00")))
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		if msg != "" {
			return nil, fmt.Errorf("socket-creation hook: the kernel refused the program: %w (%s)", err, msg)
		}
		return nil, fmt.Errorf("socket-creation hook: the kernel refused the program: %w", err)
	}
	cg, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		h.close()
		return nil, fmt.Errorf("socket-creation hook: %w", err)
	}
	defer unix.Close(cg)
	var lattr [64]byte
	binary.LittleEndian.PutUint32(lattr[0:], uint32(h.progFD))
	binary.LittleEndian.PutUint32(lattr[4:], uint32(cg))
	binary.LittleEndian.PutUint32(lattr[8:], bpfCgroupInetSockCreate)
	if h.linkFD, err = bpfSyscall(bpfLinkCreate, unsafe.Pointer(&lattr[0]), unsafe.Sizeof(lattr)); err != nil {
		h.close()
		return nil, fmt.Errorf("socket-creation hook: attaching it to cgroup %s: %w", root, err)
	}
	return h, nil
}

func bpfMapLRU(name string, key, value, entries uint32) (int, error) {
	var attr [72]byte
	binary.LittleEndian.PutUint32(attr[0:], bpfMapTypeLRUHash)
	binary.LittleEndian.PutUint32(attr[4:], key)
	binary.LittleEndian.PutUint32(attr[8:], value)
	binary.LittleEndian.PutUint32(attr[12:], entries)
	copy(attr[28:43], name)
	fd, err := bpfSyscall(bpfMapCreate, unsafe.Pointer(&attr[0]), unsafe.Sizeof(attr))
	if err != nil {
		return -1, fmt.Errorf("socket-creation hook: creating map %s: %w", name, err)
	}
	return fd, nil
}

func (h *hook) close() {
	if h == nil {
		return
	}
	for _, fd := range []*int{&h.linkFD, &h.progFD, &h.mapFD, &h.leaderFD} {
		if *fd >= 0 {
			unix.Close(*fd)
			*fd = -1
		}
	}
}

// lookup reads the record of the socket with this cookie.
func (h *hook) lookup(cookie uint64) (hookRecord, bool) {
	var rec hookRecord
	if h == nil || cookie == 0 {
		return rec, false
	}
	var val [hookValueSize]byte
	var attr [32]byte
	binary.LittleEndian.PutUint32(attr[0:], uint32(h.mapFD))
	binary.LittleEndian.PutUint64(attr[8:], uint64(uintptr(unsafe.Pointer(&cookie))))
	binary.LittleEndian.PutUint64(attr[16:], uint64(uintptr(unsafe.Pointer(&val[0]))))
	_, err := bpfSyscall(bpfMapLookupElem, unsafe.Pointer(&attr[0]), unsafe.Sizeof(attr))
	runtime.KeepAlive(&cookie)
	runtime.KeepAlive(&val)
	if err != nil {
		return rec, false
	}
	return decodeHookRecord(val[:]), true
}

// leader reads the name the program with this tgid had when its main
// thread last created a socket.
func (h *hook) leader(tgid uint32) (string, bool) {
	if h == nil || tgid == 0 {
		return "", false
	}
	var val [16]byte
	var attr [32]byte
	binary.LittleEndian.PutUint32(attr[0:], uint32(h.leaderFD))
	binary.LittleEndian.PutUint64(attr[8:], uint64(uintptr(unsafe.Pointer(&tgid))))
	binary.LittleEndian.PutUint64(attr[16:], uint64(uintptr(unsafe.Pointer(&val[0]))))
	_, err := bpfSyscall(bpfMapLookupElem, unsafe.Pointer(&attr[0]), unsafe.Sizeof(attr))
	runtime.KeepAlive(&tgid)
	runtime.KeepAlive(&val)
	if err != nil {
		return "", false
	}
	return cString(val[:]), true
}

func decodeHookRecord(b []byte) hookRecord {
	var r hookRecord
	r.TGID = binary.LittleEndian.Uint32(b[0:])
	r.TID = binary.LittleEndian.Uint32(b[4:])
	r.UID = binary.LittleEndian.Uint32(b[8:])
	r.GID = binary.LittleEndian.Uint32(b[12:])
	r.Cgroup = binary.LittleEndian.Uint64(b[16:])
	copy(r.Comm[:], b[24:40])
	r.Boot = binary.LittleEndian.Uint64(b[40:])
	return r
}

func (r hookRecord) comm() string { return cString(r.Comm[:]) }

func cString(c []byte) string {
	if i := bytes.IndexByte(c, 0); i >= 0 {
		c = c[:i]
	}
	return string(c)
}

// cgroup2Root finds where the cgroup v2 hierarchy is mounted
// (/sys/fs/cgroup on unified systems, /sys/fs/cgroup/unified on hybrid
// ones) from /proc/self/mountinfo, or else through init's root: in a
// mount namespace without it (ip netns exec remounts /sys) the hierarchy
// is the same.
func cgroup2Root() (string, error) {
	for _, prefix := range []string{"", "/proc/1/root"} {
		f, err := os.Open(prefix + "/proc/self/mountinfo")
		if prefix != "" {
			f, err = os.Open("/proc/1/mountinfo")
		}
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// id parent major:minor root mountpoint options ... - fstype source
			line := sc.Text()
			sep := strings.Index(line, " - ")
			if sep < 0 {
				continue
			}
			after := strings.Fields(line[sep+3:])
			before := strings.Fields(line[:sep])
			if len(after) > 0 && after[0] == "cgroup2" && len(before) >= 5 && before[3] == "/" {
				f.Close()
				return prefix + unescapeMount(before[4]), nil
			}
		}
		f.Close()
	}
	return "", errors.New("socket-creation hook: no cgroup v2 hierarchy is mounted")
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			ok := true
			for _, c := range []byte(s[i+1 : i+4]) {
				if c < '0' || c > '7' {
					ok = false
					break
				}
				v = v*8 + c - '0'
			}
			if ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
