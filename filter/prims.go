package filter

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"
)

// walk compiles the tree in source order (libpcap's reductions happen in
// that order, and vlan/mpls/pppoes change the state for what follows).
func (g *gen) walk(n node) *cond {
	switch n := n.(type) {
	case *binNode:
		l := g.walk(n.l)
		r := g.walk(n.r)
		if n.op == "and" {
			return and(l, r)
		}
		return or(l, r)
	case *notNode:
		return not(g.walk(n.x))
	case *idNode:
		return g.id(n)
	case *abbrevNode:
		return g.protoAbbrev(n.proto, n.pos, n.end)
	case *relNode:
		return g.relation(n)
	case *otherNode:
		return g.other(n)
	}
	panic("unknown node")
}

// protoAbbrev is gen_proto_abbrev: a protocol name alone.
func (g *gen) protoAbbrev(proto string, pos, end int) *cond {
	switch proto {
	case "sctp":
		return g.proto(protoSCTP, "", pos, end)
	case "tcp":
		return g.proto(protoTCP, "", pos, end)
	case "udp":
		return g.proto(protoUDP, "", pos, end)
	case "icmp":
		return g.proto(protoICMP, "ip", pos, end)
	case "igmp":
		return g.proto(protoIGMP, "ip", pos, end)
	case "igrp":
		return g.proto(protoIGRP, "ip", pos, end)
	case "pim":
		return g.proto(protoPIM, "", pos, end)
	case "vrrp", "carp":
		return g.proto(protoVRRP, "ip", pos, end)
	case "ip":
		return g.linktype(etherIP, pos, end)
	case "arp":
		return g.linktype(etherARP, pos, end)
	case "rarp":
		return g.linktype(etherRARP, pos, end)
	case "link":
		g.fail(pos, end, "link layer applied in wrong context")
	case "decnet":
		return g.linktype(etherDN, pos, end)
	case "sca":
		return g.linktype(etherSCA, pos, end)
	case "lat":
		return g.linktype(etherLAT, pos, end)
	case "mopdl":
		return g.linktype(etherMOPDL, pos, end)
	case "moprc":
		return g.linktype(etherMOPRC, pos, end)
	case "ip6":
		return g.linktype(etherIPv6, pos, end)
	case "icmp6":
		return g.proto(protoICMPv6, "ip6", pos, end)
	case "ah":
		return g.proto(protoAH, "", pos, end)
	case "esp":
		return g.proto(protoESP, "", pos, end)
	case "radio":
		g.fail(pos, end, "'radio' is not a valid protocol type")
	}
	g.fail(pos, end, "pktop's filter compiler does not support %q", proto)
	return nil
}

// proto is gen_proto: the IP protocol (or, for link, the Ethernet type) is
// v.
func (g *gen) proto(v uint32, proto string, pos, end int) *cond {
	switch proto {
	case "":
		return or(g.proto(v, "ip", pos, end), g.proto(v, "ip6", pos, end))
	case "link":
		return g.linktype(v, pos, end)
	case "ip":
		return and(g.linktype(etherIP, pos, end), g.cmp(orLinkPl, 9, 1, v, pos, end))
	case "ip6":
		b0 := g.linktype(etherIPv6, pos, end)
		frag := and(g.cmp(orLinkPl, 6, 1, protoFrag, pos, end), g.cmp(orLinkPl, 40, 1, v, pos, end))
		return and(b0, or(g.cmp(orLinkPl, 6, 1, v, pos, end), frag))
	case "arp":
		g.fail(pos, end, "arp does not encapsulate another protocol")
	case "rarp":
		g.fail(pos, end, "rarp does not encapsulate another protocol")
	case "atalk":
		g.fail(pos, end, "AppleTalk encapsulation is not specifiable")
	case "decnet":
		g.fail(pos, end, "DECNET encapsulation is not specifiable")
	case "lat", "sca", "moprc", "mopdl":
		g.fail(pos, end, "%s does not encapsulate another protocol", strings.ToUpper(proto))
	case "clnp":
		g.fail(pos, end, "'clnp proto' is not supported")
	case "iso", "isis", "l1", "l2", "iih", "lsp", "snp", "psnp", "csnp":
		g.fail(pos, end, "pktop's filter compiler does not support OSI protocols")
	}
	g.fail(pos, end, "'%s proto' is bogus", proto)
	return nil
}

