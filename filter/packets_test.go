package filter

import (
	"bufio"
	"encoding/binary"
	"io"
	"math/rand"
	"net/netip"
	"os"

	"github.com/gopacket/gopacket/pcapgo"
)

// packet is a frame to filter: its link type, bytes and wire length.
type packet struct {
	lt   int
	data []byte
	wire uint32
	file string // the capture it came from ("" if generated)
	big  bool   // the capture's byte order is big-endian
}

// readCapture reads every frame of a pcap or pcapng file.
func readCapture(path string) ([]packet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic, err := br.Peek(4)
	if err != nil {
		return nil, err
	}
	var out []packet
	if binary.BigEndian.Uint32(magic) == 0x0a0d0d0a {
		bom, _ := br.Peek(12)
		big := len(bom) == 12 && binary.BigEndian.Uint32(bom[8:]) == 0x1a2b3c4d
		r, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{SkipUnknownVersion: true})
		if err != nil {
			return nil, err
		}
		for len(out) < maxPerFile {
			data, ci, err := r.ReadPacketData()
			if err != nil {
				break
			}
			lt := int(r.LinkType())
			if ifc, err := r.Interface(ci.InterfaceIndex); err == nil {
				lt = int(ifc.LinkType)
			}
			out = append(out, packet{lt: lt, data: data, wire: uint32(ci.Length), file: path, big: big})
		}
		return out, nil
	}
	big := magic[0] == 0xa1 || magic[0] == 0x4d && magic[1] == 0x3c
	r, err := pcapgo.NewReader(br)
	if err != nil {
		return nil, err
	}
	for len(out) < maxPerFile {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			if err == io.EOF {
				break
			}
			break
		}
		out = append(out, packet{lt: int(r.LinkType()), data: data, wire: uint32(ci.Length), file: path, big: big})
	}
	return out, nil
}

// maxPerFile bounds what one capture contributes.
const maxPerFile = 3000

// The generator builds frames from a small set of addresses, ports and
// protocols that the expressions name, so that both accepting and
// rejecting paths are taken, then mutates and truncates them.
var (
	genV4 = []string{"1.2.3.4", "10.0.0.1", "10.0.0.2", "10.1.2.3", "192.168.1.1", "127.0.0.1", "224.0.0.251",
		"255.255.255.255", "0.0.0.0", "172.16.5.4", "10.255.255.255"}
	genV6    = []string{"::1", "fe80::1", "2001:db8::1", "2001:db8::2", "ff02::1", "ff02::fb", "2001:db8:1::5"}
	genPorts = []uint16{22, 53, 80, 443, 67, 68, 123, 999, 1000, 1500, 2000, 2001, 8080, 65535, 0, 5353, 20, 21}
	genMACs  = [][]byte{
		{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb},
		{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}, {0x02, 0x00, 0x00, 0x00, 0x00, 0x01}, {0x00, 0x11, 0x22, 0x33, 0x44, 0x66},
	}
	genIPProtos = []byte{6, 17, 132, 1, 2, 9, 103, 112, 50, 51, 47, 4, 41, 58, 0, 255}
)

type gen4 struct{ r *rand.Rand }

func (g gen4) pick4() []byte {
	a := netip.MustParseAddr(genV4[g.r.Intn(len(genV4))]).As4()
	return a[:]
}

func (g gen4) pick6() []byte {
	a := netip.MustParseAddr(genV6[g.r.Intn(len(genV6))]).As16()
	return a[:]
}

func (g gen4) port() []byte {
	var b [2]byte
	p := genPorts[g.r.Intn(len(genPorts))]
	if g.r.Intn(8) == 0 {
		p = uint16(g.r.Intn(65536))
	}
	binary.BigEndian.PutUint16(b[:], p)
	return b[:]
}

