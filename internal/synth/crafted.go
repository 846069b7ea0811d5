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
	return set
}