// id compiles a qualified value.
func (g *gen) id(n *idNode) *cond {
	q := n.q
	if q.undef {
		g.fail(n.pos, n.end, "syntax error: %s needs a qualifier before it (host, net, port...)", quoteText(n.text))
	}
	switch n.kind {
	case tNum:
		return g.ncode("", n.num, q, n)
	case tHID:
		switch {
		case n.masklen >= 0 || n.mask != "":
			return g.mcode(n)
		case q.addr == "port" || q.addr == "portrange" || q.addr == "proto" || q.addr == "protochain":
			g.fail(n.pos, n.end, "'%s' modifier applied to ip host", q.addr)
		}
		return g.ncode(n.text, 0, q, n)
	case tHID6:
		return g.mcode6(n)
	case tEID:
		return g.ecode(n)
	case tID:
		return g.scode(n)
	}
	panic("bad id")
}

// atoin parses a dotted IPv4 address of 1 to 4 parts, as libpcap's
// __pcap_atoin: it returns the value and its length in bits.
func atoin(s string) (uint32, int, bool) {
	var addr uint32
	n := 0
	for _, part := range strings.Split(s, ".") {
		v := 0
		for i := 0; i < len(part); i++ {
			if !isDigit(part[i]) || v > 25 {
				return 0, 0, false
			}
			v = v*10 + int(part[i]-'0')
		}
		if part == "" || v > 255 {
			return 0, 0, false
		}
		addr = addr<<8 | uint32(v)
		n += 8
	}
	return addr, n, true
}

// ncode is gen_ncode: a number or dotted address with its qualifiers.
func (g *gen) ncode(s string, v uint32, q qual, n *idNode) *cond {
	vlen := 32
	if s != "" {
		var ok bool
		v, vlen, ok = atoin(s)
		if !ok {
			g.fail(n.pos, n.end, "invalid IPv4 address %s", quoteText(s))
		}
	}
	switch q.addr {
	case "", "host", "net":
		if q.proto == "decnet" {
			g.fail(n.pos, n.end, "pktop's filter compiler does not support DECnet addresses")
		}
		if q.proto == "link" {
			g.fail(n.pos, n.end, "illegal link layer address")
		}
		mask := uint32(0xffffffff)
		if s == "" && q.addr == "net" {
			for v != 0 && v&0xff000000 == 0 {
				v <<= 8
				mask <<= 8
			}
		} else {
			v <<= 32 - vlen
			mask <<= 32 - vlen
		}
		return g.host(v, mask, q, n)
	case "port", "portrange":
		proto := g.portProto(q, n)
		if v > 65535 {
			g.fail(n.pos, n.end, "illegal port number %d > 65535", v)
		}
		return g.ports(v, v, proto, q.dir, n)
	case "gateway":
		g.fail(n.pos, n.end, "'gateway' requires a name")
	case "proto":
		return g.protoQ(v, q, n)
	case "protochain":
		g.fail(n.pos, n.end, "pktop's filter compiler does not support \"protochain\"")
	}
	g.fail(n.pos, n.end, "syntax error")
	return nil
}

func (g *gen) protoQ(v uint32, q qual, n *idNode) *cond {
	if q.dir != "" {
		g.fail(q.pos, n.end, "direction applied to 'proto'")
	}
	return g.proto(v, q.proto, n.pos, n.end)
}

// portProto is the IP protocol a port qualifier means.
func (g *gen) portProto(q qual, n *idNode) int {
	switch q.proto {
	case "udp":
		return protoUDP
	case "tcp":
		return protoTCP
	case "sctp":
		return protoSCTP
	case "":
		return protoUndef
	}
	g.fail(q.pos, n.end, "illegal qualifier of '%s'", q.addr)
	return 0
}