// l4 builds a transport header (and a little payload) for proto.
func (g gen4) l4(proto byte) []byte {
	var b []byte
	switch proto {
	case 6:
		b = append(append(g.port(), g.port()...), make([]byte, 16)...)
		b[12] = 0x50
		b[13] = []byte{0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x00, 0xff}[g.r.Intn(8)]
	case 17, 132:
		b = append(append(g.port(), g.port()...), make([]byte, 4)...)
	case 1:
		b = []byte{[]byte{0, 3, 8, 11, 5, 13}[g.r.Intn(6)], byte(g.r.Intn(4)), 0, 0, 0, 0, 0, 0}
	case 58:
		b = []byte{[]byte{128, 129, 135, 136, 1, 2, 133, 143}[g.r.Intn(8)], 0, 0, 0, 0, 0, 0, 0}
	default:
		b = make([]byte, 8)
		g.r.Read(b)
	}
	pay := make([]byte, g.r.Intn(24))
	g.r.Read(pay)
	return append(b, pay...)
}

func (g gen4) ipv4() []byte {
	proto := genIPProtos[g.r.Intn(len(genIPProtos))]
	ihl := 5
	if g.r.Intn(6) == 0 {
		ihl = 5 + 1 + g.r.Intn(3)
	}
	h := make([]byte, ihl*4)
	h[0] = 0x40 | byte(ihl)
	switch g.r.Intn(8) {
	case 0:
		binary.BigEndian.PutUint16(h[6:], uint16(g.r.Intn(0x2000))) // a later fragment
	case 1:
		binary.BigEndian.PutUint16(h[6:], 0x2000) // more fragments, offset 0
	case 2:
		binary.BigEndian.PutUint16(h[6:], 0x4000)
	}
	h[8] = 64
	h[9] = proto
	copy(h[12:], g.pick4())
	copy(h[16:], g.pick4())
	body := g.l4(proto)
	binary.BigEndian.PutUint16(h[2:], uint16(len(h)+len(body)))
	return append(h, body...)
}

func (g gen4) ipv6() []byte {
	h := make([]byte, 40)
	h[0] = 0x60
	h[7] = 64
	copy(h[8:], g.pick6())
	copy(h[24:], g.pick6())
	final := genIPProtos[g.r.Intn(len(genIPProtos))]
	if g.r.Intn(3) == 0 {
		final = 58
	}
	// Extension headers: none, a fragment header, or others.
	var ext []byte
	next := final
	for n := g.r.Intn(3); n > 0; n-- {
		kind := []byte{0, 43, 44, 60}[g.r.Intn(4)]
		e := make([]byte, 8)
		e[0] = next
		if kind == 44 && g.r.Intn(2) == 0 {
			binary.BigEndian.PutUint16(e[2:], uint16(g.r.Intn(0x2000))&^7)
		}
		ext = append(e, ext...)
		next = kind
	}
	h[6] = next
	body := append(ext, g.l4(final)...)
	binary.BigEndian.PutUint16(h[4:], uint16(len(body)))
	return append(h, body...)
}

func (g gen4) arp() []byte {
	b := []byte{0, 1, 8, 0, 6, 4, 0, byte(1 + g.r.Intn(4))}
	b = append(b, genMACs[g.r.Intn(len(genMACs))]...)
	b = append(b, g.pick4()...)
	b = append(b, genMACs[g.r.Intn(len(genMACs))]...)
	return append(b, g.pick4()...)
}

// l3 returns a network-layer packet and its Ethernet type.
func (g gen4) l3() ([]byte, uint16) {
	switch g.r.Intn(10) {
	case 0, 1, 2, 3:
		return g.ipv4(), 0x0800
	case 4, 5, 6:
		return g.ipv6(), 0x86dd
	case 7:
		return g.arp(), 0x0806
	case 8:
		return g.arp(), 0x8035
	}
	b := make([]byte, 20+g.r.Intn(40))
	g.r.Read(b)
	return b, []uint16{0x6003, 0x88cc, 0x0800, 0x86dd, 0x1234, 0x0040, 0x05dc, 0x8863}[g.r.Intn(8)]
}

