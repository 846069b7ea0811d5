package model

import (
	"cmp"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
)

// Kind says which table a Row belongs to.
type Kind uint8

// The tables.
const (
	KindHost Kind = iota
	KindConv
	KindPort
	KindFlow
	// KindProc is the Processes table (live capture: see proc.go).
	KindProc
)

var kindNames = [...]string{"hosts", "conversations", "ports", "flows", "processes"}

// String returns the table's name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "?"
}

// Key identifies a row of any table.
type Key struct {
	Kind  Kind
	A, B  netip.Addr // host: A; conversation and flow: A < B
	L4    uint8      // port and flow: IP protocol number
	Port  uint16     // port: the port; flow: A's port
	PortB uint16     // flow: B's port
	Proc  ProcID     // process: its pid and start, or why there is none
}

// SortKey orders the rows of the tables.
type SortKey uint8

// The sort orders: by a rate or a total, descending; by name (the
// learnt name or the address of A, the port of a port row) or by
// destination (B's name or address), ascending.
const (
	Sort2s SortKey = iota
	Sort10s
	Sort40s
	SortBytes
	SortPackets
	SortName
	SortDst
	NumSortKeys
)

var sortNames = [...]string{"2s", "10s", "40s", "total", "packets", "name", "destination"}

// String returns the sort order's short name.
func (s SortKey) String() string {
	if s < NumSortKeys {
		return sortNames[s]
	}
	return "?"
}

// Next returns the following sort order, cycling.
func (s SortKey) Next() SortKey { return (s + 1) % NumSortKeys }

// View says how a Snapshot's tables are cut: the order, the display
// filter, how many rows at most, and the focus.
type View struct {
	Sort   SortKey
	Filter string
	// Limit caps the rows of each table (0: no limit).
	Limit int
	// Focus, when not nil, is the row every pane is focused on.
	Focus *Key
	// NoSpark leaves Row.Spark empty (reports have no use for it).
	NoSpark bool
	// Settled computes the rates and sparklines over whole seconds only,
	// up to the last one that ended: they change once a second, as a
	// screen's numbers should (the counts are not cut).
	Settled bool
}

// Row is one host, conversation, port, flow or process with its counts.
//
// Out and In are directions: for a host or a process, sent and received; for a
// conversation or a flow, A to B and B to A; for a port, from the port (replies)
// and to the port (requests). Total counts each frame once.
type Row struct {
	Key
	// NameA and NameB are names learnt from the traffic for A and B.
	// They are untrusted text, to be escaped before display.
	NameA, NameB string
	// Owners are, for a process row, its Owner (the first); for an
	// attributed flow, the owners of A and B (nil for an end with no
	// row). Shared between snapshots: never to be changed.
	Owners [2]*Owner
	// Service is the port's service name ("https"), if it has one.
	Service string
	Total   Counts
	Out, In Counts
	// Rates are the byte rates over Windows (2 s, 10 s, 40 s).
	Rates [3]Rate
	// Share is the row's fraction of its table's bytes (the rows and
	// "other" of a table add up to 1; a host table counts a frame for
	// each of its two hosts).
	Share float64
	// Spark is the bytes of each of the last HistorySeconds seconds,
	// oldest first.
	Spark []uint64
	// Plen counts frames by tshark's plen buckets.
	Plen [NumPlen]uint64
	// Protos and Apps are the protocols the row's frames carried.
	Protos ProtoSet
	Apps   []App
	// First and Last are the capture times of the first and last frame.
	First, Last int64
}

// Table is one table of a Snapshot.
type Table struct {
	Kind Kind
	// Rows are the rows that match the filter, sorted, cut to the
	// View's limit.
	Rows []Row
	// Matched is how many rows matched the filter before the cut.
	Matched int
	// Keys is how many distinct keys the table holds.
	Keys int
	// Evicted is how many keys were folded into Other because the table
	// was full; while it is 0, every row is exact.
	Evicted uint64
	// Other sums the evicted keys.
	Other Row
}

// ProtoRow is one protocol of the breakdown.
type ProtoRow struct {
	Name  string
	Layer Layer
	// App is true for application protocols.
	App    bool
	Counts Counts
	// Rates are the byte rates over Windows.
	Rates [3]float64
	// Share is the protocol's fraction of all bytes.
	Share float64
}

