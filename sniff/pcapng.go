package sniff

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strings"

	"github.com/gopacket/gopacket/layers"
)

// pktop reads pcapng itself rather than through gopacket's NgReader,
// which allocates what a block claims before reading it, keeps every
// option of every interface, stops at time resolutions it cannot hold
// and words its errors without an offset. This reader follows wiretap
// (tshark's reader), check for check, so that a damaged file gives the
// same packets before the damage as tshark; it keeps no more than one
// read buffer, the first maxKeep bytes of a record, and a compact table
// of the section's interfaces, whatever the file claims.

// pcapng block types.
const (
	ngSHB     = 0x0a0d0d0a
	ngIDB     = 1
	ngPB      = 2 // the obsolete packet block
	ngSPB     = 3
	ngNRB     = 4
	ngISB     = 5
	ngEPB     = 6
	ngJournal = 9 // systemd journal export
	ngDSB     = 10
	ngCB      = 0x00000bad
	ngCBNC    = 0x40000bad
)

// ngMaxBlock is wiretap's largest block: an enhanced packet block with a
// maximal D-Bus packet and 128 KiB of options.
const ngMaxBlock = 32 + 128<<20 + 131072

// Limits on the interfaces of one section, which a crafted file could
// otherwise make cost more than its size in memory: identical interfaces
// in a row cost nothing (they are kept as runs), distinct ones a few
// bytes each.
const (
	maxIfDescs = 1 << 18 // distinct interface descriptions (at most 20 MiB)
	maxIfRuns  = 1 << 22 // runs of identical descriptions (32 MiB)
)

// ngReader reads the blocks of a pcapng file.
type ngReader struct {
	f        *File
	order    binary.ByteOrder // of the current section
	ifs      ifTable
	lastTime int64
	firstLT  layers.LinkType

	pending *Frame // the first packet, read ahead
	pendErr error

	blk block // the block being read
}

// start reads the first section header, then the first packet, whose link
// type is the file's (what a filter is first compiled for).
func (r *ngReader) start() error {
	if err := r.section(0); err != nil {
		return err
	}
	r.firstLT = layers.LinkTypeEthernet
	fr, err := r.read()
	if err != nil {
		r.pendErr = err
		if d, ok := r.ifs.get(0); ok {
			r.firstLT = layers.LinkType(d.lt)
		}
		return nil
	}
	fr.Data = append([]byte(nil), fr.Data...)
	r.pending = &fr
	r.firstLT = fr.LinkType
	return nil
}

func (r *ngReader) next() (Frame, error) {
	if p := r.pending; p != nil {
		r.pending = nil
		return *p, nil
	}
	if err := r.pendErr; err != nil {
		r.pendErr = nil
		return Frame{}, err
	}
	return r.read()
}

// buffered reports whether the next block is wholly in the read buffer.
func (r *ngReader) buffered() bool {
	if r.pending != nil {
		return true
	}
	br := r.f.br
	n := br.Buffered()
	if n < 12 {
		return false
	}
	h, _ := br.Peek(12)
	order := r.order
	if binary.LittleEndian.Uint32(h) == ngSHB && binary.BigEndian.Uint32(h[8:]) == 0x1a2b3c4d {
		order = binary.BigEndian // a section header says its own byte order
	} else if binary.LittleEndian.Uint32(h) == ngSHB {
		order = binary.LittleEndian
	}
	return uint64(n) >= (uint64(order.Uint32(h[4:]))+3)&^3
}

