package filter

import (
	"encoding/binary"
	"fmt"
)

// Link types (LINKTYPE_* of pcap and pcapng files) the compiler knows.
const (
	LinkNull      = 0
	LinkEthernet  = 1
	LinkPPP       = 9
	LinkRaw12     = 12
	LinkRaw14     = 14
	LinkPPPSerial = 50
	LinkPPPEther  = 51
	LinkRaw       = 101
	LinkCHDLC     = 104
	Link80211     = 105
	LinkLoop      = 108
	LinkSLL       = 113
	LinkRadiotap  = 127
	LinkPPI       = 192
	LinkIPv4      = 228
	LinkIPv6      = 229
	LinkNFLOG     = 239
	LinkSLL2      = 276
)

// linkNames are libpcap's descriptions of the link types, for messages.
var linkNames = map[int]string{
	LinkNull: "BSD loopback", LinkEthernet: "Ethernet", LinkPPP: "PPP", LinkRaw12: "Raw IP", LinkRaw14: "Raw IP",
	LinkPPPSerial: "PPP over serial", LinkPPPEther: "PPPoE", LinkRaw: "Raw IP", LinkCHDLC: "Cisco HDLC",
	Link80211: "802.11", LinkLoop: "OpenBSD loopback", LinkSLL: "Linux cooked v1", LinkRadiotap: "802.11 plus radiotap header",
	LinkPPI: "Per-Packet Information", LinkIPv4: "Raw IPv4", LinkIPv6: "Raw IPv6", LinkNFLOG: "Linux netfilter log messages",
	LinkSLL2: "Linux cooked v2",
}

func linkName(lt int) string {
	if s, ok := linkNames[lt]; ok {
		return s
	}
	return fmt.Sprintf("DLT %d", lt)
}

// Ethernet types and IP protocol numbers used by the primitives.
const (
	etherIP      = 0x0800
	etherARP     = 0x0806
	etherRARP    = 0x8035
	etherIPv6    = 0x86dd
	etherVLAN    = 0x8100
	etherQinQ    = 0x88a8
	ether9100    = 0x9100
	etherMPLS    = 0x8847
	etherPPPoED  = 0x8863
	etherPPPoES  = 0x8864
	etherDN      = 0x6003
	etherLAT     = 0x6004
	etherSCA     = 0x6007
	etherMOPDL   = 0x6001
	etherMOPRC   = 0x6002
	etherMTU     = 1500
	pppMPLSUcast = 0x0281

	protoICMP   = 1
	protoIGMP   = 2
	protoTCP    = 6
	protoIGRP   = 9
	protoUDP    = 17
	protoFrag   = 44
	protoESP    = 50
	protoAH     = 51
	protoICMPv6 = 58
	protoPIM    = 103
	protoVRRP   = 112
	protoSCTP   = 132

	protoUndef = -1 // libpcap's PROTO_UNDEF: any of tcp, udp, sctp
)

// offset is libpcap's bpf_abs_offset: a constant, plus the value of a
// scratch register when reg >= 0.
type offset struct {
	c   uint32
	reg int
	set bool // false: libpcap's OFFSET_NOT_SET
}

func fixed(c uint32) offset { return offset{c: c, reg: -1, set: true} }

var notSet = offset{reg: -1}

// gen holds the compiler's state while it walks the tree, as libpcap's
// compiler_state does: vlan, mpls and pppoes change the offsets for what
// follows them in the text.
type gen struct {
	opt  Options
	src  string
	lt   int // the link type now (pppoes makes it PPP)
	orig int // the link type compiled for

	linkHdr, linkType, linkPl offset
	nl, nlNoSnap              uint32
	outermostLinkHdr          offset

	vlanDepth, labelDepth int
	inPPPoES              bool
	// vloffset: the live VLAN form made the offsets variable.
	vloffset bool

	// regs counts the scratch registers given out for good (variable
	// offsets); temporaries for arithmetic are above them.
	regs int
	// temps counts the scratch registers arithmetic used.
	temps int
	// prologue are statements every packet runs first (variable offsets).
	prologue []stmt

	// The 802.11 family: registers holding the offset of the 802.11
	// header (after radiotap or PPI) and of its payload, computed at the
	// start of the program when something reads through them.
	lhReg, plReg   int
	usedLh, usedPl bool
}

const numRegs = 16 // BPF_MEMWORDS

