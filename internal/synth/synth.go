// Package synth writes synthetic Ethernet captures for benchmarks and
// memory tests, so that the repository need not hold large captures. The
// mix follows the one in the capture-stack notes: IPv4 TCP 40%, UDP 20%,
// ICMP 5%, 802.1Q-tagged 4%, fragments 1%; IPv6 TCP 15%, UDP 10%, ICMPv6
// 3%; ARP 2%. It writes bytes itself: importing a packet library is
// package sniff's business alone.
package synth

import (
	"bufio"
	"encoding/binary"
	"io"
	"math/rand/v2"
)

// Flows is the number of flows Write draws packets from: each flow keeps
// its addresses, ports and protocol, and a few flows carry most packets
// (a skewed popularity, as on real links).
const Flows = 20000

// Write writes a pcap of n packets from the given number of distinct
// source addresses. With sources >= n it writes a flood: every packet
// comes from a new source address.
func Write(out io.Writer, n, sources int) error {
	w := bufio.NewWriterSize(out, 1<<20)
	w.Write(Header())
	r := rand.New(rand.NewPCG(1, 2))
	frame := make([]byte, 0, 2048)
	rec := make([]byte, 16)
	ts := int64(1700000000) * 1e6
	for i := 0; i < n; i++ {
		flow := uint32(r.IntN(r.IntN(Flows) + 1))
		src := flow % uint32(sources)
		if sources >= n {
			src = uint32(i)
		}
		fr := rand.New(rand.NewPCG(uint64(flow), 7))
		frame = build(frame[:0], r, fr, src)
		ts += int64(r.IntN(20))
		binary.LittleEndian.PutUint32(rec[0:], uint32(ts/1e6))
		binary.LittleEndian.PutUint32(rec[4:], uint32(ts%1e6))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(frame)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(frame)))
		w.Write(rec)
		w.Write(frame)
	}
	return w.Flush()
}

// Header is the file header of a little-endian microsecond pcap of
// Ethernet frames.
func Header() []byte {
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 1)
	return hdr
}

var sizes = []int{0, 0, 0, 40, 100, 200, 500, 1000, 1400, 1400, 1400}

// build appends one frame of the flow whose random source is fr; r gives
// what changes from packet to packet (the payload size).
func build(b []byte, r, fr *rand.Rand, src uint32) []byte {
	b = append(b, 0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10)
	k := fr.IntN(100)
	pay := sizes[r.IntN(len(sizes))]
	switch {
	case k < 2: // ARP
		b = append(b, 0x08, 0x06)
		b = append(b, make([]byte, 28)...)
	case k < 30: // IPv6
		b = append(b, 0x86, 0xdd)
		proto, l4 := byte(6), 20
		if k >= 17 && k < 27 {
			proto, l4 = 17, 8
		} else if k >= 27 {
			proto, l4 = 58, 8
		}
		h := make([]byte, 40)
		h[0] = 0x60
		binary.BigEndian.PutUint16(h[4:], uint16(l4+pay))
		h[6], h[7] = proto, 64
		h[8] = 0x20
		h[9] = 0x01
		binary.BigEndian.PutUint32(h[20:], src)
		h[24], h[25] = 0x20, 0x01
		h[39] = byte(fr.IntN(50))
		b = append(b, h...)
		b = l4hdr(b, proto, fr)
		b = append(b, make([]byte, pay)...)
	default: // IPv4
		if k < 34 { // 802.1Q tag, VLAN 42
			b = append(b, 0x81, 0x00, 0, 42)
		}
		b = append(b, 0x08, 0x00)
		proto, l4 := byte(6), 20
		if k >= 70 && k < 90 {
			proto, l4 = 17, 8
		} else if k >= 90 && k < 95 {
			proto, l4 = 1, 8
		}
		frag := k >= 95 && k < 96
		h := make([]byte, 20)
		h[0] = 0x45
		binary.BigEndian.PutUint16(h[2:], uint16(20+l4+pay))
		if frag {
			binary.BigEndian.PutUint16(h[6:], 100)
		}
		h[8], h[9] = 64, proto
		binary.BigEndian.PutUint32(h[12:], 0x0a000000|src&0xffffff)
		binary.BigEndian.PutUint32(h[16:], 0xc0a80000|uint32(fr.IntN(50)))
		b = append(b, h...)
		b = l4hdr(b, proto, fr)
		b = append(b, make([]byte, pay)...)
	}
	return b
}

var ports = []uint16{443, 443, 443, 80, 53, 22, 123, 8080, 5353, 3306}

func l4hdr(b []byte, proto byte, r *rand.Rand) []byte {
	sp := uint16(32768 + r.IntN(20000))
	dp := ports[r.IntN(len(ports))]
	switch proto {
	case 6:
		h := make([]byte, 20)
		binary.BigEndian.PutUint16(h[0:], sp)
		binary.BigEndian.PutUint16(h[2:], dp)
		h[12] = 5 << 4
		h[13] = 0x10
		return append(b, h...)
	case 17:
		h := make([]byte, 8)
		binary.BigEndian.PutUint16(h[0:], sp)
		binary.BigEndian.PutUint16(h[2:], dp)
		binary.BigEndian.PutUint16(h[4:], 8)
		return append(b, h...)
	}
	return append(b, 8, 0, 0, 0, 0, 0, 0, 0)
}
