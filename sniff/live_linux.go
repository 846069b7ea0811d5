//go:build linux

package sniff

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/afpacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/pktop/pktop/model"
)

// Live captures from a network interface through an AF_PACKET socket with
// a TPACKET_V3 memory-mapped ring (gopacket's afpacket, pure Go).
//
// What it does that a bare socket does not:
//   - on lo (and on any, for lo's frames) the kernel hands every frame over
//     twice, as it leaves and as it comes back; a guard attached to the
//     socket drops the outgoing copy, as libpcap does, so that each frame
//     counts once;
//   - VLAN tags the kernel stripped are put back into the frame, so that
//     the decoder, the filter and -w see the frame as it was on the wire;
//   - the filter is compiled by tcpdump for the interface and attached to
//     the socket, so rejected frames never reach pktop; where that cannot
//     be done (any, links with no Ethernet header, tcpdump without the
//     right to open the interface) it is compiled for the link type and
//     run inside pktop, like a replay's;
//   - frames the kernel queued before the filter was attached are
//     discarded, as libpcap drains its socket;
//   - Feed never waits for the model: a batch it cannot hand over is
//     counted in QueueDrops, and the kernel's own drop counter is read
//     into KernelDrops; both travel on every batch;
//   - Close stops Feed's reader (it polls with a 100 ms timeout) before it
//     unmaps the ring that zero-copy reads point into.
type Live struct {
	opt      LiveOptions
	name     string
	any      bool
	lt       layers.LinkType // the link type of a single interface
	tp       *afpacket.TPacket
	snap     int
	vm       *Filter // a filter run inside pktop, or nil
	inKernel bool    // the filter is attached to the socket
	start    int64   // frames stamped before this were queued unfiltered (0: none left)

	ifLink map[int]layers.LinkType // any: link type by interface index

	// -w
	out   *bufio.Writer
	pcap  *pcapgo.Writer
	ng    *pcapgo.NgWriter
	ngIDs map[int]int // pcapng interface by interface index
	path  string

	captured, kdrops, qdrops, filtered atomic.Uint64

	mu      sync.Mutex
	closed  bool
	feeding bool
	stop    chan struct{}
	done    chan struct{}
}

