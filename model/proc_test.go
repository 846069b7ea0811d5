package model

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// fakeAttribution records what the model asks and answers when told.
type fakeAttribution struct {
	asked  []ProcAnswer // the flows asked about, in order (no owners)
	refuse bool
	ch     chan []ProcAnswer
}

func newFake() *fakeAttribution { return &fakeAttribution{ch: make(chan []ProcAnswer, 16)} }

func (f *fakeAttribution) Ask(l4 uint8, src, dst netip.AddrPort) bool {
	if f.refuse {
		return false
	}
	f.asked = append(f.asked, ProcAnswer{L4: l4, Src: src, Dst: dst})
	return true
}

func (f *fakeAttribution) Answers() <-chan []ProcAnswer { return f.ch }

var (
	local  = netip.MustParseAddr("10.0.0.1")
	remote = netip.MustParseAddr("93.184.216.34")
	lo     = netip.MustParseAddr("127.0.0.1")
	other1 = netip.MustParseAddr("192.0.2.1")
	other2 = netip.MustParseAddr("192.0.2.2")
)

func ppkt(t int64, l4 uint8, src netip.Addr, sp uint16, dst netip.Addr, dp uint16, n uint32) Packet {
	p := Packet{Time: t, WireLen: n, CapLen: n, Src: src, Dst: dst, SrcPort: sp, DstPort: dp, L4: l4,
		Protos: ProtoSet(0).Add(ProtoIPv4)}
	switch l4 {
	case 6:
		p.Protos = p.Protos.Add(ProtoTCP)
	case 17:
		p.Protos = p.Protos.Add(ProtoUDP)
	}
	return p
}

var (
	curl   = Owner{PID: 4242, Start: 777, Command: "curl", Cmdline: "curl http://example.com/", UID: 1000, HasUID: true, User: "alice", Via: "socket"}
	server = Owner{PID: 99, Start: 5, Command: "python3", Cmdline: "python3 -m http.server", UID: 0, HasUID: true, User: "root", Container: "netns:ctr"}
)

func counts(p, b uint64) Counts { return Counts{Packets: p, Bytes: b} }

// procRow finds the row of id in a snapshot's Processes table.
func procRow(t *testing.T, s *Snapshot, id ProcID) Row {
	t.Helper()
	for _, r := range s.Procs.Rows {
		if r.Proc == id {
			return r
		}
	}
	t.Fatalf("no row %+v in the Processes table: %+v", id, s.Procs.Rows)
	return Row{}
}

