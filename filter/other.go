package filter

// other compiles the primitives without an id.
func (g *gen) other(n *otherNode) *cond {
	switch n.what {
	case "broadcast":
		return g.broadcast(n)
	case "multicast":
		return g.multicast(n)
	case "less":
		// len <= n
		return not(atom([]stmt{ins(opLD|szW|mLEN, 0)}, jJGT, n.num))
	case "greater":
		return atom([]stmt{ins(opLD|szW|mLEN, 0)}, jJGE, n.num)
	case "byte":
		switch n.byteOp {
		case "=":
			return g.cmp(orLinkHdr, n.num, 1, n.byteVal, n.pos, n.end)
		case "<":
			return not(g.cmpGE(orLinkHdr, n.num, 1, n.byteVal, n.pos, n.end))
		case ">":
			return g.cmpGT(orLinkHdr, n.num, 1, n.byteVal, n.pos, n.end)
		}
		// libpcap compiles "byte N & M" and "byte N | M" without
		// loading the byte: what they test depends on the code before
		// them.
		g.fail(n.pos, n.end, "pktop's filter compiler does not support \"byte %d %s %d\" (libpcap compiles it without loading the byte); write ether[%d] %s %d != 0", n.num, n.byteOp, n.byteVal, n.num, n.byteOp, n.byteVal)
	case "inbound", "outbound":
		return g.inbound(n)
	case "vlan":
		return g.vlan(n)
	case "mpls":
		return g.mpls(n)
	case "pppoes":
		return g.pppoes(n)
	case "pppoed":
		return g.linktype(etherPPPoED, n.pos, n.end)
	case "ifindex":
		// The interface index of a Linux cooked v2 header, or, live,
		// the kernel's.
		switch {
		case g.orig == LinkSLL2:
			return g.cmp(orLinkHdr, 4, 4, n.num, n.pos, n.end)
		case g.opt.Live:
			return atom([]stmt{ins(opLD|szW|mABS, skfAdOff+skfAdIfIndex)}, jJEQ, n.num)
		}
		g.fail(n.pos, n.end, "ifindex not supported on %s when reading savefiles", linkName(g.orig))
	case "geneve":
		g.fail(n.pos, n.end, "pktop's filter compiler does not support \"geneve\"")
	}
	g.fail(n.pos, n.end, "pktop's filter compiler does not support %q", n.what)
	return nil
}

var etherBroadcast = []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

func (g *gen) broadcast(n *otherNode) *cond {
	switch n.proto {
	case "", "link":
		if g.lt == LinkEthernet {
			return g.bcmp(orLinkHdr, 0, etherBroadcast, n.pos, n.end)
		}
		if g.is80211() {
			g.fail(n.pos, n.end, "pktop's filter compiler does not support 802.11 addresses")
		}
		g.fail(n.pos, n.end, "not a broadcast link")
	case "ip":
		host := ^g.opt.Netmask
		b0 := g.linktype(etherIP, n.pos, n.end)
		b1 := g.mcmp(orLinkPl, 16, 4, 0, host, n.pos, n.end)
		b2 := g.mcmp(orLinkPl, 16, 4, host, host, n.pos, n.end)
		return and(b0, or(b1, b2))
	}
	g.fail(n.pos, n.end, "only link-layer/IP broadcast filters supported")
	return nil
}

func (g *gen) multicast(n *otherNode) *cond {
	switch n.proto {
	case "", "link":
		if g.lt == LinkEthernet {
			return atom(g.loadRel(orLinkHdr, 0, 1, n.pos, n.end), jJSET, 1)
		}
		if g.is80211() {
			g.fail(n.pos, n.end, "pktop's filter compiler does not support 802.11 addresses")
		}
	case "ip":
		return and(g.linktype(etherIP, n.pos, n.end), g.cmpGE(orLinkPl, 16, 1, 224, n.pos, n.end))
	case "ip6":
		return and(g.linktype(etherIPv6, n.pos, n.end), g.cmp(orLinkPl, 24, 1, 255, n.pos, n.end))
	}
	g.fail(n.pos, n.end, "link-layer multicast filters supported only on ethernet/FDDI/token ring/ARCNET/802.11/ATM LANE/Fibre Channel")
	return nil
}