// OpenLive opens a live capture. The filter is compiled (a bad one gets
// its error here, before anything runs) and attached, the ring set up and
// the interface put in promiscuous mode unless NoPromisc; no frame is read
// until Feed.
func OpenLive(opt LiveOptions) (*Live, error) {
	if opt.Snaplen <= 0 || opt.Snaplen > DefaultSnaplen {
		opt.Snaplen = DefaultSnaplen
	}
	l := &Live{opt: opt, name: opt.Interface, snap: opt.Snaplen, stop: make(chan struct{})}
	expr := strings.TrimSpace(opt.Filter)
	var ifi *net.Interface
	if opt.Interface == "any" || opt.Interface == "" {
		l.name, l.any = "any", true
		l.ifLink = map[int]layers.LinkType{}
	} else {
		var err error
		ifi, err = net.InterfaceByName(opt.Interface)
		if err != nil {
			return nil, fmt.Errorf("interface %q does not exist (pktop -D lists the interfaces)", opt.Interface)
		}
		if ifi.Flags&net.FlagUp == 0 {
			return nil, fmt.Errorf("interface %s is down (bring it up: ip link set %s up)", ifi.Name, ifi.Name)
		}
		hw := arphrd(ifi.Name)
		lt, ok := hwLinkType(hw)
		if !ok {
			return nil, fmt.Errorf("interface %s: pktop cannot capture its kind of link (ARPHRD %d) live; try -i any, or tcpdump -w - | pktop -r -", ifi.Name, hw)
		}
		l.lt = lt
	}

	// Compile the filter before anything is opened: a bad expression
	// fails here with tcpdump's message.
	var prog []bpf.Instruction
	if expr != "" {
		lt := l.lt
		if l.any {
			lt = layers.LinkTypeEthernet
		}
		f, err := NewFilter(expr, lt)
		if err != nil {
			return nil, err
		}
		if l.any {
			if _, err := f.vm(layers.LinkTypeRaw); err != nil {
				return nil, err
			}
			l.vm = f
		} else {
			// libpcap captures Ethernet and ARPHRD_NONE links raw, as
			// pktop does, so tcpdump's program for them fits the socket.
			hw := arphrd(ifi.Name)
			if l.lt == layers.LinkTypeEthernet || hw == unix.ARPHRD_NONE {
				if p, err := compileLive(expr, ifi.Name, l.snap); err == nil {
					prog, l.inKernel = p, true
				}
			}
			if !l.inKernel {
				// tcpdump could not open the interface to compile for
				// it (it lacks privileges of its own, say): run the
				// filter for the link type inside pktop, on the frames
				// as restored.
				l.vm = f
			}
		}
	}
	if prog == nil {
		prog = []bpf.Instruction{bpf.RetConstant{Val: uint32(l.snap)}}
	}
	prog = append(directionGuard(l.any, ifi), prog...)
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
	if !l.any {
		opts = append(opts, afpacket.OptInterface(ifi.Name))
	}
	tp, err := afpacket.NewTPacket(opts...)
	if err != nil {
		if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
			return nil, &PermissionError{Interface: l.name}
		}
		return nil, fmt.Errorf("capture on %s: %v", l.name, err)
	}
	l.tp = tp
	if err := tp.SetBPF(raw); err != nil {
		tp.Close()
		if l.inKernel {
			return nil, fmt.Errorf("filter %q: the kernel refused it: %v", expr, err)
		}
		return nil, fmt.Errorf("capture on %s: attaching the loopback guard: %v", l.name, err)
	}
	if !l.any && !opt.NoPromisc && ifi.Flags&net.FlagLoopback == 0 {
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

// compileLive compiles expr with tcpdump for the interface itself, which
// gives the program libpcap would attach (VLAN tests read the kernel's
// vlan-present flag, since the kernel strips tags before the filter runs).
// tcpdump needs the right to open the interface for this.
func compileLive(expr, iface string, snap int) ([]bpf.Instruction, error) {
	path, err := exec.LookPath("tcpdump")
	if err != nil {
		return nil, ErrNoCompiler
	}
	cmd := exec.Command(path, "-p", "-i", iface, "-s", strconv.Itoa(snap), "-ddd", "--", expr)
	out, err := cmd.Output()
	if err != nil {
		return nil, err
	}
	return ParseDDD(string(out))
}

// arphrd returns the interface's hardware type (ARPHRD_*), or -1.
func arphrd(name string) int {
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

// Name returns the interface captured on ("any" for all).
func (l *Live) Name() string { return l.name }

// LinkType returns the link type of the frames of a single interface (for
// any, Ethernet; frames of links with no Ethernet header are raw IP).
func (l *Live) LinkType() layers.LinkType {
	if l.any {
		return layers.LinkTypeEthernet
	}
	return l.lt
}

// FilterInKernel reports whether the filter is attached to the socket
// (true) or run inside pktop (false, or no filter).
func (l *Live) FilterInKernel() bool { return l.inKernel }

// Stats returns the capture's counters so far. It is safe to call while
// Feed runs.
func (l *Live) Stats() LiveStats {
	return LiveStats{Captured: l.captured.Load(), KernelDrops: l.kdrops.Load(),
		QueueDrops: l.qdrops.Load(), Filtered: l.filtered.Load()}
}

// WriteTo makes Feed write every captured frame to w, as it is read: a
// nanosecond pcap file of the interface's link type, or pcapng when
// pcapng is set or the capture is on any (whose frames mix link types).
// Call it before Feed; Feed flushes what it wrote at least every 100 ms
// and when it returns. The caller closes w after Feed has returned (or
// after Close).
func (l *Live) WriteTo(w io.Writer, name string, pcapng bool) error {
	l.out = bufio.NewWriterSize(w, 1<<20)
	l.path = name
	if !pcapng && !l.any {
		l.pcap = pcapgo.NewWriterNanos(l.out)
		if err := l.pcap.WriteFileHeader(uint32(l.snap), l.lt); err != nil {
			return err
		}
		return l.flushOut()
	}
	// pcapng: one interface block per interface, named, with its own
	// link type; on any, those up now, then any other as it shows up.
	l.ngIDs = map[int]int{}
	if !l.any {
		return l.addNgInterface(0, l.name, l.lt)
	}
	ifs, _ := net.Interfaces()
	for _, i := range ifs {
		if lt, ok := hwLinkType(arphrd(i.Name)); ok && i.Flags&net.FlagUp != 0 {
			if err := l.addNgInterface(i.Index, i.Name, lt); err != nil {
				return err
			}
		}
	}
	if l.ng == nil {
		return l.addNgInterface(-1, "any", layers.LinkTypeEthernet)
	}
	return nil
}

// addNgInterface writes a pcapng interface block (the section header
// first, for the first one) and flushes it.
func (l *Live) addNgInterface(index int, name string, lt layers.LinkType) error {
	intf := pcapgo.NgInterface{Name: name, LinkType: lt, SnapLength: uint32(l.snap),
		TimestampResolution: 9, OS: "Linux", Filter: strings.TrimSpace(l.opt.Filter)}
	id := 0
	if l.ng == nil {
		ng, err := pcapgo.NewNgWriterInterface(l.out, intf, pcapgo.NgWriterOptions{
			SectionInfo: pcapgo.NgSectionInfo{Application: "pktop"}})
		if err != nil {
			return err
		}
		l.ng = ng
	} else {
		var err error
		if id, err = l.ng.AddInterface(intf); err != nil {
			return err
		}
	}
	l.ngIDs[index] = id
	return l.flushOut()
}

func (l *Live) write(ci gopacket.CaptureInfo, data []byte, lt layers.LinkType) error {
	if l.pcap != nil {
		return l.pcap.WritePacket(ci, data)
	}
	id := 0
	if l.any {
		var ok bool
		if id, ok = l.ngIDs[ci.InterfaceIndex]; !ok {
			name := "if" + strconv.Itoa(ci.InterfaceIndex)
			if ifi, err := net.InterfaceByIndex(ci.InterfaceIndex); err == nil {
				name = ifi.Name
			}
			if err := l.addNgInterface(ci.InterfaceIndex, name, lt); err != nil {
				return err
			}
			id = l.ngIDs[ci.InterfaceIndex]
		}
	}
	ci.InterfaceIndex = id
	ci.AncillaryData = nil
	return l.ng.WritePacket(ci, data)
}

func (l *Live) flushOut() error {
	if l.out == nil {
		return nil
	}
	if l.ng != nil {
		if err := l.ng.Flush(); err != nil {
			return err
		}
	}
	return l.out.Flush()
}

// linkOf returns the link type of a frame captured on interface index.
func (l *Live) linkOf(index int, data []byte) layers.LinkType {
	if !l.any {
		return l.lt
	}
	if lt, ok := l.ifLink[index]; ok {
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
	l.ifLink[index] = lt
	return lt
}

// Feed reads frames, decodes them and sends them to out in batches until
// ctx is done (it returns ctx.Err()), the packet count is reached (nil) or
// the capture fails. It sends a batch at least every 100 ms, empty or not,
// stamped with the wall clock. It never waits for out: a batch that does
// not fit is dropped and counted. The last batch, sent as it returns,
// waits half a second at most. It does not close out.
func (l *Live) Feed(ctx context.Context, out chan<- *model.Batch) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return errors.New("capture on " + l.name + " is closed")
	}
	if l.feeding {
		l.mu.Unlock()
		return errors.New("capture on " + l.name + " is already being read")
	}
	l.feeding = true
	l.done = make(chan struct{})
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.feeding = false
		close(l.done)
		l.mu.Unlock()
	}()

	f := feeder{l: l, out: out}
	f.dec.LearnNames = l.opt.LearnNames
	f.batch = model.GetBatch()
	err := f.run(ctx)
	if ferr := l.flushOut(); ferr != nil && err == nil {
		err = fmt.Errorf("writing %s: %v", l.path, ferr)
	}
	l.readKernelDrops()
	f.send(time.Now().UnixNano(), true)
	return err
}