// host is gen_host: an IPv4 address and mask, for ip, arp and rarp.
func (g *gen) host(addr, mask uint32, q qual, n *idNode) *cond {
	typ := "host"
	if q.addr == "net" {
		typ = "net"
	}
	switch q.proto {
	case "":
		b := g.host(addr, mask, qual{proto: "ip", dir: q.dir, addr: q.addr}, n)
		if g.labelDepth == 0 {
			b = or(b, g.host(addr, mask, qual{proto: "arp", dir: q.dir, addr: q.addr}, n))
			b = or(b, g.host(addr, mask, qual{proto: "rarp", dir: q.dir, addr: q.addr}, n))
		}
		return b
	case "link":
		g.fail(q.pos, n.end, "link-layer modifier applied to %s", typ)
	case "ip":
		return g.hostop(addr, mask, q.dir, etherIP, 12, 16, n)
	case "arp":
		return g.hostop(addr, mask, q.dir, etherARP, 14, 24, n)
	case "rarp":
		return g.hostop(addr, mask, q.dir, etherRARP, 14, 24, n)
	case "ip6":
		g.fail(q.pos, n.end, "'ip6' modifier applied to ip %s", typ)
	case "decnet":
		g.fail(q.pos, n.end, "pktop's filter compiler does not support DECnet addresses")
	}
	g.fail(q.pos, n.end, "'%s' modifier applied to %s", q.proto, typ)
	return nil
}

func (g *gen) checkAddrDir(dir string, q qual, n *idNode, what string) {
	switch dir {
	case "addr1", "addr2", "addr3", "addr4":
		g.fail(q.pos, n.end, "'%s' and 'address%s' are not valid qualifiers for %s", dir, dir[4:], what)
	case "ra", "ta":
		g.fail(q.pos, n.end, "'%s' is not a valid qualifier for %s", dir, what)
	}
}

// hostop is gen_hostop.
func (g *gen) hostop(addr, mask uint32, dir string, etype uint32, srcOff, dstOff uint32, n *idNode) *cond {
	switch dir {
	case "src", "dst":
	case "and":
		return and(g.hostop(addr, mask, "src", etype, srcOff, dstOff, n), g.hostop(addr, mask, "dst", etype, srcOff, dstOff, n))
	case "", "or":
		return or(g.hostop(addr, mask, "src", etype, srcOff, dstOff, n), g.hostop(addr, mask, "dst", etype, srcOff, dstOff, n))
	default:
		g.checkAddrDir(dir, n.q, n, "addresses other than 802.11 MAC addresses")
	}
	off := srcOff
	if dir == "dst" {
		off = dstOff
	}
	if mask == 0 && g.linkPl.reg < 0 {
		// libpcap's optimiser drops the load of a word masked away
		// (not when the offset is in a register).
		return and(g.linktype(etype, n.pos, n.end), condTrue)
	}
	return and(g.linktype(etype, n.pos, n.end), g.mcmp(orLinkPl, off, 4, addr&mask, mask, n.pos, n.end))
}

// host6 is gen_host6.
func (g *gen) host6(addr, mask [16]byte, q qual, n *idNode) *cond {
	typ := "host"
	if q.addr == "net" {
		typ = "net"
	}
	switch q.proto {
	case "", "ip6":
		return g.hostop6(addr, mask, q.dir, n)
	case "link":
		g.fail(q.pos, n.end, "link-layer modifier applied to ip6 %s", typ)
	case "decnet":
		g.fail(q.pos, n.end, "pktop's filter compiler does not support DECnet addresses")
	}
	g.fail(q.pos, n.end, "'%s' modifier applied to ip6 %s", q.proto, typ)
	return nil
}

func (g *gen) hostop6(addr, mask [16]byte, dir string, n *idNode) *cond {
	switch dir {
	case "src", "dst":
	case "and":
		return and(g.hostop6(addr, mask, "src", n), g.hostop6(addr, mask, "dst", n))
	case "", "or":
		return or(g.hostop6(addr, mask, "src", n), g.hostop6(addr, mask, "dst", n))
	default:
		g.checkAddrDir(dir, n.q, n, "addresses other than 802.11 MAC addresses")
	}
	off := uint32(8)
	if dir == "dst" {
		off = 24
	}
	b := g.linktype(etherIPv6, n.pos, n.end)
	for w := uint32(0); w < 4; w++ {
		m := binary.BigEndian.Uint32(mask[4*w:])
		a := binary.BigEndian.Uint32(addr[4*w:])
		if m == 0 && g.linkPl.reg < 0 {
			// libpcap's optimiser drops the load of a word masked
			// away entirely (not when the offset is in a
			// register).
			continue
		}
		b = and(b, g.mcmp(orLinkPl, off+4*w, 4, a&m, m, n.pos, n.end))
	}
	return b
}

