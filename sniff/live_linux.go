//go:build linux && !libpcap

package sniff

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/afpacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/pktop/pktop/filter"
)

// afSource captures from a network interface through an AF_PACKET socket
// with a TPACKET_V3 memory-mapped ring (gopacket's afpacket, pure Go).
//
// What OpenLive and afSource do that a bare socket does not:
//   - on lo (and on any, for lo's frames) the kernel hands every frame over
//     twice, as it leaves and as it comes back; a guard attached to the
//     socket drops the outgoing copy, as libpcap does, so that each frame
//     counts once;
//   - VLAN tags the kernel stripped are put back into the frame, so that
//     the decoder, the filter and -w see the frame as it was on the wire;
//   - the filter is compiled in process (package filter) in libpcap's
//     live form for the interface's link type (VLAN tests read the
//     kernel's metadata, since the kernel strips the tag) and attached to
//     the socket, so rejected frames never reach pktop; on any, whose
//     frames keep their own link headers, it is compiled for each link
//     type and run inside pktop, like a replay's; SetFilter replaces it
//     while the capture runs;
//   - frames the kernel queued before the filter was attached are
//     discarded, as libpcap drains its socket;
//   - on any, each frame keeps its interface's own link header (Ethernet,
//     or none for raw IP links), told apart by interface index.
type afSource struct {
	tp     *afpacket.TPacket
	name   string
	any    bool
	lt     layers.LinkType
	ifLink map[int]layers.LinkType // any: link type by interface index
	ifi    *net.Interface          // the interface (nil on any)
	snap   int
}

// compile compiles expr for the socket: libpcap's program for a live
// capture of the interface's link type (the outermost VLAN tag read from
// the kernel's metadata, which strips it; inbound/outbound from the
// packet type), behind the guard that drops lo's outgoing copies.
func (s *afSource) compile(expr string) ([]bpf.Instruction, error) {
	var prog []bpf.Instruction
	if expr == "" {
		prog = []bpf.Instruction{bpf.RetConstant{Val: uint32(s.snap)}}
	} else {
		opt := compileOptions(s.lt, binary.LittleEndian)
		opt.Live = true
		opt.Snaplen = uint32(s.snap)
		var err error
		if prog, err = filter.Compile(expr, opt); err != nil {
			return nil, compileErr(err)
		}
	}
	return append(directionGuard(false, s.ifi), prog...), nil
}

