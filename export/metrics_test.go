package export

import (
	"flag"
	"math/rand/v2"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/pktop/pktop/model"
)

var update = flag.Bool("update", false, "update the golden files in testdata")

// handDeltas are two hand-outs of a small capture: a top host, a second
// one that takes a place in the second, a name with control characters
// and markup, and a counter reset in between.
func handDeltas() []*model.Deltas {
	a, b, c := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("2001:db8::3")
	sum := func(pk, by uint64, resets uint64) *model.Snapshot {
		return &model.Snapshot{Now: 1700000000e9 + int64(pk)*1e9, Total: model.Counts{Packets: pk, Bytes: by}, Truncated: 1,
			Source: model.SourceStats{KernelDrops: 2, QueueDrops: 3, Filtered: 4},
			Plen: []model.Bucket{{Lo: 0, Hi: 19}, {Lo: 20, Hi: 39}, {Lo: 40, Hi: 79, Packets: pk - 1}, {Lo: 80, Hi: 159},
				{Lo: 160, Hi: 319}, {Lo: 320, Hi: 639}, {Lo: 640, Hi: 1279}, {Lo: 1280, Hi: 2559, Packets: 1}, {Lo: 2560, Hi: 5119}, {Lo: 5120, Hi: -1}},
			Protocols: []model.ProtoRow{{Name: "ipv4", Layer: model.LayerNetwork, Counts: model.Counts{Packets: pk, Bytes: by}},
				{Name: "tcp", Layer: model.LayerTransport, Counts: model.Counts{Packets: pk, Bytes: by}}}}
	}
	row := func(k model.Key, out, in uint64, name string) model.Row {
		r := model.Row{Key: k, Out: model.Counts{Packets: 1, Bytes: out}, In: model.Counts{Packets: 1, Bytes: in}, NameA: name}
		r.Total = model.Counts{Packets: 2, Bytes: out + in}
		if k.Kind == model.KindPort {
			r.Service = "https"
		}
		return r
	}
	host := func(x netip.Addr) model.Key { return model.Key{Kind: model.KindHost, A: x} }
	conv := model.Key{Kind: model.KindConv, A: a, B: b}
	port := model.Key{Kind: model.KindPort, L4: 6, Port: 443}
	d1 := &model.Deltas{Summary: sum(4, 1700, 0),
		Hosts: model.DeltaTable{Rows: []model.Row{row(host(a), 1500, 100, "www.example.com\x1b[31m\"x\"\n")},
			Other: model.Row{Out: model.Counts{Packets: 1, Bytes: 100}, In: model.Counts{Packets: 1, Bytes: 1500}}},
		Convs: model.DeltaTable{Rows: []model.Row{row(conv, 1500, 100, "")}},
		Ports: model.DeltaTable{Rows: []model.Row{row(port, 100, 1500, "")}},
	}
	// A reset (the screen's r key): the summary starts again from zero.
	d2 := &model.Deltas{Summary: sum(2, 200, 1), Resets: 1,
		Hosts: model.DeltaTable{Rows: []model.Row{row(host(a), 100, 0, ""), row(host(c), 100, 100, "")}},
		Convs: model.DeltaTable{Other: model.Row{Out: model.Counts{Packets: 2, Bytes: 200}}},
	}
	return []*model.Deltas{d1, d2}
}

// TestMetricsGolden: the exposition of hand-made deltas is the golden
// file, the names pass the linter, and the learnt name is inert.
func TestMetricsGolden(t *testing.T) {
	st := &Stats{}
	st.Records.Add(7)
	m := NewMetrics("eth0", 1, map[string]*Stats{"ipfix": st})
	for _, d := range handDeltas() {
		m.Update(d)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m)
	got, err := gatherText(reg)
	if err != nil {
		t.Fatal(err)
	}
	golden := "testdata/metrics.prom"
	if *update {
		os.WriteFile(golden, []byte(got), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(string(want))); err != nil {
		t.Error(err)
	}
	problems, err := testutil.CollectAndLint(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	if strings.Contains(got, "\x1b") || !strings.Contains(got, `name="www.example.com\\x1b[31m\"x\"\\x0a"`) {
		t.Errorf("the learnt name is not inert:\n%s", got)
	}
}

func gatherText(g prometheus.Gatherer) (string, error) {
	mfs, err := g.Gather()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// TestMetricsMonotonic floods a model with small tables (evictions all
// the time, and resets) and takes deltas often: no series ever goes down,
// and every table's series (exported, retired and other) sum to the
// traffic.
func TestMetricsMonotonic(t *testing.T) {
	cfg := model.DefaultConfig()
	cfg.MaxKeys = 50
	a := model.NewAggregator(cfg)
	m := NewMetrics("x", 5, nil)
	p := &Pump{Top: 5, Metrics: m}
	src := Owned(a)
	r := rand.New(rand.NewPCG(7, 8))
	var ip model.Counts
	prev := map[string]float64{}
	for i := range 100000 {
		// A few heavy hosts, who change every 20 ticks, and many light
		// ones.
		h := r.IntN(1000)
		if r.IntN(2) == 0 {
			h = 1000 + r.IntN(4) + 4*(i/20000)
		}
		pk := model.Packet{Time: int64(i+1) * 1e6, WireLen: uint32(60 + r.IntN(1000)),
			Src: netip.AddrFrom4([4]byte{10, 0, byte(h >> 8), byte(h)}), Dst: netip.AddrFrom4([4]byte{10, 1, 0, byte(r.IntN(30))}),
			SrcPort: uint16(1024 + r.IntN(100)), DstPort: uint16(r.IntN(3) * 1000), L4: 17}
		a.Add(&pk)
		ip.Packets++
		ip.Bytes += uint64(pk.WireLen)
		if i%30011 == 30010 {
			a.Reset()
		}
		if i%1000 != 999 {
			continue
		}
		if err := p.Tick(t.Context(), src); err != nil {
			t.Fatal(err)
		}
		mfs, err := prometheusGather(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetType() != dto.MetricType_COUNTER {
				continue
			}
			for _, mt := range mf.Metric {
				k := mf.GetName() + labelsOf(mt)
				v := mt.GetCounter().GetValue()
				if old, ok := prev[k]; ok && v < old {
					t.Fatalf("packet %d: %s went down from %v to %v", i, k, old, v)
				}
				prev[k] = v
			}
		}
		for name, ts := range map[string]*topSet{"hosts": m.hosts, "conversations": m.convs} {
			var sum model.Counts
			for _, s := range ts.live {
				sum.Packets += s.out.Packets
				sum.Bytes += s.out.Bytes
			}
			for _, s := range ts.retired {
				sum.Packets += s.out.Packets
				sum.Bytes += s.out.Bytes
			}
			sum.Packets += ts.other.out.Packets + ts.forgotten.out.Packets
			sum.Bytes += ts.other.out.Bytes + ts.forgotten.out.Bytes
			if sum != ip {
				t.Fatalf("packet %d: %s series sum to %+v; want %+v", i, name, sum, ip)
			}
		}
	}
	if len(m.hosts.live) != 5 || len(m.hosts.retired) == 0 {
		t.Errorf("%d hosts exported, %d retired: the test did not exercise the top set", len(m.hosts.live), len(m.hosts.retired))
	}
}

func prometheusGather(c prometheus.Collector) ([]*dto.MetricFamily, error) {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		return nil, err
	}
	return reg.Gather()
}

func labelsOf(m *dto.Metric) string {
	var b strings.Builder
	for _, l := range m.Label {
		b.WriteString("," + l.GetName() + "=" + l.GetValue())
	}
	return "{" + b.String() + "}"
}
