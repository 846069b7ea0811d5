package export

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pktop/pktop/model"
)

// BenchmarkPumpTick is one tick of the exporters (Prometheus and IPFIX)
// over a model holding 20,000 flows between 8,000 hosts, each of which
// counted a frame since the last tick: the fixed cost the exporters add
// to each second of capture.
func BenchmarkPumpTick(b *testing.B) {
	cfg := model.DefaultConfig()
	cfg.FlowDeltas = true
	cfg.NoRowRates = true
	a := model.NewAggregator(cfg)
	sink, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	go func() {
		buf := make([]byte, 65536)
		for {
			if _, _, err := sink.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	x, err := DialIPFIX(sink.LocalAddr().String(), time.Minute, 15*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	p := &Pump{Top: 10, Metrics: NewMetrics("x", 10, nil), IPFIX: x}
	t0 := int64(1700000000e9)
	ps := make([]model.Packet, 20000)
	for i := range ps {
		ps[i] = model.Packet{WireLen: 100, Src: netip.AddrFrom4([4]byte{10, 0, byte(i % 8000 >> 8), byte(i % 8000)}),
			Dst: netip.AddrFrom4([4]byte{192, 168, 0, byte(i % 50)}), SrcPort: uint16(1024 + i), DstPort: 443, L4: 6}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for sec := 1; sec <= b.N; sec++ {
		b.StopTimer()
		for i := range ps {
			ps[i].Time = t0 + int64(sec)*1e9
			a.Add(&ps[i])
		}
		a.Advance(t0 + int64(sec)*1e9)
		b.StartTimer()
		if err := p.Tick(b.Context(), Owned(a)); err != nil {
			b.Fatal(err)
		}
	}
}