// Snapshot is an immutable view of the model at one instant of the
// capture clock. The model goroutine builds it; any goroutine may read it;
// nobody may change it.
type Snapshot struct {
	// Seq increases with every snapshot published.
	Seq uint64
	// Now is the capture clock; First and Last the first and last
	// packet's times (nanoseconds since the epoch).
	Now, First, Last int64
	Total            Counts
	CapBytes         uint64
	// Truncated and Undecoded count frames cut short and frames that
	// could not be decoded; NonIP frames that carry no IP.
	Truncated, Undecoded, NonIP uint64
	Source                      SourceStats
	// Rates and PacketRates are whole-capture rates over Windows, in
	// bytes and packets per second; Peak is the busiest second's bytes.
	Rates, PacketRates [3]float64
	Peak               float64
	// Series is the per-second history, oldest first.
	Series []Sample
	// Sizes is the fine frame-length histogram; Plen the same in
	// tshark's buckets.
	Sizes, Plen []Bucket
	// Lengths are the frame lengths seen, each with its count (lengths
	// of 16384 bytes and more by fine bucket), shortest first.
	Lengths []Bucket
	// SizeSeries is the per-second history of frame lengths (seconds
	// with frames only), oldest first.
	SizeSeries []SizeSample
	// Protocols are sorted by bytes, application protocols included.
	Protocols []ProtoRow
	Hosts     Table
	Convs     Table
	Ports     Table
	// Flows are 5-tuples: protocol and two address:port endpoints.
	Flows Table
	// Procs are the processes that own the flows' ends, and the rows of
	// traffic no process owns (see proc.go); filled when Attributed (a
	// live capture with attribution on). ProcStats counts the lookups.
	Procs      Table
	Attributed bool
	ProcStats  ProcStats
	// View is the view the tables were cut with.
	View View
	// Focus is the focused row and what was seen of it, when View.Focus
	// is set.
	Focus *Focus
	// Done is set once the input has ended (the end of a replay).
	Done bool
}

// Focus is what a Snapshot says of the focused row.
type Focus struct {
	Row Row
	// Found is false when the key is not (or no longer) in its table.
	Found bool
	// Sub counts only the traffic of the focused row: from the start of
	// the capture when Complete, else from Since on.
	Sub   *Snapshot
	Since int64
	// Complete says that Sub covers the whole capture: a replay of a
	// file is read again from its start for the focused row.
	Complete bool
	// Scanning says that the capture is being read again for the row;
	// Progress is how far (0 to 1).
	Scanning bool
	Progress float64
	// Seeded says that Sub started from the tables (its flows, their
	// counts and protocols, and their last 40 seconds): the capture
	// could not be read again. Its sizes count from Since on.
	Seeded bool
}

// Table returns the snapshot's table of the given kind.
func (s *Snapshot) Table(k Kind) *Table {
	switch k {
	case KindConv:
		return &s.Convs
	case KindPort:
		return &s.Ports
	case KindFlow:
		return &s.Flows
	case KindProc:
		return &s.Procs
	}
	return &s.Hosts
}

// rateNow is the clock the rates of a snapshot end at: the capture clock,
// or, for a settled view, the end of the last whole second.
func (a *Aggregator) rateNow() int64 {
	if a.settled && a.now > 0 {
		return floorDiv(a.now, 1e9)*1e9 - 1
	}
	return a.now
}

// Snapshot builds an immutable snapshot cut by v.
func (a *Aggregator) Snapshot(v View) *Snapshot {
	a.settled = v.Settled
	defer func() { a.settled = false }()
	s := a.summary()
	s.View = v
	s.Series = a.series.last(len(a.series.s))
	f := ParseFilter(v.Filter)
	if v.Focus != nil {
		f = f.and(focusFilter(*v.Focus))
	}
	s.Hosts = a.hostTable(v, f)
	s.Convs = a.convTable(v, f)
	s.Ports = a.portTable(v, f)
	s.Flows = a.flowTable(v, f)
	s.Procs = tableOf(a, a.procs, KindProc, v, f, func(id ProcID) Key { return Key{Kind: KindProc, Proc: id} })
	if !v.NoSpark {
		s.Lengths = a.lens.buckets()
		s.SizeSeries = a.sizes.last(floorDiv(a.now, 1e9), len(a.sizes.s))
	}
	return s
}

