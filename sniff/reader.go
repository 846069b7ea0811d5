package sniff

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Frame is one packet record read from a capture. Data is only valid
// until the next call to Next.
type Frame struct {
	Data     []byte
	Time     int64 // nanoseconds since the epoch
	WireLen  int
	CapLen   int
	LinkType layers.LinkType
}

// DamageError says where a capture stops being readable. Every record
// before Offset was read.
type DamageError struct {
	Name    string // the file, or "-" for standard input
	Offset  int64  // byte offset of the damage
	Records int    // records read before it
	Msg     string
	Gzip    bool // Offset is in the decompressed data
}

func (e *DamageError) Error() string {
	at := "byte"
	if e.Gzip {
		at = "byte (of the decompressed data)"
	}
	unit := "packets"
	if e.Records == 1 {
		unit = "packet"
	}
	return fmt.Sprintf("%s: damaged at %s %d, after %d %s: %s", e.Name, at, e.Offset, e.Records, unit, e.Msg)
}

// FormatError says that a file is not a capture pktop can read.
type FormatError struct {
	Name string
	Msg  string
}

func (e *FormatError) Error() string { return e.Name + ": " + e.Msg }

// maxRecord is the largest record pktop accepts (tshark's limit for
// ordinary link types), unless the file's snap length says more.
const maxRecord = 262144

// File reads a pcap or pcapng capture, plain or gzip-compressed, chosen by
// its content. Its name "-" means standard input.
type File struct {
	name    string
	path    string // the file's path, when it is a file on disk
	closer  io.Closer
	count   *countingReader
	br      *bufio.Reader
	gz      bool
	records int

	// classic pcap
	ng       *pcapgo.NgReader
	ngLT     layers.LinkType // the first packet's link type
	pending  *Frame          // the first pcapng packet, read ahead
	pendErr  error
	lastTime int64
	order    binary.ByteOrder
	nano     bool
	hdrLen   int // 16, or 24 for the "modified" pcap format
	snap     uint32
	linkType layers.LinkType
	big      []byte
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// readBufferSize is the read buffer: large enough that reading is not
// bound by system calls (see the notes on reading speed).
const readBufferSize = 1 << 20

// Open opens a capture file, or standard input for "-".
func Open(name string) (*File, error) {
	var r io.ReadCloser
	if name == "-" {
		r = io.NopCloser(os.Stdin)
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, cleanOpenError(name, err)
		}
		if st, err := f.Stat(); err == nil && st.IsDir() {
			f.Close()
			return nil, &FormatError{name, "is a directory, not a capture file"}
		}
		r = f
	}
	fl, err := NewReader(name, r)
	if err != nil {
		r.Close()
		return nil, err
	}
	fl.closer = r
	if name != "-" {
		fl.path = name
	}
	return fl, nil
}

func cleanOpenError(name string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %v", name, pe.Err)
	}
	return err
}

// NewReader reads a capture from r; name is used in errors.
func NewReader(name string, r io.Reader) (*File, error) {
	f := &File{name: name, count: &countingReader{r: r}}
	f.br = bufio.NewReaderSize(f.count, readBufferSize)
	magic, err := f.br.Peek(4)
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, zerr := gzip.NewReader(f.br)
		if zerr != nil {
			return nil, &FormatError{name, "gzip data is damaged: " + zerr.Error()}
		}
		f.gz = true
		f.count = &countingReader{r: zr}
		f.br = bufio.NewReaderSize(f.count, readBufferSize)
		magic, err = f.br.Peek(4)
	}
	if err != nil {
		if err != io.EOF && err != io.ErrUnexpectedEOF {
			if f.gz {
				return nil, &FormatError{name, "gzip data is damaged: " + err.Error()}
			}
			return nil, &FormatError{name, "cannot read: " + err.Error()}
		}
		if len(magic) == 0 {
			return nil, &FormatError{name, "empty file, not a capture"}
		}
		return nil, &FormatError{name, fmt.Sprintf("only %d bytes long, not a capture", len(magic))}
	}
	switch binary.BigEndian.Uint32(magic) {
	case 0x0a0d0d0a:
		// The section's byte order, for filters on BSD loopback headers.
		f.order = binary.LittleEndian
		if h, err := f.br.Peek(12); err == nil && binary.BigEndian.Uint32(h[8:]) == 0x1a2b3c4d {
			f.order = binary.BigEndian
		}
		ng, err := pcapgo.NewNgReader(f.br, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			return nil, f.damage(0, "pcapng section header: "+ngMessage(err))
		}
		f.ng = ng
		f.readAhead()
		return f, nil
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0xa1b2cd34, 0x34cdb2a1:
		return f, f.readHeader()
	}
	return nil, &FormatError{name, fmt.Sprintf("not a pcap or pcapng capture (it starts with bytes %x)", magic)}
}