// inbound is gen_inbound: the direction in a Linux cooked header, or, for
// a live socket, the kernel's packet type.
func (g *gen) inbound(n *otherNode) *cond {
	var b *cond
	switch g.orig {
	case LinkSLL:
		b = g.cmp(orLinkHdr, 0, 2, 4, n.pos, n.end) // LINUX_SLL_OUTGOING
	case LinkSLL2:
		b = g.cmp(orLinkHdr, 10, 1, 4, n.pos, n.end)
	default:
		if !g.opt.Live {
			g.fail(n.pos, n.end, "inbound/outbound not supported on %s when reading savefiles", linkName(g.orig))
		}
		b = atom([]stmt{ins(opLD|szH|mABS, skfAdOff+skfAdPktType)}, jJEQ, 4) // PACKET_OUTGOING
	}
	if n.what == "inbound" {
		return not(b)
	}
	return b
}

// vlanTPID matches the three VLAN Ethernet types at the link type offset.
func (g *gen) vlanTPID(n *otherNode) *cond {
	b := g.linktype(etherVLAN, n.pos, n.end)
	b = or(b, g.linktype(etherQinQ, n.pos, n.end))
	return or(b, g.linktype(ether9100, n.pos, n.end))
}

func (g *gen) vlanVID(n *otherNode) *cond {
	if n.num > 0x0fff {
		g.fail(n.pos, n.end, "VLAN tag %d greater than maximum %d", n.num, 0x0fff)
	}
	return g.mcmp(orLinkPl, 0, 2, n.num, 0x0fff, n.pos, n.end)
}

// vlan is gen_vlan. In a file the tag is in the frame and the offsets of
// what follows move by 4; on a live socket the kernel strips the outer
// tag, so the outermost "vlan" reads the kernel's metadata, and the
// offsets move only for frames whose tag is still in the data.
func (g *gen) vlan(n *otherNode) *cond {
	if g.labelDepth > 0 {
		g.fail(n.pos, n.end, "no VLAN match after MPLS")
	}
	if g.lt != LinkEthernet && !((g.lt == Link80211 || g.lt == LinkRadiotap) && g.lt == g.orig) {
		g.fail(n.pos, n.end, "no VLAN support for %s", linkName(g.lt))
	}
	var b *cond
	if g.opt.Live && g.lt == LinkEthernet && g.vlanDepth == 0 && g.linkHdr.reg < 0 && g.linkHdr.c == g.outermostLinkHdr.c {
		b = g.vlanLive(n)
	} else {
		b = g.vlanTPID(n)
		if n.hasNum {
			b = and(b, g.vlanVID(n))
		}
		g.linkPl.c += 4
		g.linkType.c += 4
	}
	g.vlanDepth++
	return b
}