// summary builds a snapshot with everything but the series and the table
// rows (and their Kind).
func (a *Aggregator) summary() *Snapshot {
	s := &Snapshot{
		Now: a.now, First: a.first, Last: a.last,
		Total: a.total, CapBytes: a.capBytes,
		Truncated: a.truncated, Undecoded: a.undecoded, NonIP: a.nonIP,
		Source: a.source, Peak: float64(a.peak),
		Attributed: a.attributed, ProcStats: a.procStats,
	}
	s.Rates, s.PacketRates = a.series.rates(a.rateNow(), a.start)
	s.Sizes = fineHistogram(a.lens.fine())
	s.Plen = plenHistogram(&a.plen)
	s.Protocols = a.protoRows()
	return s
}

func (a *Aggregator) share(b uint64) float64 {
	if a.total.Bytes == 0 {
		return 0
	}
	return float64(b) / float64(a.total.Bytes)
}

func (a *Aggregator) protoRows() []ProtoRow {
	var rows []ProtoRow
	for i := range a.protos {
		st := &a.protos[i]
		if st.c.Packets == 0 {
			continue
		}
		p := Proto(i)
		rows = append(rows, ProtoRow{Name: p.String(), Layer: p.Layer(), Counts: st.c,
			Rates: byteRates(&st.hist, a.rateNow(), a.start), Share: a.share(st.c.Bytes)})
	}
	for i := range a.apps {
		st := &a.apps[i]
		if st.c.Packets == 0 {
			continue
		}
		rows = append(rows, ProtoRow{Name: App(i).String(), Layer: LayerApplication, App: true,
			Counts: st.c, Rates: byteRates(&st.hist, a.rateNow(), a.start), Share: a.share(st.c.Bytes)})
	}
	slices.SortStableFunc(rows, func(x, y ProtoRow) int {
		if c := cmp.Compare(x.Layer, y.Layer); c != 0 {
			return c
		}
		if c := cmp.Compare(y.Counts.Bytes, x.Counts.Bytes); c != 0 {
			return c
		}
		return cmp.Compare(x.Name, y.Name)
	})
	return rows
}

func byteRates(s *series, now, start int64) [3]float64 {
	b, _ := s.rates(now, start)
	return b
}

// row makes the Row of an entry.
func (a *Aggregator) row(k Key, e *entry, spark bool) Row {
	r := Row{Key: k, Total: e.total, Out: e.out, In: e.in,
		Rates: e.hist.rates(a.rateNow(), a.start), Share: a.share(e.total.Bytes),
		Plen: widen(e.sizes), Protos: e.protos, First: e.first, Last: e.lastSeen}
	if spark {
		r.Spark = e.hist.history(a.rateNow(), HistorySeconds)
	}
	for set := e.apps &^ 1; set != 0; set &= set - 1 { // AppNone (0) is no app
		if ap := App(bits.TrailingZeros64(uint64(set))); ap < numApps {
			r.Apps = append(r.Apps, ap)
		}
	}
	if k.A.IsValid() || k.Kind == KindPort {
		a.name(&r)
	}
	switch {
	case k.Kind == KindProc:
		r.Owners[0] = a.owners[k.Proc]
	case e.own != nil:
		r.Owners = e.own.infos()
	}
	return r
}

// cand is a row candidate: its key, entry and sort value.
type cand struct {
	k Key
	e *entry
	v float64
	// name orders the rows when sorted by name or destination.
	name string
}

func (a *Aggregator) sortValue(e *entry, s SortKey) float64 {
	switch s {
	case SortBytes:
		return float64(e.total.Bytes)
	case SortPackets:
		return float64(e.total.Packets)
	case SortName, SortDst:
		return 0
	}
	return e.hist.rate(Windows[s], a.rateNow(), a.start)
}

// candidate makes the row candidate of a key.
func (a *Aggregator) candidate(k Key, e *entry, s SortKey) cand {
	c := cand{k: k, e: e, v: a.sortValue(e, s)}
	if s == SortName || s == SortDst {
		c.name = a.sortName(k, s == SortDst)
	}
	return c
}

