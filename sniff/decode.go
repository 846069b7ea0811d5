package sniff

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/pktop/pktop/model"
)

// Decoder turns raw frames into model.Packet summaries. It keeps its
// gopacket layers preallocated, as a DecodingLayerParser does, so decoding
// allocates nothing. A Decoder is used by one goroutine at a time.
//
// What it counts follows tshark's view of a frame (the tests compare the
// two on real captures): a frame counts once under every protocol it
// carries, tunnels decoded through; its hosts are those of its outermost
// IP header; headers quoted inside ICMP errors are not traffic.
type Decoder struct {
	eth      layers.Ethernet
	dot1q    layers.Dot1Q
	sll      layers.LinuxSLL
	sll2     layers.LinuxSLL2
	llc      layers.LLC
	snap     layers.SNAP
	gre      layers.GRE
	vxlan    layers.VXLAN
	geneve   layers.Geneve
	radiotap layers.RadioTap
	dns      layers.DNS // reused for the answers names are learnt from

	truncated bool
	// Names collects host names learnt from DNS answers, TLS SNI and
	// HTTP Host headers when LearnNames is set.
	LearnNames bool
	names      []model.Name
	// asked remembers the DNS questions seen, so that only answers to
	// them teach names (see learnUDP).
	asked asked
}

// SetTruncated implements gopacket.DecodeFeedback.
func (d *Decoder) SetTruncated() { d.truncated = true }

// maxDepth bounds how many headers a frame may stack, so that a crafted
// frame of nested tunnels cannot make decoding slow.
const maxDepth = 64

// state is what the decoder knows of the frame it is walking.
type state struct {
	p      *model.Packet
	haveIP bool // the outermost IP header has been seen
	depth  int
}

// deeper counts one more header and says whether the frame may still go
// on: every decoding function that can be reached again from inside a
// frame calls it first.
func (s *state) deeper() bool {
	s.depth++
	return s.depth <= maxDepth
}

// Decode fills p from one frame of the given link type. data is the
// captured bytes; wire the frame's length on the wire.
func (d *Decoder) Decode(data []byte, lt layers.LinkType, p *model.Packet) {
	d.truncated = false
	s := state{p: p}
	if n := pseudoHeader(lt); n > 0 {
		// Not part of the frame, as tshark counts it.
		p.WireLen -= min(p.WireLen, uint32(n))
		p.CapLen -= min(p.CapLen, uint32(n))
		data = data[min(n, len(data)):]
	}
	d.link(&s, data, lt)
	if d.truncated {
		p.Flags |= model.FlagTruncated
	}
}

func (d *Decoder) link(s *state, data []byte, lt layers.LinkType) {
	p := s.p
	switch lt {
	case layers.LinkTypeEthernet:
		p.Protos = p.Protos.Add(model.ProtoEthernet)
		d.ethernet(s, data)
	case layers.LinkTypeRaw, 12, 14: // RAW, and its BSD numberings
		p.Protos = p.Protos.Add(model.ProtoRawIP)
		d.rawIP(s, data)
	case layers.LinkTypeIPv4:
		d.ip4(s, data)
	case layers.LinkTypeIPv6:
		d.ip6(s, data)
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		p.Protos = p.Protos.Add(model.ProtoLoopback)
		d.loopback(s, data, lt == layers.LinkTypeLoop)
	case layers.LinkTypeLinuxSLL:
		p.Protos = p.Protos.Add(model.ProtoSLL)
		if d.sll.DecodeFromBytes(data, d) != nil {
			d.bad(s)
			return
		}
		d.cooked(s, d.sll.NextLayerType(), d.sll.EthernetType, d.sll.Payload)
	case layers.LinkTypeLinuxSLL2:
		p.Protos = p.Protos.Add(model.ProtoSLL)
		if d.sll2.DecodeFromBytes(data, d) != nil {
			d.bad(s)
			return
		}
		d.cooked(s, d.sll2.NextLayerType(), d.sll2.ProtocolType, d.sll2.Payload)
	case layers.LinkTypePPP:
		p.Protos = p.Protos.Add(model.ProtoPPP)
		d.ppp(s, data)
	case 50: // PPP in HDLC-like framing: byte-stuffed, not decoded further
		p.Protos = p.Protos.Add(model.ProtoPPP)
	case layers.LinkTypePPPEthernet:
		d.pppoe(s, data)
	case 104: // Cisco HDLC: address, control, then an EtherType
		p.Protos = p.Protos.Add(model.ProtoCHDLC)
		if len(data) < 4 {
			d.short(s)
			return
		}
		d.chdlcType(s, layers.EthernetType(binary.BigEndian.Uint16(data[2:4])), data[4:])
	case layers.LinkTypeFRelay:
		p.Protos = p.Protos.Add(model.ProtoFrameRelay)
		d.frameRelay(s, data)
	case layers.LinkTypeIEEE80211Radio:
		p.Protos = p.Protos.Add(model.ProtoRadiotap)
		if d.radiotap.DecodeFromBytes(data, d) != nil {
			d.bad(s)
			return
		}
		payload := d.radiotap.Payload
		if len(d.radiotap.RadioTapValues) > 0 && d.radiotap.RadioTapValues[0].Flags.FCS() && len(payload) >= 4 {
			payload = payload[:len(payload)-4]
		}
		d.wlan(s, payload)
	case 105: // 802.11 without radio header
		d.wlan(s, data)
	case 192: // PPI: a header of its own length, then the DLT it names
		if len(data) < 8 {
			d.short(s)
			return
		}
		hl := int(binary.LittleEndian.Uint16(data[2:4]))
		inner := layers.LinkType(binary.LittleEndian.Uint32(data[4:8]))
		if hl < 8 || hl > len(data) {
			d.short(s)
			return
		}
		if inner == 192 {
			d.bad(s)
			return
		}
		d.link(s, data[hl:], inner)
	case 239: // NFLOG
		p.Protos = p.Protos.Add(model.ProtoNFLOG)
		d.nflog(s, data)
	case 204: // PPP after a direction byte (a pseudo-header)
		d.ppp(s, data)
	default:
		d.otherLink(s, data, lt)
	}
}