// TestAttribution: each flow is asked about once, at its first packet;
// an answer moves what the flow counted so far onto its owners' rows
// and the flow's later packets count there; a flow between two local
// processes counts for both, a flow with no local end once, a refused
// lookup in its own row; the Processes table's rows say who and why.
func TestAttribution(t *testing.T) {
	fa := newFake()
	cfg := DefaultConfig()
	cfg.Procs = fa
	a := NewAggregator(cfg)
	t0 := int64(1_700_000_000) * sec
	web := []Packet{ // curl at local:40000 and a web server far away
		ppkt(t0, 6, local, 40000, remote, 443, 60),
		ppkt(t0+1e6, 6, remote, 443, local, 40000, 60),
		ppkt(t0+2e6, 6, local, 40000, remote, 443, 200),
		ppkt(t0+3e6, 6, remote, 443, local, 40000, 1500),
	}
	loop := []Packet{ // curl to a local server over lo: both ends local
		ppkt(t0, 6, lo, 50000, lo, 8080, 100),
		ppkt(t0+1e6, 6, lo, 8080, lo, 50000, 900),
	}
	fwd := []Packet{ // two other hosts: forwarded, or seen in promiscuous mode
		ppkt(t0, 17, other2, 5353, other1, 53, 80),
		ppkt(t0+1e6, 17, other1, 53, other2, 5353, 120),
	}
	ping := []Packet{ppkt(t0, 1, local, 0, remote, 0, 84), ppkt(t0+1e6, 1, remote, 0, local, 0, 84)}
	for _, ps := range [][]Packet{web[:2], loop[:1], fwd, ping} {
		for i := range ps {
			a.Add(&ps[i])
		}
	}
	if len(fa.asked) != 4 {
		t.Fatalf("asked about %d flows, want 4 (one a flow, at its first packet): %+v", len(fa.asked), fa.asked)
	}
	if q := fa.asked[0]; q.Src != netip.AddrPortFrom(local, 40000) || q.Dst != netip.AddrPortFrom(remote, 443) || q.L4 != 6 {
		t.Errorf("first question %+v: want the first packet's source and destination", q)
	}
	// The answers, as the resolver gives them (ends as asked).
	a.Attribute([]ProcAnswer{
		{L4: 6, Src: fa.asked[0].Src, Dst: fa.asked[0].Dst, SrcOwner: curl, DstOwner: Owner{Reason: ReasonRemote}},
		{L4: 6, Src: fa.asked[1].Src, Dst: fa.asked[1].Dst, SrcOwner: curl, DstOwner: server},
		{L4: 17, Src: fa.asked[2].Src, Dst: fa.asked[2].Dst, SrcOwner: Owner{Reason: ReasonNotLocal}, DstOwner: Owner{Reason: ReasonNotLocal}},
		{L4: 1, Src: fa.asked[3].Src, Dst: fa.asked[3].Dst, SrcOwner: Owner{Reason: ReasonKernel}, DstOwner: Owner{Reason: ReasonRemote}},
	})
	for _, ps := range [][]Packet{web[2:], loop[1:]} {
		for i := range ps {
			a.Add(&ps[i])
		}
	}
	fa.refuse = true
	late := ppkt(t0+5e6, 17, local, 33333, remote, 53, 70)
	a.Add(&late)
	if len(fa.asked) != 4 {
		t.Errorf("asked %d times: later packets of known flows must not ask again", len(fa.asked))
	}

	s := a.Snapshot(View{Sort: SortBytes})
	if !s.Attributed {
		t.Error("snapshot not marked Attributed")
	}
	c := procRow(t, s, curl.ID())
	// curl: the web flow (60+200 sent, 60+1500 received) and its end of
	// the loopback flow (100 sent, 900 received).
	if c.Out != counts(3, 360) || c.In != counts(3, 2460) || c.Total != counts(6, 2820) {
		t.Errorf("curl's row: sent %+v received %+v total %+v", c.Out, c.In, c.Total)
	}
	if o := c.Owners[0]; o == nil || o.Command != "curl" || o.User != "alice" || o.Cmdline != curl.Cmdline {
		t.Errorf("curl's row owner: %+v", o)
	}
	sv := procRow(t, s, server.ID())
	if sv.Out != counts(1, 900) || sv.In != counts(1, 100) {
		t.Errorf("the server's row (the other end of the loopback flow): sent %+v received %+v", sv.Out, sv.In)
	}
	if nl := procRow(t, s, ProcID{Reason: ReasonNotLocal}); nl.Total != counts(2, 200) {
		t.Errorf("not-local row: %+v, want the forwarded flow once", nl.Total)
	}
	if k := procRow(t, s, ProcID{Reason: ReasonKernel}); k.Total != counts(2, 168) || k.Out != counts(1, 84) {
		t.Errorf("kernel row: total %+v sent %+v", k.Total, k.Out)
	}
	if d := procRow(t, s, ProcID{Reason: ReasonDropped}); d.Total != counts(1, 70) {
		t.Errorf("not-looked-up row: %+v", d.Total)
	}
	// Every byte is in a row once for each local end: web 1820 (one
	// local end), loop 2*1000, forwarded 200, ping 168 (one local end),
	// refused 70.
	var sum uint64
	for _, r := range s.Procs.Rows {
		sum += r.Total.Bytes
	}
	if sum != 1820+2000+200+168+70 {
		t.Errorf("the Processes table sums to %d bytes", sum)
	}
	if s.ProcStats != (ProcStats{Asked: 4, Refused: 1, Answered: 4}) {
		t.Errorf("ProcStats %+v", s.ProcStats)
	}
	// The flows say who owns their ends.
	for _, f := range s.Flows.Rows {
		if f.L4 == 6 && f.A == local {
			if f.Owners[0] == nil || f.Owners[0].PID != curl.PID || f.Owners[1] != nil {
				t.Errorf("web flow owners %v %v", f.Owners[0], f.Owners[1])
			}
		}
	}
}

