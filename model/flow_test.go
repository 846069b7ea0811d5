package model

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestFlows counts a TCP exchange both ways and a self-addressed UDP
// pair: one flow each, A the lower endpoint, directions from A.
func TestFlows(t *testing.T) {
	a := NewAggregator(DefaultConfig())
	c, s := netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.1")
	for i := range 3 {
		a.Add(&Packet{Time: int64(i+1) * sec, WireLen: 100, Src: c, Dst: s, SrcPort: 40000, DstPort: 443, L4: 6})
		a.Add(&Packet{Time: int64(i+1)*sec + 1, WireLen: 1000, Src: s, Dst: c, SrcPort: 443, DstPort: 40000, L4: 6})
	}
	lo := netip.MustParseAddr("127.0.0.1")
	a.Add(&Packet{Time: 5 * sec, WireLen: 60, Src: lo, Dst: lo, SrcPort: 5000, DstPort: 53, L4: 17})
	snap := a.Snapshot(View{Sort: SortBytes})
	if len(snap.Flows.Rows) != 2 {
		t.Fatalf("got %d flows; want 2", len(snap.Flows.Rows))
	}
	f := snap.Flows.Rows[0]
	if f.A != s || f.Port != 443 || f.B != c || f.PortB != 40000 || f.L4 != 6 {
		t.Errorf("flow key %+v; want 10.0.0.1:443 <=> 10.0.0.2:40000 tcp", f.Key)
	}
	if f.Out != (Counts{3, 3000}) || f.In != (Counts{3, 300}) || f.Total != (Counts{6, 3300}) {
		t.Errorf("flow counts out %+v in %+v total %+v", f.Out, f.In, f.Total)
	}
	g := snap.Flows.Rows[1]
	if g.Port != 53 || g.PortB != 5000 || g.In != (Counts{1, 60}) || !g.Out.IsZero() {
		t.Errorf("self flow %+v out %+v in %+v; want 127.0.0.1:53 <=> 127.0.0.1:5000, B to A", g.Key, g.Out, g.In)
	}
	rep := NewReport(snap, "x", "")
	if len(rep.Flows) != 2 || rep.Flows[1].A != "127.0.0.1:53" || rep.Flows[1].B != "127.0.0.1:5000" {
		t.Errorf("report flows %+v", rep.Flows)
	}
	// The conversation still counts per address pair, out = A to B.
	cv := snap.Convs.Rows[0]
	if cv.A != s || cv.Out != (Counts{3, 3000}) || cv.In != (Counts{3, 300}) {
		t.Errorf("conversation %+v out %+v in %+v", cv.Key, cv.Out, cv.In)
	}
}