// read reads blocks up to the next packet.
func (r *ngReader) read() (Frame, error) {
	f := r.f
	for {
		off := f.pos()
		h, err := f.br.Peek(8)
		if err != nil {
			if len(h) == 0 && err == io.EOF {
				return Frame{}, io.EOF
			}
			return Frame{}, f.readError(off, err, fmt.Sprintf("a block header (%d of 8 bytes)", len(h)))
		}
		typ := r.order.Uint32(h)
		if typ == ngSHB {
			if err := r.section(off); err != nil {
				return Frame{}, err
			}
			continue
		}
		size := (uint64(r.order.Uint32(h[4:])) + 3) &^ 3
		if size > ngMaxBlock {
			return Frame{}, f.damage(off, fmt.Sprintf("block of type 0x%x claims %d bytes (more than %d, the most tshark reads)", typ, size, ngMaxBlock))
		}
		if least := minBlock(typ); size < least {
			return Frame{}, f.damage(off, fmt.Sprintf("%s of %d bytes (less than the %d it needs)", blockName(typ), size, least))
		}
		b, err := r.open(off, typ, int(size))
		if err != nil {
			return Frame{}, err
		}
		var fr Frame
		packet := false
		switch typ {
		case ngEPB, ngPB:
			fr, err = b.packet()
			packet = true
		case ngSPB:
			fr, err = b.simplePacket()
			packet = true
		case ngIDB:
			err = b.iface()
		case ngNRB:
			err = b.names()
		case ngISB:
			err = b.skip(12)
			if err == nil {
				err = b.options(nil)
			}
		case ngDSB:
			err = b.secrets()
		case ngJournal:
			err = b.journal()
		default: // custom blocks and unknown types are skipped
			err = b.skip(b.left())
		}
		if err == nil {
			err = b.close()
		}
		if err != nil {
			return Frame{}, err
		}
		if packet {
			f.records++
			return fr, nil
		}
	}
}

// minBlock is the smallest block of a type wiretap reads.
func minBlock(typ uint32) uint64 {
	switch typ {
	case ngIDB, ngDSB:
		return 20
	case ngEPB, ngPB:
		return 32
	case ngSPB, ngNRB, ngCB, ngCBNC:
		return 16
	case ngISB:
		return 24
	case ngJournal:
		return 36
	}
	return 12
}

func blockName(typ uint32) string {
	switch typ {
	case ngSHB:
		return "section header block"
	case ngIDB:
		return "interface description block"
	case ngEPB:
		return "enhanced packet block"
	case ngPB:
		return "packet block"
	case ngSPB:
		return "simple packet block"
	case ngNRB:
		return "name resolution block"
	case ngISB:
		return "interface statistics block"
	case ngDSB:
		return "decryption secrets block"
	case ngJournal:
		return "systemd journal export block"
	case ngCB, ngCBNC:
		return "custom block"
	}
	return fmt.Sprintf("block of type 0x%x", typ)
}

// section reads a section header block at off: it sets the byte order of
// the blocks after it and starts a new table of interfaces.
func (r *ngReader) section(off int64) error {
	f := r.f
	h, err := f.br.Peek(12)
	if err != nil {
		return f.readError(off, err, fmt.Sprintf("the section header block (%d of 12 bytes)", len(h)))
	}
	var order binary.ByteOrder
	switch binary.LittleEndian.Uint32(h[8:]) {
	case 0x1a2b3c4d:
		order = binary.LittleEndian
	case 0x4d3c2b1a:
		order = binary.BigEndian
	default:
		return f.damage(off, fmt.Sprintf("section header block without the byte-order magic (it has %x)", h[8:12]))
	}
	size := (uint64(order.Uint32(h[4:])) + 3) &^ 3
	if size < 28 {
		return f.damage(off, fmt.Sprintf("section header block of %d bytes (less than the 28 it needs)", size))
	}
	if size > ngMaxBlock {
		return f.damage(off, fmt.Sprintf("section header block claims %d bytes (more than %d, the most tshark reads)", size, ngMaxBlock))
	}
	r.order = order
	b, err := r.open(off, ngSHB, int(size))
	if err != nil {
		return err
	}
	v, err := b.take(16)
	if err != nil {
		return err
	}
	major, minor := order.Uint16(v[4:]), order.Uint16(v[6:])
	if major != 1 || (minor != 0 && minor != 2) {
		return f.damage(off, fmt.Sprintf("section header version %d.%d (tshark reads 1.0 and 1.2)", major, minor))
	}
	if err := b.options(nil); err != nil {
		return err
	}
	if err := b.close(); err != nil {
		return err
	}
	r.ifs.reset()
	return nil
}

// block is the block being read: wholly in the read buffer when it fits
// (mem), streamed through it otherwise.
type block struct {
	r    *ngReader
	off  int64 // the block's offset in the file
	typ  uint32
	size int    // the block's length, trailer included
	mem  []byte // the whole block, when it fits in the buffer
	pos  int    // the next byte of the block to read
}

