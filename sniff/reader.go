package sniff

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"unicode"

	"github.com/gopacket/gopacket/layers"
)

// Frame is one packet record read from a capture. Data is only valid
// until the next call to Next.
type Frame struct {
	// Data is the captured bytes, or the first maxKeep of them for the
	// rare records longer than that (USB, D-Bus, EBHSCR link types).
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
	at := ""
	if e.Gzip {
		at = " (of the decompressed data)"
	}
	unit := "packets"
	if e.Records == 1 {
		unit = "packet"
	}
	return fmt.Sprintf("%s: damaged at byte %d%s, after %d %s: %s", inert(e.Name), e.Offset, at, e.Records, unit, e.Msg)
}

// FormatError says that a file is not a capture pktop can read.
type FormatError struct {
	Name string
	Msg  string
}

func (e *FormatError) Error() string { return inert(e.Name) + ": " + e.Msg }

// inert returns a file name as it may reach a terminal: as it is when
// every character is printable, quoted with escapes otherwise.
func inert(name string) string {
	for _, r := range name {
		if !unicode.IsPrint(r) || r == unicode.ReplacementChar {
			return strconv.Quote(name)
		}
	}
	return name
}

// maxKeep is the most of one record pktop keeps in memory: tshark's
// limit for ordinary link types (WTAP_MAX_PACKET_SIZE_STANDARD), and so
// the largest record of any link type pktop decodes. Longer records,
// which only the USB, D-Bus and EBHSCR link types may have, are counted
// whole but only their first maxKeep bytes are decoded.
const maxKeep = 262144

// maxRecord is the largest record tshark (wiretap) accepts for a link
// type: 128 MiB for USB and D-Bus, 8 MiB for EBHSCR, 256 KiB otherwise.
// A longer record is damage, as it is for tshark.
func maxRecord(lt layers.LinkType) uint32 {
	switch lt {
	case 186, 189, 220, 249, 266: // USB: FreeBSD, Linux, Linux mmapped, USBPcap, Darwin
		return 128 << 20
	case 231: // D-Bus
		return 128 << 20
	case 279: // EBHSCR
		return 8 << 20
	}
	return maxKeep
}

// pseudoHeader is the length of the pseudo-header wiretap reads off the
// front of every record of some link types, which is not part of the
// frame tshark shows (nor of its length); 0 for other link types.
func pseudoHeader(lt layers.LinkType) int {
	switch lt {
	case 204: // PPP with direction
		return 1
	case 245: // NFC LLCP
		return 2
	case 123, 139, 201, 209, 254: // SunATM, MTP2, Bluetooth H4, I2C, Bluetooth monitor
		return 4
	case 196: // SITA
		return 5
	case 144, 177: // Linux IrDA, LAPD
		return 16
	}
	return 0
}

// pseudoHeaderDamage says what is wrong with a record that wiretap
// cannot take a pseudo-header from (tshark stops there).
func pseudoHeaderDamage(lt layers.LinkType, data []byte, caplen uint32) string {
	n := pseudoHeader(lt)
	if n == 0 {
		return ""
	}
	if caplen < uint32(n) {
		return fmt.Sprintf("a %d-byte packet of link type %d, shorter than its %d-byte pseudo-header", caplen, lt, n)
	}
	var want uint16 // the protocol of a Linux cooked header
	switch lt {
	case 144:
		want = 0x0017
	case 177:
		want = 0x0030
	}
	if want != 0 && binary.BigEndian.Uint16(data[14:16]) != want {
		return fmt.Sprintf("a packet of link type %d whose pseudo-header has protocol 0x%04x (not 0x%04x)", lt, binary.BigEndian.Uint16(data[14:16]), want)
	}
	return ""
}

// Capture times are kept between 1970 and 2116 (2^62 ns): a time outside
// (a crafted time resolution or offset can say anything) saturates, so
// that times, and the difference of any two, stay int64 nanoseconds that
// rates can use. tshark shows such times as they come, wrapped or
// negative.
const (
	timeMax = int64(1) << 62
	timeMin = 0
)