// TestDeltasExact floods small tables with random traffic, asking for
// deltas now and then, with resets: every frame is handed out exactly
// once, per table (rows plus other) and per flow (live, evicted, other),
// whatever the evictions.
func TestDeltasExact(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxKeys = 64
	cfg.FlowDeltas = true
	a := NewAggregator(cfg)
	r := rand.New(rand.NewPCG(3, 4))
	var want Counts
	var hostsOut, hostsIn, convs, ports, flows Counts
	var byFlow = map[FlowKey]Counts{}
	var keys []Key
	take := func(req DeltaRequest) {
		d := a.Deltas(req)
		for _, row := range append(d.Hosts.Rows, d.Hosts.Other) {
			hostsOut.merge(row.Out)
			hostsIn.merge(row.In)
		}
		for _, row := range append(d.Convs.Rows, d.Convs.Other) {
			convs.merge(row.Total)
		}
		for _, row := range append(d.Ports.Rows, d.Ports.Other) {
			ports.merge(row.Total)
		}
		if len(d.Hosts.Rows) > req.Top+len(req.Keys) {
			t.Fatalf("%d host rows for top %d and %d keys", len(d.Hosts.Rows), req.Top, len(req.Keys))
		}
		keys = keys[:0]
		for _, row := range d.Hosts.Rows[:min(2, len(d.Hosts.Rows))] {
			keys = append(keys, row.Key)
		}
		for _, f := range d.Flows {
			flows.merge(f.Out)
			flows.merge(f.In)
			k := FlowKey{A: f.A, B: f.B, PortA: f.Port, PortB: f.PortB, L4: f.L4}
			c := byFlow[k]
			c.merge(f.Out)
			c.merge(f.In)
			byFlow[k] = c
			if (!f.Out.IsZero() && (f.OutFirst == 0 || f.OutLast < f.OutFirst)) || (!f.In.IsZero() && f.InFirst == 0) {
				t.Fatalf("flow delta times %+v", f)
			}
		}
		flows.merge(d.FlowsOther[0])
		flows.merge(d.FlowsOther[1])
	}
	for i := range 200000 {
		src := netip.AddrFrom4([4]byte{10, 0, 0, byte(r.IntN(200))})
		dst := netip.AddrFrom4([4]byte{10, 0, 1, byte(r.IntN(20))})
		p := Packet{Time: int64(i+1) * 1000, WireLen: uint32(60 + r.IntN(1400)), Src: src, Dst: dst,
			SrcPort: uint16(1000 + r.IntN(30)), DstPort: 80, L4: 6}
		a.Add(&p)
		want.add(p.WireLen)
		if i%997 == 0 {
			take(DeltaRequest{Tables: true, Top: 3, Keys: keys, Flows: true})
		}
		if i%50000 == 25000 {
			a.Reset()
		}
	}
	take(DeltaRequest{Tables: true, Top: 3, Keys: keys, Flows: true})
	for name, got := range map[string]Counts{"hosts sent": hostsOut, "hosts received": hostsIn, "conversations": convs, "ports": ports, "flows": flows} {
		if got != want {
			t.Errorf("%s: deltas sum to %+v; want %+v", name, got, want)
		}
	}
	if a.flows.evicted == 0 || a.resets != 4 {
		t.Errorf("evicted %d flows, %d resets: the test did not exercise evictions", a.flows.evicted, a.resets)
	}
	// The last request handed out everything: a new one is empty.
	d := a.Deltas(DeltaRequest{Tables: true, Top: 3, Flows: true})
	if len(d.Hosts.Rows) != 0 || !d.Hosts.Other.Total.IsZero() || len(d.Flows) != 0 {
		t.Errorf("a second request handed out %d host rows, other %+v, %d flows", len(d.Hosts.Rows), d.Hosts.Other.Total, len(d.Flows))
	}
}

// TestDeltasEndedBounded: with no request, evicted flows fill the list of
// ended flows up to MaxKeys, then fold into FlowsOther.
func TestDeltasEndedBounded(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxKeys = 100
	cfg.FlowDeltas = true
	a := NewAggregator(cfg)
	var want Counts
	for i := range 100000 {
		p := Packet{Time: int64(i), WireLen: 100, Src: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}),
			Dst: netip.MustParseAddr("10.1.0.1"), SrcPort: uint16(i), DstPort: 53, L4: 17}
		a.Add(&p)
		want.add(100)
		if len(a.ended) > cfg.MaxKeys {
			t.Fatalf("%d ended flows kept; max %d", len(a.ended), cfg.MaxKeys)
		}
	}
	d := a.Deltas(DeltaRequest{Flows: true})
	got := d.FlowsOther[0]
	got.merge(d.FlowsOther[1])
	ended := 0
	for _, f := range d.Flows {
		got.merge(f.Out)
		got.merge(f.In)
		if f.Evicted {
			ended++
		}
	}
	if got != want || ended != cfg.MaxKeys || d.FlowsOther[0].IsZero() {
		t.Errorf("handed out %+v (%d ended, other %+v); want %+v, %d ended", got, ended, d.FlowsOther, want, cfg.MaxKeys)
	}
}