// open starts reading the block of the given size at off, whose first 8
// bytes (type and length) are in the buffer.
func (r *ngReader) open(off int64, typ uint32, size int) (*block, error) {
	b := &r.blk // one block at a time: no allocation per block
	*b = block{r: r, off: off, typ: typ, size: size, pos: 8}
	br := r.f.br
	if size <= br.Size() {
		m, err := br.Peek(size)
		if err != nil {
			return nil, r.f.readError(off, err, fmt.Sprintf("the %s (%d of %d bytes)", blockName(typ), len(m), size))
		}
		b.mem = m
		return b, nil
	}
	br.Discard(8)
	return b, nil
}

// left is the number of body bytes not yet read (the trailer excluded).
func (b *block) left() int { return b.size - 4 - b.pos }

// bad is damage inside the block.
func (b *block) bad(format string, a ...any) error {
	return b.r.f.damage(b.off, blockName(b.typ)+": "+fmt.Sprintf(format, a...))
}

// take reads the next n bytes of the block (n <= left()+4, and at most
// a little more than 64 KiB when streaming). When streaming, they are
// valid only until the next take or skip.
func (b *block) take(n int) ([]byte, error) {
	if b.mem != nil {
		v := b.mem[b.pos : b.pos+n]
		b.pos += n
		return v, nil
	}
	br := b.r.f.br
	v, err := br.Peek(n)
	if err != nil {
		return nil, b.cut(err)
	}
	br.Discard(n)
	b.pos += n
	return v, nil
}

// skip passes over the next n bytes of the block.
func (b *block) skip(n int) error {
	if b.mem == nil {
		if d, err := b.r.f.br.Discard(n); d < n {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return b.cut(err)
		}
	}
	b.pos += n
	return nil
}

// cut is the damage of a streamed block that cannot be read to its end.
func (b *block) cut(err error) error {
	return b.r.f.readError(b.off, err, fmt.Sprintf("the %s of %d bytes", blockName(b.typ), b.size))
}

// close reads the trailer, which must repeat the block's length, and
// leaves the block.
func (b *block) close() error {
	t, err := b.take(4)
	if err != nil {
		return err
	}
	if n := (uint64(b.r.order.Uint32(t)) + 3) &^ 3; n != uint64(b.size) {
		return b.bad("its length is %d at the start and %d at the end", b.size, n)
	}
	if b.mem != nil {
		b.r.f.br.Discard(b.size)
	}
	return nil
}

// tlv reads the header of an option or a record (what says which): its
// type, its length and its length padded to 4 bytes, checked to fit in
// what is left of the block.
func (b *block) tlv(what string) (typ uint16, l, padded int, err error) {
	if b.left() < 4 {
		return 0, 0, 0, b.bad("%d bytes left, too few for %s header", b.left(), article(what))
	}
	h, err := b.take(4)
	if err != nil {
		return 0, 0, 0, err
	}
	typ, l = b.r.order.Uint16(h), int(b.r.order.Uint16(h[2:]))
	padded = (l + 3) &^ 3
	if padded > b.left() {
		if what == "option" {
			return 0, 0, 0, b.bad("option %d of %d bytes runs past the end of the block", typ, l)
		}
		return 0, 0, 0, b.bad("%s of %d bytes runs past the end of the block", what, l)
	}
	return typ, l, padded, nil
}

func article(w string) string {
	if strings.IndexByte("aeiou", w[0]) >= 0 {
		return "an " + w
	}
	return "a " + w
}

// options reads the options that fill the rest of the block, checking
// them as wiretap does; check, if not nil, says what is wrong with one.
func (b *block) options(check func(code uint16, val []byte) string) error {
	for b.left() > 0 {
		code, l, padded, err := b.tlv("option")
		if err != nil {
			return err
		}
		if code == 0 { // end of options: what follows is ignored
			return b.skip(b.left())
		}
		v, err := b.take(padded)
		if err != nil {
			return err
		}
		v = v[:l]
		switch code {
		case 2988, 2989, 19372, 19373: // custom options start with an enterprise number
			if l < 4 {
				return b.bad("custom option of %d bytes (less than 4)", l)
			}
		default:
			if check != nil {
				if msg := check(code, v); msg != "" {
					return b.bad("%s", msg)
				}
			}
		}
	}
	return nil
}