func clampTime(t int64) int64 { return max(timeMin, min(t, timeMax)) }

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
	keep    []byte // the kept part of a record longer than the buffer

	ng *ngReader // pcapng; nil for classic pcap

	// classic pcap
	order    binary.ByteOrder
	nano     bool
	hdrLen   int // 16, or 20, 24, 28 for variants (see pcap.go)
	swapLens lengthOrder
	aixFDDI  bool // 3 bytes of padding before each frame
	odd      bool // swapped lengths, AIX FDDI or a pseudo-header: look closer
	linkType layers.LinkType
	limit    uint32 // maxRecord of the link type

	// win is what the read buffer held after the last record read
	// through it (see Next), and wpos how much of win was read since:
	// records wholly in win are read from it, without a call to the
	// buffer.
	win  []byte
	wpos int
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
// bound by system calls (see the notes on reading speed), and that every
// record pktop keeps, with its headers, fits in it.
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
		return fmt.Errorf("%s: %v", inert(name), pe.Err)
	}
	return err
}

// NewReader reads a capture from r; name is used in errors.
func NewReader(name string, r io.Reader) (*File, error) {
	f := &File{name: name, count: &countingReader{r: r}}
	f.br = bufio.NewReaderSize(f.count, readBufferSize)
	magic, err := f.br.Peek(4)
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zs, zerr := newGzipStream(f.br, f.count)
		if zerr == io.EOF || zerr == io.ErrUnexpectedEOF {
			f.gz = true
			return nil, f.damage(0, fmt.Sprintf("gzip stream cut short at byte %d of the file (in its header)", f.pos()))
		}
		if zerr != nil {
			return nil, &FormatError{name, "gzip header is damaged: " + zerr.Error()}
		}
		f.gz = true
		f.count = &countingReader{r: zs}
		f.br = bufio.NewReaderSize(f.count, readBufferSize)
		magic, err = f.br.Peek(4)
	}
	if err != nil {
		var ge *gzipError
		if errors.As(err, &ge) {
			return nil, f.damage(0, ge.msg)
		}
		if err != io.EOF && err != io.ErrUnexpectedEOF {
			return nil, &FormatError{name, "cannot read: " + err.Error()}
		}
		if len(magic) == 0 {
			return nil, &FormatError{name, "empty file, not a capture"}
		}
		return nil, &FormatError{name, fmt.Sprintf("only %d bytes long, not a capture", len(magic))}
	}
	switch binary.BigEndian.Uint32(magic) {
	case 0x0a0d0d0a:
		f.ng = &ngReader{f: f}
		if err := f.ng.start(); err != nil {
			return nil, err
		}
		// The first section's byte order, for filters on BSD loopback
		// headers.
		f.order = f.ng.order
		return f, nil
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0xa1b2cd34, 0x34cdb2a1:
		return f, f.readHeader()
	}
	return nil, &FormatError{name, fmt.Sprintf("not a pcap or pcapng capture (it starts with bytes %x)", magic)}
}

// pos is the offset of the next unread byte.
func (f *File) pos() int64 { return f.count.n - int64(f.br.Buffered()) + int64(f.wpos) }

// sync hands what was read of the window back to the read buffer, before
// the buffer is read.
func (f *File) sync() {
	if f.wpos > 0 {
		f.br.Discard(f.wpos)
	}
	f.win, f.wpos = nil, 0
}

// pcapHeader reads a classic pcap record header.
func (f *File) pcapHeader(h []byte) (sec, frac int64, caplen, wire uint32) {
	if f.order == binary.LittleEndian {
		le := binary.LittleEndian
		return int64(le.Uint32(h[0:])), int64(le.Uint32(h[4:])), le.Uint32(h[8:]), le.Uint32(h[12:])
	}
	be := binary.BigEndian
	return int64(be.Uint32(h[0:])), int64(be.Uint32(h[4:])), be.Uint32(h[8:]), be.Uint32(h[12:])
}

// frame makes the Frame of a classic pcap record.
func (f *File) frame(data []byte, sec, frac int64, caplen, wire uint32) Frame {
	f.records++
	// 32-bit seconds and fractions keep the time within 1970-2116.
	ts := sec * 1e9
	if f.nano {
		ts += frac
	} else {
		ts += frac * 1e3
	}
	return Frame{Data: data, Time: ts, WireLen: int(wire), CapLen: int(caplen), LinkType: f.linkType}
}

func (f *File) damage(off int64, msg string) *DamageError {
	return &DamageError{Name: f.name, Offset: off, Records: f.records, Msg: msg, Gzip: f.gz}
}