// sortName is what a row sorts by by name: a learnt name before any
// address, addresses in their order, ports by number.
func (a *Aggregator) sortName(k Key, dst bool) string {
	if k.Kind == KindProc {
		if o := a.owners[k.Proc]; o != nil && k.Proc.Reason == ReasonNone {
			return "\x00" + o.Command + "\x00" + strconv.Itoa(int(k.Proc.PID))
		}
		return "\x01" + k.Proc.Reason.Label()
	}
	addr, port := k.A, k.Port
	if dst && (k.Kind == KindConv || k.Kind == KindFlow) {
		addr, port = k.B, k.PortB
	}
	if k.Kind == KindPort {
		return string([]byte{byte(port >> 8), byte(port), k.L4})
	}
	if n := a.names.get(addr); n != "" {
		return "\x00" + n
	}
	b := addr.As16()
	return "\x01" + string(b[:]) + string([]byte{byte(port >> 8), byte(port)})
}

// picker gathers the row candidates of a table: every one when the view
// has no limit, else only the Limit first in candOrder, kept in a heap
// whose root is the last of them, so that a snapshot of a large table
// neither makes nor sorts a candidate for every row.
type picker struct {
	a     *Aggregator
	v     View
	f     Filter
	cs    []cand
	limit int // 0: keep every candidate
	// matched counts the rows that matched the filter; sum is the bytes
	// of every row (matched or not).
	matched int
	sum     uint64
	// span is the length of the sort's rate window (0: not a rate).
	span float64
}

func (a *Aggregator) picker(v View, f Filter, rows int) picker {
	p := picker{a: a, v: v, f: f, limit: max(v.Limit, 0)}
	if v.Sort < SortBytes {
		now := a.rateNow()
		p.span = windowSpan(Windows[v.Sort], float64(now-floorDiv(now, 1e9)*1e9)/1e9, now, a.start)
	}
	if p.limit == 0 || p.limit > rows {
		p.cs = make([]cand, 0, rows)
		p.limit = 0
	} else {
		p.cs = make([]cand, 0, p.limit)
	}
	return p
}

// offer considers the row of key k.
func (p *picker) offer(k Key, e *entry) {
	p.sum += e.total.Bytes
	if !p.f.matchRow(p.a, k, e) {
		return
	}
	p.matched++
	if p.limit == 0 || len(p.cs) < p.limit {
		p.cs = append(p.cs, p.a.candidate(k, e, p.v.Sort))
		if len(p.cs) == p.limit {
			heapify(p.cs)
		}
		return
	}
	// Full: the root is the last kept. A row whose sort value is lower
	// cannot enter (the value orders first), whatever its name or key;
	// nor can one whose bytes, all in the window, would make a lower
	// rate (its per-second history never holds more than its bytes).
	if p.span > 0 && float64(e.out.Bytes+e.in.Bytes)/p.span < p.cs[0].v {
		return
	}
	v := p.a.sortValue(e, p.v.Sort)
	if v < p.cs[0].v {
		return
	}
	c := cand{k: k, e: e, v: v}
	if p.v.Sort == SortName || p.v.Sort == SortDst {
		c.name = p.a.sortName(k, p.v.Sort == SortDst)
	}
	if candOrder(c, p.cs[0]) < 0 {
		p.cs[0] = c
		siftDown(p.cs, 0)
	}
}

// heapify orders cs as a heap whose root is the last in candOrder.
func heapify(cs []cand) {
	for i := len(cs)/2 - 1; i >= 0; i-- {
		siftDown(cs, i)
	}
}

func siftDown(cs []cand, i int) {
	n := len(cs)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && candOrder(cs[r], cs[l]) > 0 {
			j = r
		}
		if candOrder(cs[j], cs[i]) <= 0 {
			return
		}
		cs[i], cs[j] = cs[j], cs[i]
		i = j
	}
}

