package model

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// benchPackets makes n packets among the given numbers of hosts, in a
// mix of directions and ports, over about two seconds.
func benchPackets(n, hosts int) []Packet {
	r := rand.New(rand.NewPCG(1, 2))
	ps := make([]Packet, n)
	t := int64(1700000000) * 1e9
	for i := range ps {
		t += int64(r.IntN(20000))
		src := netip.AddrFrom4([4]byte{10, byte(i % hosts >> 16), byte(i % hosts >> 8), byte(i % hosts)})
		dst := netip.AddrFrom4([4]byte{192, 168, 0, byte(r.IntN(50))})
		ps[i] = Packet{Time: t, WireLen: uint32(60 + r.IntN(1400)), Src: src, Dst: dst,
			SrcPort: uint16(32768 + r.IntN(20000)), DstPort: 443, L4: 6,
			Protos: ProtoSet(0).Add(ProtoEthernet).Add(ProtoIPv4).Add(ProtoTCP), App: AppTLS}
	}
	return ps
}

// BenchmarkAggregatorAdd counts packets of 5000 hosts talking to 50
// servers: conversations overflow the default table, so it includes the
// cost of evictions.
func BenchmarkAggregatorAdd(b *testing.B) { benchAdd(b, benchPackets(200000, 5000)) }

// BenchmarkAggregatorAddFew counts packets of 200 hosts: every key fits.
func BenchmarkAggregatorAddFew(b *testing.B) { benchAdd(b, benchPackets(200000, 200)) }

func benchAdd(b *testing.B, ps []Packet) {
	b.ReportAllocs()
	for b.Loop() {
		a := NewAggregator(DefaultConfig())
		for i := range ps {
			a.Add(&ps[i])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ps)), "ns/packet")
}

// BenchmarkSnapshot builds the screen's snapshot (the top 500 rows of
// each table by 10 s rate) of 100,000 hosts, 200,000 conversations and
// 200,000 flows.
func BenchmarkSnapshot(b *testing.B) {
	cfg := DefaultConfig()
	cfg.MaxKeys = 200000
	a := NewAggregator(cfg)
	ps := benchPackets(300000, 100000)
	for i := range ps {
		a.Add(&ps[i])
	}
	b.ReportAllocs()
	for b.Loop() {
		a.Snapshot(View{Sort: Sort10s, Limit: 500})
	}
	b.ReportMetric(float64(a.hosts.len()+a.convs.len()+a.ports.len()+a.flows.len()), "entries")
}

// flowPackets makes n packets of the given number of flows (TCP, both
// directions), each flow sending a run of packets at a time, as real
// traffic does.
func flowPackets(n, flows int) []Packet {
	r := rand.New(rand.NewPCG(5, 6))
	ps := make([]Packet, n)
	t := int64(1700000000) * 1e9
	for i := 0; i < n; {
		f := r.IntN(flows)
		c := netip.AddrFrom4([4]byte{10, byte(f >> 16), byte(f >> 8), byte(f % 251)})
		s := netip.AddrFrom4([4]byte{192, 168, 0, byte(f % 50)})
		cp := uint16(32768 + f%20000)
		for run := 1 + r.IntN(16); run > 0 && i < n; run-- {
			t += int64(r.IntN(20000))
			p := Packet{Time: t, WireLen: uint32(60 + r.IntN(1400)), Src: c, Dst: s, SrcPort: cp, DstPort: 443, L4: 6,
				Protos: ProtoSet(0).Add(ProtoEthernet).Add(ProtoIPv4).Add(ProtoTCP), App: AppTLS}
			if r.IntN(2) == 0 {
				p.Src, p.Dst, p.SrcPort, p.DstPort = s, c, 443, cp
			}
			ps[i] = p
			i++
		}
	}
	return ps
}

// BenchmarkAggregatorAddFlows counts packets of 10,000 flows (hosts,
// conversations, ports and flows all fit in the tables): the steady cost
// a packet of an established flow.
func BenchmarkAggregatorAddFlows(b *testing.B) { benchAdd(b, flowPackets(200000, 10000)) }