func newGen(src string, opt Options) (*gen, error) {
	g := &gen{opt: opt, src: src, lt: opt.LinkType, orig: opt.LinkType, lhReg: -1, plReg: -1}
	g.linkHdr = fixed(0)
	switch opt.LinkType {
	case LinkEthernet:
		g.linkType, g.linkPl, g.nl, g.nlNoSnap = fixed(12), fixed(14), 0, 3
	case LinkNull, LinkLoop:
		g.linkType, g.linkPl = fixed(0), fixed(4)
	case LinkPPP, LinkPPPSerial, LinkCHDLC:
		g.linkType, g.linkPl = fixed(2), fixed(4)
	case LinkPPPEther:
		g.linkType, g.linkPl = fixed(6), fixed(8)
	case LinkRaw, LinkRaw12, LinkRaw14, LinkIPv4, LinkIPv6:
		g.linkType, g.linkPl = notSet, fixed(0)
	case LinkSLL:
		g.linkType, g.linkPl = fixed(14), fixed(16)
	case LinkSLL2:
		g.linkType, g.linkPl = fixed(0), fixed(20)
	case LinkNFLOG:
		g.linkType, g.linkPl = notSet, notSet
	case Link80211, LinkRadiotap, LinkPPI:
		// The payload starts after a header of variable length; the
		// link type is in the SNAP header, 6 bytes into the payload.
		if opt.LinkType != Link80211 {
			g.lhReg = g.alloc()
			g.linkHdr = offset{reg: g.lhReg, set: true}
		}
		g.plReg = g.alloc()
		g.linkPl = offset{reg: g.plReg, set: true}
		g.linkType = offset{c: 6, reg: g.plReg, set: true}
		g.nl, g.nlNoSnap = 8, 3
	default:
		return nil, &posError{pos: 0, end: len(src), msg: fmt.Sprintf("pktop's filter compiler does not support link type %d (%s)", opt.LinkType, linkName(opt.LinkType))}
	}
	g.outermostLinkHdr = g.linkHdr
	return g, nil
}

// fail aborts the compile with an error about the text from pos to end.
// The compile recovers it (libpcap's bpf_error longjmps the same way).
func (g *gen) fail(pos, end int, format string, args ...any) {
	panic(&posError{pos: pos, end: end, msg: fmt.Sprintf(format, args...)})
}

// load returns the statements that load size bytes at off+k into A.
func (g *gen) load(off offset, k uint32, size uint32) []stmt {
	if off.reg >= 0 {
		g.use(off.reg)
		return []stmt{ins(opLDX|mMEM, uint32(off.reg)), ins(opLD|mIND|sizeCode(size), off.c+k)}
	}
	return []stmt{ins(opLD|mABS|sizeCode(size), off.c+k)}
}

// Where a load is relative to, as libpcap's enum e_offrel.
type offrel int

const (
	orPacket offrel = iota
	orLinkHdr
	orLinkType
	orLinkPl    // the network layer: link payload + off_nl
	orLLC       // the link payload itself
	orPrevMPLS  // the last MPLS label
	orTranIPv4  // the transport layer after an IPv4 header
	orTranIPv6  // the transport layer after a fixed IPv6 header
	orLinkPlRaw // the link payload + off_nl_nosnap
)

func (g *gen) loadRel(rel offrel, k, size uint32, pos, end int) []stmt {
	switch rel {
	case orPacket:
		return []stmt{ins(opLD|mABS|sizeCode(size), k)}
	case orLinkHdr:
		return g.load(g.linkHdr, k, size)
	case orLinkType:
		return g.load(g.linkType, k, size)
	case orLLC:
		g.needLinkPl(pos, end)
		return g.load(g.linkPl, k, size)
	case orLinkPl:
		g.needLinkPl(pos, end)
		return g.load(g.linkPl, g.nl+k, size)
	case orLinkPlRaw:
		g.needLinkPl(pos, end)
		return g.load(g.linkPl, g.nlNoSnap+k, size)
	case orPrevMPLS:
		return g.load(g.linkPl, g.nl-4+k, size)
	case orTranIPv4:
		g.needLinkPl(pos, end)
		s := g.loadXIPHdrLen()
		return append(s, ins(opLD|mIND|sizeCode(size), g.linkPl.c+g.nl+k))
	case orTranIPv6:
		g.needLinkPl(pos, end)
		return g.load(g.linkPl, g.nl+40+k, size)
	}
	panic("bad offrel")
}

func (g *gen) needLinkPl(pos, end int) {
	if !g.linkPl.set {
		g.fail(pos, end, "%s link-layer type filtering not implemented", linkName(g.lt))
	}
}

// use notes that the program reads a variable offset's register.
func (g *gen) use(reg int) {
	switch reg {
	case g.plReg:
		g.usedPl = true
	case g.lhReg:
		g.usedLh = true
	}
}

