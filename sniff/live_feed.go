//go:build linux || libpcap

package sniff

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/pktop/pktop/model"
)

// Live is a live capture: a backend (frameSource) reads frames from the
// system, and Live filters what the backend could not, writes -w, decodes
// and hands batches to the model. The default backend is AF_PACKET with a
// TPACKET_V3 ring (live_linux.go, pure Go); the libpcap build tag swaps in
// libpcap (live_pcap.go), for systems other than Linux.
//
// Whatever the backend:
//   - Feed never waits for the model: a batch it cannot hand over is
//     counted in QueueDrops, and the kernel's own drop counter is read
//     into KernelDrops; both travel on every batch;
//   - Close stops Feed's reader (it wakes every 100 ms at most) before it
//     releases the backend, whose zero-copy frames point into its buffers.
type Live struct {
	opt      LiveOptions
	name     string
	src      frameSource
	lt       layers.LinkType // the link type of the frames (any: of most)
	snap     int
	vm       *Filter // a filter run inside pktop, or nil
	inKernel bool    // the filter runs before pktop sees a frame
	expr     atomic.Pointer[string]
	start    int64 // frames stamped before this were queued unfiltered (0: none left)
	// ifaces lists the interfaces of a capture on any whose frames keep
	// their own link types (-w then writes pcapng, an interface block
	// each); nil when the capture has one link type.
	ifaces func() []ngIface

	// -w
	out   *bufio.Writer
	pcap  *pcapgo.Writer
	ng    *pcapgo.NgWriter
	ngIDs map[int]int // pcapng interface by interface index
	path  string

	captured, kdrops, qdrops, filtered atomic.Uint64
	// notWritten counts frames -w could not write; werr is why (the
	// first error). Writing stops at the first error, counting does not.
	notWritten atomic.Uint64
	werr       atomic.Pointer[string]

	mu      sync.Mutex
	closed  bool
	feeding bool
	stop    chan struct{}
	done    chan struct{}
}

// frameSource is a live capture backend.
type frameSource interface {
	// next returns the next frame and its link type. The frame is valid
	// until the following call. It returns errQuiet when no frame came
	// within a tick (100 ms at most).
	next() (data []byte, ci gopacket.CaptureInfo, lt layers.LinkType, err error)
	// kernelDrops returns how many frames the system dropped so far
	// because pktop did not read fast enough.
	kernelDrops() (uint64, bool)
	close()
}

// errQuiet says that no frame came within a tick.
var errQuiet = errors.New("no frame within a tick")

// ngIface is a pcapng interface block to write.
type ngIface struct {
	index int
	name  string
	lt    layers.LinkType
}

// runtimeOS names the system in pcapng interface blocks.
const runtimeOS = runtime.GOOS

// liveInterface looks up an interface to capture on; it must exist and be
// up.
func liveInterface(name string) (*net.Interface, error) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("interface %q does not exist (pktop -D lists the interfaces)", name)
	}
	if ifi.Flags&net.FlagUp == 0 {
		fix := "ifconfig " + ifi.Name + " up"
		if runtime.GOOS == "linux" {
			fix = "ip link set " + ifi.Name + " up"
		}
		return nil, fmt.Errorf("interface %s is down (bring it up: %s)", ifi.Name, fix)
	}
	return ifi, nil
}

func newLive(opt LiveOptions, name string) *Live {
	return &Live{opt: opt, name: name, snap: opt.Snaplen, stop: make(chan struct{})}
}

// Name returns the interface captured on ("any" for all).
func (l *Live) Name() string { return l.name }

// LinkType returns the link type of the frames (for any with the
// AF_PACKET backend, Ethernet; frames of links with no Ethernet header
// are raw IP).
func (l *Live) LinkType() layers.LinkType { return l.lt }

// Filter returns the capture filter's expression now ("" for none).
func (l *Live) Filter() string {
	if p := l.expr.Load(); p != nil {
		return *p
	}
	return strings.TrimSpace(l.opt.Filter)
}

// FilterInKernel reports whether the filter runs before pktop sees a
// frame, attached to the socket (true), or inside pktop (false, or no
// filter).
func (l *Live) FilterInKernel() bool { return l.inKernel }