// SetFilter replaces the capture filter for the frames that follow: it
// is compiled in process and attached to the socket in place of the old
// one (or, on any, swapped in the filter pktop runs). A bad expression
// gets its error and leaves the capture as it was. Frames already queued
// in the ring were filtered by the old expression. SetFilter is safe to
// call from any goroutine while Feed runs.
func (l *Live) SetFilter(expr string) error {
	expr = strings.TrimSpace(expr)
	src, ok := l.src.(*afSource)
	if !ok {
		return fmt.Errorf("capture on %s is closed", l.name)
	}
	if src.any {
		if err := l.vm.Set(expr); err != nil {
			return err
		}
		l.expr.Store(&expr)
		return nil
	}
	prog, err := src.compile(expr)
	if err != nil {
		return err
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return fmt.Errorf("filter %q: %v", expr, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return fmt.Errorf("capture on %s is closed", l.name)
	}
	if err := src.tp.SetBPF(raw); err != nil {
		return fmt.Errorf("filter %q: the kernel refused it: %v", expr, err)
	}
	l.expr.Store(&expr)
	return nil
}

func (s *afSource) next() ([]byte, gopacket.CaptureInfo, layers.LinkType, error) {
	data, ci, err := s.tp.ZeroCopyReadPacketData()
	if err != nil {
		switch {
		case err == afpacket.ErrTimeout || errors.Is(err, syscall.EINTR):
			err = errQuiet
		case err == afpacket.ErrPoll:
			err = fmt.Errorf("capture on %s failed: is the interface down or gone?", s.name)
		default:
			err = fmt.Errorf("capture on %s: %v", s.name, err)
		}
		return nil, ci, 0, err
	}
	return data, ci, s.linkOf(ci.InterfaceIndex, data), nil
}

func (s *afSource) kernelDrops() (uint64, bool) {
	_, v3, err := s.tp.SocketStats()
	return uint64(v3.Drops()), err == nil
}

func (s *afSource) close() { s.tp.Close() }

// OpenLive opens a live capture. The filter is compiled (a bad one gets
// its error here, before anything runs) and attached, the ring set up and
// the interface put in promiscuous mode unless NoPromisc; no frame is read
// until Feed.
func OpenLive(opt LiveOptions) (*Live, error) {
	if opt.Snaplen <= 0 || opt.Snaplen > DefaultSnaplen {
		opt.Snaplen = DefaultSnaplen
	}
	l := newLive(opt, opt.Interface)
	src := &afSource{name: opt.Interface}
	expr := strings.TrimSpace(opt.Filter)
	var ifi *net.Interface
	if opt.Interface == "any" || opt.Interface == "" {
		l.name, src.name, src.any = "any", "any", true
		src.ifLink = map[int]layers.LinkType{}
		l.lt = layers.LinkTypeEthernet
		l.ifaces = anyInterfaces
	} else {
		var err error
		if ifi, err = liveInterface(opt.Interface); err != nil {
			return nil, err
		}
		hw := arphrd(ifi.Name)
		lt, ok := hwLinkType(hw)
		if !ok {
			return nil, fmt.Errorf("interface %s: pktop cannot capture its kind of link (ARPHRD %d) live; try -i any, or tcpdump -w - | pktop -r -", ifi.Name, hw)
		}
		l.lt = lt
	}
	src.lt = l.lt

	// Compile the filter before anything is opened: a bad expression
	// fails here.
	src.ifi = ifi
	src.snap = l.snap
	l.expr.Store(&expr)
	var prog []bpf.Instruction
	if src.any {
		// Frames of every interface, each with its own link header:
		// filtered inside pktop, for the link type of each.
		f, err := NewFilter(expr, layers.LinkTypeEthernet)
		if err != nil {
			return nil, err
		}
		if _, err := f.cur.Load().prog(layers.LinkTypeRaw, f.order); err != nil {
			return nil, err
		}
		l.vm = f
		prog = append(directionGuard(true, nil), bpf.RetConstant{Val: uint32(l.snap)})
	} else {
		var err error
		if prog, err = src.compile(expr); err != nil {
			return nil, err
		}
		l.inKernel = expr != ""
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		return nil, fmt.Errorf("filter %q: %v", expr, err)
	}

	opts := []any{
		afpacket.OptTPacketVersion(afpacket.TPacketVersion3),
		afpacket.OptBlockSize(ringBlockSize),
		afpacket.OptNumBlocks(ringBlocks),
		afpacket.OptFrameSize(ringFrameSize),
		afpacket.OptPollTimeout(liveTick),
		afpacket.OptAddVLANHeader(true),
	}
	if !src.any {
		opts = append(opts, afpacket.OptInterface(ifi.Name))
	}
	tp, err := afpacket.NewTPacket(opts...)
	if err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
			return nil, &PermissionError{Interface: l.name}
		}
		return nil, fmt.Errorf("capture on %s: %v", l.name, err)
	}
	src.tp = tp
	l.src = src
	if err := tp.SetBPF(raw); err != nil {
		tp.Close()
		if expr != "" && !src.any {
			return nil, fmt.Errorf("filter %q: the kernel refused it: %v", expr, err)
		}
		return nil, fmt.Errorf("capture on %s: attaching the loopback guard: %v", l.name, err)
	}
	if !src.any && !opt.NoPromisc && ifi.Flags&net.FlagLoopback == 0 {
		if err := tp.SetPromiscuous(true); err != nil {
			tp.Close()
			if errors.Is(err, syscall.EPERM) {
				return nil, &PermissionError{Interface: l.name}
			}
			return nil, fmt.Errorf("capture on %s: promiscuous mode: %v (-p captures without it)", l.name, err)
		}
	}
	// Frames queued before the filter was attached went in unfiltered.
	l.start = time.Now().UnixNano()
	return l, nil
}

// anyInterfaces lists the interfaces up now, for -w on any.
func anyInterfaces() []ngIface {
	var out []ngIface
	ifs, _ := net.Interfaces()
	for _, i := range ifs {
		if lt, ok := hwLinkType(arphrd(i.Name)); ok && i.Flags&net.FlagUp != 0 {
			out = append(out, ngIface{i.Index, i.Name, lt})
		}
	}
	return out
}

// The ring: 64 blocks of 512 KiB (32 MiB) absorb bursts of about 0.3 s at
// 1 Mpps of small frames; a block is handed over when full or after the
// kernel's block timeout (afpacket's 64 ms default).
const (
	ringFrameSize = 1 << 12
	ringBlockSize = ringFrameSize * 128
	ringBlocks    = 64
)

// directionGuard returns the instructions that reject lo's outgoing copy
// of each frame (libpcap does the same in user space): on lo every
// outgoing frame, on any the outgoing frames of the loopback interface.
func directionGuard(anyIface bool, ifi *net.Interface) []bpf.Instruction {
	const outgoing = 4 // PACKET_OUTGOING
	if !anyIface {
		if ifi.Flags&net.FlagLoopback == 0 {
			return nil
		}
		return []bpf.Instruction{
			bpf.LoadExtension{Num: bpf.ExtType},
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: outgoing, SkipTrue: 0, SkipFalse: 1},
			bpf.RetConstant{Val: 0},
		}
	}
	lo := loopbackIndex()
	if lo == 0 {
		return nil
	}
	return []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: outgoing, SkipTrue: 0, SkipFalse: 3},
		bpf.LoadExtension{Num: bpf.ExtInterfaceIndex},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(lo), SkipTrue: 0, SkipFalse: 1},
		bpf.RetConstant{Val: 0},
	}
}