// otherLink decodes the link types that carry LLC or IP behind a header
// of their own, as tshark does: FDDI, Token Ring, IP over Fibre
// Channel, ATM RFC 1483, OpenBSD pflog, Solaris ipnet,
// Apple IP over IEEE 1394, Prism and AVS 802.11 headers.
func (d *Decoder) otherLink(s *state, data []byte, lt layers.LinkType) {
	var n int // the header's least length
	switch lt {
	case 10:
		n = 13
	case 6:
		n = 14
	case 122:
		n = 16
	case 117:
		n = 4
	case 226:
		n = 24
	case 138:
		n = 18
	case 119, 163:
		n = 8
	case 11:
		n = 0
	default:
		s.p.Flags |= model.FlagUndecoded
		return
	}
	if len(data) < n {
		d.short(s)
		return
	}
	switch lt {
	case 10: // FDDI: frame control, destination, source; asynchronous LLC frames carry LLC
		if data[0]&0xf0 == 0x50 {
			d.llcLayer(s, data[13:])
		}
	case 6: // Token Ring: access and frame control, destination, source, route
		if data[1]&0xc0 != 0x40 { // a MAC frame, not LLC
			return
		}
		if data[8]&0x80 != 0 { // source-routed: the route's length is in its first byte
			if len(data) < 15 || len(data) < 14+int(data[14]&0x1f) {
				d.short(s)
				return
			}
			n += int(data[14] & 0x1f)
		}
		d.llcLayer(s, data[n:])
	case 122, 11: // IP over Fibre Channel (a 16-byte network header), RFC 1483
		d.llcLayer(s, data[n:])
	case 138: // Apple IP over IEEE 1394: two EUI-64 addresses, an EtherType
		d.etherType(s, layers.EthernetType(binary.BigEndian.Uint16(data[16:18])), data[18:])
	case 117: // pflog: the header's length (padded to 4 bytes), then its address family
		hl := (int(data[0]) + 3) &^ 3
		if hl < 4 || hl > len(data) {
			d.short(s)
			return
		}
		d.family(s, data[1], data[hl:], 2, 24, 28, 30)
	case 226: // Solaris ipnet: a 24-byte header with the address family and the packet's length
		pl := data[24:]
		if n := binary.BigEndian.Uint32(data[4:8]); n < uint32(len(pl)) {
			pl = pl[:n]
		}
		d.family(s, data[1], pl, 2, 26)
	case 119, 163: // Prism, AVS: a header whose length is at byte 4, then 802.11
		var hl uint32
		if lt == 119 {
			hl = binary.LittleEndian.Uint32(data[4:8])
			if data[0] == 0 { // written in big-endian order
				hl = binary.BigEndian.Uint32(data[4:8])
			}
		} else {
			hl = binary.BigEndian.Uint32(data[4:8])
		}
		if hl < 8 || hl > uint32(len(data)) {
			d.short(s)
			return
		}
		d.wlan(s, data[hl:])
	}
}

