package model

import (
	"net/netip"
	"testing"
)

func pkt(t int64, src, dst string, n uint32) Packet {
	return Packet{Time: t, WireLen: n, CapLen: n, Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst),
		SrcPort: 40000, DstPort: 443, L4: 6, Protos: ProtoSet(0).Add(ProtoIPv4).Add(ProtoTCP), App: AppTLS}
}

const sec = int64(1e9)

// TestBoundedTablesStayExact floods the model with a million distinct
// sources: the tables never hold more than MaxKeys keys, the totals stay
// exact, and rows plus "other" add up to the totals.
func TestBoundedTablesStayExact(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxKeys = 1000
	a := NewAggregator(cfg)
	heavy := netip.MustParseAddr("192.0.2.1")
	const n = 1000000
	var bytes uint64
	for i := 0; i < n; i++ {
		src := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		p := Packet{Time: int64(i) * 1000, WireLen: 100, Src: src, Dst: heavy}
		a.Add(&p)
		bytes += 100
		if a.hosts.len() > cfg.MaxKeys || a.convs.len() > cfg.MaxKeys {
			t.Fatalf("after %d packets the tables hold %d hosts, %d conversations; max %d", i, a.hosts.len(), a.convs.len(), cfg.MaxKeys)
		}
	}
	s := a.Snapshot(View{Sort: SortBytes})
	if s.Total.Packets != n || s.Total.Bytes != bytes {
		t.Fatalf("totals %+v; want %d packets, %d bytes", s.Total, n, bytes)
	}
	// The heavy hitter is never evicted and is exact.
	top := s.Hosts.Rows[0]
	if top.A != heavy || top.Total.Packets != n || top.In.Bytes != bytes {
		t.Fatalf("top host %v %+v; want %v with every packet", top.A, top.Total, heavy)
	}
	var sum Counts
	for _, r := range s.Hosts.Rows {
		sum.merge(r.Total)
	}
	sum.merge(s.Hosts.Other.Total)
	if sum.Packets != 2*n || sum.Bytes != 2*bytes {
		t.Fatalf("host rows + other = %+v; want %d packets (each counted for two hosts)", sum, 2*n)
	}
	if s.Hosts.Evicted == 0 || s.Convs.Evicted == 0 {
		t.Fatalf("nothing evicted: %d, %d", s.Hosts.Evicted, s.Convs.Evicted)
	}
	sum = Counts{}
	for _, r := range s.Convs.Rows {
		sum.merge(r.Total)
	}
	sum.merge(s.Convs.Other.Total)
	if sum.Packets != n || sum.Bytes != bytes {
		t.Fatalf("conversation rows + other = %+v; want %d packets", sum, n)
	}
}

// TestExactWhileKeysFit: with fewer keys than the bound, every row is
// exact and nothing is folded away.
func TestExactWhileKeysFit(t *testing.T) {
	a := NewAggregator(DefaultConfig())
	for i := 0; i < 1000; i++ {
		p := pkt(int64(i)*sec/100, "10.0.0.1", "10.0.0.2", 100)
		if i%2 == 1 {
			p.Src, p.Dst = p.Dst, p.Src
			p.SrcPort, p.DstPort = p.DstPort, p.SrcPort
		}
		a.Add(&p)
	}
	s := a.Snapshot(View{Sort: SortBytes})
	if len(s.Hosts.Rows) != 2 || s.Hosts.Evicted != 0 {
		t.Fatalf("%d host rows, %d evicted", len(s.Hosts.Rows), s.Hosts.Evicted)
	}
	for _, h := range s.Hosts.Rows {
		if h.Total.Packets != 1000 || h.Out.Packets != 500 || h.In.Packets != 500 {
			t.Errorf("host %v: total %+v out %+v in %+v; want 1000, 500, 500", h.A, h.Total, h.Out, h.In)
		}
	}
	c := s.Convs.Rows[0]
	if c.Out.Packets != 500 || c.In.Packets != 500 || c.Total.Bytes != 100000 {
		t.Errorf("conversation %+v", c)
	}
	p := s.Ports.Rows[0]
	if p.Port != 443 || p.L4 != 6 || p.In.Packets != 500 || p.Out.Packets != 500 {
		t.Errorf("port row %+v; want tcp/443 with 500 packets each way", p)
	}
}

// TestRatesFollowCaptureClock: 1000 bytes every second for a minute
// reads as 1000 B/s on every window, from capture timestamps alone; after
// 20 quiet seconds the 2 s and 10 s windows fall to zero.
func TestRatesFollowCaptureClock(t *testing.T) {
	a := NewAggregator(DefaultConfig())
	start := int64(1700000000) * sec
	for i := int64(0); i < 60; i++ {
		p := pkt(start+i*sec, "10.0.0.1", "10.0.0.2", 1000)
		a.Add(&p)
	}
	a.Advance(start + 60*sec)
	s := a.Snapshot(View{})
	for w, r := range s.Hosts.Rows[0].Rates {
		if got := r.Total(); got < 990 || got > 1010 {
			t.Errorf("window %ds: %.1f B/s; want 1000", Windows[w], got)
		}
	}
	if got := s.Rates[1]; got < 990 || got > 1010 {
		t.Errorf("whole-capture 10 s rate %.1f; want 1000", got)
	}
	if sp := s.Hosts.Rows[0].Spark; len(sp) != HistorySeconds || sp[HistorySeconds-2] != 1000 {
		t.Errorf("sparkline %v", sp)
	}
	a.Advance(start + 80*sec)
	s = a.Snapshot(View{})
	r := s.Hosts.Rows[0].Rates
	if r[0].Total() != 0 || r[1].Total() != 0 || r[2].Total() == 0 {
		t.Errorf("after 20 quiet seconds: %v; want 0, 0, >0", r)
	}
}