type feeder struct {
	l        *Live
	out      chan<- *model.Batch
	dec      Decoder
	batch    *model.Batch
	sent     int64 // wall clock of the last send
	flushed  int64
	written  bool
	captured int
}

func (f *feeder) run(ctx context.Context) error {
	l := f.l
	now := time.Now().UnixNano()
	f.sent, f.flushed = now, now
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-l.stop:
			return nil
		default:
		}
		data, ci, err := l.tp.ZeroCopyReadPacketData()
		if err != nil {
			if err == afpacket.ErrTimeout || errors.Is(err, syscall.EINTR) {
				if err := f.tick(time.Now().UnixNano()); err != nil {
					return err
				}
				continue
			}
			if err == afpacket.ErrPoll {
				return fmt.Errorf("capture on %s failed: is the interface down or gone?", l.name)
			}
			return fmt.Errorf("capture on %s: %v", l.name, err)
		}
		ts := ci.Timestamp.UnixNano()
		if l.start != 0 {
			// The ring is in arrival order: once a frame stamped after
			// the filter was attached shows up, the rest are too (and a
			// clock stepped back later cannot hide frames).
			if ts < l.start {
				continue
			}
			l.start = 0
		}
		lt := l.linkOf(ci.InterfaceIndex, data)
		if l.vm != nil && !l.vm.Match(data, ci.Length, lt) {
			l.filtered.Add(1)
			if err := f.tick(ts); err != nil {
				return err
			}
			continue
		}
		f.captured++
		l.captured.Add(1)
		if l.out != nil {
			if err := l.write(ci, data, lt); err != nil {
				return fmt.Errorf("writing %s: %v", l.path, err)
			}
			f.written = true
		}
		b := f.batch
		b.Packets = append(b.Packets, model.Packet{})
		p := &b.Packets[len(b.Packets)-1]
		p.Time, p.WireLen, p.CapLen = ts, uint32(ci.Length), uint32(ci.CaptureLength)
		f.dec.Decode(data, lt, p)
		if len(b.Packets) >= model.BatchSize {
			f.send(time.Now().UnixNano(), false)
		} else if err := f.tick(ts); err != nil {
			return err
		}
		if l.opt.Count > 0 && f.captured >= l.opt.Count {
			return nil
		}
	}
}

