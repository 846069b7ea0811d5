package sniff

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gopacket/gopacket/layers"
)

// Classic pcap has variants that share its magic numbers: record headers
// of 20 bytes (Nokia), 24 (Alexey Kuznetsov's patches of 1999: ss990417,
// ss991029) or 28 (ss990915), AIX's nanosecond times and interface types,
// lengths in the other order before version 2.3. tshark (wiretap) tells
// them apart by reading the first records as each variant would, and so
// does pktop, with the same tests: a file damaged there reads as tshark
// reads it.

// lengthOrder says whether a record header has its captured and wire
// lengths the other way round (pcap before version 2.3).
type lengthOrder uint8

const (
	notSwapped lengthOrder = iota
	swapped
	maybeSwapped // version 2.3: swapped when the captured length is the larger
)

// pcapVariant is a record header layout.
type pcapVariant struct {
	name   string
	hdrLen int
}

var (
	variantPcap     = pcapVariant{"pcap", 16}
	variantSS990417 = pcapVariant{"ss990417", 24}
	variantSS991029 = pcapVariant{"ss991029", 24}
	variantSS990915 = pcapVariant{"ss990915", 28}
	variantNokia    = pcapVariant{"nokia", 20}
)

func (f *File) readHeader() error {
	h, err := f.br.Peek(24)
	if err != nil {
		var ge *gzipError
		if errors.As(err, &ge) {
			return f.damage(0, ge.msg+" (inside the pcap file header)")
		}
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
	major, minor := f.order.Uint16(h[4:]), f.order.Uint16(h[6:])
	if major < 2 {
		return &FormatError{f.name, fmt.Sprintf("unsupported pcap version %d.%d", major, minor)}
	}
	snap := f.order.Uint32(h[16:])
	lt := f.order.Uint32(h[20:])
	known := false // the variant is known from the header
	switch {
	case major == 2 && minor < 3, major == 543:
		f.swapLens = swapped
	case major == 2 && minor == 3:
		f.swapLens = maybeSwapped
	}
	if m == 0xa1b2c3d4 && major == 2 && minor == 2 {
		// AIX: interface types instead of link types, times in
		// nanoseconds, FDDI frames after 3 bytes of padding.
		aix := map[uint32]uint32{6: 1, 9: 6, 15: 10, 24: 0}
		if l, ok := aix[lt]; ok {
			lt, f.nano, f.aixFDDI, known = l, true, l == 10, true
		}
	}
	if lt&0x03ff0000 != 0 {
		return &FormatError{f.name, fmt.Sprintf("link-type field 0x%08x has reserved bits set", lt)}
	}
	f.linkType = layers.LinkType(lt & 0xffff)
	f.limit = maxRecord(f.linkType)
	f.br.Discard(24)
	v := variantPcap
	// Standard input is read as it comes: no looking ahead, as for tshark
	// reading a pipe.
	switch {
	case f.nano || known:
	case m == 0xa1b2c3d4 && f.name != "-":
		v = f.guessVariant(snap, variantPcap, variantSS990417, variantNokia)
	case m == 0xa1b2cd34:
		v = variantSS991029
		if f.name != "-" {
			v = f.guessVariant(snap, variantSS991029, variantSS990915)
		}
	}
	f.hdrLen = v.hdrLen
	f.odd = f.swapLens != notSwapped || f.aixFDDI || pseudoHeader(f.linkType) != 0
	return nil
}

// guessVariant reads the first records as each variant would and returns
// the first that finds nothing wrong with them, or else the one that
// finds least wrong (wiretap's libpcap_try_variants in tshark 4.0).
func (f *File) guessVariant(snap uint32, variants ...pcapVariant) pcapVariant {
	b, err := f.br.Peek(f.br.Size())
	whole := err != nil // b is the rest of the input, not a window of it
	best, bestMerit := variants[0], -1
	for _, v := range variants {
		merit := f.tryVariant(b, whole, v, snap)
		if merit == 0 {
			return v
		}
		if bestMerit < 0 || merit < bestMerit {
			best, bestMerit = v, merit
		}
	}
	return best
}

// tryVariant rates the first three records of b read as variant v, as
// wiretap's libpcap_try does in tshark 4.0: 0 when nothing is wrong with
// them, else the number of things wrong with the first record that has
// any (a time fraction of a second or more, a captured length above the
// link type's limit or the snap length or the wire length, a wire length
// above 128 MiB; a record cut short counts 1). whole says that b is the
// rest of the input, not a window of it.
func (f *File) tryVariant(b []byte, whole bool, v pcapVariant, snap uint32) int {
	o := f.order
	off := 0
	for range 3 {
		if off == len(b) || off+v.hdrLen > len(b) && !whole {
			return 0 // the end of the input, or of what can be seen of it
		}
		if off+v.hdrLen > len(b) {
			return 1 // a record header cut short
		}
		h := b[off:]
		incl, orig := o.Uint32(h[8:]), o.Uint32(h[12:])
		if f.swapLens == swapped || f.swapLens == maybeSwapped && incl > orig {
			incl, orig = orig, incl
		}
		wrong := 0
		for _, w := range []bool{o.Uint32(h[4:]) >= 1e6, incl > f.limit, orig > 128<<20, incl > snap, incl > orig} {
			if w {
				wrong++
			}
		}
		if wrong != 0 {
			return wrong
		}
		off += v.hdrLen + int(incl)
		if off > len(b) {
			if whole {
				return 1 // a record cut short
			}
			return 0
		}
	}
	return 0
}