// ethernet builds an Ethernet frame, with VLAN tags, an MPLS stack or a
// PPPoE session header sometimes.
func (g gen4) ethernet() []byte {
	f := append(append([]byte{}, genMACs[g.r.Intn(len(genMACs))]...), genMACs[g.r.Intn(len(genMACs))]...)
	payload, et := g.l3()
	switch g.r.Intn(8) {
	case 0: // MPLS
		var stack []byte
		n := 1 + g.r.Intn(3)
		for i := 0; i < n; i++ {
			label := []uint32{5, 16, 100, 0xfffff}[g.r.Intn(4)]
			w := label<<12 | 64
			if i == n-1 && g.r.Intn(6) != 0 {
				w |= 0x100
			}
			var b [4]byte
			binary.BigEndian.PutUint32(b[:], w)
			stack = append(stack, b[:]...)
		}
		payload, et = append(stack, payload...), 0x8847
	case 1: // PPPoE session
		pp := uint16(0x21)
		if et == 0x86dd {
			pp = 0x57
		}
		if g.r.Intn(4) == 0 {
			pp = []uint16{0x0281, 0xc021, 0x0800, 0x21}[g.r.Intn(4)]
		}
		h := []byte{0x11, 0, 0, byte([]int{3, 4, 0x103}[g.r.Intn(3)] & 0xff), 0, 0, byte(pp >> 8), byte(pp)}
		if g.r.Intn(3) == 0 {
			h[2] = 1
		}
		payload, et = append(h, payload...), 0x8864
	}
	for n := []int{0, 0, 1, 1, 2, 3}[g.r.Intn(6)]; n > 0; n-- {
		tpid := []uint16{0x8100, 0x88a8, 0x9100}[g.r.Intn(3)]
		tci := []uint16{100, 200, 1, 4095, 100 | 0x2000}[g.r.Intn(5)]
		payload = append([]byte{byte(tci >> 8), byte(tci), byte(et >> 8), byte(et)}, payload...)
		et = tpid
	}
	f = append(f, byte(et>>8), byte(et))
	return append(f, payload...)
}

// frame builds a frame of link type lt around a network-layer packet.
func (g gen4) frame(lt int) []byte {
	if lt == LinkEthernet {
		return g.ethernet()
	}
	p, et := g.l3()
	switch lt {
	case LinkSLL:
		h := make([]byte, 16)
		binary.BigEndian.PutUint16(h[0:], uint16([]int{0, 4, 1, 2, 3}[g.r.Intn(5)]))
		binary.BigEndian.PutUint16(h[2:], 1)
		binary.BigEndian.PutUint16(h[4:], 6)
		copy(h[6:], genMACs[g.r.Intn(len(genMACs))])
		binary.BigEndian.PutUint16(h[14:], et)
		if g.r.Intn(10) == 0 {
			binary.BigEndian.PutUint16(h[14:], 4) // 802.2
		}
		return append(h, p...)
	case LinkSLL2:
		h := make([]byte, 20)
		binary.BigEndian.PutUint16(h[0:], et)
		binary.BigEndian.PutUint32(h[4:], uint32(g.r.Intn(4)))
		binary.BigEndian.PutUint16(h[8:], 1)
		h[10] = []byte{0, 4, 1, 2, 3}[g.r.Intn(5)]
		h[11] = 6
		copy(h[12:], genMACs[g.r.Intn(len(genMACs))])
		return append(h, p...)
	case LinkNull:
		h := make([]byte, 4)
		af := []uint32{2, 24, 28, 30, 10, 7}[g.r.Intn(6)]
		if et == 0x0800 {
			af = 2
		}
		if g.r.Intn(2) == 0 {
			binary.LittleEndian.PutUint32(h, af)
		} else {
			binary.BigEndian.PutUint32(h, af)
		}
		return append(h, p...)
	case LinkLoop:
		h := make([]byte, 4)
		af := []uint32{2, 24, 28, 30, 10}[g.r.Intn(5)]
		if et == 0x0800 {
			af = 2
		}
		binary.BigEndian.PutUint32(h, af)
		return append(h, p...)
	case LinkPPP, LinkPPPSerial:
		pp := map[uint16]uint16{0x0800: 0x21, 0x86dd: 0x57}[et]
		if pp == 0 || g.r.Intn(5) == 0 {
			pp = []uint16{0x0281, 0xc021, 0x8021, 0x0806}[g.r.Intn(4)]
		}
		return append([]byte{0xff, 0x03, byte(pp >> 8), byte(pp)}, p...)
	case LinkPPPEther:
		pp := map[uint16]uint16{0x0800: 0x21, 0x86dd: 0x57}[et]
		return append([]byte{0x11, 0, 0, 3, 0, 0, byte(pp >> 8), byte(pp)}, p...)
	case LinkCHDLC:
		if g.r.Intn(6) == 0 {
			et = 0x8847
			p = append([]byte{0, 0x5, 0x11, 0x40}, p...)
		}
		return append([]byte{0x0f, 0, byte(et >> 8), byte(et)}, p...)
	case LinkNFLOG:
		h := []byte{byte([]int{2, 10, 7}[g.r.Intn(3)]), 0, 0, 0}
		return append(h, p...)
	case Link80211:
		return g.wlan(p, et)
	case LinkRadiotap:
		// version, pad, length, present; then TSFT and flags when
		// present, and maybe more.
		present := uint32([]int{0, 2, 3, 0x80000002, 1, 6}[g.r.Intn(6)])
		h := []byte{0, 0, 0, 0, 0, 0, 0, 0}
		binary.LittleEndian.PutUint32(h[4:], present)
		if present&0x80000000 != 0 {
			h = append(h, 0, 0, 0, 0)
		}
		if present&1 != 0 {
			h = append(h, make([]byte, 8)...)
		}
		flags := byte(0)
		if g.r.Intn(3) == 0 {
			flags = 0x20
		}
		if present&2 != 0 {
			h = append(h, flags, 0)
		}
		h = append(h, make([]byte, g.r.Intn(4))...)
		binary.LittleEndian.PutUint16(h[2:], uint16(len(h)))
		w := g.wlan(p, et)
		if flags != 0 {
			w = append(w[:24], append(make([]byte, g.r.Intn(4)), w[24:]...)...)
		}
		return append(h, w...)
	case LinkPPI:
		h := []byte{0, 0, 8, 0, 105, 0, 0, 0}
		if g.r.Intn(6) == 0 {
			h[4] = 1
		}
		if g.r.Intn(4) == 0 {
			h = append(h, make([]byte, 4)...)
			h[2] = 12
		}
		return append(h, g.wlan(p, et)...)
	}
	// raw IP
	if g.r.Intn(8) == 0 {
		b := make([]byte, 1+g.r.Intn(30))
		g.r.Read(b)
		return b
	}
	if et != 0x0800 && et != 0x86dd {
		return g.ipv4()
	}
	return p
}