// tick sends the batch (and flushes -w) when a tick has passed since the
// last send; now is the wall clock or a frame's time, which is close to it.
func (f *feeder) tick(now int64) error {
	if now-f.sent < int64(liveTick) {
		return nil
	}
	now = time.Now().UnixNano()
	if f.written {
		if err := f.l.flushOut(); err != nil {
			return fmt.Errorf("writing %s: %v", f.l.path, err)
		}
		f.written = false
	}
	f.l.readKernelDrops()
	f.send(now, false)
	return nil
}

func (l *Live) readKernelDrops() {
	if _, v3, err := l.tp.SocketStats(); err == nil {
		l.kdrops.Store(uint64(v3.Drops()))
	}
}

// send hands the batch to the model without waiting (last: waiting half
// a second at most); a batch that does not fit is counted as dropped.
func (f *feeder) send(now int64, last bool) {
	l, b := f.l, f.batch
	f.sent = now
	b.Now = now
	if f.dec.LearnNames {
		b.Names = f.dec.TakeNames(b.Names)
	}
	st := &model.SourceStats{KernelDrops: l.kdrops.Load(), QueueDrops: l.qdrops.Load(),
		Filtered: l.filtered.Load()}
	b.Source = st
	select {
	case f.out <- b:
		f.batch = model.GetBatch()
		return
	default:
	}
	if last {
		t := time.NewTimer(500 * time.Millisecond)
		defer t.Stop()
		select {
		case f.out <- b:
			f.batch = model.GetBatch()
			return
		case <-t.C:
		}
	}
	l.qdrops.Add(uint64(len(b.Packets)))
	b.Packets, b.Names = b.Packets[:0], b.Names[:0]
}

// Close stops Feed if it runs, waits for its reader to stop and only then
// unmaps the ring and closes the socket (zero-copy frames point into the
// ring). It flushes what -w wrote; the caller closes the file.
func (l *Live) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.stop)
	done, feeding := l.done, l.feeding
	l.mu.Unlock()
	if feeding {
		<-done
	}
	err := l.flushOut()
	l.tp.Close()
	return err
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

// DropPrivileges gives up what pktop no longer needs once its capture is
// open and its output files are created. Started as root, it becomes the
// user who ran sudo (SUDO_UID, SUDO_GID), or else nobody: groups, gid and
// uid all change, which also clears every capability. Started as another
// user with file capabilities (setcap), it clears its capabilities on every
// thread. files are handed to that user first, so that a -w file belongs to
// whoever ran sudo. It returns what it did, for a diagnostic line.
func DropPrivileges(files ...*os.File) (string, error) {
	if os.Geteuid() == 0 {
		uid, gid, who := dropTarget()
		for _, f := range files {
			if f != nil {
				f.Chown(uid, gid)
			}
		}
		if err := syscall.Setgroups(nil); err != nil {
			return "", fmt.Errorf("dropping privileges: setgroups: %v", err)
		}
		if err := syscall.Setresgid(gid, gid, gid); err != nil {
			return "", fmt.Errorf("dropping privileges: setgid %d: %v", gid, err)
		}
		if err := syscall.Setresuid(uid, uid, uid); err != nil {
			return "", fmt.Errorf("dropping privileges: setuid %d: %v", uid, err)
		}
		if os.Geteuid() == 0 && uid != 0 {
			return "", errors.New("dropping privileges: still root after setuid")
		}
		return fmt.Sprintf("now running as %s (uid %d, gid %d)", who, uid, gid), nil
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return "", fmt.Errorf("dropping capabilities: %v", err)
	}
	if data[0].Permitted == 0 && data[1].Permitted == 0 {
		return "no privileges to drop", nil
	}
	data = [2]unix.CapUserData{}
	_, _, e := syscall.AllThreadsSyscall(unix.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0)
	if e != 0 {
		if e == syscall.ENOTSUP {
			return "", errors.New("cannot drop capabilities in a cgo build of pktop (build it with CGO_ENABLED=0)")
		}
		return "", fmt.Errorf("dropping capabilities: %v", e)
	}
	return "capabilities dropped", nil
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