// vlanLive is gen_vlan_bpf_extensions: vlanp says the kernel took a tag
// off; if it did not, a tag in the data counts too and moves the
// offsets (through two registers set to 0 at the start and to 4 here).
func (g *gen) vlanLive(n *otherNode) *cond {
	if !g.vloffset {
		g.vloffset = true
		pl, lt := g.alloc(), g.alloc()
		g.prologue = append(g.prologue, ins(opLD|mIMM, 0), ins(opST, uint32(pl)), ins(opST, uint32(lt)))
		g.linkPl.reg, g.linkType.reg = pl, lt
	}
	// The TPID and VID tests read the data at the offsets before the
	// move.
	tpidOff := offset{c: g.linkType.c, reg: -1, set: true}
	plOff := offset{c: g.linkPl.c, reg: -1, set: true}
	present := atom([]stmt{ins(opLD|szB|mABS, skfAdOff+skfAdVlanTagPre)}, jJEQ, 1)
	bump := []stmt{
		ins(opLD|mMEM, uint32(g.linkPl.reg)), ins(opALU|aADD|srcK, 4), ins(opST, uint32(g.linkPl.reg)),
		ins(opLD|mMEM, uint32(g.linkType.reg)), ins(opALU|aADD|srcK, 4), ins(opST, uint32(g.linkType.reg)),
	}
	tpid := func(v uint32) *cond { return atom(g.load(tpidOff, 0, 2), jJEQ, v) }
	inData := or(or(tpid(etherVLAN), tpid(etherQinQ)), tpid(ether9100))
	// The offsets move before the TPID test, whatever it finds.
	inData.l.l.stmts = append(bump, inData.l.l.stmts...)
	b := or(present, inData)
	if n.hasNum {
		if n.num > 0x0fff {
			g.fail(n.pos, n.end, "VLAN tag %d greater than maximum %d", n.num, 0x0fff)
		}
		// The VID from the metadata when the kernel took the tag,
		// else from the data.
		meta := atom([]stmt{ins(opLD|szB|mABS, skfAdOff+skfAdVlanTagPre)}, jJEQ, 1)
		fromMeta := atom([]stmt{ins(opLD|szH|mABS, skfAdOff+skfAdVlanTag), ins(opALU|aAND|srcK, 0x0fff)}, jJEQ, n.num)
		fromData := atom(append(g.load(plOff, 0, 2), ins(opALU|aAND|srcK, 0x0fff)), jJEQ, n.num)
		b = and(b, or(and(meta, fromMeta), and(not(meta), fromData)))
	}
	return b
}

func (g *gen) alloc() int {
	r := g.regs
	g.regs++
	return r
}

// mpls is gen_mpls.
func (g *gen) mpls(n *otherNode) *cond {
	var b *cond
	if g.labelDepth > 0 {
		// Inside a stack: the previous label is not the bottom.
		b = g.mcmp(orPrevMPLS, 2, 1, 0, 1, n.pos, n.end)
	} else {
		switch g.lt {
		case LinkCHDLC, LinkEthernet:
			b = g.linktype(etherMPLS, n.pos, n.end)
		case LinkPPP:
			b = g.linktype(pppMPLSUcast, n.pos, n.end)
		default:
			g.fail(n.pos, n.end, "no MPLS support for %s", linkName(g.lt))
		}
	}
	if n.hasNum {
		if n.num > 0xfffff {
			g.fail(n.pos, n.end, "MPLS label %d greater than maximum %d", n.num, 0xfffff)
		}
		b = and(b, g.mcmp(orLinkPl, 0, 4, n.num<<12, 0xfffff000, n.pos, n.end))
	}
	g.nlNoSnap += 4
	g.nl += 4
	g.labelDepth++
	return b
}

// pppoes is gen_pppoes: a PPPoE session frame, after which the link layer
// is PPP.
func (g *gen) pppoes(n *otherNode) *cond {
	if g.is80211() {
		// libpcap's program for it reads a register it never sets,
		// and drops the PPI header check.
		g.fail(n.pos, n.end, "pktop's filter compiler does not support \"pppoes\" on %s", linkName(g.orig))
	}
	b := g.linktype(etherPPPoES, n.pos, n.end)
	if n.hasNum {
		if n.num > 0xffff {
			g.fail(n.pos, n.end, "PPPoE session number %d greater than maximum %d", n.num, 0xffff)
		}
		b = and(b, g.mcmp(orLinkPl, 0, 4, n.num, 0xffff, n.pos, n.end))
	}
	hdr := offset{c: g.linkPl.c + g.nl + 6, reg: g.linkPl.reg, set: true}
	g.lt = LinkPPP
	g.linkHdr = hdr
	g.linkType = hdr
	g.linkPl = offset{c: hdr.c + 2, reg: hdr.reg, set: true}
	g.nl, g.nlNoSnap = 0, 0
	g.inPPPoES = true
	return b
}