// family decodes IPv4 when af is v4, IPv6 when it is one of v6.
func (d *Decoder) family(s *state, af byte, data []byte, v4 byte, v6 ...byte) {
	if af == v4 {
		d.ip4(s, data)
		return
	}
	for _, f := range v6 {
		if af == f {
			d.ip6(s, data)
			return
		}
	}
}

// frameRelay decodes Frame Relay as tshark does: after the address (2 to
// 4 bytes), a UI control byte and an NLPID (IP, IPv6, SNAP), or else, as
// Cisco writes it, an EtherType.
func (d *Decoder) frameRelay(s *state, data []byte) {
	n := 2
	for n < 4 && n <= len(data) && data[n-1]&1 == 0 {
		n++
	}
	if len(data) < n+2 {
		d.short(s)
		return
	}
	if data[n] != 0x03 {
		d.chdlcType(s, layers.EthernetType(binary.BigEndian.Uint16(data[n:n+2])), data[n+2:])
		return
	}
	n++
	if data[n] == 0 { // padding
		n++
	}
	if n >= len(data) {
		d.short(s)
		return
	}
	switch data[n] {
	case 0xcc:
		d.ip4(s, data[n+1:])
	case 0x8e:
		d.ip6(s, data[n+1:])
	case 0x80: // SNAP: an OUI and a protocol id
		if len(data) < n+6 {
			d.short(s)
			return
		}
		oui, pid := data[n+1:n+4], binary.BigEndian.Uint16(data[n+4:n+6])
		switch {
		case oui[0] == 0 && oui[1] == 0 && oui[2] == 0:
			d.etherType(s, layers.EthernetType(pid), data[n+6:])
		case oui[0] == 0 && oui[1] == 0x80 && oui[2] == 0xc2 && (pid == 1 || pid == 7): // bridged Ethernet
			d.ethernet(s, data[n+6:])
		}
	}
}

// bad marks a frame whose link header could not be decoded.
func (d *Decoder) bad(s *state) { s.p.Flags |= model.FlagUndecoded }

// short marks a frame cut short inside a header.
func (d *Decoder) short(s *state) { s.p.Flags |= model.FlagTruncated }

// next continues with a gopacket layer type.
func (d *Decoder) next(s *state, lt gopacket.LayerType, data []byte) {
	switch lt {
	case layers.LayerTypeEthernet:
		d.ethernet(s, data)
	case layers.LayerTypeIPv4:
		d.ip4(s, data)
	case layers.LayerTypeIPv6:
		d.ip6(s, data)
	case layers.LayerTypeARP:
		s.p.Protos = s.p.Protos.Add(model.ProtoARP)
	case layers.LayerTypeDot1Q:
		d.vlan(s, data)
	case layers.LayerTypeLLC:
		d.llcLayer(s, data)
	case layers.LayerTypePPPoE:
		d.pppoe(s, data)
	case layers.LayerTypePPP:
		d.ppp(s, data)
	case layers.LayerTypeMPLS:
		d.mpls(s, data)
	case layers.LayerTypeGRE:
		d.greLayer(s, data)
	case layers.LayerTypeEAPOL:
		s.p.Protos = s.p.Protos.Add(model.ProtoEAPOL)
	case layers.LayerTypeLinkLayerDiscovery:
		s.p.Protos = s.p.Protos.Add(model.ProtoLLDP)
	case layers.LayerTypeRadioTap:
		s.p.Protos = s.p.Protos.Add(model.ProtoRadiotap)
		if d.radiotap.DecodeFromBytes(data, d) != nil {
			return
		}
		d.wlan(s, d.radiotap.Payload)
	}
}