// TestAttributionEviction: a full Processes table folds its lightest
// rows into other; a flow whose row was folded counts on a new row with
// the same owner; an answer for a flow no longer in the table is
// counted as gone.
func TestAttributionEviction(t *testing.T) {
	fa := newFake()
	cfg := DefaultConfig()
	cfg.MaxKeys = 8
	cfg.Procs = fa
	a := NewAggregator(cfg)
	t0 := int64(1_700_000_000) * sec
	// Five flows over lo between two processes each: ten rows for a
	// table of eight.
	for i := range 5 {
		p := ppkt(t0, 6, lo, uint16(40000+i), lo, 8080, uint32(100+100*i))
		a.Add(&p)
		c, s := curl, server
		c.PID, s.PID = int32(1000+2*i), int32(1001+2*i)
		a.Attribute([]ProcAnswer{{L4: 6, Src: fa.asked[i].Src, Dst: fa.asked[i].Dst, SrcOwner: c, DstOwner: s}})
	}
	s := a.Snapshot(View{Sort: SortBytes})
	if s.Procs.Evicted == 0 {
		t.Fatalf("no row was folded: %d keys", s.Procs.Keys)
	}
	// A packet of the first flow: its rows come back, named.
	again := ppkt(t0+2e6, 6, lo, 8080, lo, 40000, 3000)
	a.Add(&again)
	s = a.Snapshot(View{Sort: SortBytes})
	r := procRow(t, s, ProcID{PID: 1000, Start: curl.Start})
	if r.Owners[0] == nil || r.Owners[0].Command != "curl" || r.In != counts(1, 3000) {
		t.Errorf("the row that came back: owner %+v, received %+v", r.Owners[0], r.In)
	}
	if r := procRow(t, s, ProcID{PID: 1001, Start: server.Start}); r.Owners[0] == nil || r.Owners[0].Command != "python3" || r.Out != counts(1, 3000) {
		t.Errorf("the other row that came back: owner %+v, sent %+v", r.Owners[0], r.Out)
	}
	var sum uint64
	for _, r := range s.Procs.Rows {
		sum += r.Total.Bytes
	}
	if all := sum + s.Procs.Other.Total.Bytes; all != 2*s.Total.Bytes {
		t.Errorf("rows and other sum to %d bytes, twice the capture is %d", all, 2*s.Total.Bytes)
	}
	// An answer for a flow that left: counted, nothing else.
	a.Attribute([]ProcAnswer{{L4: 17, Src: netip.AddrPortFrom(local, 1), Dst: netip.AddrPortFrom(remote, 2), SrcOwner: curl}})
	if st := a.Snapshot(View{}).ProcStats; st.Gone != 1 || st.Answered != 6 {
		t.Errorf("ProcStats %+v", st)
	}
}

