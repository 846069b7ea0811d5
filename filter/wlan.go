package filter

// prologue80211 puts in front of the program the code libpcap runs first
// for the 802.11 family (insert_compute_vloffsets): the length of the
// radiotap or PPI header, then the offset of the 802.11 payload (24 bytes
// of header, 2 more for QoS data frames, rounded up to 4 when radiotap
// says the header is padded). For PPI the whole program first requires
// the PPI header to say 802.11.
func (g *gen) prologue80211(gr *graph, main *block) *block {
	entry := main
	if g.usedPl || g.usedLh {
		lh := uint32(g.lhReg)
		pl := uint32(g.plReg)
		next := main
		if g.usedPl {
			if g.orig == LinkRadiotap {
				// The flags field: present (bit 1), no extended
				// bitmap (bit 31), after the TSFT (bit 0) if there
				// is one; its DATAPAD bit pads the header to 4.
				pad := gr.impure([]stmt{ins(opLD|mMEM, pl), ins(opALU|aADD|srcK, 3), ins(opALU|aAND|srcK, 0xfffffffc), ins(opST, pl)}, jJA, 0, main, main)
				flags16 := gr.impure([]stmt{ins(opLD|szB|mABS, 16)}, jJSET, 0x20, pad, main)
				flags8 := gr.impure([]stmt{ins(opLD|szB|mABS, 8)}, jJSET, 0x20, pad, main)
				tsft := gr.impure(nil, jJSET, 0x01000000, flags16, flags8)
				ext := gr.impure(nil, jJSET, 0x80, main, tsft)
				next = gr.impure([]stmt{ins(opLD|szW|mABS, 4)}, jJSET, 0x02000000, ext, main)
			}
			qos := gr.impure([]stmt{ins(opLD|mMEM, pl), ins(opALU|aADD|srcK, 2), ins(opST, pl)}, jJA, 0, next, next)
			sub := gr.impure(nil, jJSET, 0x80, qos, next)
			typ := gr.impure(nil, jJSET, 0x04, next, sub)
			var s []stmt
			if g.orig == Link80211 {
				s = []stmt{ins(opLD|mIMM, 24), ins(opST, pl), ins(opLD|szB|mABS, 0)}
			} else {
				s = []stmt{ins(opLD|mMEM, lh), ins(opALU|aADD|srcK, 24), ins(opST, pl), ins(opLDX|mMEM, lh), ins(opLD|szB|mIND, 0)}
			}
			entry = gr.impure(s, jJSET, 0x08, typ, next)
		}
		if g.orig != Link80211 {
			// The radiotap or PPI header's length, little-endian at 2.
			s := []stmt{ins(opLD|szB|mABS, 3), ins(opALU|aLSH|srcK, 8), ins(opMISC|miscTAX, 0),
				ins(opLD|szB|mABS, 2), ins(opALU|aOR|srcX, 0), ins(opST, lh)}
			entry = gr.impure(s, jJA, 0, entry, entry)
		}
	}
	if g.orig == LinkPPI {
		// The PPI header's DLT, little-endian at 4: 802.11.
		entry = gr.impure([]stmt{ins(opLD|szW|mABS, 4)}, jJEQ, 0x69000000, entry, gr.reject)
	}
	return entry
}