// iface reads an interface description block.
func (b *block) iface() error {
	order := b.r.order
	v, err := b.take(8)
	if err != nil {
		return err
	}
	lt := order.Uint16(v)
	snap := order.Uint32(v[4:])
	resol, offset := -1, int64(0)
	haveOffset := false
	err = b.options(func(code uint16, v []byte) string {
		switch code {
		case 9: // if_tsresol: the first one counts
			if len(v) >= 1 && resol < 0 {
				resol = int(v[0])
			}
		case 14: // if_tsoffset
			if len(v) == 8 && !haveOffset {
				offset, haveOffset = int64(order.Uint64(v)), true
			}
		case 11: // if_filter
			if len(v) < 1 {
				return "if_filter option of 0 bytes"
			}
		}
		return ""
	})
	if err != nil {
		return err
	}
	d := ifDesc{units: 1e6, offset: offset, lt: lt}
	if resol >= 0 {
		d.units = unitsPerSecond(byte(resol))
	}
	if msg := b.r.ifs.add(d, snap); msg != "" {
		return b.bad("%s", msg)
	}
	return nil
}

// unitsPerSecond is the timestamp unit of an if_tsresol value, as wiretap
// takes it: a resolution finer than a uint64 can count is read as
// 2^64-1 units per second.
func unitsPerSecond(resol byte) uint64 {
	e := uint(resol & 0x7f)
	if resol&0x80 != 0 {
		if e > 63 {
			return math.MaxUint64
		}
		return 1 << e
	}
	if e > 19 {
		return math.MaxUint64
	}
	u := uint64(1)
	for range e {
		u *= 10
	}
	return u
}

// packet reads an enhanced packet block, or an obsolete packet block.
func (b *block) packet() (Frame, error) {
	r := b.r
	order := r.order
	v, err := b.take(20)
	if err != nil {
		return Frame{}, err
	}
	var ifc uint32
	if b.typ == ngEPB {
		ifc = order.Uint32(v)
	} else {
		ifc = uint32(order.Uint16(v))
	}
	ts := uint64(order.Uint32(v[4:]))<<32 | uint64(order.Uint32(v[8:]))
	caplen, wire := order.Uint32(v[12:]), order.Uint32(v[16:])
	d, ok := r.ifs.get(ifc)
	if !ok {
		return Frame{}, b.bad("packet of interface %d, but the section has %d interfaces", ifc, r.ifs.n)
	}
	lt := layers.LinkType(d.lt)
	data, err := b.data(caplen, lt)
	if err != nil {
		return Frame{}, err
	}
	if msg := pseudoHeaderDamage(lt, data, caplen); msg != "" {
		return Frame{}, b.bad("%s", msg)
	}
	err = b.options(func(code uint16, v []byte) string {
		switch code {
		case 2, 6: // epb_flags, epb_queue
			if len(v) != 4 {
				return fmt.Sprintf("option %d of %d bytes (not 4)", code, len(v))
			}
		case 4, 5: // epb_dropcount, epb_packetid
			if len(v) != 8 {
				return fmt.Sprintf("option %d of %d bytes (not 8)", code, len(v))
			}
		case 7: // epb_verdict
			if len(v) < 1 {
				return "verdict option of 0 bytes"
			}
			if (v[0] == 1 || v[0] == 2) && len(v) != 9 {
				return fmt.Sprintf("eBPF verdict option of %d bytes (not 9)", len(v))
			}
		}
		return ""
	})
	if err != nil {
		return Frame{}, err
	}
	t := d.nanos(ts)
	r.lastTime = t
	return Frame{Data: data, Time: t, WireLen: int(wire), CapLen: int(caplen), LinkType: lt}, nil
}

// data reads the packet data of a packet block: caplen bytes, padded,
// which the block must hold and the link type allow. It keeps at most
// maxKeep of them: in the read buffer when the block is, in a buffer of
// its own otherwise (what follows in the block would overwrite them).
func (b *block) data(caplen uint32, lt layers.LinkType) ([]byte, error) {
	padded := (int(caplen) + 3) &^ 3
	if caplen > ngMaxBlock || b.left() < padded {
		return nil, b.bad("%d bytes long, too short for %d bytes of packet data", b.size, caplen)
	}
	if m := maxRecord(lt); caplen > m {
		return nil, b.bad("%d captured bytes (more than %d, the most tshark reads for link type %d)", caplen, m, lt)
	}
	k := min(int(caplen), maxKeep)
	v, err := b.take(k)
	if err != nil {
		return nil, err
	}
	if b.mem == nil {
		f := b.r.f
		if cap(f.keep) < k {
			f.keep = make([]byte, maxKeep)
		}
		v = append(f.keep[:0], v...)
	}
	return v, b.skip(padded - k)
}

