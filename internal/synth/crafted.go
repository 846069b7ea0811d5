package synth

import (
	"encoding/binary"
	"fmt"
	"io"
)

// CraftedSet returns small captures, each odd or damaged in one way
// wiretap (tshark's reader) checks, with the packets tshark 4.0 reads
// before the damage. The reader's tests compare pktop with them and
// with tshark itself; they are committed in testdata (captures/ for the
// clean ones, malformed/ for the damaged) by the sniff test
// TestGenerateCraftedCaptures.
func CraftedSet() []Hostile {
	be := binary.BigEndian
	var set []Hostile
	bytesOf := func(name string, packets int, damaged bool, what string, b []byte) {
		set = append(set, Hostile{Name: name, What: what, Packets: packets, Damaged: damaged,
			Write: func(w io.Writer) error { _, err := w.Write(b); return err }})
	}
	// A section with one Ethernet interface and one packet, then a
	// block of type typ and body, then one more packet.
	around := func(typ uint32, body []byte) []byte {
		g := ngStart()
		g.Block(typ, body)
		return g.EPB(0, ts0, frame, nil).B
	}
	withOpt := func(code uint16, val []byte) []byte {
		g := ngStart()
		return g.EPB(0, ts0, frame, append(g.Opt(code, val), EndOpt...)).EPB(0, ts0, frame, nil).B
	}
	idbOpt := func(code uint16, val []byte) []byte {
		g := NewNG(le)
		return g.IDB(1, 0, append(g.Opt(code, val), EndOpt...)).EPB(0, ts0, frame, nil).EPB(0, ts0+1e6, frame, nil).B
	}

	// Time resolutions and offsets: every packet is read.
	for _, r := range []byte{0x7f, 0xff, 0x00, 0x80, 0x13, 0x14, 0x09, 0xbf, 0xc0, 0x86} {
		g := NewNG(le)
		g.IDB(1, 0, append(g.Opt(OptTSResol, []byte{r}), EndOpt...))
		g.EPB(0, ts0, frame, nil).EPB(0, ts0+1e6, frame, nil).EPB(0, 1<<63, frame, nil).EPB(0, ^uint64(0), frame, nil)
		bytesOf(fmt.Sprintf("crafted_ng_tsresol_%02x.pcapng", r), 4, false, fmt.Sprintf("if_tsresol 0x%02x", r), g.B)
	}
	bytesOf("crafted_ng_tsresol_len2.pcapng", 2, false, "if_tsresol of 2 bytes (the first counts)", idbOpt(OptTSResol, []byte{9, 9}))
	bytesOf("crafted_ng_tsoffset_max.pcapng", 2, false, "if_tsoffset 2^62 s", idbOpt(OptTSOffset, le.AppendUint64(nil, 1<<62)))
	bytesOf("crafted_ng_tsoffset_min.pcapng", 2, false, "if_tsoffset -2^63 s", idbOpt(OptTSOffset, le.AppendUint64(nil, 1<<63)))
	bytesOf("crafted_ng_tsoffset_len4.pcapng", 2, false, "if_tsoffset of 4 bytes (ignored)", idbOpt(OptTSOffset, []byte{1, 2, 3, 4}))

	// Sections, byte orders, block kinds tshark reads.
	mixed := append(append(ngStart().B, NewNG(be).IDB(1, 0, nil).EPB(0, ts0, frame, nil).EPB(0, ts0, frame, nil).B...), ngStart().B...)
	bytesOf("crafted_ng_byte_orders.pcapng", 4, false, "three sections: little, big and little endian", mixed)
	pb := le.AppendUint32(le.AppendUint32(nil, 0), uint32(ts0>>32))
	pb = le.AppendUint32(le.AppendUint32(pb, uint32(ts0&0xffffffff)), uint32(len(frame)))
	pb = append(le.AppendUint32(pb, uint32(len(frame))), frame...)
	bytesOf("crafted_ng_old_packet_block.pcapng", 3, false, "an obsolete packet block", around(BlockPB, pb))
	spb := ngStart().SPB(uint32(len(frame)), frame).EPB(0, ts0, frame, nil).B
	bytesOf("crafted_ng_simple_packet.pcapng", 3, false, "a simple packet block", spb)
	g := ngStart()
	body := g.EPBBody(0, ts0, uint32(len(frame)), uint32(len(frame)), frame, nil)
	g.BlockLens(BlockEPB, body, uint32(12+len(body)-2), uint32(12+len(body)-2))
	bytesOf("crafted_ng_length_not4.pcapng", 3, false, "a block length that is not a multiple of 4 (read rounded up)", g.EPB(0, ts0, frame, nil).B)
	g = NewNG(le).IDB(1, 0, nil)
	g.Block(BlockEPB, g.EPBBody(0, ts0, uint32(len(frame)), 10, frame, nil))
	bytesOf("crafted_ng_caplen_over_wire.pcapng", 1, false, "more bytes captured than on the wire", g.B)
	nrb := le.AppendUint16(le.AppendUint16(nil, 1), 6)
	nrb = append(nrb, 10, 0, 0, 1, 'a', 0, 0, 0)
	bytesOf("crafted_ng_nrb_no_end.pcapng", 2, false, "a name resolution block without its end record", around(BlockNRB, nrb))
	bytesOf("crafted_ng_journal.pcapng", 2, false, "a systemd journal export block", around(9, []byte("__REALTIME_TIMESTAMP=1700000000000000\nMESSAGE=hi\n")))
	bytesOf("crafted_ng_custom_block.pcapng", 2, false, "a custom block (not a packet)", around(BlockCB, le.AppendUint32(nil, 32473)))
	isb := le.AppendUint64(le.AppendUint32(nil, 7), 0)
	bytesOf("crafted_ng_isb_no_interface.pcapng", 2, false, "statistics of an interface that does not exist", around(BlockISB, isb))
	bytesOf("crafted_ng_empty_packet.pcapng", 2, false, "a packet of 0 bytes", ngStart().EPB(0, ts0, nil, nil).B)
	usb := make([]byte, 300000)
	copy(usb, frame)
	bytesOf("crafted_ng_usb_300000.pcapng", 3, false, "a 300000-byte USB packet (tshark reads up to 128 MiB)",
		NewNG(le).IDB(189, 0, nil).EPB(0, ts0, frame, nil).EPB(0, ts0, usb, nil).EPB(0, ts0, frame, nil).B)
	bytesOf("crafted_ng_epb_comment.pcapng", 3, false, "a packet with a comment", withOpt(OptComment, []byte("a comment")))
	bytesOf("crafted_ng_option_after_end.pcapng", 3, false, "bytes after the end-of-options option", withOpt(0, []byte{9, 9, 9, 9}))

	// Damage.
	g = ngStart()
	body = g.EPBBody(0, ts0, uint32(len(frame)), uint32(len(frame)), frame, nil)
	g.BlockLens(BlockEPB, body, uint32(12+len(body)), uint32(16+len(body)))
	bytesOf("crafted_ng_trailer_mismatch.pcapng", 1, true, "a block whose trailing length differs from its leading one", g.EPB(0, ts0, frame, nil).B)
	bytesOf("crafted_ng_no_interface.pcapng", 1, true, "a packet of interface 5 in a section of one",
		ngStart().EPB(5, ts0, frame, nil).EPB(0, ts0, frame, nil).B)
	g = ngStart()
	g.Block(BlockEPB, g.EPBBody(0, ts0, 200, 200, frame, nil))
	bytesOf("crafted_ng_caplen_over_block.pcapng", 1, true, "a packet claiming more bytes than its block holds", g.EPB(0, ts0, frame, nil).B)
	bytesOf("crafted_ng_spb_first.pcapng", 0, true, "a simple packet block before any interface",
		NewNG(le).SPB(uint32(len(frame)), frame).IDB(1, 0, nil).EPB(0, ts0, frame, nil).B)
	bytesOf("crafted_ng_spb_extra.pcapng", 1, true, "a simple packet block longer than its packet",
		NewNG(le).IDB(1, 20, nil).EPB(0, ts0, frame, nil).SPB(uint32(len(frame)), frame).EPB(0, ts0, frame, nil).B)
	bytesOf("crafted_ng_section_v1.1.pcapng", 1, true, "a second section of version 1.1",
		ngStart().SHB(1, 1, nil).IDB(1, 0, nil).EPB(0, ts0, frame, nil).B)
	bytesOf("crafted_ng_ethernet_300000.pcapng", 1, true, "a 300000-byte Ethernet packet (more than tshark reads)",
		ngStart().EPB(0, ts0, usb, nil).EPB(0, ts0, frame, nil).B)
	huge := ngStart()
	huge.B = append(le.AppendUint32(le.AppendUint32(huge.B, 0x99), 0xfffffff0), make([]byte, 64)...)
	bytesOf("crafted_ng_block_4g.pcapng", 1, true, "a block claiming 4 GiB", huge.B)
	b8 := append(le.AppendUint32(le.AppendUint32(ngStart().B, 0x99), 8), packetBlock()...)
	bytesOf("crafted_ng_block_8.pcapng", 1, true, "a block of 8 bytes", b8)
	opt := le.AppendUint16(le.AppendUint16(nil, OptComment), 400)
	bytesOf("crafted_ng_option_overrun.pcapng", 1, true, "an option longer than its block", ngStart().EPB(0, ts0, frame, append(opt, "abcd"...)).EPB(0, ts0, frame, nil).B)
	bytesOf("crafted_ng_flags_3.pcapng", 1, true, "an epb_flags option of 3 bytes", withOpt(2, []byte{1, 2, 3}))
	bytesOf("crafted_ng_dropcount_4.pcapng", 1, true, "an epb_dropcount option of 4 bytes", withOpt(4, []byte{1, 2, 3, 4}))
	bytesOf("crafted_ng_verdict_0.pcapng", 1, true, "an epb_verdict option of 0 bytes", withOpt(7, nil))
	bytesOf("crafted_ng_custom_option_2.pcapng", 1, true, "a custom option of 2 bytes", withOpt(2988, []byte{1, 2}))
	bytesOf("crafted_ng_if_filter_0.pcapng", 0, true, "an if_filter option of 0 bytes", idbOpt(11, nil))
	nrb = le.AppendUint16(le.AppendUint16(nil, 1), 8)
	nrb = append(nrb, 10, 0, 0, 1, 'a', 'b', 'c', 'd', 0, 0, 0, 0)
	bytesOf("crafted_ng_nrb_no_nul.pcapng", 1, true, "a host name without its NUL", around(BlockNRB, nrb))
	dsb := le.AppendUint32(le.AppendUint32(nil, 0x544c534b), 2<<30)
	bytesOf("crafted_ng_dsb_2g.pcapng", 1, true, "decryption secrets claiming 2 GiB", around(BlockDSB, dsb))
	for _, typ := range []uint32{BlockIDB, BlockPB, BlockSPB, BlockISB, BlockEPB, BlockDSB, 9} {
		bytesOf(fmt.Sprintf("crafted_ng_short_block_%d.pcapng", typ), 1, true, "a block too short for its type", around(typ, []byte{1, 2, 3, 4}))
	}
	cut := ngStart().B
	bytesOf("crafted_ng_cut_in_block.pcapng", 0, true, "the file ends inside the first packet block", cut[:len(cut)-10])
	bytesOf("crafted_ng_cut_in_header.pcapng", 1, true, "the file ends inside a block header", append(cut, 6, 0, 0, 0, 99))

	// Classic pcap.
	pc := func(snap, lt uint32, recs ...[]byte) []byte {
		b := PcapHeader(le, 0xa1b2c3d4, snap, lt)
		for _, r := range recs {
			b = append(b, r...)
		}
		return b
	}
	rec := PcapRecord(le, 1700000000, 0, uint32(len(frame)), uint32(len(frame)), frame)
	bytesOf("crafted_pcap_record_4g.pcap", 1, true, "a record claiming 4 GiB", pc(65535, 1, rec, PcapRecord(le, 1, 0, 0xffffffff, 0xffffffff, frame)))
	bytesOf("crafted_pcap_snap_4g_300000.pcap", 1, true, "a snap length of 2^32-1 does not allow a 300000-byte Ethernet record",
		pc(0xffffffff, 1, rec, PcapRecord(le, 1, 0, 300000, 300000, usb)))
	bytesOf("crafted_pcap_usb_300000.pcap", 2, false, "a 300000-byte USB record", pc(65535, 189, rec, PcapRecord(le, 1, 0, 300000, 300000, usb)))
	bytesOf("crafted_pcap_snap_0.pcap", 2, false, "a snap length of 0", pc(0, 1, rec, rec))

	// Classic pcap variants, told apart by their first records.
	five := pc(65535, 1, rec, rec, rec, rec, rec)
	at := 24 + len(rec) + 8
	inserted := append(append(append([]byte(nil), five[:at]...), 0xde, 0xad, 0xbe, 0xef), five[at:]...)
	bytesOf("crafted_pcap_variant_guess.pcap", 3, true, "4 bytes inserted in the second record's header: read as tshark guesses the variant", inserted)
	v22 := pc(65535, 1, PcapRecord(le, 1700000000, 0, 200, uint32(len(frame)), frame), PcapRecord(le, 1700000001, 0, 200, uint32(len(frame)), frame))
	le.PutUint16(v22[6:], 2)
	bytesOf("crafted_pcap_v2.2_lengths.pcap", 2, false, "version 2.2: wire and captured lengths the other way round", v22)
	v23 := pc(65535, 1, PcapRecord(le, 1700000000, 0, 200, uint32(len(frame)), frame), rec)
	le.PutUint16(v23[6:], 3)
	bytesOf("crafted_pcap_v2.3_lengths.pcap", 2, false, "version 2.3: lengths swapped where the captured one is larger", v23)
	aix := pc(65535, 6, PcapRecord(le, 1700000000, 999999999, 200, uint32(len(frame)), frame), rec)
	le.PutUint16(aix[6:], 2)
	bytesOf("crafted_pcap_aix.pcap", 2, false, "AIX: version 2.2, interface type 6 (Ethernet), nanosecond times", aix)
	ss := func(r []byte) []byte { // a record header of 28 bytes (ss990915)
		return append(append(append([]byte(nil), r[:16]...), 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0), r[16:]...)
	}
	mod := pc(65535, 1, ss(rec), ss(rec), ss(rec))
	le.PutUint32(mod[0:], 0xa1b2cd34)
	bytesOf("crafted_pcap_ss990915.pcap", 3, false, "the modified magic with 28-byte record headers (ss990915)", mod)
	nokia := func(r []byte) []byte {
		return append(append(append([]byte(nil), r[:16]...), 0x9f, 0xbf, 0xb6, 0x01), r[16:]...)
	}
	bytesOf("crafted_pcap_nokia.pcap", 3, false, "Nokia: 20-byte record headers", pc(65535, 1, nokia(rec), nokia(rec), nokia(rec)))

	// Link types tshark decodes, each carrying IPv4, IPv6 and ARP.
	lt := func(name string, lt uint32, what string, frames ...[]byte) {
		var recs [][]byte
		for i, f := range frames {
			recs = append(recs, PcapRecord(le, 1700000000+uint32(i), 0, uint32(len(f)), uint32(len(f)), f))
		}
		bytesOf("crafted_lt_"+name+".pcap", len(frames), false, what, pc(65535, lt, recs...))
	}
	ip4 := frame[14:]
	ip6 := udp6()
	arp := append([]byte{0, 1, 8, 0, 6, 4, 0, 3, 0, 1, 2, 3, 4, 5, 10, 0, 0, 1}, 0, 1, 2, 3, 4, 6, 10, 0, 0, 2)
	snap := func(et uint16, b []byte) []byte {
		return append(binary.BigEndian.AppendUint16([]byte{0xaa, 0xaa, 3, 0, 0, 0}, et), b...)
	}
	mac := []byte{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6}
	eth := func(et uint16, b []byte) []byte {
		return append(binary.BigEndian.AppendUint16(append([]byte(nil), mac...), et), b...)
	}
	lt("rarp", 1, "RARP (EtherType 0x8035), whole and cut short, beside ARP",
		eth(0x8035, arp), eth(0x8035, arp[:10]), eth(0x0806, arp))
	var fddi [][]byte
	for _, fc := range []byte{0x50, 0x57, 0x5f, 0x60, 0x41, 0xd0} {
		fddi = append(fddi, append(append([]byte{fc}, mac...), snap(0x0800, ip4)...))
	}
	lt("fddi", 10, "FDDI: LLC frames (frame control 0x50-0x5f) of IPv4, IPv6, ARP; other frame controls",
		append(fddi, append(append([]byte{0x50}, mac...), snap(0x86dd, ip6)...), append(append([]byte{0x51}, mac...), snap(0x0806, arp)...))...)
	tr := func(fc byte, route []byte, b []byte) []byte {
		h := append([]byte{0x10, fc}, mac...)
		if route != nil {
			h[8] |= 0x80
		}
		return append(append(h, route...), b...)
	}
	lt("token_ring", 6, "Token Ring: LLC frames with and without a source route, MAC frames",
		tr(0x40, nil, snap(0x0800, ip4)), tr(0x41, []byte{0x06, 0x30, 0, 0x10, 0, 0x20}, snap(0x86dd, ip6)),
		tr(0x7f, []byte{0x02, 0x30}, snap(0x0806, arp)), tr(0x00, nil, snap(0x0800, ip4)), tr(0x80, nil, snap(0x0800, ip4)))
	lt("ip_over_fc", 122, "IP over Fibre Channel", append(make([]byte, 16), snap(0x0800, ip4)...), append(make([]byte, 16), snap(0x86dd, ip6)...))
	lt("atm_rfc1483", 11, "ATM RFC 1483 (LLC/SNAP)", snap(0x0800, ip4), snap(0x0806, arp))
	lt("ap1394", 138, "Apple IP over IEEE 1394", append(make([]byte, 16), append([]byte{8, 0}, ip4...)...), append(make([]byte, 16), append([]byte{0x86, 0xdd}, ip6...)...))
	pflog := func(af byte, b []byte) []byte { h := make([]byte, 64); h[0], h[1] = 61, af; return append(h, b...) }
	lt("pflog", 117, "OpenBSD pflog of IPv4 and IPv6 (FreeBSD, Darwin numbers)", pflog(2, ip4), pflog(24, ip6), pflog(28, ip6), pflog(30, ip6))
	ipnet := func(af byte, b []byte) []byte {
		h := make([]byte, 24)
		h[0], h[1] = 1, af
		binary.BigEndian.PutUint32(h[4:], uint32(len(b)))
		return append(h, b...)
	}
	lt("ipnet", 226, "Solaris ipnet", ipnet(2, ip4), ipnet(26, ip6))
	lt("frame_relay", 107, "Frame Relay: NLPID IPv4, IPv6, SNAP; Cisco EtherType; Q.933",
		append([]byte{4, 1, 3, 0xcc}, ip4...), append([]byte{4, 1, 3, 0x8e}, ip6...),
		append([]byte{4, 1, 3, 0, 0x80, 0, 0, 0, 8, 0}, ip4...), append([]byte{4, 1, 8, 0}, ip4...),
		[]byte{4, 1, 3, 8, 0, 0x75, 0x95, 1, 1, 0})
	lt("ppp_with_dir", 204, "PPP with a direction byte (a pseudo-header tshark does not count)",
		append([]byte{0, 0xff, 3, 0, 0x21}, ip4...), append([]byte{1, 0, 0x57}, ip6...), []byte{1})
	ppp := PcapRecord(le, 1, 0, 5, 5, []byte{0, 0xff, 3, 0, 0x21})
	bytesOf("crafted_lt_ppp_with_dir_empty.pcap", 1, true, "a PPP-with-direction record too short for its pseudo-header",
		pc(65535, 204, ppp, PcapRecord(le, 1, 0, 0, 0, nil), ppp))
	bytesOf("crafted_lt_irda_bad_protocol.pcap", 1, true, "a Linux IrDA record whose pseudo-header has a wrong protocol",
		pc(65535, 144, PcapRecord(le, 1, 0, 20, 20, append(make([]byte, 14), 0, 0x17, 1, 2, 3, 4)), PcapRecord(le, 1, 0, 20, 20, make([]byte, 20))))
	return set
}

// udp6 returns an IPv6/UDP packet from 2001:db8::1 to 2001:db8::2 with 20
// bytes of payload.
func udp6() []byte {
	h := make([]byte, 40+8+20)
	h[0], h[6], h[7] = 0x60, 17, 64
	binary.BigEndian.PutUint16(h[4:], 28)
	copy(h[8:], []byte{0x20, 0x01, 0x0d, 0xb8})
	h[23] = 1
	copy(h[24:], []byte{0x20, 0x01, 0x0d, 0xb8})
	h[39] = 2
	binary.BigEndian.PutUint16(h[40:], 40000)
	binary.BigEndian.PutUint16(h[42:], 9)
	binary.BigEndian.PutUint16(h[44:], 28)
	return h
}