// wlan builds an 802.11 frame: data (QoS or not, any DS bits),
// management or control, with an LLC/SNAP header before the payload.
func (g gen4) wlan(p []byte, et uint16) []byte {
	fc := []byte{0x08, 0x88, 0x80, 0xd4, 0x48, 0x0c}[g.r.Intn(6)]
	h := []byte{fc, byte(g.r.Intn(4)), 0, 0}
	for i := 0; i < 3; i++ {
		h = append(h, genMACs[g.r.Intn(len(genMACs))]...)
	}
	h = append(h, 0, 0)
	if h[1]&3 == 3 {
		h = append(h, genMACs[g.r.Intn(len(genMACs))]...)
	}
	if fc&0x80 != 0 && fc&0x0c == 0x08 {
		h = append(h, 0, 0)
	}
	snap := []byte{0xaa, 0xaa, 0x03, 0, 0, 0, byte(et >> 8), byte(et)}
	return append(append(h, snap...), p...)
}

// generated returns n frames of link type lt: built, then some mutated
// (bytes flipped, fields set to neighbours' values) and truncated.
func generated(lt int, n int, seed int64) []packet {
	g := gen4{rand.New(rand.NewSource(seed))}
	out := make([]packet, 0, n)
	for len(out) < n {
		f := g.frame(lt)
		switch g.r.Intn(4) {
		case 0: // flip bytes
			for k := 1 + g.r.Intn(3); k > 0; k-- {
				i := g.r.Intn(len(f))
				f[i] = byte(g.r.Intn(256))
			}
		case 1: // truncate
			f = f[:g.r.Intn(len(f)+1)]
		}
		wire := uint32(len(f))
		if g.r.Intn(3) == 0 {
			wire += uint32(g.r.Intn(1500))
		}
		out = append(out, packet{lt: lt, data: f, wire: wire})
	}
	return out
}