// readError is the damage at off when reading fails with err inside
// what (a record, a block): the input ends, the gzip stream is damaged,
// or the input cannot be read.
func (f *File) readError(off int64, err error, what string) error {
	var ge *gzipError
	switch {
	case errors.As(err, &ge):
		return f.damage(off, ge.msg+", inside "+what)
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return f.damage(off, "file ends inside "+what)
	}
	return f.damage(off, "read error inside "+what+": "+err.Error())
}

// LinkType returns the link type of a classic pcap file, or of the first
// packet of a pcapng one (of its first interface when it has no packet).
func (f *File) LinkType() layers.LinkType {
	if f.ng != nil {
		return f.ng.firstLT
	}
	return f.linkType
}

// Next returns the next record. It returns io.EOF at the end of the
// capture, and a *DamageError when the capture is damaged or cut short.
func (f *File) Next() (Frame, error) {
	if f.ng != nil {
		return f.ng.next()
	}
	if !f.odd {
		// The common case: a plain record wholly in the window.
		if w := f.win[f.wpos:]; len(w) >= f.hdrLen {
			sec, frac, caplen, wire := f.pcapHeader(w)
			if n := f.hdrLen + int(caplen); caplen <= f.limit && n <= len(w) {
				f.wpos += n
				return f.frame(w[f.hdrLen:min(n, f.hdrLen+maxKeep)], sec, frac, caplen, wire), nil
			}
		}
		f.sync()
	}
	off := f.pos()
	h, err := f.br.Peek(f.hdrLen)
	if err != nil {
		if len(h) == 0 && err == io.EOF {
			return Frame{}, io.EOF
		}
		return Frame{}, f.readError(off, err, fmt.Sprintf("a record header (%d of %d bytes)", len(h), f.hdrLen))
	}
	sec, frac, caplen, wire := f.pcapHeader(h)
	if f.odd && (f.swapLens == swapped || f.swapLens == maybeSwapped && caplen > wire) {
		caplen, wire = wire, caplen
	}
	if caplen > f.limit {
		return Frame{}, f.damage(off, fmt.Sprintf("record header claims %d captured bytes (more than %d, the most tshark reads for link type %d)", caplen, f.limit, f.linkType))
	}
	var data []byte
	if n := f.hdrLen + int(caplen); n <= f.br.Size() {
		// The record is in the read buffer.
		b, err := f.br.Peek(n)
		if err != nil {
			return Frame{}, f.readError(off, err, fmt.Sprintf("packet %d", f.records+1))
		}
		f.br.Discard(n)
		data = b[f.hdrLen:min(n, f.hdrLen+maxKeep)]
		if !f.odd {
			// The records after it that the buffer holds are read
			// from the window.
			f.win, _ = f.br.Peek(f.br.Buffered())
		}
	} else if data, err = f.record(f.hdrLen, int(caplen)); err != nil {
		return Frame{}, f.readError(off, err, fmt.Sprintf("packet %d", f.records+1))
	}
	if f.odd {
		if f.aixFDDI && caplen >= 3 {
			data, caplen, wire = data[min(3, len(data)):], caplen-3, wire-min(3, wire)
		}
		if msg := pseudoHeaderDamage(f.linkType, data, caplen); msg != "" {
			return Frame{}, f.damage(off, msg)
		}
	}
	return f.frame(data, sec, frac, caplen, wire), nil
}

// record reads a record longer than the read buffer, of skip header
// bytes then n bytes of data: it keeps the first maxKeep bytes of the
// data and skips the rest.
func (f *File) record(skip, n int) ([]byte, error) {
	f.br.Discard(skip)
	k := min(n, maxKeep)
	if cap(f.keep) < k {
		f.keep = make([]byte, maxKeep)
	}
	data := f.keep[:k]
	if _, err := io.ReadFull(f.br, data); err != nil {
		return nil, err
	}
	if d, err := f.br.Discard(n - k); d < n-k {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return data, nil
}

// Buffered reports whether the next record is wholly in the read buffer,
// that is, whether the next Next returns without waiting for input.
func (f *File) Buffered() bool {
	if f.ng != nil {
		return f.ng.buffered()
	}
	// The window, while there is one, is what the buffer holds unread.
	h := f.win[f.wpos:]
	if f.win == nil {
		h, _ = f.br.Peek(f.br.Buffered())
	}
	if len(h) < f.hdrLen {
		return false
	}
	caplen := f.order.Uint32(h[8:])
	if f.swapLens != notSwapped {
		caplen = max(caplen, f.order.Uint32(h[12:]))
	}
	return uint64(len(h)) >= uint64(f.hdrLen)+uint64(caplen)
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
