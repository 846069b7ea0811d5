package sniff

import (
	"encoding/binary"
	"flag"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

var gen = flag.Bool("gen", false, "rewrite testdata/captures/synth_*.pcap (then run testdata/gen-expect.sh)")

// TestGenerateTunnelCaptures writes the captures of encapsulations the
// third-party corpus lacks (PPPoE, IP-in-IP, 6in4, 4in6, QinQ with IPv6,
// MPLS stacks, GRE with IPv6, IPv4 options, fragments, BSD LOOP),
// serialized by gopacket. They are committed; tshark's view of them is in
// testdata/expect like the others', so they are checked against tshark.
// Run with -gen to rewrite them.
func TestGenerateTunnelCaptures(t *testing.T) {
	if !*gen {
		t.Skip("run with -gen to rewrite the synthetic captures")
	}
	mac1, _ := net.ParseMAC("02:00:00:00:00:01")
	mac2, _ := net.ParseMAC("02:00:00:00:00:02")
	eth := func(et layers.EthernetType) *layers.Ethernet {
		return &layers.Ethernet{SrcMAC: mac1, DstMAC: mac2, EthernetType: et}
	}
	ip4 := func(src, dst string, proto layers.IPProtocol) *layers.IPv4 {
		return &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: net.ParseIP(src).To4(), DstIP: net.ParseIP(dst).To4()}
	}
	ip6 := func(src, dst string, next layers.IPProtocol) *layers.IPv6 {
		return &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: next, SrcIP: net.ParseIP(src), DstIP: net.ParseIP(dst)}
	}
	tcp := func(sp, dp int) *layers.TCP {
		return &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), SYN: true, Window: 1024, DataOffset: 5}
	}
	udp := func(sp, dp int) *layers.UDP {
		return &layers.UDP{SrcPort: layers.UDPPort(sp), DstPort: layers.UDPPort(dp)}
	}
	payload := gopacket.Payload([]byte("pktop synthetic payload"))
	ser := func(ls ...gopacket.SerializableLayer) []byte {
		buf := gopacket.NewSerializeBuffer()
		opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
		for _, l := range ls {
			switch n := l.(type) {
			case *layers.TCP:
				for _, x := range ls {
					if ip, ok := x.(gopacket.NetworkLayer); ok {
						n.SetNetworkLayerForChecksum(ip)
					}
				}
			case *layers.UDP:
				for _, x := range ls {
					if ip, ok := x.(gopacket.NetworkLayer); ok {
						n.SetNetworkLayerForChecksum(ip)
					}
				}
			case *layers.ICMPv6:
				for _, x := range ls {
					if ip, ok := x.(gopacket.NetworkLayer); ok {
						n.SetNetworkLayerForChecksum(ip)
					}
				}
			}
		}
		if err := gopacket.SerializeLayers(buf, opts, ls...); err != nil {
			t.Fatal(err)
		}
		return append([]byte(nil), buf.Bytes()...)
	}
	v4opts := ip4("10.9.0.1", "10.9.0.2", layers.IPProtocolUDP)
	v4opts.Options = []layers.IPv4Option{{OptionType: 0x94, OptionLength: 4, OptionData: []byte{0, 0}}} // router alert
	frag1 := ip4("10.9.1.1", "10.9.1.2", layers.IPProtocolUDP)
	frag1.Flags = layers.IPv4MoreFragments
	frag2 := ip4("10.9.1.1", "10.9.1.2", layers.IPProtocolUDP)
	frag2.FragOffset = 100
	frames := [][]byte{
		ser(eth(layers.EthernetTypePPPoESession), &layers.PPPoE{Version: 1, Type: 1, Code: layers.PPPoECodeSession, SessionId: 7},
			&layers.PPP{PPPType: layers.PPPTypeIPv4}, ip4("100.64.0.1", "198.51.100.80", layers.IPProtocolTCP), tcp(40000, 80), payload),
		ser(eth(layers.EthernetTypeIPv4), ip4("203.0.113.1", "203.0.113.2", layers.IPProtocolIPv4),
			ip4("10.1.0.1", "10.1.0.2", layers.IPProtocolUDP), udp(5000, 53), payload),
		ser(eth(layers.EthernetTypeIPv4), ip4("203.0.113.5", "203.0.113.6", layers.IPProtocolIPv6),
			ip6("2001:db8:6::1", "2001:db8:6::2", layers.IPProtocolTCP), tcp(40001, 443), payload),
		ser(eth(layers.EthernetTypeIPv6), ip6("2001:db8:4::1", "2001:db8:4::2", layers.IPProtocolIPv4),
			ip4("10.4.0.1", "10.4.0.2", layers.IPProtocolICMPv4), &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0)}, payload),
		ser(eth(layers.EthernetTypeIPv4), v4opts, udp(5001, 123), payload),
		ser(eth(layers.EthernetTypeQinQ), &layers.Dot1Q{VLANIdentifier: 100, Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 200, Type: layers.EthernetTypeIPv6}, ip6("2001:db8:a::1", "2001:db8:a::2", layers.IPProtocolUDP), udp(5002, 5353), payload),
		ser(eth(layers.EthernetTypeMPLSUnicast), &layers.MPLS{Label: 16, TTL: 64}, &layers.MPLS{Label: 17, StackBottom: true, TTL: 64},
			ip4("10.7.0.1", "10.7.0.2", layers.IPProtocolTCP), tcp(40002, 22), payload),
		ser(eth(layers.EthernetTypeIPv4), ip4("203.0.113.9", "203.0.113.10", layers.IPProtocolGRE), &layers.GRE{Protocol: layers.EthernetTypeIPv6},
			ip6("2001:db8:9::1", "2001:db8:9::2", layers.IPProtocolICMPv6), &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(128, 0)}, payload),
		ser(eth(layers.EthernetTypeIPv4), frag1, udp(5003, 2049), payload),
		ser(eth(layers.EthernetTypeIPv4), frag2, payload),
	}
	write := func(name string, lt layers.LinkType, frames [][]byte) {
		f, err := os.Create("../testdata/captures/" + name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		w := pcapgo.NewWriter(f)
		if err := w.WriteFileHeader(65535, lt); err != nil {
			t.Fatal(err)
		}
		ts := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
		for i, fr := range frames {
			ci := gopacket.CaptureInfo{Timestamp: ts.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(fr), Length: len(fr)}
			if err := w.WritePacket(ci, fr); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("synth_tunnels.pcap", layers.LinkTypeEthernet, frames)
	// BSD LOOP: the address family in network byte order.
	loop := func(af uint32, rest []byte) []byte {
		h := make([]byte, 4)
		binary.BigEndian.PutUint32(h, af)
		return append(h, rest...)
	}
	write("synth_loop.pcap", layers.LinkTypeLoop, [][]byte{
		loop(2, ser(ip4("127.0.0.1", "127.0.0.1", layers.IPProtocolUDP), udp(5004, 53), payload)),
		loop(24, ser(ip6("::1", "::1", layers.IPProtocolTCP), tcp(40003, 8080), payload)),
	})
}