// mcode is gen_mcode: an IPv4 network with "/len" or "mask".
func (g *gen) mcode(n *idNode) *cond {
	addr, nlen, ok := atoin(n.text)
	if !ok {
		g.fail(n.pos, n.end, "invalid IPv4 address %s", quoteText(n.text))
	}
	addr <<= 32 - nlen
	var m uint32
	if n.mask != "" {
		mv, mlen, ok := atoin(n.mask)
		if !ok {
			g.fail(n.pos, n.end, "invalid IPv4 address %s", quoteText(n.mask))
		}
		m = mv << (32 - mlen)
		if addr&^m != 0 {
			g.fail(n.pos, n.end, "non-network bits set in \"%s mask %s\"", n.text, n.mask)
		}
	} else {
		if n.masklen > 32 {
			g.fail(n.pos, n.end, "mask length must be <= 32")
		}
		if n.masklen > 0 {
			m = 0xffffffff << (32 - n.masklen)
		}
		if addr&^m != 0 {
			g.fail(n.pos, n.end, "non-network bits set in \"%s/%d\"", n.text, n.masklen)
		}
	}
	if n.q.addr != "net" {
		g.fail(n.pos, n.end, "Mask syntax for networks only")
	}
	return g.host(addr, m, n.q, n)
}

// mcode6 is gen_mcode6: an IPv6 address, with a prefix length or not.
func (g *gen) mcode6(n *idNode) *cond {
	a, err := netip.ParseAddr(n.text)
	if err != nil || !a.Is6() {
		g.fail(n.pos, n.end, "invalid ip6 address %s", quoteText(n.text))
	}
	plen := 128
	if n.masklen >= 0 {
		plen = n.masklen
	}
	if plen > 128 {
		g.fail(n.pos, n.end, "mask length must be <= 128")
	}
	var mask [16]byte
	for i := 0; i < plen; i++ {
		mask[i/8] |= 0x80 >> (i % 8)
	}
	addr := a.As16()
	for i := range addr {
		if addr[i]&^mask[i] != 0 {
			g.fail(n.pos, n.end, "non-network bits set in \"%s/%d\"", n.text, plen)
		}
	}
	switch n.q.addr {
	case "", "host":
		if plen != 128 {
			g.fail(n.pos, n.end, "Mask syntax for networks only")
		}
		fallthrough
	case "net":
		return g.host6(addr, mask, n.q, n)
	}
	g.fail(n.pos, n.end, "invalid qualifier against IPv6 address")
	return nil
}

// ecode is gen_ecode: a MAC address.
func (g *gen) ecode(n *idNode) *cond {
	q := n.q
	if (q.addr == "host" || q.addr == "") && q.proto == "link" {
		mac, ok := parseMAC(n.text)
		if !ok {
			g.fail(n.pos, n.end, "invalid MAC address %s", quoteText(n.text))
		}
		return g.ehost(mac, q, n)
	}
	g.fail(n.pos, n.end, "ethernet address used in non-ether expression")
	return nil
}

func parseMAC(s string) ([]byte, bool) {
	var out []byte
	var parts []string
	switch {
	case strings.Count(s, ":") == 5:
		parts = strings.Split(s, ":")
	case strings.Count(s, "-") == 5:
		parts = strings.Split(s, "-")
	case strings.Count(s, ".") == 5:
		parts = strings.Split(s, ".")
	case strings.Count(s, ".") == 2:
		for _, p := range strings.Split(s, ".") {
			parts = append(parts, p[:2], p[2:])
		}
	default:
		return nil, false
	}
	for _, p := range parts {
		v, err := strconv.ParseUint(p, 16, 8)
		if err != nil {
			return nil, false
		}
		out = append(out, byte(v))
	}
	return out, len(out) == 6
}

// ehost matches a MAC address on an Ethernet header (gen_ehostop).
func (g *gen) ehost(mac []byte, q qual, n *idNode) *cond {
	if g.is80211() {
		g.fail(n.pos, n.end, "pktop's filter compiler does not support 802.11 addresses")
	}
	if g.lt != LinkEthernet {
		g.fail(n.pos, n.end, "ethernet addresses supported only on ethernet/FDDI/token ring/802.11/ATM LANE/Fibre Channel")
	}
	return g.ehostop(mac, q.dir, q, n)
}

