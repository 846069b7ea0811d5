package synth

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"strings"
)

// Hostile is a crafted capture of one class of hostile input: a file
// anyone could hand pktop on a jump host. bench/hostile writes them all
// and measures pktop and tshark on them; the reader's tests read them at
// a smaller scale.
type Hostile struct {
	// Name is the file name. With a .gz suffix the file is the gzip
	// of what Write writes, unless Raw is set.
	Name string
	// What says what the file claims or does.
	What string
	// Raw says that Write writes the file's bytes as they are (the
	// gzip stream itself is damaged).
	Raw bool
	// Packets is what a reader must count (before the damage, if any).
	Packets int
	// Damaged says that a reader must stop at damage after Packets.
	Damaged bool
	// Write writes the capture.
	Write func(w io.Writer) error
}

// Gzipped reports whether the generator compresses what Write writes.
func (h *Hostile) Gzipped() bool { return !h.Raw && strings.HasSuffix(h.Name, ".gz") }

// WriteFile writes the capture as its Name says, compressing when it must.
func (h *Hostile) WriteFile(w io.Writer) error {
	if !h.Gzipped() {
		bw := bufio.NewWriterSize(w, 1<<20)
		if err := h.Write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	zw, _ := gzip.NewWriterLevel(w, gzip.BestCompression)
	bw := bufio.NewWriterSize(zw, 1<<20)
	if err := h.Write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

var le = binary.LittleEndian

// fill writes n bytes of value b.
func fill(w io.Writer, b byte, n int64) error {
	chunk := bytes.Repeat([]byte{b}, 64<<10)
	for n > 0 {
		k := min(n, int64(len(chunk)))
		if _, err := w.Write(chunk[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// repeat writes b n times.
func repeat(w io.Writer, b []byte, n int) error {
	for range n {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// frame is an ordinary 62-byte UDP frame.
var frame = UDP4(0x0a000001, 0x0a000002, 40000, 53, 20)

const ts0 = uint64(1700000000) * 1e6 // microseconds

// ngStart returns a section with one Ethernet interface and one packet.
func ngStart() *NG { return NewNG(le).IDB(1, 0, nil).EPB(0, ts0, frame, nil) }

// bigBlock writes a block of type typ whose body is head, then n bytes of
// value b, then tail, with right lengths.
func bigBlock(w io.Writer, typ uint32, head []byte, n int64, b byte, tail []byte) error {
	size := 12 + int64(len(head)) + n + int64(len(tail))
	h := le.AppendUint32(nil, typ)
	h = le.AppendUint32(h, uint32(size))
	if _, err := w.Write(append(h, head...)); err != nil {
		return err
	}
	if err := fill(w, b, n); err != nil {
		return err
	}
	_, err := w.Write(append(tail, le.AppendUint32(nil, uint32(size))...))
	return err
}

// HostileSet returns the crafted captures, their sizes divided by div (1:
// full size, files that expand to a GiB; the tests use 64 or more).
func HostileSet(div int) []Hostile {
	sz := func(n int64) int64 { return max(n/int64(div), 1) }
	cnt := func(n int) int { return max(n/div, 1) }
	var set []Hostile
	add := func(h Hostile) { set = append(set, h) }
	one := packetBlock()

	// pcapng lengths that claim more than is there.
	add(Hostile{Name: "ng-epb-claims-1g.pcapng", What: "an enhanced packet block claiming 1 GiB, then 64 KiB and the end",
		Packets: 1, Damaged: true, Write: func(w io.Writer) error {
			g := ngStart()
			body := g.EPBBody(0, ts0, 1<<30, 1<<30, nil, nil)
			g.B = le.AppendUint32(g.B, BlockEPB)
			g.B = le.AppendUint32(g.B, 1<<30+32)
			g.B = append(g.B, body...)
			if _, err := w.Write(g.B); err != nil {
				return err
			}
			return fill(w, 0, 64<<10)
		}})
	add(Hostile{Name: "ng-epb-1g.pcapng.gz", What: "an enhanced packet block of 1 GiB of zeros (Ethernet)",
		Packets: 1, Damaged: true, Write: func(w io.Writer) error {
			g := ngStart()
			n := sz(1 << 30)
			head := g.EPBBody(0, ts0, uint32(n), uint32(n), nil, nil)
			if _, err := w.Write(g.B); err != nil {
				return err
			}
			return bigBlock(w, BlockEPB, head, n, 0, nil)
		}})
	add(Hostile{Name: "ng-usb-128m.pcapng.gz", What: "a 128 MiB USB packet (the most tshark reads), between two small ones",
		Packets: 3, Write: func(w io.Writer) error {
			g := NewNG(le).IDB(189, 0, nil).EPB(0, ts0, frame, nil)
			n := sz(128 << 20)
			if _, err := w.Write(g.B); err != nil {
				return err
			}
			if err := bigBlock(w, BlockEPB, g.EPBBody(0, ts0, uint32(n), uint32(n), nil, nil), n, 0, nil); err != nil {
				return err
			}
			_, err := w.Write(one)
			return err
		}})
	add(Hostile{Name: "pcap-usb-128m.pcap.gz", What: "a 128 MiB USB record in a classic pcap",
		Packets: 2, Write: func(w io.Writer) error {
			n := sz(128 << 20)
			b := PcapHeader(le, 0xa1b2c3d4, 0, 189)
			b = append(b, PcapRecord(le, 1, 0, uint32(n), uint32(n), nil)...)
			if _, err := w.Write(b); err != nil {
				return err
			}
			if err := fill(w, 0, n); err != nil {
				return err
			}
			_, err := w.Write(PcapRecord(le, 2, 0, uint32(len(frame)), uint32(len(frame)), frame))
			return err
		}})

	// Many interfaces.
	idbs := func(n int, idb func(g *NG, i int)) func(w io.Writer) error {
		return func(w io.Writer) error {
			g := NewNG(le)
			for i := range n {
				idb(g, i)
				if len(g.B) > 1<<20 {
					if _, err := w.Write(g.B); err != nil {
						return err
					}
					g.B = g.B[:0]
				}
			}
			g.EPB(0, ts0, frame, nil).EPB(uint32(n-1), ts0, frame, nil)
			_, err := w.Write(g.B)
			return err
		}
	}
	add(Hostile{Name: "ng-idb-4m.pcapng.gz", What: "4M interface description blocks (80 MB), then a packet on the first and the last",
		Packets: 2, Write: idbs(cnt(4<<20), func(g *NG, i int) { g.IDB(1, 0, nil) })})
	add(Hostile{Name: "ng-idb-3m-alternating.pcapng.gz", What: "3M interfaces alternating between two link types",
		Packets: 2, Write: idbs(cnt(3<<20), func(g *NG, i int) { g.IDB(uint16(1+100*(i&1)), 0, nil) })})
	add(Hostile{Name: "ng-idb-200k-distinct.pcapng.gz", What: "200k interfaces, each with its own if_tsoffset",
		Packets: 2, Write: idbs(cnt(200000), func(g *NG, i int) {
			g.IDB(1, 0, append(g.Opt(OptTSOffset, le.AppendUint64(nil, uint64(i))), EndOpt...))
		})})

	// Options and blocks pktop does not need, huge.
	add(Hostile{Name: "ng-comments-128m.pcapng.gz", What: "a packet with 2040 comments of 64 KiB (a 128 MiB block)",
		Packets: 2, Write: func(w io.Writer) error {
			g := ngStart()
			k := cnt(2040)
			opt := g.Opt(OptComment, bytes.Repeat([]byte("x"), 65532))
			head := g.EPBBody(0, ts0, uint32(len(frame)), uint32(len(frame)), frame, nil)
			if _, err := w.Write(g.B); err != nil {
				return err
			}
			size := 12 + len(head) + k*len(opt) + 4
			h := append(le.AppendUint32(le.AppendUint32(nil, BlockEPB), uint32(size)), head...)
			if _, err := w.Write(h); err != nil {
				return err
			}
			if err := repeat(w, opt, k); err != nil {
				return err
			}
			_, err := w.Write(le.AppendUint32(EndOpt[:4:4], uint32(size)))
			return err
		}})
	add(Hostile{Name: "ng-options-32m.pcapng.gz", What: "a packet with 32M empty options (a 128 MiB block)",
		Packets: 2, Write: func(w io.Writer) error {
			g := ngStart()
			head := g.EPBBody(0, ts0, uint32(len(frame)), uint32(len(frame)), frame, nil)
			if _, err := w.Write(g.B); err != nil {
				return err
			}
			// Empty comments: code 1, length 0.
			return bigOptions(w, BlockEPB, head, sz(128<<20), []byte{1, 0, 0, 0})
		}})
	add(Hostile{Name: "ng-option-overrun.pcapng", What: "an option claiming 65535 bytes at the end of its block",
		Packets: 1, Damaged: true, Write: func(w io.Writer) error {
			g := ngStart()
			opt := le.AppendUint16(le.AppendUint16(nil, OptComment), 65535)
			g.EPB(0, ts0, frame, append(opt, "abcd"...))
			_, err := w.Write(g.B)
			return err
		}})
	add(Hostile{Name: "ng-nrb-128m.pcapng.gz", What: "a 128 MiB name resolution block of 5M names",
		Packets: 2, Write: func(w io.Writer) error {
			rec := le.AppendUint16(le.AppendUint16(nil, 1), 20)
			rec = append(rec, 10, 0, 0, 1)
			rec = append(rec, "host-name-01234\x00"...)
			return between(w, func(w io.Writer) error {
				n := sz(128<<20) / int64(len(rec))
				size := 12 + n*int64(len(rec)) + 4
				if _, err := w.Write(le.AppendUint32(le.AppendUint32(nil, BlockNRB), uint32(size))); err != nil {
					return err
				}
				if err := repeat(w, rec, int(n)); err != nil {
					return err
				}
				_, err := w.Write(le.AppendUint32([]byte{0, 0, 0, 0}, uint32(size)))
				return err
			})
		}})
	for _, b := range []struct {
		name, what string
		typ        uint32
		head       []byte
	}{
		{"ng-custom-128m.pcapng.gz", "a 128 MiB custom block", BlockCB, le.AppendUint32(nil, 32473)},
		{"ng-dsb-128m.pcapng.gz", "a 128 MiB decryption secrets block", BlockDSB, le.AppendUint32(le.AppendUint32(nil, 0x544c534b), uint32(sz(128<<20)))},
		{"ng-unknown-128m.pcapng.gz", "a 128 MiB block of an unknown type", 0x1234, nil},
	} {
		add(Hostile{Name: b.name, What: b.what, Packets: 2, Write: func(w io.Writer) error {
			return between(w, func(w io.Writer) error { return bigBlock(w, b.typ, b.head, sz(128<<20), 'k', nil) })
		}})
	}
	add(Hostile{Name: "ng-isb-1m.pcapng.gz", What: "1M interface statistics blocks with options",
		Packets: 2, Write: func(w io.Writer) error {
			return between(w, func(w io.Writer) error {
				g := NewNG(le)
				body := le.AppendUint64(le.AppendUint32(nil, 0), ts0)
				body = append(body, g.Opt(4, le.AppendUint64(nil, 7))...)
				body = append(body, g.Opt(OptComment, []byte("statistics"))...)
				isb := g.Block(BlockISB, append(body, EndOpt...)).B[28:]
				return repeat(w, isb, cnt(1<<20))
			})
		}})
	add(Hostile{Name: "ng-sections-1m.pcapng.gz", What: "1M sections of alternating byte order, each with an interface and a packet",
		Packets: cnt(1 << 20), Write: func(w io.Writer) error {
			l := NewNG(le).IDB(1, 0, nil).EPB(0, ts0, frame, nil).B
			b := NewNG(binary.BigEndian).IDB(1, 0, nil).EPB(0, ts0, frame, nil).B
			for i := range cnt(1 << 20) {
				s := l
				if i&1 == 1 {
					s = b
				}
				if _, err := w.Write(s); err != nil {
					return err
				}
			}
			return nil
		}})
	add(Hostile{Name: "ng-tsresol.pcapng", What: "interfaces with if_tsresol 10^-127, 2^-127, 10^0, 2^0, 10^-19, 10^-20, 2^-63, 2^-64",
		Packets: 16, Write: func(w io.Writer) error {
			g := NewNG(le)
			res := []byte{0x7f, 0xff, 0x00, 0x80, 0x13, 0x14, 0xbf, 0xc0}
			for _, r := range res {
				g.IDB(1, 0, append(g.Opt(OptTSResol, []byte{r}), EndOpt...))
			}
			for i := range res {
				g.EPB(uint32(i), ts0, frame, nil).EPB(uint32(i), ^uint64(0), frame, nil)
			}
			_, err := w.Write(g.B)
			return err
		}})

	// gzip.
	add(Hostile{Name: "gz-bomb-packets.pcap.gz", What: "1 MB of gzip expanding to 1 GiB of valid 1514-byte packets",
		Packets: int(sz(1<<30) / 1530), Write: func(w io.Writer) error {
			big := UDP4(0x0a000001, 0x0a000002, 40000, 9, 1472)
			rec := PcapRecord(le, 1700000000, 0, uint32(len(big)), uint32(len(big)), big)
			if _, err := w.Write(PcapHeader(le, 0xa1b2c3d4, 65535, 1)); err != nil {
				return err
			}
			return repeat(w, rec, int(sz(1<<30)/int64(len(rec))))
		}})
	add(Hostile{Name: "gz-bomb-zeros.pcap.gz", What: "a pcap header then 256 MiB of zeros: 16M empty records",
		Packets: int(sz(256<<20) / 16), Write: func(w io.Writer) error {
			if _, err := w.Write(PcapHeader(le, 0xa1b2c3d4, 65535, 1)); err != nil {
				return err
			}
			return fill(w, 0, sz(256<<20)/16*16)
		}})
	add(Hostile{Name: "gz-bomb-garbage.pcapng.gz", What: "a section header then 1 GiB of 0xff",
		Damaged: true, Write: func(w io.Writer) error {
			if _, err := w.Write(NewNG(le).B); err != nil {
				return err
			}
			return fill(w, 0xff, sz(1<<30))
		}})
	pkts := func(n int) []byte {
		b := PcapHeader(le, 0xa1b2c3d4, 65535, 1)
		for i := range n {
			b = append(b, PcapRecord(le, 1700000000+uint32(i), 0, uint32(len(frame)), uint32(len(frame)), frame)...)
		}
		return b
	}
	add(Hostile{Name: "gz-cut.pcap.gz", What: "a gzip stream cut short inside packet 501", Raw: true,
		Packets: 500, Damaged: true, Write: func(w io.Writer) error {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(pkts(500))
			zw.Flush()
			zw.Write(PcapRecord(le, 1, 0, uint32(len(frame)), uint32(len(frame)), frame[:20]))
			zw.Flush()
			_, err := w.Write(buf.Bytes()) // no end of stream
			return err
		}})
	add(Hostile{Name: "gz-trailing.pcap.gz", What: "500 packets, then bytes that are not gzip", Raw: true,
		Packets: 500, Damaged: true, Write: func(w io.Writer) error {
			zw := gzip.NewWriter(w)
			zw.Write(pkts(500))
			if err := zw.Close(); err != nil {
				return err
			}
			_, err := w.Write([]byte("trailing garbage, not gzip"))
			return err
		}})
	add(Hostile{Name: "gz-multi.pcap.gz", What: "three gzip members (as cat a.gz b.gz makes)", Raw: true,
		Packets: 500, Write: func(w io.Writer) error {
			b := pkts(500)
			for _, part := range [][]byte{b[:10000], b[10000:20000], b[20000:]} {
				zw := gzip.NewWriter(w)
				zw.Write(part)
				if err := zw.Close(); err != nil {
					return err
				}
			}
			return nil
		}})
	add(Hostile{Name: "gz-pcapng.pcapng.gz", What: "a gzip of a pcapng with sections of both byte orders",
		Packets: 4, Write: func(w io.Writer) error {
			b := append(ngStart().EPB(0, ts0, frame, nil).B, NewNG(binary.BigEndian).IDB(1, 0, nil).EPB(0, ts0, frame, nil).EPB(0, ts0, frame, nil).B...)
			_, err := w.Write(b)
			return err
		}})

	// Frames that nest headers as deep as 256 KiB allow.
	add(Hostile{Name: "deep-nesting.pcap.gz", What: "256 KiB frames of nested VLAN, MPLS, GRE, IPv6 extension headers and IP-in-IP",
		Packets: 5 * cnt(200), Write: func(w io.Writer) error {
			if _, err := w.Write(PcapHeader(le, 0xa1b2c3d4, 262144, 1)); err != nil {
				return err
			}
			for _, f := range deepFrames() {
				rec := PcapRecord(le, 1700000000, 0, uint32(len(f)), uint32(len(f)), f)
				if err := repeat(w, rec, cnt(200)); err != nil {
					return err
				}
			}
			return nil
		}})

	// Classic pcap.
	add(Hostile{Name: "pcap-record-4g.pcap", What: "a record claiming 4 GiB",
		Packets: 1, Damaged: true, Write: func(w io.Writer) error {
			b := pkts(1)
			b = append(b, PcapRecord(le, 1, 0, 0xffffffff, 0xffffffff, frame)...)
			_, err := w.Write(b)
			return err
		}})
	for _, s := range []struct {
		name string
		snap uint32
	}{{"pcap-snaplen-0.pcap", 0}, {"pcap-snaplen-4g.pcap", 0xffffffff}} {
		add(Hostile{Name: s.name, What: "a snap length of " + map[uint32]string{0: "0", 0xffffffff: "2^32-1"}[s.snap],
			Packets: 10, Write: func(w io.Writer) error {
				b := pkts(10)
				le.PutUint32(b[16:], s.snap)
				_, err := w.Write(b)
				return err
			}})
	}
	add(Hostile{Name: "pcap-tiny-10m.pcap", What: "10M empty records (160 MB)",
		Packets: cnt(10 << 20), Write: func(w io.Writer) error {
			if _, err := w.Write(PcapHeader(le, 0xa1b2c3d4, 65535, 1)); err != nil {
				return err
			}
			return repeat(w, PcapRecord(le, 1700000000, 0, 0, 0, nil), cnt(10<<20))
		}})
	add(Hostile{Name: "ng-tiny-5m.pcapng", What: "5M empty enhanced packet blocks (160 MB)",
		Packets: cnt(5 << 20), Write: func(w io.Writer) error {
			g := NewNG(le).IDB(1, 0, nil)
			if _, err := w.Write(g.B); err != nil {
				return err
			}
			return repeat(w, NewNG(le).EPB(0, ts0, nil, nil).B[28:], cnt(5<<20))
		}})
	return set
}

// between writes a section with a packet, what w writes, and one more
// packet.
func between(w io.Writer, mid func(w io.Writer) error) error {
	if _, err := w.Write(ngStart().B); err != nil {
		return err
	}
	if err := mid(w); err != nil {
		return err
	}
	_, err := w.Write(packetBlock())
	return err
}

// packetBlock returns an enhanced packet block of frame on interface 0.
func packetBlock() []byte { return NewNG(le).EPB(0, ts0, frame, nil).B[28:] }

// bigOptions writes a block of type typ: head, then the option opt
// repeated over n bytes, then the end of options.
func bigOptions(w io.Writer, typ uint32, head []byte, n int64, opt []byte) error {
	k := n / int64(len(opt))
	size := 12 + int64(len(head)) + k*int64(len(opt)) + 4
	h := append(le.AppendUint32(le.AppendUint32(nil, typ), uint32(size)), head...)
	if _, err := w.Write(h); err != nil {
		return err
	}
	if err := repeat(w, bytes.Repeat(opt, 4096), int(k/4096)); err != nil {
		return err
	}
	if err := repeat(w, opt, int(k%4096)); err != nil {
		return err
	}
	_, err := w.Write(le.AppendUint32([]byte{0, 0, 0, 0}, uint32(size)))
	return err
}

// deepFrames returns Ethernet frames of up to 256 KiB that stack one kind
// of header as deep as they can: 802.1Q tags, MPLS labels, GRE over IPv4,
// IPv6 hop-by-hop options, IPv4 in IPv4.
func deepFrames() [][]byte {
	const room = 262144 - 64
	eth := func(et uint16) []byte {
		return binary.BigEndian.AppendUint16([]byte{0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10}, et)
	}
	ip4 := func(proto byte, payload int) []byte {
		h := make([]byte, 20)
		h[0] = 0x45
		binary.BigEndian.PutUint16(h[2:], uint16(min(20+payload, 65535)))
		h[8], h[9] = 64, proto
		copy(h[12:], []byte{10, 0, 0, 1, 10, 0, 0, 2})
		return h
	}
	var out [][]byte
	f := eth(0x8100)
	for len(f) < room {
		f = append(f, 0, 1, 0x81, 0x00) // VLAN 1, then another tag
	}
	out = append(out, f)
	f = eth(0x8847)
	for len(f) < room {
		f = append(f, 0, 0x01, 0x00, 64) // label 16, not the bottom
	}
	out = append(out, f)
	f = eth(0x0800)
	for len(f) < room {
		f = append(f, ip4(47, room-len(f))...)
		f = append(f, 0, 0, 0x08, 0x00) // GRE carrying IPv4
	}
	out = append(out, f)
	f = eth(0x86dd)
	v6 := make([]byte, 40)
	v6[0], v6[6], v6[7] = 0x60, 0, 64 // next header: hop-by-hop
	binary.BigEndian.PutUint16(v6[4:], 65535)
	f = append(f, v6...)
	for len(f) < room {
		f = append(f, 0, 0, 0, 0, 0, 0, 0, 0) // hop-by-hop, then another
	}
	out = append(out, f)
	f = eth(0x0800)
	for len(f) < room {
		f = append(f, ip4(4, room-len(f))...)
	}
	out = append(out, f)
	return out
}
