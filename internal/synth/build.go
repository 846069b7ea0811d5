package synth

import (
	"encoding/binary"
)

// This file builds captures byte by byte, honest or lying: the tests and
// bench/hostile use it to make the crafted captures a reader must
// survive (lengths that do not match, blocks that claim gigabytes, odd
// time resolutions).

// PcapHeader returns a classic pcap file header: magic 0xa1b2c3d4
// (microseconds) or 0xa1b23c4d (nanoseconds), version 2.4.
func PcapHeader(order binary.ByteOrder, magic, snap, linkType uint32) []byte {
	h := make([]byte, 24)
	order.PutUint32(h[0:], magic)
	order.PutUint16(h[4:], 2)
	order.PutUint16(h[6:], 4)
	order.PutUint32(h[16:], snap)
	order.PutUint32(h[20:], linkType)
	return h
}

// PcapRecord returns a classic pcap record header claiming caplen and
// wire bytes, followed by data (which may be shorter or longer than
// caplen, to lie).
func PcapRecord(order binary.ByteOrder, sec, frac, caplen, wire uint32, data []byte) []byte {
	r := make([]byte, 16, 16+len(data))
	order.PutUint32(r[0:], sec)
	order.PutUint32(r[4:], frac)
	order.PutUint32(r[8:], caplen)
	order.PutUint32(r[12:], wire)
	return append(r, data...)
}

// pcapng block types.
const (
	BlockSHB = 0x0a0d0d0a
	BlockIDB = 1
	BlockPB  = 2 // the obsolete packet block
	BlockSPB = 3
	BlockNRB = 4
	BlockISB = 5
	BlockEPB = 6
	BlockDSB = 10
	BlockCB  = 0x00000bad
)

// Order is a byte order that can also append: binary.LittleEndian or
// binary.BigEndian.
type Order interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// NG appends pcapng blocks in one byte order.
type NG struct {
	Order Order
	B     []byte
}

// NewNG starts a pcapng file with a section header (version 1.0).
func NewNG(order Order) *NG {
	g := &NG{Order: order}
	return g.SHB(1, 0, nil)
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// Block appends a block of the given type; body is padded to 4 bytes and
// both length fields are right.
func (g *NG) Block(typ uint32, body []byte) *NG {
	body = pad4(body)
	n := uint32(12 + len(body))
	return g.BlockLens(typ, body, n, n)
}

// BlockLens appends a block with the given leading and trailing lengths,
// whatever the body's size.
func (g *NG) BlockLens(typ uint32, body []byte, lead, trail uint32) *NG {
	g.B = g.Order.AppendUint32(g.B, typ)
	g.B = g.Order.AppendUint32(g.B, lead)
	g.B = append(g.B, body...)
	g.B = g.Order.AppendUint32(g.B, trail)
	return g
}

// SHB appends a section header block, which sets the byte order of the
// blocks after it.
func (g *NG) SHB(major, minor uint16, opts []byte) *NG {
	body := g.Order.AppendUint32(nil, 0x1a2b3c4d)
	body = g.Order.AppendUint16(body, major)
	body = g.Order.AppendUint16(body, minor)
	body = g.Order.AppendUint64(body, ^uint64(0))
	return g.Block(BlockSHB, append(body, opts...))
}

// IDB appends an interface description block.
func (g *NG) IDB(linkType uint16, snap uint32, opts []byte) *NG {
	body := g.Order.AppendUint16(nil, linkType)
	body = append(body, 0, 0)
	body = g.Order.AppendUint32(body, snap)
	return g.Block(BlockIDB, append(body, opts...))
}

// EPBBody returns the body of an enhanced packet block that claims caplen
// captured bytes, followed by data (padded) and opts.
func (g *NG) EPBBody(ifc uint32, ts uint64, caplen, wire uint32, data, opts []byte) []byte {
	body := g.Order.AppendUint32(nil, ifc)
	body = g.Order.AppendUint32(body, uint32(ts>>32))
	body = g.Order.AppendUint32(body, uint32(ts))
	body = g.Order.AppendUint32(body, caplen)
	body = g.Order.AppendUint32(body, wire)
	body = pad4(append(body, data...))
	return append(body, opts...)
}

// EPB appends an enhanced packet block holding data, captured whole.
func (g *NG) EPB(ifc uint32, ts uint64, data []byte, opts []byte) *NG {
	return g.Block(BlockEPB, g.EPBBody(ifc, ts, uint32(len(data)), uint32(len(data)), data, opts))
}

// SPB appends a simple packet block.
func (g *NG) SPB(wire uint32, data []byte) *NG {
	return g.Block(BlockSPB, append(g.Order.AppendUint32(nil, wire), data...))
}

// Opt returns one option (code, length, value padded to 4 bytes).
func (g *NG) Opt(code uint16, val []byte) []byte {
	b := g.Order.AppendUint16(nil, code)
	b = g.Order.AppendUint16(b, uint16(len(val)))
	return pad4(append(b, val...))
}

// EndOpt is the end-of-options option.
var EndOpt = []byte{0, 0, 0, 0}

// pcapng option codes.
const (
	OptComment  = 1
	OptTSResol  = 9
	OptTSOffset = 14
)

// UDP4 returns an Ethernet/IPv4/UDP frame from src to dst with n bytes of
// payload; addresses are IPv4 addresses in host order (10.0.0.1 is
// 0x0a000001).
func UDP4(src, dst uint32, sport, dport uint16, n int) []byte {
	b := []byte{0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10, 0x08, 0x00}
	ip := make([]byte, 20)
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+n))
	ip[8], ip[9] = 64, 17
	binary.BigEndian.PutUint32(ip[12:], src)
	binary.BigEndian.PutUint32(ip[16:], dst)
	binary.BigEndian.PutUint16(ip[10:], checksum(ip))
	b = append(b, ip...)
	udp := make([]byte, 8+n)
	binary.BigEndian.PutUint16(udp[0:], sport)
	binary.BigEndian.PutUint16(udp[2:], dport)
	binary.BigEndian.PutUint16(udp[4:], uint16(8+n))
	return append(b, udp...)
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