// Stats returns the capture's counters so far. It is safe to call while
// Feed runs.
func (l *Live) Stats() LiveStats {
	st := LiveStats{Captured: l.captured.Load(), KernelDrops: l.kdrops.Load(),
		QueueDrops: l.qdrops.Load(), Filtered: l.filtered.Load(), NotWritten: l.notWritten.Load()}
	if e := l.werr.Load(); e != nil {
		st.WriteError = *e
	}
	return st
}

// writeFailed records that -w failed: the first error is kept, the file
// is written no more, and the capture goes on.
func (l *Live) writeFailed(err error) {
	msg := fmt.Sprintf("writing %s: %v", l.path, unwrapPath(err))
	l.werr.CompareAndSwap(nil, &msg)
}

// writing reports whether -w is on and has not failed.
func (l *Live) writing() bool { return l.out != nil && l.werr.Load() == nil }

// WriteTo makes Feed write every captured frame to w, as it is read: a
// nanosecond pcap file of the interface's link type, or pcapng when
// pcapng is set or the capture is on an any whose frames keep their own
// link types.
// Call it before Feed; Feed flushes what it wrote at least every 100 ms
// and when it returns. The caller closes w after Feed has returned (or
// after Close). A write that fails (a full disk) stops the writing, not
// the capture: Stats says so.
func (l *Live) WriteTo(w io.Writer, name string, pcapng bool) {
	l.out = bufio.NewWriterSize(w, 1<<20)
	l.path = name
	if err := l.writeHeader(pcapng); err != nil {
		// A file that cannot take even its header fails like any
		// other write: the capture goes on, and says so.
		l.writeFailed(err)
	}
}

func (l *Live) writeHeader(pcapng bool) error {
	if !pcapng && l.ifaces == nil {
		l.pcap = pcapgo.NewWriterNanos(l.out)
		if err := l.pcap.WriteFileHeader(uint32(l.snap), l.lt); err != nil {
			return err
		}
		return l.flushOut()
	}
	// pcapng: one interface block per interface, named, with its own
	// link type; on any, those up now, then any other as it shows up.
	l.ngIDs = map[int]int{}
	if l.ifaces == nil {
		return l.addNgInterface(0, l.name, l.lt)
	}
	for _, i := range l.ifaces() {
		if err := l.addNgInterface(i.index, i.name, i.lt); err != nil {
			return err
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
		TimestampResolution: 9, OS: runtimeOS, Filter: strings.TrimSpace(l.opt.Filter)}
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
	if l.ifaces != nil {
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
	if !l.writing() {
		return nil
	}
	if l.ng != nil {
		if err := l.ng.Flush(); err != nil {
			return err
		}
	}
	return l.out.Flush()
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
	if ferr := l.flushOut(); ferr != nil {
		l.writeFailed(ferr)
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

// stopEvery is how many frames the feeder reads between two looks at
// whether it should stop.
const stopEvery = 64

func (f *feeder) run(ctx context.Context) error {
	l := f.l
	now := time.Now().UnixNano()
	f.sent, f.flushed = now, now
	for n := 0; ; n++ {
		// A select costs as much as decoding a frame: while frames
		// come, every 64th frame asks whether to stop (and so does every
		// quiet tick).
		if n%stopEvery == 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-l.stop:
				return nil
			default:
			}
		}
		data, ci, lt, err := l.src.next()
		if err != nil {
			n = -1 // ask at once
			if err == errQuiet {
				if err := f.tick(time.Now().UnixNano()); err != nil {
					return err
				}
				continue
			}
			return err
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
			if !l.writing() {
				l.notWritten.Add(1)
			} else if err := l.write(ci, data, lt); err != nil {
				// A full disk stops the writing, not the capture.
				l.writeFailed(err)
				l.notWritten.Add(1)
			} else {
				f.written = true
			}
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
			f.l.writeFailed(err)
		}
		f.written = false
	}
	f.l.readKernelDrops()
	f.send(now, false)
	return nil
}

func (l *Live) readKernelDrops() {
	if n, ok := l.src.kernelDrops(); ok {
		l.kdrops.Store(n)
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
		Filtered: l.filtered.Load(), NotWritten: l.notWritten.Load()}
	if e := l.werr.Load(); e != nil {
		st.WriteError = *e
	}
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
// releases the backend (for AF_PACKET, unmaps the ring that zero-copy
// frames point into). It flushes what -w wrote; the caller closes the
// file.
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
	l.src.close()
	return err
}