func (d *Decoder) etherType(s *state, et layers.EthernetType, data []byte) {
	if !s.deeper() {
		return
	}
	switch et {
	case layers.EthernetTypeIPv4:
		d.ip4(s, data)
	case layers.EthernetTypeIPv6:
		d.ip6(s, data)
	case layers.EthernetTypeDot1Q, layers.EthernetTypeQinQ, 0x9100:
		d.vlan(s, data)
	case layers.EthernetTypeMPLSUnicast, layers.EthernetTypeMPLSMulticast:
		d.mpls(s, data)
	case layers.EthernetTypeARP, 0x8035: // ARP, and RARP, which tshark's ARP dissector takes
		s.p.Protos = s.p.Protos.Add(model.ProtoARP)
	case 0x8909: // Cisco MetaData: 6 bytes, then the next EtherType
		if len(data) < 8 {
			d.short(s)
			return
		}
		d.etherType(s, layers.EthernetType(binary.BigEndian.Uint16(data[6:8])), data[8:])
	case layers.EthernetTypeEAPOL, layers.EthernetTypeLinkLayerDiscovery, layers.EthernetTypePPPoEDiscovery,
		layers.EthernetTypePPPoESession, layers.EthernetTypePPP, layers.EthernetTypeTransparentEthernetBridging:
		// Named here, not by gopacket's table for every EtherType,
		// which takes 0xffff for IPv4 and 0 for LLC.
		d.next(s, et.LayerType(), data)
	}
}

// chdlcType continues after a Cisco HDLC (or Cisco Frame Relay) header,
// whose type 0x8035 is SLARP, not RARP.
func (d *Decoder) chdlcType(s *state, et layers.EthernetType, data []byte) {
	if et != 0x8035 {
		d.etherType(s, et, data)
	}
}

// cooked continues after a Linux cooked header: with what gopacket
// found from the header below 0x0600 (LLC), with the EtherType above.
func (d *Decoder) cooked(s *state, next gopacket.LayerType, proto layers.EthernetType, data []byte) {
	if proto < 0x0600 {
		d.next(s, next, data)
		return
	}
	d.etherType(s, proto, data)
}

func (d *Decoder) ethernet(s *state, data []byte) {
	if !s.deeper() {
		return
	}
	s.p.Protos = s.p.Protos.Add(model.ProtoEthernet)
	if d.eth.DecodeFromBytes(data, d) != nil {
		d.short(s)
		return
	}
	if d.eth.EthernetType < 0x0600 {
		d.llcLayer(s, d.eth.Payload)
		return
	}
	d.etherType(s, d.eth.EthernetType, d.eth.Payload)
}

func (d *Decoder) vlan(s *state, data []byte) {
	if !s.deeper() {
		return
	}
	s.p.Protos = s.p.Protos.Add(model.ProtoVLAN)
	if d.dot1q.DecodeFromBytes(data, d) != nil {
		d.short(s)
		return
	}
	if d.dot1q.Type < 0x0600 {
		d.llcLayer(s, d.dot1q.Payload)
		return
	}
	d.etherType(s, d.dot1q.Type, d.dot1q.Payload)
}

func (d *Decoder) llcLayer(s *state, data []byte) {
	if !s.deeper() {
		return
	}
	s.p.Protos = s.p.Protos.Add(model.ProtoLLC)
	if d.llc.DecodeFromBytes(data, d) != nil {
		d.short(s)
		return
	}
	switch {
	case d.llc.DSAP == 0x42 && d.llc.SSAP == 0x42:
		s.p.Protos = s.p.Protos.Add(model.ProtoSTP)
	case d.llc.DSAP == 0xaa && d.llc.SSAP == 0xaa:
		if d.snap.DecodeFromBytes(d.llc.Payload, d) != nil {
			d.short(s)
			return
		}
		oui := d.snap.OrganizationalCode
		if len(oui) != 3 {
			return
		}
		if oui[0] == 0 && oui[1] == 0 && oui[2] == 0x0c && d.snap.Type == 0x2000 {
			s.p.Protos = s.p.Protos.Add(model.ProtoCDP)
			return
		}
		if oui[0] == 0 && oui[1] == 0 && (oui[2] == 0 || oui[2] == 0xf8) {
			d.etherType(s, d.snap.Type, d.snap.Payload)
		}
	}
}

// loopback decodes BSD loopback (DLT_NULL, DLT_LOOP): a 4-byte address
// family, in host order for NULL and network order for LOOP. Like tshark,
// a header whose upper half is not zero is read as an EtherType.
func (d *Decoder) loopback(s *state, data []byte, loop bool) {
	if len(data) < 4 {
		d.short(s)
		return
	}
	var af uint32
	be := binary.BigEndian.Uint32(data)
	le := binary.LittleEndian.Uint32(data)
	switch {
	case loop:
		af = be
	case be <= 0xffff:
		af = be
	case le <= 0xffff:
		af = le
	default:
		d.etherType(s, layers.EthernetType(binary.BigEndian.Uint16(data[2:4])), data[4:])
		return
	}
	switch af {
	case 2:
		d.ip4(s, data[4:])
	case 10, 24, 28, 30:
		d.ip6(s, data[4:])
	default:
		d.bad(s)
	}
}