func (g *gen) is80211() bool {
	return g.orig == Link80211 || g.orig == LinkRadiotap || g.orig == LinkPPI
}

// loadXIPHdrLen puts into X the length of the IPv4 header (plus the
// variable part of the link payload's offset).
func (g *gen) loadXIPHdrLen() []stmt {
	if g.linkPl.reg >= 0 {
		g.use(g.linkPl.reg)
		return []stmt{
			ins(opLDX|mMEM, uint32(g.linkPl.reg)),
			ins(opLD|mIND|szB, g.linkPl.c+g.nl),
			ins(opALU|aAND|srcK, 0xf),
			ins(opALU|aLSH|srcK, 2),
			ins(opALU|aADD|srcX, 0),
			ins(opMISC|miscTAX, 0),
		}
	}
	return []stmt{ins(opLDX|mMSH|szB, g.linkPl.c+g.nl)}
}

// cmp is libpcap's gen_cmp: the value at rel+k equals v.
func (g *gen) cmp(rel offrel, k, size, v uint32, pos, end int) *cond {
	return atom(g.loadRel(rel, k, size, pos, end), jJEQ, v)
}

// mcmp is gen_mcmp: the value at rel+k, masked, equals v.
func (g *gen) mcmp(rel offrel, k, size, v, mask uint32, pos, end int) *cond {
	s := g.loadRel(rel, k, size, pos, end)
	if mask != 0xffffffff {
		s = append(s, ins(opALU|aAND|srcK, mask))
	}
	return atom(s, jJEQ, v)
}

func (g *gen) cmpGT(rel offrel, k, size, v uint32, pos, end int) *cond {
	return atom(g.loadRel(rel, k, size, pos, end), jJGT, v)
}

func (g *gen) cmpGE(rel offrel, k, size, v uint32, pos, end int) *cond {
	return atom(g.loadRel(rel, k, size, pos, end), jJGE, v)
}

// bcmp compares bytes at rel+k with v, as libpcap's gen_bcmp: words from
// the end first.
func (g *gen) bcmp(rel offrel, k uint32, v []byte, pos, end int) *cond {
	var b *cond
	size := uint32(len(v))
	for size >= 4 {
		b = and(b, g.cmp(rel, k+size-4, 4, binary.BigEndian.Uint32(v[size-4:]), pos, end))
		size -= 4
	}
	for size >= 2 {
		b = and(b, g.cmp(rel, k+size-2, 2, uint32(binary.BigEndian.Uint16(v[size-2:])), pos, end))
		size -= 2
	}
	if size > 0 {
		b = and(b, g.cmp(rel, k, 1, uint32(v[0]), pos, end))
	}
	return b
}

// linktype is libpcap's gen_linktype: the link layer says the payload is
// of Ethernet type (or LLC SAP) proto.
func (g *gen) linktype(proto uint32, pos, end int) *cond {
	if g.labelDepth > 0 {
		return g.mplsLinktype(proto, pos, end)
	}
	switch g.lt {
	case LinkEthernet:
		return g.etherLinktype(proto, pos, end)
	case LinkCHDLC:
		return g.cmp(orLinkType, 0, 2, proto, pos, end)
	case LinkSLL, LinkSLL2:
		return g.sllLinktype(proto, pos, end)
	case LinkRaw, LinkRaw12, LinkRaw14:
		switch proto {
		case etherIP:
			return g.mcmp(orLinkHdr, 0, 1, 0x40, 0xf0, pos, end)
		case etherIPv6:
			return g.mcmp(orLinkHdr, 0, 1, 0x60, 0xf0, pos, end)
		}
		return condFalse
	case LinkIPv4:
		if proto == etherIP {
			return condTrue
		}
		return condFalse
	case LinkIPv6:
		if proto == etherIPv6 {
			return condTrue
		}
		return condFalse
	case LinkPPP, LinkPPPSerial, LinkPPPEther:
		return g.cmp(orLinkType, 0, 2, etherToPPP(proto), pos, end)
	case Link80211, LinkRadiotap, LinkPPI:
		// A data frame, then the LLC header.
		data := and(not(atom(g.loadRel(orLinkHdr, 0, 1, pos, end), jJSET, 0x04)), atom(g.loadRel(orLinkHdr, 0, 1, pos, end), jJSET, 0x08))
		return and(data, g.llcLinktype(proto, pos, end))
	case LinkNull, LinkLoop:
		switch proto {
		case etherIP:
			return g.loopbackLinktype(2)
		case etherIPv6:
			// AF_INET6 differs between systems: a capture file may
			// hold any of BSD's, FreeBSD's or Darwin's values; a live
			// capture has Linux's (10).
			if g.opt.Live {
				return g.loopbackLinktype(10)
			}
			return or(g.loopbackLinktype(30), or(g.loopbackLinktype(24), g.loopbackLinktype(28)))
		}
		return condFalse
	}
	if !g.linkType.set {
		g.fail(pos, end, "%s link-layer type filtering not implemented", linkName(g.lt))
	}
	return g.cmp(orLinkType, 0, 2, proto, pos, end)
}