// table sorts the candidates kept and turns them into rows.
func (p *picker) table(kind Kind, keys int, evicted uint64, other *entry) Table {
	a, cs := p.a, p.cs
	sum := p.sum + other.total.Bytes
	slices.SortFunc(cs, candOrder)
	if p.v.Limit > 0 && len(cs) > p.v.Limit {
		cs = cs[:p.v.Limit]
	}
	n := len(cs)
	t := Table{Kind: kind, Matched: p.matched, Keys: keys, Evicted: evicted, Rows: make([]Row, n)}
	share := func(b uint64) float64 {
		if sum == 0 {
			return 0
		}
		return float64(b) / float64(sum)
	}
	for i := 0; i < n; i++ {
		t.Rows[i] = a.row(cs[i].k, cs[i].e, !p.v.NoSpark)
		t.Rows[i].Share = share(cs[i].e.total.Bytes)
	}
	t.Other = a.row(Key{Kind: kind}, other, false)
	t.Other.Share = share(other.total.Bytes)
	return t
}

// candOrder orders rows: by the sort value, then bytes, then key, so that
// equal rows keep one order from frame to frame.
func candOrder(x, y cand) int {
	if c := cmp.Compare(y.v, x.v); c != 0 {
		return c
	}
	if c := cmp.Compare(x.name, y.name); c != 0 {
		return c
	}
	if c := cmp.Compare(y.e.total.Bytes, x.e.total.Bytes); c != 0 {
		return c
	}
	return compareKeys(x.k, y.k)
}

func compareKeys(x, y Key) int {
	if c := x.A.Compare(y.A); c != 0 {
		return c
	}
	if c := x.B.Compare(y.B); c != 0 {
		return c
	}
	if c := cmp.Compare(x.L4, y.L4); c != 0 {
		return c
	}
	if c := cmp.Compare(x.Port, y.Port); c != 0 {
		return c
	}
	if c := cmp.Compare(x.PortB, y.PortB); c != 0 {
		return c
	}
	if c := cmp.Compare(x.Proc.Reason, y.Proc.Reason); c != 0 {
		return c
	}
	if c := cmp.Compare(x.Proc.PID, y.Proc.PID); c != 0 {
		return c
	}
	return cmp.Compare(x.Proc.Start, y.Proc.Start)
}

func (a *Aggregator) hostTable(v View, f Filter) Table {
	return tableOf(a, a.hosts, KindHost, v, f, func(addr netip.Addr) Key { return Key{Kind: KindHost, A: addr} })
}

func (a *Aggregator) convTable(v View, f Filter) Table {
	return tableOf(a, a.convs, KindConv, v, f, func(ck ConvKey) Key { return Key{Kind: KindConv, A: ck.A, B: ck.B} })
}

func (a *Aggregator) portTable(v View, f Filter) Table {
	return tableOf(a, a.ports, KindPort, v, f, func(pk PortKey) Key { return Key{Kind: KindPort, L4: pk.L4, Port: pk.Port} })
}

func (a *Aggregator) flowTable(v View, f Filter) Table {
	return tableOf(a, a.flows, KindFlow, v, f, func(fk FlowKey) Key {
		return Key{Kind: KindFlow, A: fk.A, B: fk.B, L4: fk.L4, Port: fk.PortA, PortB: fk.PortB}
	})
}

// tableOf makes the Table of t: the rows that match f, cut by v.
func tableOf[K comparable](a *Aggregator, t *table[K], kind Kind, v View, f Filter, key func(K) Key) Table {
	p := a.picker(v, f, t.len())
	t.each(func(tk K, e *entry) { p.offer(key(tk), e) })
	return p.table(kind, t.len(), t.evicted, &t.other)
}

// Lookup returns the row of a key, if the key is held.
func (a *Aggregator) Lookup(k Key) (Row, bool) {
	var e *entry
	switch k.Kind {
	case KindHost:
		e, _ = a.hosts.lookup(k.A)
	case KindConv:
		e, _ = a.convs.lookup(ConvKey{k.A, k.B})
	case KindPort:
		e, _ = a.ports.lookup(PortKey{k.L4, k.Port})
	case KindFlow:
		e, _ = a.flows.lookup(FlowKey{A: k.A, B: k.B, PortA: k.Port, PortB: k.PortB, L4: k.L4})
	case KindProc:
		e, _ = a.procs.lookup(k.Proc)
	}
	if e == nil {
		return Row{Key: k}, false
	}
	return a.row(k, e, true), true
}

func widen(s [NumPlen]uint32) [NumPlen]uint64 {
	var w [NumPlen]uint64
	for i, v := range s {
		w[i] = uint64(v)
	}
	return w
}