func (g *gen) ehostop(mac []byte, dir string, q qual, n *idNode) *cond {
	switch dir {
	case "src":
		return g.bcmp(orLinkHdr, 6, mac, n.pos, n.end)
	case "dst":
		return g.bcmp(orLinkHdr, 0, mac, n.pos, n.end)
	case "and":
		return and(g.ehostop(mac, "src", q, n), g.ehostop(mac, "dst", q, n))
	case "", "or":
		return or(g.ehostop(mac, "src", q, n), g.ehostop(mac, "dst", q, n))
	}
	switch dir {
	case "addr1", "addr2", "addr3", "addr4":
		g.fail(q.pos, n.end, "'%s' and 'address%s' are only supported on 802.11 with 802.11 headers", dir, dir[4:])
	}
	g.fail(q.pos, n.end, "'%s' is only supported on 802.11 with 802.11 headers", dir)
	return nil
}

// scode is gen_scode: a name (host, port, protocol, network).
func (g *gen) scode(n *idNode) *cond {
	q := n.q
	name := n.text
	switch q.addr {
	case "net":
		g.fail(n.pos, n.end, "pktop's filter compiler does not look up network names (/etc/networks): give the network as an address, e.g. net 10.0.0.0/8")
	case "", "host":
		if q.proto == "link" {
			mac, ok := etherHost(name)
			if !ok {
				g.fail(n.pos, n.end, "pktop's filter compiler does not look up MAC address names (/etc/ethers): give the address, e.g. ether host 00:11:22:33:44:55")
			}
			return g.ehost(mac, q, n)
		}
		if q.proto == "decnet" {
			g.fail(n.pos, n.end, "pktop's filter compiler does not support DECnet addresses")
		}
		addrs, err := g.resolve(name)
		if err != nil || len(addrs) == 0 {
			g.fail(n.pos, n.end, "unknown host '%s'", name)
		}
		tproto, tproto6 := q.proto, q.proto
		if !g.linkType.set && q.proto == "" {
			tproto, tproto6 = "ip", "ip6"
		}
		var b *cond
		for _, a := range addrs {
			var t *cond
			if a.Is4() || a.Is4In6() {
				if tproto == "ip6" {
					continue
				}
				v := a.Unmap().As4()
				t = g.host(binary.BigEndian.Uint32(v[:]), 0xffffffff, qual{proto: tproto, dir: q.dir, addr: q.addr, pos: q.pos}, n)
			} else {
				if tproto6 == "ip" {
					continue
				}
				var all [16]byte
				for i := range all {
					all[i] = 0xff
				}
				t = g.host6(a.As16(), all, qual{proto: tproto6, dir: q.dir, addr: q.addr, pos: q.pos}, n)
			}
			if b != nil {
				t = or(b, t)
			}
			b = t
		}
		if b == nil {
			g.fail(n.pos, n.end, "unknown host '%s' for specified address family", name)
		}
		return b
	case "port":
		if q.proto != "" && q.proto != "udp" && q.proto != "tcp" && q.proto != "sctp" {
			g.fail(q.pos, n.end, "illegal qualifier of 'port'")
		}
		port, proto, ok := nameToPort(name)
		if !ok {
			g.fail(n.pos, n.end, "unknown port '%s'", name)
		}
		proto = g.restrictProto(q, proto, "port '"+name+"'", n)
		return g.ports(port, port, proto, q.dir, n)
	case "portrange":
		if q.proto != "" && q.proto != "udp" && q.proto != "tcp" && q.proto != "sctp" {
			g.fail(q.pos, n.end, "illegal qualifier of 'portrange'")
		}
		p1, p2, proto, ok := nameToPortRange(name)
		if !ok {
			g.fail(n.pos, n.end, "unknown port in range '%s'", name)
		}
		proto = g.restrictProto(q, proto, "port in range '"+name+"'", n)
		if p1 > 65535 {
			g.fail(n.pos, n.end, "illegal port number %d > 65535", p1)
		}
		if p2 > 65535 {
			g.fail(n.pos, n.end, "illegal port number %d > 65535", p2)
		}
		return g.ports(p1, p2, proto, q.dir, n)
	case "gateway":
		g.fail(q.pos, n.end, "pktop's filter compiler does not support \"gateway\" (it needs /etc/ethers)")
	case "proto":
		var v uint32
		switch q.proto {
		case "", "ip", "ip6":
			loadTables()
			p, ok := ipProtos[name]
			if !ok {
				g.fail(n.pos, n.end, "unknown ip proto '%s'", name)
			}
			v = p
		case "link":
			p, ok := etherProtos[name]
			if !ok {
				g.fail(n.pos, n.end, "unknown ether proto '%s'", name)
			}
			v = p
		default:
			g.fail(q.pos, n.end, "syntax error: a protocol name after '%s proto'", q.proto)
		}
		return g.protoQ(v, q, n)
	case "protochain":
		g.fail(q.pos, n.end, "pktop's filter compiler does not support \"protochain\"")
	}
	g.fail(n.pos, n.end, "syntax error")
	return nil
}