// TestFocusOnProcess: focusing on a process shows the traffic of the
// flows attributed to it, from before the focus (seeded from the
// tables) and after; a flow attributed while the focus is on joins it
// with every byte it counted; a focus on a host has the processes of
// its flows.
func TestFocusOnProcess(t *testing.T) {
	fa := newFake()
	cfg := DefaultConfig()
	cfg.Procs = fa
	m := New(cfg, time.Hour)
	in := make(chan *Batch, 16)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); m.Run(ctx, in); m.Idle(ctx) }()
	t0 := int64(1_700_000_000) * sec
	send := func(ps ...Packet) {
		b := &Batch{Packets: ps, Now: ps[len(ps)-1].Time}
		in <- b
	}
	// wait until the model has published a snapshot that is ok
	view := View{Sort: SortBytes}
	wait := func(what string, ok func(*Snapshot) bool) *Snapshot {
		t.Helper()
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
			m.SetView(view) // a view change publishes at once
			if s := m.Latest(); ok(s) {
				return s
			}
		}
		t.Fatalf("timed out waiting for %s", what)
		return nil
	}
	send(ppkt(t0, 6, local, 40000, remote, 443, 100), ppkt(t0+1e6, 6, remote, 443, local, 40000, 1000),
		ppkt(t0+2e6, 6, local, 40001, other1, 80, 50))
	wait("three packets", func(s *Snapshot) bool { return s.Total.Packets == 3 })
	fa.ch <- []ProcAnswer{
		{L4: 6, Src: fa.asked[0].Src, Dst: fa.asked[0].Dst, SrcOwner: curl, DstOwner: Owner{Reason: ReasonRemote}},
	}
	wait("curl's row", func(s *Snapshot) bool { return len(s.Procs.Rows) == 1 })
	k := Key{Kind: KindProc, Proc: curl.ID()}
	view = View{Sort: SortBytes, Focus: &k}
	send(ppkt(t0+3e6, 6, local, 40000, remote, 443, 200), ppkt(t0+4e6, 6, remote, 80, local, 40001, 400))
	s := wait("the focus", func(s *Snapshot) bool { return s.Total.Packets == 5 && s.Focus != nil && s.Focus.Sub != nil })
	sub := s.Focus.Sub
	if sub.Total != counts(3, 1300) {
		t.Errorf("focus on curl: %+v, want its first flow's 3 packets, 1300 bytes", sub.Total)
	}
	if len(sub.Hosts.Rows) != 2 || len(sub.Procs.Rows) != 1 || sub.Procs.Rows[0].Proc != curl.ID() {
		t.Errorf("focus: hosts %+v processes %+v", sub.Hosts.Rows, sub.Procs.Rows)
	}
	// The second flow is curl's too: its bytes so far join the focus.
	fa.ch <- []ProcAnswer{
		{L4: 6, Src: fa.asked[1].Src, Dst: fa.asked[1].Dst, SrcOwner: curl, DstOwner: Owner{Reason: ReasonRemote}},
	}
	s = wait("the second flow", func(s *Snapshot) bool { return s.Focus != nil && s.Focus.Sub.Total.Packets == 4 })
	if got := s.Focus.Sub.Total; got != counts(4, 1350) {
		t.Errorf("focus after the second answer: %+v", got)
	}
	if r := s.Focus.Sub.Procs.Rows[0]; r.Total != counts(4, 1350) || r.Out != counts(3, 350) {
		t.Errorf("the focus's process row: total %+v sent %+v", r.Total, r.Out)
	}
	// A host focus: its processes.
	h := Key{Kind: KindHost, A: remote}
	view = View{Sort: SortBytes, Focus: &h}
	s = wait("host focus", func(s *Snapshot) bool { return s.Focus != nil && s.Focus.Row.Key == h && s.Focus.Sub != nil })
	if rs := s.Focus.Sub.Procs.Rows; len(rs) != 1 || rs[0].Total != counts(3, 1300) {
		t.Errorf("processes of the focused host: %+v", rs)
	}
	close(in)
	cancel()
	<-done
}