func loopbackIndex() int {
	ifs, _ := net.Interfaces()
	for _, i := range ifs {
		if i.Flags&net.FlagLoopback != 0 {
			return i.Index
		}
	}
	return 0
}

// arphrd returns the interface's hardware type (ARPHRD_*), or -1. It asks
// the kernel (SIOCGIFHWADDR) in pktop's own network namespace: /sys may
// show another one's interfaces (nsenter --net keeps the mounts).
func arphrd(name string) int {
	if fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0); err == nil {
		ifr, err := unix.NewIfreq(name)
		if err == nil {
			err = unix.IoctlIfreq(fd, unix.SIOCGIFHWADDR, ifr)
		}
		unix.Close(fd)
		if err == nil {
			return int(ifr.Uint16()) // the address's family is the hardware type
		}
	}
	b, err := os.ReadFile("/sys/class/net/" + name + "/type")
	if err != nil {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return n
}

// hwLinkType is the link type of the frames a raw packet socket returns
// for an interface's hardware type.
func hwLinkType(hw int) (layers.LinkType, bool) {
	switch hw {
	case unix.ARPHRD_ETHER, unix.ARPHRD_LOOPBACK, unix.ARPHRD_IEEE802:
		return layers.LinkTypeEthernet, true
	case unix.ARPHRD_NONE, unix.ARPHRD_TUNNEL, unix.ARPHRD_TUNNEL6, unix.ARPHRD_SIT,
		unix.ARPHRD_PPP, unix.ARPHRD_RAWIP:
		// No link header: the frame starts with the IP header.
		return layers.LinkTypeRaw, true
	}
	return 0, false
}

func linkName(hw int) string {
	switch hw {
	case unix.ARPHRD_ETHER:
		return "ethernet"
	case unix.ARPHRD_LOOPBACK:
		return "loopback"
	case unix.ARPHRD_NONE, unix.ARPHRD_RAWIP:
		return "raw-ip"
	case unix.ARPHRD_PPP:
		return "ppp"
	case unix.ARPHRD_TUNNEL, unix.ARPHRD_TUNNEL6, unix.ARPHRD_SIT:
		return "ip-tunnel"
	case unix.ARPHRD_IPGRE, unix.ARPHRD_IP6GRE:
		return "gre"
	case unix.ARPHRD_IEEE80211_RADIOTAP:
		return "802.11-radiotap"
	case -1:
		return ""
	}
	return fmt.Sprintf("arphrd-%d", hw)
}

// linkOf returns the link type of a frame captured on interface index.
func (s *afSource) linkOf(index int, data []byte) layers.LinkType {
	if !s.any {
		return s.lt
	}
	if lt, ok := s.ifLink[index]; ok {
		return lt
	}
	lt, known := layers.LinkType(0), false
	if ifi, err := net.InterfaceByIndex(index); err == nil {
		lt, known = hwLinkType(arphrd(ifi.Name))
	}
	if !known {
		// An interface gone already, or of a kind pktop does not know:
		// take an IP version nibble for raw IP.
		lt = layers.LinkTypeEthernet
		if len(data) > 0 && (data[0]>>4 == 4 || data[0]>>4 == 6) {
			lt = layers.LinkTypeRaw
		}
		return lt
	}
	s.ifLink[index] = lt
	return lt
}

// Interfaces lists the network interfaces for pktop -D, with the any
// pseudo-interface last.
func Interfaces() ([]Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []Interface
	for _, i := range ifs {
		it := Interface{Index: i.Index, Name: i.Name, Up: i.Flags&net.FlagUp != 0,
			Running: i.Flags&net.FlagRunning != 0, Loopback: i.Flags&net.FlagLoopback != 0,
			Link: linkName(arphrd(i.Name))}
		if addrs, err := i.Addrs(); err == nil {
			for _, a := range addrs {
				it.Addrs = append(it.Addrs, a.String())
			}
		}
		out = append(out, it)
	}
	out = append(out, Interface{Index: 0, Name: "any", Up: true, Running: true, Link: "all interfaces"})
	return out, nil
}

// DefaultInterface returns the interface tcpdump would capture on: the
// first one that is up and not a loopback, running ones first.
func DefaultInterface() (string, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return "", err
	}
	for _, running := range []bool{true, false} {
		for _, i := range ifs {
			if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
				continue
			}
			if running && i.Flags&net.FlagRunning == 0 {
				continue
			}
			if _, ok := hwLinkType(arphrd(i.Name)); ok {
				return i.Name, nil
			}
		}
	}
	return "", errors.New("no interface is up besides loopback: give -i lo or -i any (pktop -D lists them), or --demo")
}