// rawIP decodes a frame that starts at an IP header of either version.
func (d *Decoder) rawIP(s *state, data []byte) {
	if len(data) == 0 {
		d.short(s)
		return
	}
	switch data[0] >> 4 {
	case 4:
		d.ip4(s, data)
	case 6:
		d.ip6(s, data)
	default:
		d.bad(s)
	}
}

func (d *Decoder) ppp(s *state, data []byte) {
	if !s.deeper() {
		return
	}
	s.p.Protos = s.p.Protos.Add(model.ProtoPPP)
	if len(data) >= 2 && data[0] == 0xff && data[1] == 0x03 {
		data = data[2:]
	}
	if len(data) < 1 {
		d.short(s)
		return
	}
	var proto uint16
	if data[0]&1 == 1 { // compressed one-byte protocol field
		proto, data = uint16(data[0]), data[1:]
	} else {
		if len(data) < 2 {
			d.short(s)
			return
		}
		proto, data = binary.BigEndian.Uint16(data), data[2:]
	}
	switch proto {
	case 0x0021:
		d.ip4(s, data)
	case 0x0057:
		d.ip6(s, data)
	case 0x0281, 0x0283:
		d.mpls(s, data)
	}
}

func (d *Decoder) pppoe(s *state, data []byte) {
	if !s.deeper() {
		return
	}
	s.p.Protos = s.p.Protos.Add(model.ProtoPPPoE)
	if len(data) < 6 {
		d.short(s)
		return
	}
	if data[1] != 0 { // discovery stage
		return
	}
	d.ppp(s, data[6:])
}

// mpls walks a label stack; after the bottom label it guesses the payload
// from its first nibble, as tshark does, and decodes an Ethernet
// pseudowire with a control word when the nibble is 0.
func (d *Decoder) mpls(s *state, data []byte) {
	if !s.deeper() {
		return
	}
	s.p.Protos = s.p.Protos.Add(model.ProtoMPLS)
	for i := 0; ; i++ {
		if len(data) < 4 {
			d.short(s)
			return
		}
		bottom := data[2]&1 == 1
		data = data[4:]
		if bottom {
			break
		}
		if i > maxDepth {
			return
		}
	}
	if len(data) == 0 {
		return
	}
	switch data[0] >> 4 {
	case 4:
		d.ip4(s, data)
	case 6:
		d.ip6(s, data)
	case 0:
		if len(data) >= 4+14 {
			d.ethernet(s, data[4:])
		}
	}
}

func (d *Decoder) greLayer(s *state, data []byte) {
	if !s.deeper() {
		return
	}
	s.p.Protos = s.p.Protos.Add(model.ProtoGRE)
	if d.gre.DecodeFromBytes(data, d) != nil {
		d.short(s)
		return
	}
	switch d.gre.Protocol {
	case layers.EthernetTypeTransparentEthernetBridging:
		d.ethernet(s, d.gre.Payload)
	case 0x88be: // ERSPAN type II (type I, with no sequence number, is plain Ethernet)
		s.p.Protos = s.p.Protos.Add(model.ProtoERSPAN)
		pl := d.gre.Payload
		if len(d.gre.Contents) == 4 {
			d.ethernet(s, pl)
		} else if len(pl) >= 8 {
			d.ethernet(s, pl[8:])
		}
	case 0x22eb: // ERSPAN type III: 12 bytes, and 8 more with the O flag
		s.p.Protos = s.p.Protos.Add(model.ProtoERSPAN)
		pl := d.gre.Payload
		if len(pl) < 12 {
			d.short(s)
			return
		}
		n := 12
		if pl[11]&1 != 0 {
			n += 8
		}
		if len(pl) >= n {
			d.ethernet(s, pl[n:])
		}
	case 0x880b: // PPP (PPTP)
		d.ppp(s, d.gre.Payload)
	case 0x8909:
		// Cisco MetaData in GRE: the inner EtherType first, then the
		// 6-byte metadata, as tshark reads it.
		pl := d.gre.Payload
		if len(pl) < 8 {
			d.short(s)
			return
		}
		d.etherType(s, layers.EthernetType(binary.BigEndian.Uint16(pl[0:2])), pl[8:])
	default:
		d.etherType(s, d.gre.Protocol, d.gre.Payload)
	}
}