// TestProcessReports: the JSON report of a live capture with attribution
// has the Processes table and the owners of each flow's ends, its
// hostile names escaped; a replay's has no processes key; the text
// report has its section.
func TestProcessReports(t *testing.T) {
	fa := newFake()
	cfg := DefaultConfig()
	cfg.Procs = fa
	a := NewAggregator(cfg)
	t0 := int64(1_700_000_000) * sec
	p := ppkt(t0, 6, local, 40000, remote, 443, 100)
	a.Add(&p)
	evil := curl
	evil.Command = "cu\x1b[2Jrl\u202e"
	evil.Container = "docker:\x07abc"
	a.Attribute([]ProcAnswer{{L4: 6, Src: fa.asked[0].Src, Dst: fa.asked[0].Dst, SrcOwner: evil, DstOwner: Owner{Reason: ReasonRemote}}})
	q := ppkt(t0, 1, other1, 0, other2, 0, 84)
	a.Add(&q)
	a.Attribute([]ProcAnswer{{L4: 1, Src: fa.asked[1].Src, Dst: fa.asked[1].Dst, SrcOwner: Owner{Reason: ReasonNotLocal}, DstOwner: Owner{Reason: ReasonNotLocal}}})
	rep := NewReport(a.Snapshot(View{Sort: SortBytes, NoSpark: true}), "eth0", "")
	var out bytes.Buffer
	if err := rep.WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(out.Bytes(), "\x1b\x07") || bytes.Contains(out.Bytes(), []byte("\u202e")) {
		t.Errorf("JSON report is not inert: %s", out.Bytes())
	}
	var got struct {
		Processes []struct {
			PID       int32
			Command   string
			User      string
			UID       *uint32
			Container string
			Reason    string
			Sent      Counts
		}
		Flows []struct {
			A        string
			AProcess *ProcRef `json:"a_process"`
			BProcess *ProcRef `json:"b_process"`
		}
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Processes) != 2 {
		t.Fatalf("processes: %+v", got.Processes)
	}
	pr := got.Processes[0]
	if pr.PID != curl.PID || pr.Command != evil.Command || pr.User != "alice" || pr.UID == nil || *pr.UID != 1000 || pr.Container != evil.Container || pr.Sent != counts(1, 100) {
		t.Errorf("process row: %+v", pr)
	}
	if got.Processes[1].Reason != "not_local" {
		t.Errorf("second row: %+v", got.Processes[1])
	}
	for _, f := range got.Flows {
		if f.A == "10.0.0.1:40000" && (f.AProcess == nil || f.AProcess.PID != curl.PID || f.BProcess != nil) {
			t.Errorf("flow %s: owners %+v %+v", f.A, f.AProcess, f.BProcess)
		}
	}
	out.Reset()
	rep.WriteText(&out, 10)
	if !strings.Contains(out.String(), "PROCESS") || !strings.Contains(out.String(), `cu\x1b[2Jrl\u202e 4242 alice docker:\x07abc`) ||
		!strings.Contains(out.String(), "(not local: forwarded or other hosts')") {
		t.Errorf("text report:\n%s", out.String())
	}
	// A replay: no processes key at all.
	b := NewAggregator(DefaultConfig())
	b.Add(&p)
	out.Reset()
	NewReport(b.Snapshot(View{NoSpark: true}), "x.pcap", "").WriteJSON(&out)
	if bytes.Contains(out.Bytes(), []byte("process")) || bytes.Contains(out.Bytes(), []byte("attribution")) {
		t.Errorf("a replay's report speaks of processes: %s", out.Bytes())
	}
}

// TestProcessFilter: the display filter finds a process by its command,
// user, container or pid, and a reason row by its words.
func TestProcessFilter(t *testing.T) {
	fa := newFake()
	cfg := DefaultConfig()
	cfg.Procs = fa
	a := NewAggregator(cfg)
	t0 := int64(1_700_000_000) * sec
	for i, o := range []Owner{curl, server, {Reason: ReasonKernel}} {
		p := ppkt(t0, 6, local, uint16(40000+i), remote, 443, 100)
		a.Add(&p)
		a.Attribute([]ProcAnswer{{L4: 6, Src: fa.asked[i].Src, Dst: fa.asked[i].Dst, SrcOwner: o, DstOwner: Owner{Reason: ReasonRemote}}})
	}
	for filter, want := range map[string]int{"curl": 1, "alice": 1, "ctr": 1, "4242": 1, "99": 1, "kernel": 1, "!curl": 2, "": 3} {
		if n := len(a.Snapshot(View{Filter: filter}).Procs.Rows); n != want {
			t.Errorf("filter %q: %d rows, want %d", filter, n, want)
		}
	}
}

// BenchmarkAggregatorAddAttributed counts the packets of
// BenchmarkAggregatorAddFlows with attribution on: each new flow is asked
// about, answered at the end of its 1024-packet batch (one end a process
// of 50, the other remote) and counted on its process's row after.
func BenchmarkAggregatorAddAttributed(b *testing.B) {
	ps := flowPackets(200000, 10000)
	b.ReportAllocs()
	for b.Loop() {
		fa := newFake()
		cfg := DefaultConfig()
		cfg.Procs = fa
		a := NewAggregator(cfg)
		for i := range ps {
			a.Add(&ps[i])
			if i%1024 == 1023 || i == len(ps)-1 {
				as := fa.asked
				for j := range as {
					o := curl
					o.PID = int32(j % 50)
					as[j].SrcOwner, as[j].DstOwner = o, Owner{Reason: ReasonRemote}
				}
				a.Attribute(as)
				fa.asked = fa.asked[:0]
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ps)), "ns/packet")
}