// loopbackLinktype compares the AF_ value of a BSD loopback header: in the
// byte order of the host that wrote it for NULL, big-endian for LOOP.
func (g *gen) loopbackLinktype(af uint32) *cond {
	if g.lt == LinkNull && g.opt.ByteOrder != binary.BigEndian {
		af = af>>24 | af>>8&0xff00 | af<<8&0xff0000 | af<<24
	}
	return g.cmp(orLinkHdr, 0, 4, af, 0, 0)
}

func etherToPPP(proto uint32) uint32 {
	switch proto {
	case etherIP:
		return 0x21
	case etherIPv6:
		return 0x57
	case etherDN:
		return 0x27
	case 0x809b: // AppleTalk
		return 0x29
	case 0x0600: // XNS
		return 0x25
	case 0xfe: // LLCSAP_ISONS
		return 0x23
	case 0x42: // LLCSAP_8021D
		return 0x31
	case 0xe0: // LLCSAP_IPX
		return 0x2b
	}
	return proto
}

// etherLinktype is gen_ether_linktype for the Ethernet types pktop
// supports; 802.2 LLC SAPs (values up to 1500) check the DSAP.
func (g *gen) etherLinktype(proto uint32, pos, end int) *cond {
	switch proto {
	case 0xfe, 0x06, 0xf0, 0xe0, 0x809b, 0x80f3: // ISO, IP SAP, NetBEUI, IPX, AppleTalk, AARP
		g.fail(pos, end, "pktop's filter compiler does not support 802.2 LLC protocols (ISO, NetBEUI, IPX, AppleTalk)")
	}
	if proto <= etherMTU {
		return and(not(g.cmpGT(orLinkType, 0, 2, etherMTU, pos, end)), g.cmp(orLinkType, 2, 1, proto, pos, end))
	}
	return g.cmp(orLinkType, 0, 2, proto, pos, end)
}

// sllLinktype is gen_linux_sll_linktype.
func (g *gen) sllLinktype(proto uint32, pos, end int) *cond {
	switch proto {
	case 0xfe, 0x06, 0xf0, 0xe0, 0x809b, 0x80f3:
		g.fail(pos, end, "pktop's filter compiler does not support 802.2 LLC protocols (ISO, NetBEUI, IPX, AppleTalk)")
	}
	if proto <= etherMTU {
		// LINUX_SLL_P_802_2, then the DSAP.
		return and(g.cmp(orLinkType, 0, 2, 0x0004, pos, end), g.cmp(orLinkHdr, g.linkPl.c, 1, proto, pos, end))
	}
	return g.cmp(orLinkType, 0, 2, proto, pos, end)
}

// llcLinktype is gen_llc_linktype for the protocols pktop supports: an
// Ethernet type in the SNAP header, or an LLC DSAP.
func (g *gen) llcLinktype(proto uint32, pos, end int) *cond {
	switch proto {
	case 0xfe, 0x06, 0xf0, 0xe0, 0x809b, 0x80f3:
		g.fail(pos, end, "pktop's filter compiler does not support 802.2 LLC protocols (ISO, NetBEUI, IPX, AppleTalk)")
	}
	if proto <= etherMTU {
		return g.cmp(orLLC, 0, 1, proto, pos, end)
	}
	return g.cmp(orLLC, 6, 2, proto, pos, end)
}

// mplsLinktype is gen_mpls_linktype: inside MPLS, IPv4 and IPv6 are told
// by the bottom-of-stack bit and the version nibble.
func (g *gen) mplsLinktype(proto uint32, pos, end int) *cond {
	switch proto {
	case etherIP:
		return and(g.mcmp(orLinkPl, ^uint32(1), 1, 1, 1, pos, end), g.mcmp(orLinkPl, 0, 1, 0x40, 0xf0, pos, end))
	case etherIPv6:
		return and(g.mcmp(orLinkPl, ^uint32(1), 1, 1, 1, pos, end), g.mcmp(orLinkPl, 0, 1, 0x60, 0xf0, pos, end))
	}
	g.fail(pos, end, "unsupported protocol over mpls")
	return nil
}