// simplePacket reads a simple packet block: a packet of the section's
// first interface, cut to its snap length, without a timestamp (it takes
// the time of the packet before it).
func (b *block) simplePacket() (Frame, error) {
	r := b.r
	v, err := b.take(4)
	if err != nil {
		return Frame{}, err
	}
	wire := r.order.Uint32(v)
	d, ok := r.ifs.get(0)
	if !ok {
		return Frame{}, b.bad("packet before any interface description")
	}
	caplen := wire
	if r.ifs.snap0 != 0 && caplen > r.ifs.snap0 {
		caplen = r.ifs.snap0
	}
	lt := layers.LinkType(d.lt)
	data, err := b.data(caplen, lt)
	if err != nil {
		return Frame{}, err
	}
	if msg := pseudoHeaderDamage(lt, data, caplen); msg != "" {
		return Frame{}, b.bad("%s", msg)
	}
	if b.left() != 0 {
		// wiretap reads the trailer right after the packet.
		return Frame{}, b.bad("%d bytes after the packet data", b.left())
	}
	return Frame{Data: data, Time: r.lastTime, WireLen: int(wire), CapLen: int(caplen), LinkType: lt}, nil
}

// names checks a name resolution block: records of addresses and
// NUL-terminated names, then options.
func (b *block) names() error {
	for b.left() > 0 {
		typ, l, padded, err := b.tlv("record")
		if err != nil {
			return err
		}
		if typ == 0 { // end of records
			break
		}
		v, err := b.take(padded)
		if err != nil {
			return err
		}
		var addr int
		switch typ {
		case 1: // IPv4
			addr = 4
		case 2: // IPv6
			addr = 16
		default:
			continue // a record type wiretap skips
		}
		if l < addr {
			return b.bad("address record of %d bytes (less than %d)", l, addr)
		}
		if l > addr && v[l-1] != 0 {
			return b.bad("host name without its terminating NUL")
		}
	}
	return b.options(nil)
}

// secrets checks a decryption secrets block, whose secrets must fit in it.
func (b *block) secrets() error {
	v, err := b.take(8)
	if err != nil {
		return err
	}
	n := uint64(b.r.order.Uint32(v[4:]))
	if n > 1<<30 {
		return b.bad("secrets of %d bytes (more than 1 GiB)", n)
	}
	if n > uint64(b.left()) {
		return b.bad("secrets of %d bytes run past the end of the block", n)
	}
	return b.skip(b.left())
}

// journal checks a systemd journal export block: an entry at least as
// long as "__REALTIME_TIMESTAMP=0\n", once trailing NULs are dropped.
func (b *block) journal() error {
	last := 0 // the entry's length without its trailing NULs
	for done := 0; b.left() > 0; {
		v, err := b.take(min(b.left(), 64<<10))
		if err != nil {
			return err
		}
		for i := len(v) - 1; i >= 0; i-- {
			if v[i] != 0 {
				last = done + i + 1
				break
			}
		}
		done += len(v)
	}
	if last < 23 {
		return b.bad("entry of %d bytes (less than 23)", last)
	}
	return nil
}

// ifDesc is what pktop keeps of an interface: its link type and how to
// turn its timestamps into time.
type ifDesc struct {
	units  uint64 // timestamp units per second
	offset int64  // if_tsoffset, seconds
	lt     uint16
}

// nanos turns a timestamp of the interface into nanoseconds since the
// epoch, saturating (see clampTime).
func (d *ifDesc) nanos(ts uint64) int64 {
	var t int64
	switch {
	case d.units == 1e6 && ts <= uint64(timeMax)/1000:
		t = int64(ts) * 1000
	case d.units == 1e9 && ts <= uint64(timeMax):
		t = int64(ts)
	default:
		sec, rem := ts/d.units, ts%d.units
		hi, lo := bits.Mul64(rem, 1e9)
		frac, _ := bits.Div64(hi, lo, d.units) // rem < units, so no overflow
		if sec > uint64(timeMax)/1e9 {
			t = timeMax
		} else {
			t = int64(sec)*1e9 + int64(frac)
		}
	}
	if d.offset != 0 {
		switch {
		case d.offset > timeMax/1e9:
			return timeMax
		case d.offset < -timeMax/1e9:
			return timeMin
		}
		t += d.offset * 1e9
	}
	return clampTime(t)
}