// restrictProto applies a tcp/udp/sctp qualifier to a named port, as
// libpcap: "udp port ssh" is an error when ssh is tcp only.
func (g *gen) restrictProto(q qual, real int, what string, n *idNode) int {
	want := 0
	switch q.proto {
	case "udp":
		want = protoUDP
	case "tcp":
		want = protoTCP
	case "sctp":
		want = protoSCTP
	default:
		return real
	}
	if real != protoUndef && real != want {
		g.fail(n.pos, n.end, "%s is %s", what, protoName(real))
	}
	return want
}

func protoName(p int) string {
	switch p {
	case protoTCP:
		return "tcp"
	case protoUDP:
		return "udp"
	}
	return "sctp"
}

func (g *gen) resolve(name string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(name); err == nil {
		return []netip.Addr{a}, nil
	}
	if g.opt.Resolver == nil {
		return nil, errorString("no resolver")
	}
	return g.opt.Resolver(name)
}

// port is gen_port (IPv4) and gen_port6 (IPv6) for a port or a range.
// For IPv4 the protocol must be in the IP header and the packet the first
// fragment; for IPv6 the next header must be the protocol (no extension
// headers, no fragment check), as libpcap's.
func (g *gen) port(p1, p2 uint32, proto int, dir string, n *idNode, v6 bool) *cond {
	etype, protoOff, rel := uint32(etherIP), uint32(9), orTranIPv4
	if v6 {
		etype, protoOff, rel = etherIPv6, 6, orTranIPv6
	}
	portop := func(proto uint32) *cond {
		b0 := g.cmp(orLinkPl, protoOff, 1, proto, n.pos, n.end)
		if !v6 {
			b0 = and(b0, g.ipNotFrag(n.pos, n.end))
		}
		return and(b0, g.portDir(p1, p2, rel, dir, n))
	}
	var b1 *cond
	switch proto {
	case protoUDP, protoTCP, protoSCTP:
		b1 = portop(uint32(proto))
	default:
		b1 = or(portop(protoSCTP), or(portop(protoTCP), portop(protoUDP)))
	}
	return and(g.linktype(etype, n.pos, n.end), b1)
}

// ports is a port or range on IPv6, then on IPv4 (libpcap's order).
func (g *gen) ports(p1, p2 uint32, proto int, dir string, n *idNode) *cond {
	return or(g.port(p1, p2, proto, dir, n, true), g.port(p1, p2, proto, dir, n, false))
}

// ipNotFrag is gen_ipfrag: not a fragment other than the first.
func (g *gen) ipNotFrag(pos, end int) *cond {
	return not(atom(g.loadRel(orLinkPl, 6, 2, pos, end), jJSET, 0x1fff))
}

func (g *gen) portDir(p1, p2 uint32, rel offrel, dir string, n *idNode) *cond {
	switch dir {
	case "src":
		return g.portAtom(p1, p2, rel, 0, n)
	case "dst":
		return g.portAtom(p1, p2, rel, 2, n)
	case "and":
		return and(g.portAtom(p1, p2, rel, 0, n), g.portAtom(p1, p2, rel, 2, n))
	case "", "or":
		return or(g.portAtom(p1, p2, rel, 0, n), g.portAtom(p1, p2, rel, 2, n))
	}
	g.checkAddrDir(dir, n.q, n, "ports")
	return nil
}

func (g *gen) portAtom(p1, p2 uint32, rel offrel, off uint32, n *idNode) *cond {
	if n.q.addr == "port" {
		return g.cmp(rel, off, 2, p1, n.pos, n.end)
	}
	if p1 > p2 {
		p1, p2 = p2, p1
	}
	return and(g.cmpGE(rel, off, 2, p1, n.pos, n.end), not(g.cmpGT(rel, off, 2, p2, n.pos, n.end)))
}