// wlan decodes an 802.11 frame: data frames carry LLC/SNAP and then IP.
func (d *Decoder) wlan(s *state, data []byte) {
	if !s.deeper() {
		return
	}
	s.p.Protos = s.p.Protos.Add(model.ProtoWLAN)
	if len(data) < 2 {
		d.short(s)
		return
	}
	fc0, fc1 := data[0], data[1]
	typ := (fc0 >> 2) & 3
	subtype := fc0 >> 4
	if typ != 2 || subtype&4 != 0 || fc1&0x40 != 0 { // not data, null data, or protected
		return
	}
	hl := 24
	if fc1&3 == 3 {
		hl += 6
	}
	if subtype&8 != 0 { // QoS
		hl += 2
		if fc1&0x80 != 0 { // +HTC
			hl += 4
		}
	}
	if len(data) < hl {
		d.short(s)
		return
	}
	d.llcLayer(s, data[hl:])
}

// nflog walks the TLVs of a Linux NFLOG header to the payload TLV.
func (d *Decoder) nflog(s *state, data []byte) {
	if len(data) < 4 {
		d.short(s)
		return
	}
	family := data[0]
	data = data[4:]
	for len(data) >= 4 {
		l := int(binary.LittleEndian.Uint16(data[0:2]))
		t := binary.LittleEndian.Uint16(data[2:4])
		if l < 4 || l > len(data) {
			d.short(s)
			return
		}
		if t == 9 { // NFULA_PAYLOAD
			switch family {
			case 2:
				d.ip4(s, data[4:l])
			case 10:
				d.ip6(s, data[4:l])
			}
			return
		}
		pad := (l + 3) &^ 3
		if pad > len(data) {
			return
		}
		data = data[pad:]
	}
}

// ip4 decodes an IPv4 header as tshark does: a header with a bad version
// or length still counts as IPv4 but gives no addresses; version 6 inside
// an IPv4 EtherType is handed to IPv6.
func (d *Decoder) ip4(s *state, data []byte) {
	if !s.deeper() {
		return
	}
	p := s.p
	p.Protos = p.Protos.Add(model.ProtoIPv4)
	if len(data) < 20 {
		d.short(s)
		return
	}
	if v := data[0] >> 4; v != 4 {
		if v == 6 {
			// tshark's IP dissector hands the frame to IPv6, whose
			// addresses are then not the outermost IP header's.
			outer := s.haveIP
			s.haveIP = true
			d.ip6(s, data)
			s.haveIP = outer || s.haveIP
			return
		}
		p.Flags |= model.FlagUndecoded
		return
	}
	ihl := int(data[0]&0x0f) * 4
	if ihl < 20 {
		p.Flags |= model.FlagUndecoded
		return
	}
	total := int(binary.BigEndian.Uint16(data[2:4]))
	if total != 0 && total < ihl {
		p.Flags |= model.FlagUndecoded
		return
	}
	src := netip.AddrFrom4([4]byte(data[12:16]))
	dst := netip.AddrFrom4([4]byte(data[16:20]))
	if !s.haveIP {
		s.haveIP = true
		p.Src, p.Dst = src, dst
	}
	if ihl > len(data) {
		d.short(s)
		return
	}
	payload := data[ihl:]
	if total == 0 { // TSO/BIG TCP: the length is that of the frame
		total = len(data)
	}
	if total < len(data) {
		payload = data[ihl:total]
	} else if total > len(data) {
		d.truncated = true
	}
	fragOff := binary.BigEndian.Uint16(data[6:8]) & 0x1fff
	if fragOff != 0 {
		p.Protos = p.Protos.Add(model.ProtoIPv4Fragment)
		return
	}
	d.transport(s, data[9], payload, src, dst)
}