func ngMessage(err error) string {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return "file ends inside a block"
	}
	return err.Error()
}

// pos is the offset of the next unread byte.
func (f *File) pos() int64 { return f.count.n - int64(f.br.Buffered()) }

func (f *File) damage(off int64, msg string) *DamageError {
	return &DamageError{Name: f.name, Offset: off, Records: f.records, Msg: msg, Gzip: f.gz}
}

func (f *File) readHeader() error {
	h, err := f.br.Peek(24)
	if err != nil {
		return &FormatError{f.name, fmt.Sprintf("pcap file header cut short (%d of 24 bytes)", len(h))}
	}
	switch binary.BigEndian.Uint32(h) {
	case 0xa1b2c3d4, 0xa1b23c4d, 0xa1b2cd34:
		f.order = binary.BigEndian
	default:
		f.order = binary.LittleEndian
	}
	m := f.order.Uint32(h)
	f.nano = m == 0xa1b23c4d
	f.hdrLen = 16
	if m == 0xa1b2cd34 {
		f.hdrLen = 24
	}
	major, minor := f.order.Uint16(h[4:]), f.order.Uint16(h[6:])
	if major != 2 {
		return &FormatError{f.name, fmt.Sprintf("unsupported pcap version %d.%d", major, minor)}
	}
	f.snap = f.order.Uint32(h[16:])
	lt := f.order.Uint32(h[20:])
	if lt&0x03ff0000 != 0 {
		return &FormatError{f.name, fmt.Sprintf("link-type field 0x%08x has reserved bits set", lt)}
	}
	f.linkType = layers.LinkType(lt & 0xffff)
	f.br.Discard(24)
	return nil
}

// LinkType returns the link type of a classic pcap file, or of the first
// interface of a pcapng one.
func (f *File) LinkType() layers.LinkType {
	if f.ng != nil {
		return f.ngLT
	}
	return f.linkType
}

// readAhead reads the first packet of a pcapng file, whose link type is
// the file's (what a filter is first compiled for): gopacket's reader,
// asked for mixed link types, does not say it before.
func (f *File) readAhead() {
	f.ngLT = layers.LinkTypeEthernet
	fr, err := f.nextNg()
	if err != nil {
		f.pendErr = err
		if f.ng.NInterfaces() > 0 {
			if i, e := f.ng.Interface(0); e == nil {
				f.ngLT = i.LinkType
			}
		}
		return
	}
	fr.Data = append([]byte(nil), fr.Data...)
	f.pending = &fr
	f.ngLT = fr.LinkType
}

