package ui

import (
	"net/netip"
	"testing"

	"github.com/pktop/pktop/model"
)

// bigSnapshot counts one packet each way between 100,000 hosts and a
// server, over 40 seconds, and cuts a snapshot as the model would.
func bigSnapshot(b *testing.B, hosts int) *model.Snapshot {
	cfg := testConfig(hosts)
	cfg.MaxKeys = hosts + 10
	agg := model.NewAggregator(cfg)
	server := netip.MustParseAddr("192.0.2.1")
	for sec := range 40 {
		batch := &model.Batch{Now: t0 + int64(sec+1)*1e9}
		for i := sec; i < hosts; i += 40 {
			c := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
			tm := t0 + int64(sec)*1e9 + int64(i)
			size := uint32(60 + i%1400)
			batch.Packets = append(batch.Packets,
				model.Packet{Time: tm, WireLen: size, CapLen: size, Src: c, Dst: server, SrcPort: 40000, DstPort: 443, L4: 6,
					Protos: model.ProtoSet(0).Add(model.ProtoEthernet).Add(model.ProtoIPv4).Add(model.ProtoTCP), App: model.AppTLS},
				model.Packet{Time: tm + 1000, WireLen: 1500, CapLen: 1500, Src: server, Dst: c, SrcPort: 443, DstPort: 40000, L4: 6,
					Protos: model.ProtoSet(0).Add(model.ProtoEthernet).Add(model.ProtoIPv4).Add(model.ProtoTCP), App: model.AppTLS})
		}
		agg.AddBatch(batch)
	}
	s := agg.Snapshot(model.View{Sort: model.Sort10s, Limit: defaultLimit})
	if s.Hosts.Keys != hosts+1 {
		b.Fatalf("got %d hosts; want %d", s.Hosts.Keys, hosts+1)
	}
	return s
}

// BenchmarkFrame builds one frame (all the text of a redraw, graphs
// included) from a snapshot of 100,000 hosts, at 120x40: the work the
// pump does off the UI goroutine for each redraw.
func BenchmarkFrame(b *testing.B) {
	s := bigSnapshot(b, 100000)
	for _, tc := range []struct {
		name string
		kind model.Kind
		sel  int
	}{{"hosts", model.KindHost, 0}, {"hosts-scrolled", model.KindHost, 450}, {"conversations", model.KindConv, 0}} {
		b.Run(tc.name, func(b *testing.B) {
			st := state{view: s.View, names: true, services: true, w: 120, h: 40, kind: tc.kind}
			st.sel[tc.kind] = cursor{idx: tc.sel, ok: true, key: s.Table(tc.kind).Rows[tc.sel].Key}
			b.ReportAllocs()
			for b.Loop() {
				buildFrame(s, &st, playerState{has: true, speed: 1}, Source{Title: "bench"}, theme{})
			}
		})
	}
}

// BenchmarkDraw copies a frame into the widgets and draws it on a
// simulation screen: the work of the UI goroutine for each redraw.
func BenchmarkDraw(b *testing.B) {
	s := bigSnapshot(b, 100000)
	u := New(Config{Model: fixed{s}})
	sim := simScreen(b, 120, 40)
	u.st.w, u.st.h = 120, 40
	f := u.nextFrame()
	b.ReportAllocs()
	for b.Loop() {
		u.apply(f)
		u.root.SetRect(0, 0, 120, 40)
		u.root.Draw(sim)
		sim.Show()
	}
}