// ifRun says that the interfaces from first on (up to the next run) are
// described by descs[desc].
type ifRun struct{ first, desc uint32 }

// runChunk is how many runs a chunk holds: runs are kept in chunks that
// never move, so that a table of millions of runs grows without copies.
const runChunk = 1 << 16

// ifTable holds the interfaces of a section: runs of identical
// descriptions, each description once.
type ifTable struct {
	n      uint32 // interfaces
	snap0  uint32 // the snap length of interface 0 (for simple packet blocks)
	chunks [][]ifRun
	nruns  int
	descs  []ifDesc
	index  map[ifDesc]uint32 // of descs, once they are more than a few

	last ifRun // the run of the last lookup, up to interface end
	end  uint32
}

func (t *ifTable) reset() {
	t.n, t.snap0, t.nruns, t.end = 0, 0, 0, 0
	t.chunks = t.chunks[:min(len(t.chunks), 1)]
	if len(t.chunks) > 0 {
		t.chunks[0] = t.chunks[0][:0]
	}
	t.descs = t.descs[:0]
	t.index = nil
}

// add adds the next interface; it says what is wrong when a limit is hit.
func (t *ifTable) add(d ifDesc, snap uint32) string {
	if t.n == math.MaxUint32 {
		return "more interfaces than an interface id can name"
	}
	if t.n == 0 {
		t.snap0 = snap
	}
	if t.nruns > 0 {
		c := t.chunks[len(t.chunks)-1]
		if t.descs[c[len(c)-1].desc] == d {
			t.n++
			return ""
		}
	}
	i, ok := t.find(d)
	if !ok {
		if len(t.descs) >= maxIfDescs {
			return fmt.Sprintf("more than %d different interface descriptions in one section (pktop's limit)", maxIfDescs)
		}
		i = uint32(len(t.descs))
		t.descs = append(t.descs, d)
		if t.index != nil {
			t.index[d] = i
		} else if len(t.descs) > 8 {
			t.index = make(map[ifDesc]uint32, 16)
			for j, d := range t.descs {
				t.index[d] = uint32(j)
			}
		}
	}
	if t.nruns >= maxIfRuns {
		return fmt.Sprintf("more than %d changes of interface description in one section (pktop's limit)", maxIfRuns)
	}
	if t.nruns == len(t.chunks)*runChunk {
		size := runChunk
		if len(t.chunks) == 0 {
			size = 8 // most sections have one run: the first chunk grows as it must
		}
		t.chunks = append(t.chunks, make([]ifRun, 0, size))
	}
	c := &t.chunks[len(t.chunks)-1]
	*c = append(*c, ifRun{t.n, i})
	t.nruns++
	t.n++
	t.end = 0 // the cached run may have grown
	return ""
}

// find returns the index of a description: a look at each of a few, a
// map for many.
func (t *ifTable) find(d ifDesc) (uint32, bool) {
	if t.index != nil {
		i, ok := t.index[d]
		return i, ok
	}
	for i := range t.descs {
		if t.descs[i] == d {
			return uint32(i), true
		}
	}
	return 0, false
}

// get returns the description of interface id.
func (t *ifTable) get(id uint32) (*ifDesc, bool) {
	if id >= t.n {
		return nil, false
	}
	if id >= t.last.first && id < t.end {
		return &t.descs[t.last.desc], true
	}
	// The last chunk, then the last run in it, whose first interface is
	// id or before.
	ci := search(len(t.chunks), func(i int) bool { return t.chunks[i][0].first <= id })
	c := t.chunks[ci]
	ri := search(len(c), func(i int) bool { return c[i].first <= id })
	t.last = c[ri]
	t.end = t.n
	if ri+1 < len(c) {
		t.end = c[ri+1].first
	} else if ci+1 < len(t.chunks) {
		t.end = t.chunks[ci+1][0].first
	}
	return &t.descs[t.last.desc], true
}

// search returns the last index i < n for which before(i) holds, given
// that it holds for 0 and, once false, stays false.
func search(n int, before func(int) bool) int {
	lo, hi := 0, n
	for hi-lo > 1 {
		m := int(uint(lo+hi) >> 1)
		if before(m) {
			lo = m
		} else {
			hi = m
		}
	}
	return lo
}
