package model

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestSeededFocusMatchesTheRowsPackets: a focus started from the tables
// (live capture) has the row's hosts, conversations, ports, flows,
// totals and protocols exactly as counting the row's packets alone gives
// them.
func TestSeededFocusMatchesTheRowsPackets(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var pkts []Packet
	hosts := []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "192.0.2.7", "2001:db8::1", "2001:db8::2"}
	for i := range 5000 {
		a, b := hosts[r.IntN(len(hosts))], hosts[r.IntN(len(hosts))]
		src, dst := netip.MustParseAddr(a), netip.MustParseAddr(b)
		if src.Is4() != dst.Is4() {
			continue
		}
		p := Packet{Time: 1e18 + int64(i)*int64(sec)/50, WireLen: uint32(60 + r.IntN(1400)), Src: src, Dst: dst}
		p.CapLen = p.WireLen
		p.Protos = ProtoSet(0).Add(ProtoEthernet)
		if src.Is4() {
			p.Protos = p.Protos.Add(ProtoIPv4)
		} else {
			p.Protos = p.Protos.Add(ProtoIPv6)
		}
		switch r.IntN(3) {
		case 0:
			p.L4, p.SrcPort, p.DstPort, p.App = 6, uint16(40000+r.IntN(3)), 443, AppTLS
			p.Protos = p.Protos.Add(ProtoTCP)
		case 1:
			p.L4, p.SrcPort, p.DstPort, p.App = 17, 53, uint16(50000+r.IntN(2)), AppDNS
			p.Protos = p.Protos.Add(ProtoUDP)
		default:
			p.L4 = 1
			if src.Is6() {
				p.L4 = 58
			}
		}
		pkts = append(pkts, p)
	}
	all := NewAggregator(DefaultConfig())
	for i := range pkts {
		all.Add(&pkts[i])
	}
	keys := []Key{
		{Kind: KindHost, A: netip.MustParseAddr("10.0.0.1")},
		{Kind: KindConv, A: netip.MustParseAddr("10.0.0.2"), B: netip.MustParseAddr("192.0.2.7")},
		{Kind: KindPort, L4: 17, Port: 53},
		{Kind: KindPort, L4: 6, Port: 443},
	}
	for _, k := range keys {
		ref := NewAggregator(DefaultConfig())
		for i := range pkts {
			if MatchPacket(k, &pkts[i]) {
				ref.Add(&pkts[i])
			}
		}
		v := View{Sort: SortBytes}
		want := ref.Snapshot(v)
		got := all.SeededFocus(k, v).Sub
		if got.Total != want.Total {
			t.Errorf("%v: total %v; want %v", k, got.Total, want.Total)
		}
		wp := map[string]Counts{}
		for _, p := range want.Protocols {
			wp[p.Name] = p.Counts
		}
		for _, p := range got.Protocols {
			if wp[p.Name] != p.Counts {
				t.Errorf("%v: protocol %s %v; want %v", k, p.Name, p.Counts, wp[p.Name])
			}
			delete(wp, p.Name)
		}
		if len(wp) > 0 {
			t.Errorf("%v: protocols missing: %v", k, wp)
		}
		// The last 40 seconds of its throughput come from its flows.
		last40 := func(ss []Sample) (n uint64) {
			for _, sm := range ss {
				if sm.Sec > all.now/1e9-HistorySeconds {
					n += sm.Bytes
				}
			}
			return n
		}
		if g, w := last40(got.Series), last40(want.Series); g != w || w == 0 {
			t.Errorf("%v: the last 40 s carried %d bytes; want %d", k, g, w)
		}
		for _, kind := range []Kind{KindHost, KindConv, KindPort, KindFlow} {
			g, w := got.Table(kind).Rows, want.Table(kind).Rows
			if len(g) != len(w) {
				t.Errorf("%v: %d %v; want %d", k, len(g), kind, len(w))
				continue
			}
			byKey := map[Key]Row{}
			for _, r := range w {
				byKey[r.Key] = r
			}
			for _, r := range g {
				if wr := byKey[r.Key]; wr.Total != r.Total || wr.Out != r.Out || wr.In != r.In {
					t.Errorf("%v: %v %v: %v %v %v; want %v %v %v", k, kind, r.Key, r.Total, r.Out, r.In, wr.Total, wr.Out, wr.In)
				}
			}
		}
	}
}