// Next returns the next record. It returns io.EOF at the end of the
// capture, and a *DamageError when the capture is damaged or cut short.
func (f *File) Next() (Frame, error) {
	if f.ng != nil {
		return f.nextNg()
	}
	off := f.pos()
	h, err := f.br.Peek(f.hdrLen)
	if err != nil {
		if len(h) == 0 && (err == io.EOF) {
			return Frame{}, io.EOF
		}
		return Frame{}, f.readError(off, err, fmt.Sprintf("file ends inside a record header (%d of %d bytes)", len(h), f.hdrLen))
	}
	sec := int64(f.order.Uint32(h[0:]))
	frac := int64(f.order.Uint32(h[4:]))
	caplen := f.order.Uint32(h[8:])
	wire := f.order.Uint32(h[12:])
	limit := uint32(maxRecord)
	if f.snap > limit && f.snap <= 64<<20 {
		limit = f.snap
	}
	if caplen > limit {
		return Frame{}, f.damage(off, fmt.Sprintf("record header claims %d captured bytes (more than %d)", caplen, limit))
	}
	f.br.Discard(f.hdrLen)
	var data []byte
	if int(caplen) <= f.br.Size() {
		data, err = f.br.Peek(int(caplen))
		if err != nil {
			return Frame{}, f.readError(off, err, fmt.Sprintf("file ends inside packet %d (%d of %d bytes)", f.records+1, len(data), caplen))
		}
		f.br.Discard(int(caplen))
	} else {
		if cap(f.big) < int(caplen) {
			f.big = make([]byte, caplen)
		}
		data = f.big[:caplen]
		if n, err := io.ReadFull(f.br, data); err != nil {
			return Frame{}, f.readError(off, err, fmt.Sprintf("file ends inside packet %d (%d of %d bytes)", f.records+1, n, caplen))
		}
	}
	f.records++
	ts := sec * 1e9
	if f.nano {
		ts += frac
	} else {
		ts += frac * 1e3
	}
	return Frame{Data: data, Time: ts, WireLen: int(wire), CapLen: int(caplen), LinkType: f.linkType}, nil
}

func (f *File) readError(off int64, err error, msg string) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return f.damage(off, msg)
	}
	if f.gz {
		return f.damage(off, "gzip data is damaged: "+err.Error())
	}
	return f.damage(off, err.Error())
}

func (f *File) nextNg() (Frame, error) {
	if p := f.pending; p != nil {
		f.pending = nil
		return *p, nil
	}
	if err := f.pendErr; err != nil {
		return Frame{}, err
	}
	off := f.pos()
	data, ci, err := f.ng.ZeroCopyReadPacketData()
	if err != nil {
		if err == io.EOF {
			return Frame{}, io.EOF
		}
		return Frame{}, f.damage(off, ngMessage(err))
	}
	f.records++
	lt := f.ng.LinkType()
	if len(ci.AncillaryData) > 0 {
		if l, ok := ci.AncillaryData[0].(layers.LinkType); ok {
			lt = l
		}
	}
	// Simple packet blocks have no timestamp: they take the time of the
	// packet before them, as do times an int64 of nanoseconds cannot hold.
	t := f.lastTime
	if ts := ci.Timestamp; !ts.IsZero() && ts.Year() >= 1678 && ts.Year() <= 2261 {
		t = ts.UnixNano()
		f.lastTime = t
	}
	return Frame{Data: data, Time: t, WireLen: ci.Length, CapLen: ci.CaptureLength, LinkType: lt}, nil
}

// Buffered reports whether the next record is wholly in the read buffer,
// that is, whether the next Next returns without waiting for input.
func (f *File) Buffered() bool {
	if f.pending != nil {
		return true
	}
	n := f.br.Buffered()
	if n >= maxRecord+f.hdrLen+8 {
		return true // more than any record, without looking
	}
	if f.ng != nil {
		if n < 8 {
			return false
		}
		h, _ := f.br.Peek(8)
		// The section's byte order is gopacket's to know: the smaller
		// reading is the right one, or at worst says "not buffered".
		l := min(binary.LittleEndian.Uint32(h[4:]), binary.BigEndian.Uint32(h[4:]))
		return uint64(n) >= uint64(l)
	}
	if n < f.hdrLen {
		return false
	}
	h, _ := f.br.Peek(f.hdrLen)
	return uint64(n) >= uint64(f.hdrLen)+uint64(f.order.Uint32(h[8:]))
}

// Records returns the number of records read so far.
func (f *File) Records() int { return f.records }

// Name returns the name the file was opened with.
func (f *File) Name() string { return f.name }

// Close closes the file.
func (f *File) Close() error {
	if f.closer != nil {
		return f.closer.Close()
	}
	return nil
}