// ip6 decodes an IPv6 header and its extension headers.
func (d *Decoder) ip6(s *state, data []byte) {
	if !s.deeper() {
		return
	}
	p := s.p
	if len(data) < 40 {
		if len(data) > 0 && data[0]>>4 == 6 {
			p.Protos = p.Protos.Add(model.ProtoIPv6)
		}
		d.short(s)
		return
	}
	if data[0]>>4 != 6 {
		// tshark does not take it for IPv6 at all.
		p.Flags |= model.FlagUndecoded
		return
	}
	p.Protos = p.Protos.Add(model.ProtoIPv6)
	src := netip.AddrFrom16([16]byte(data[8:24]))
	dst := netip.AddrFrom16([16]byte(data[24:40]))
	if !s.haveIP {
		s.haveIP = true
		p.Src, p.Dst = src, dst
	}
	plen := int(binary.BigEndian.Uint16(data[4:6]))
	payload := data[40:]
	if plen != 0 && plen < len(payload) {
		payload = payload[:plen]
	} else if plen > len(payload) {
		d.truncated = true
	}
	next := data[6]
	// Every extension header is at least 8 bytes, so the walk ends.
	for {
		switch next {
		case 0, 43, 60, 135, 139, 140: // hop-by-hop, routing, destination options, mobility, HIP, shim6
			if len(payload) < 8 {
				d.short(s)
				return
			}
			l := (int(payload[1]) + 1) * 8
			if l > len(payload) {
				d.short(s)
				return
			}
			next, payload = payload[0], payload[l:]
			continue
		case 44: // fragment
			if len(payload) < 8 {
				d.short(s)
				return
			}
			off := binary.BigEndian.Uint16(payload[2:4]) >> 3
			next, payload = payload[0], payload[8:]
			if off != 0 {
				p.Protos = p.Protos.Add(model.ProtoIPv6Fragment)
				return
			}
			continue
		case 51: // authentication header
			p.Protos = p.Protos.Add(model.ProtoAH)
			if len(payload) < 8 {
				d.short(s)
				return
			}
			l := (int(payload[1]) + 2) * 4
			if l > len(payload) {
				d.short(s)
				return
			}
			next, payload = payload[0], payload[l:]
			continue
		}
		break
	}
	d.transport(s, next, payload, src, dst)
}

// transport counts the protocol carried by IP and, for the outermost one,
// keeps the ports.
func (d *Decoder) transport(s *state, proto uint8, data []byte, src, dst netip.Addr) {
	p := s.p
	outer := p.L4 == 0 && p.Src == src && p.Dst == dst
	if outer {
		p.L4 = proto
	}
	switch proto {
	case 6:
		p.Protos = p.Protos.Add(model.ProtoTCP)
		if len(data) < 4 {
			d.short(s)
			return
		}
		sp, dp := binary.BigEndian.Uint16(data[0:2]), binary.BigEndian.Uint16(data[2:4])
		if outer {
			p.SrcPort, p.DstPort = sp, dp
		}
		var payload []byte
		if len(data) >= 20 {
			if off := int(data[12]>>4) * 4; off >= 20 && off <= len(data) {
				payload = data[off:]
			}
		} else {
			d.truncated = true
		}
		if p.App == model.AppNone || !outer {
			p.App = d.tcpApp(sp, dp, payload)
			if d.LearnNames && len(payload) > 0 {
				d.learnTCP(p.App, payload, src, dst)
			}
		}
	case 17, 136: // UDP, UDP-Lite
		lite := proto == 136
		if lite {
			p.Protos = p.Protos.Add(model.ProtoUDPLite)
		} else {
			p.Protos = p.Protos.Add(model.ProtoUDP)
		}
		if len(data) < 8 {
			if len(data) >= 4 && outer {
				p.SrcPort, p.DstPort = binary.BigEndian.Uint16(data[0:2]), binary.BigEndian.Uint16(data[2:4])
			}
			d.short(s)
			return
		}
		sp, dp := binary.BigEndian.Uint16(data[0:2]), binary.BigEndian.Uint16(data[2:4])
		if outer {
			p.SrcPort, p.DstPort = sp, dp
		}
		payload := data[8:]
		if ul := binary.BigEndian.Uint16(data[4:6]); ul < 8 && !lite {
			// A bad (or GSO zero) length: tshark hands nothing on.
			return
		}
		if d.udpTunnel(s, sp, dp, payload) {
			return
		}
		p.App = d.udpApp(sp, dp, payload)
		if d.LearnNames && len(payload) > 0 {
			d.learnUDP(p.App, payload, src, dst, sp, dp)
		}
	case 1:
		// Headers quoted inside an ICMP error are not traffic: stop.
		p.Protos = p.Protos.Add(model.ProtoICMP)
	case 58:
		p.Protos = p.Protos.Add(model.ProtoICMPv6)
	case 132:
		p.Protos = p.Protos.Add(model.ProtoSCTP)
		if len(data) >= 4 && outer {
			p.SrcPort, p.DstPort = binary.BigEndian.Uint16(data[0:2]), binary.BigEndian.Uint16(data[2:4])
		}
	case 2:
		p.Protos = p.Protos.Add(model.ProtoIGMP)
	case 50:
		p.Protos = p.Protos.Add(model.ProtoESP)
	case 51:
		p.Protos = p.Protos.Add(model.ProtoAH)
		if len(data) >= 8 {
			l := (int(data[1]) + 2) * 4
			if l <= len(data) {
				d.transport(s, data[0], data[l:], src, dst)
			}
		}
	case 89:
		p.Protos = p.Protos.Add(model.ProtoOSPF)
	case 47:
		d.greLayer(s, data)
	case 4: // IP in IP
		d.ip4(s, data)
	case 41: // IPv6 in IP (6in4)
		d.ip6(s, data)
	}
}