// TestSettledWhileTheNextSecondCounts: a settled view ends at the last
// whole second while packets of the next second are already counted (a
// live screen cut just after a second began): its 40 s window and its
// sparkline still hold all 40 whole seconds (the ring used to have room
// for 40 seconds with the head, so the oldest read as zero: the 40 s rate
// 2.5% low and the sparkline's first cell blank every other frame).
func TestSettledWhileTheNextSecondCounts(t *testing.T) {
	a := NewAggregator(DefaultConfig())
	start := int64(1700000000) * sec
	for i := int64(0); i <= 60; i++ { // second 60 is the one just begun
		p := pkt(start+i*sec+sec/10, "10.0.0.1", "10.0.0.2", 1000)
		a.Add(&p)
	}
	a.Advance(start + 60*sec + sec/5)
	s := a.Snapshot(View{Settled: true})
	r := s.Hosts.Rows[0]
	for w, rate := range r.Rates {
		if got := rate.Total(); got < 999.9 || got > 1000.1 {
			t.Errorf("settled %ds window: %.2f B/s; want 1000", Windows[w], got)
		}
	}
	for w, got := range s.Rates {
		if got < 999.9 || got > 1000.1 {
			t.Errorf("settled %ds window of all traffic: %.2f B/s; want 1000", Windows[w], got)
		}
	}
	for _, p := range s.Protocols {
		if got := p.Rates[2]; got < 999.9 || got > 1000.1 {
			t.Errorf("settled 40s window of %v: %.2f B/s; want 1000", p.Name, got)
		}
	}
	if len(r.Spark) != HistorySeconds {
		t.Fatalf("sparkline of %d seconds", len(r.Spark))
	}
	for i, v := range r.Spark {
		if v != 1000 {
			t.Errorf("sparkline second %d of %d: %d bytes; want 1000 (seconds 20-59)", i, HistorySeconds, v)
		}
	}
}

// TestFineSizesSumIntoPlen: every length lands in a fine bucket inside
// its tshark bucket.
func TestFineSizesSumIntoPlen(t *testing.T) {
	for n := uint32(0); n < 70000; n++ {
		f := fineEdges[fineBucket(n)]
		if plenIndex(f) != plenIndex(n) {
			t.Fatalf("length %d: fine bucket starts at %d, in tshark bucket %d; want %d", n, f, plenIndex(f), plenIndex(n))
		}
	}
}

// TestFilter checks the display filter's words on rows.
func TestFilter(t *testing.T) {
	a := NewAggregator(Config{Service: func(l4 uint8, p uint16) string {
		if p == 443 {
			return "https"
		}
		return ""
	}})
	for _, p := range []Packet{pkt(1, "10.0.0.1", "192.0.2.7", 100), pkt(2, "10.1.0.1", "2001:db8::1", 100)} {
		a.Add(&p)
	}
	dns := Packet{Time: 3, WireLen: 80, Src: netip.MustParseAddr("10.0.0.9"), Dst: netip.MustParseAddr("9.9.9.9"),
		SrcPort: 5555, DstPort: 53, L4: 17, Protos: ProtoSet(0).Add(ProtoUDP), App: AppDNS}
	a.Add(&dns)
	cases := map[string][3]int{ // hosts, conversations, ports
		"":               {6, 3, 2},
		"10.0.0.0/16":    {2, 2, 0},
		"2001:db8::1":    {1, 1, 0},
		"dns":            {2, 1, 1},
		"!dns":           {4, 2, 1},
		"udp":            {2, 1, 1},
		"443":            {0, 0, 1},
		"https":          {4, 2, 1},
		"10.0.":          {2, 2, 0},
		"tls 10.0.0.0/8": {2, 2, 0},
	}
	for f, want := range cases {
		s := a.Snapshot(View{Filter: f})
		got := [3]int{len(s.Hosts.Rows), len(s.Convs.Rows), len(s.Ports.Rows)}
		if got != want {
			t.Errorf("filter %q: got %v rows; want %v", f, got, want)
		}
	}
}

// TestLimitKeepsTheTopRows: a snapshot cut to a few rows has exactly the
// first rows of the full order.
func TestLimitKeepsTheTopRows(t *testing.T) {
	a := NewAggregator(DefaultConfig())
	for i := 0; i < 5000; i++ {
		p := pkt(int64(i)*sec/1000, "10.0.0.1", "10.0.0.2", 100)
		p.Src = netip.AddrFrom4([4]byte{10, 1, byte(i % 37), byte(i % 211)})
		p.WireLen = uint32(60 + i%97*13)
		a.Add(&p)
	}
	for _, sk := range []SortKey{Sort2s, SortBytes, SortPackets} {
		all := a.Snapshot(View{Sort: sk}).Hosts.Rows
		for _, limit := range []int{1, 7, 50, 500} {
			top := a.Snapshot(View{Sort: sk, Limit: limit}).Hosts.Rows
			if len(top) != min(limit, len(all)) {
				t.Fatalf("limit %d: %d rows", limit, len(top))
			}
			for i := range top {
				if top[i].Key != all[i].Key {
					t.Fatalf("sort %v limit %d: row %d is %v; want %v", sk, limit, i, top[i].A, all[i].A)
				}
			}
		}
	}
}