// udpTunnel decodes what UDP carries when it is a tunnel, as tshark does
// by port (either port): VXLAN, GENEVE, GTP-U, L2TP, Teredo, ESP in UDP.
// It reports whether it took the payload.
func (d *Decoder) udpTunnel(s *state, sp, dp uint16, b []byte) bool {
	port := func(n uint16) bool { return sp == n || dp == n }
	p := s.p
	switch {
	case port(4789):
		p.Protos = p.Protos.Add(model.ProtoVXLAN)
		if d.vxlan.DecodeFromBytes(b, d) == nil {
			d.ethernet(s, d.vxlan.Payload)
		}
	case port(6081):
		p.Protos = p.Protos.Add(model.ProtoGeneve)
		if d.geneve.DecodeFromBytes(b, d) == nil {
			d.etherType(s, d.geneve.Protocol, d.geneve.Payload)
		}
	case port(2152): // GTP-U
		p.Protos = p.Protos.Add(model.ProtoGTP)
		if len(b) < 8 || b[0]>>5 != 1 || b[1] != 0xff { // version 1, a G-PDU
			return true
		}
		flags := b[0]
		b = b[8:]
		if flags&7 != 0 {
			if len(b) < 4 {
				d.short(s)
				return true
			}
			next := b[3]
			b = b[4:]
			for next != 0 && flags&4 != 0 { // extension headers
				if len(b) < 1 || int(b[0])*4 > len(b) || b[0] == 0 {
					d.short(s)
					return true
				}
				l := int(b[0]) * 4
				next, b = b[l-1], b[l:]
			}
		}
		d.rawIP(s, b)
	case port(1701): // L2TPv2 data messages carry PPP
		p.Protos = p.Protos.Add(model.ProtoL2TP)
		if len(b) < 6 || b[0]&0x80 != 0 || b[1]&0x0f != 2 { // control message, or not version 2
			return true
		}
		flags := b[0]
		n := 2
		if flags&0x40 != 0 {
			n += 2
		}
		n += 4 // tunnel and session ids
		if flags&0x08 != 0 {
			n += 4
		}
		if flags&0x02 != 0 {
			if len(b) < n+2 {
				d.short(s)
				return true
			}
			n += 2 + int(binary.BigEndian.Uint16(b[n:]))
		}
		if len(b) < n {
			d.short(s)
			return true
		}
		d.ppp(s, b[n:])
	case port(3544): // Teredo: optional authentication and origin headers, then IPv6
		for len(b) >= 2 && b[0] == 0 && (b[1] == 0 || b[1] == 1) {
			if b[1] == 0 { // origin indication
				if len(b) < 8 {
					return false
				}
				b = b[8:]
				continue
			}
			if len(b) < 4 { // authentication
				return false
			}
			n := 4 + int(b[2]) + int(b[3]) + 9
			if len(b) < n {
				return false
			}
			b = b[n:]
		}
		if len(b) < 40 || b[0]>>4 != 6 {
			return false
		}
		p.Protos = p.Protos.Add(model.ProtoTeredo)
		d.ip6(s, b)
	case port(4500): // IPsec NAT traversal: ESP, unless the non-ESP marker says IKE
		if len(b) >= 4 && binary.BigEndian.Uint32(b) != 0 {
			p.Protos = p.Protos.Add(model.ProtoESP)
			return true
		}
		return false
	default:
		return false
	}
	return true
}
