package model

import (
	"math/bits"
	"net/netip"
)

// ConvKey identifies a conversation: an unordered pair of addresses,
// stored with A < B.
type ConvKey struct {
	A, B netip.Addr
}

// PortKey identifies a transport port: the IP protocol number and the
// port.
type PortKey struct {
	L4   uint8
	Port uint16
}

// Config sets the bounds of an Aggregator.
type Config struct {
	// MaxKeys bounds each of the host, conversation and port tables;
	// past it the lightest entries fold into an "other" row.
	MaxKeys int
	// MaxNames bounds the table of names learnt from traffic.
	MaxNames int
	// SeriesSeconds is how many seconds of whole-capture throughput
	// history are kept for the graph.
	SeriesSeconds int
	// Service names a transport port ("https" for TCP 443), or returns
	// "". It is supplied by the caller so that the model needs no
	// protocol library.
	Service func(l4 uint8, port uint16) string
	// FlowDeltas keeps the remainder of a flow evicted from its table
	// (what it had not handed out as a delta yet) in a bounded list, for
	// the next Deltas: set it when an exporter takes flow deltas.
	FlowDeltas bool
	// NoRowRates skips the per-second history of hosts, conversations
	// and ports (their rates and sparklines), which a headless report
	// does not show: counting is then cheaper.
	NoRowRates bool
	// Procs, when set, is asked which process owns each new flow (live
	// capture); its answers fill the Processes table (see proc.go).
	Procs Attribution
}

// DefaultConfig returns the bounds pktop uses unless told otherwise.
func DefaultConfig() Config {
	return Config{MaxKeys: 20000, MaxNames: 20000, SeriesSeconds: 600}
}

// Aggregator counts packets. It is not safe for concurrent use: it is
// owned by the model goroutine (see Run), which is the single writer of
// every counter; other goroutines see only the Snapshots it publishes.
type Aggregator struct {
	cfg Config

	total     Counts
	capBytes  uint64
	truncated uint64
	undecoded uint64
	nonIP     uint64
	first     int64
	last      int64
	now       int64
	start     int64 // capture time counting started (first packet or reset)
	source    SourceStats

	lens   lengths
	sizes  sizeSeries
	plen   [NumPlen]uint64
	protos [numProtos]protoStat
	apps   [numApps]protoStat
	series series
	peak   uint64 // highest per-second byte count seen

	hosts *table[netip.Addr]
	convs *table[ConvKey]
	ports *table[PortKey]
	flows *table[FlowKey]
	names names

	// procs is the Processes table and owners the Owner of each of its
	// rows; attributed says whether it is filled (live capture with
	// attribution), procStats counts the lookups.
	procs      *table[ProcID]
	owners     map[ProcID]*Owner
	attributed bool
	procStats  ProcStats

	// settled is set while a snapshot of a settled view is built (see
	// rateNow).
	settled bool

	// ended holds the remainders of evicted flows until the next Deltas
	// (at most MaxKeys; see Config.FlowDeltas); resets counts Reset.
	ended  []FlowDelta
	resets uint64
}

type protoStat struct {
	c Counts
	// hist is 64-bit per second: a whole link's protocol can carry more
	// than the 4 GB a second that a table entry's 32-bit seconds hold.
	hist series
}

// NewAggregator returns an empty Aggregator.
func NewAggregator(cfg Config) *Aggregator {
	d := DefaultConfig()
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = d.MaxKeys
	}
	if cfg.MaxNames <= 0 {
		cfg.MaxNames = d.MaxNames
	}
	if cfg.SeriesSeconds <= 0 {
		cfg.SeriesSeconds = d.SeriesSeconds
	}
	a := &Aggregator{cfg: cfg, attributed: cfg.Procs != nil}
	a.init()
	return a
}

func (a *Aggregator) init() {
	a.lens = newLengths()
	a.sizes = newSizeSeries(a.cfg.SeriesSeconds)
	a.hosts = newTable(a.cfg.MaxKeys, hashAddr)
	a.convs = newTable(a.cfg.MaxKeys, hashConv)
	a.ports = newTable(a.cfg.MaxKeys, hashPort)
	a.flows = newTable(a.cfg.MaxKeys, hashFlow)
	a.procs = newTable(a.cfg.MaxKeys, hashProc)
	a.owners = make(map[ProcID]*Owner)
	a.procs.forget = func(id ProcID) { delete(a.owners, id) }
	if a.cfg.FlowDeltas {
		a.flows.keep = a.keepEnded
	}
	a.series = newSeries(a.cfg.SeriesSeconds)
	for i := range a.protos {
		a.protos[i].hist = newSeries(ringSeconds)
	}
	for i := range a.apps {
		a.apps[i].hist = newSeries(ringSeconds)
	}
	a.names = newNames(a.cfg.MaxNames)
}

// Reset forgets every count; the capture-side counters stay as they are.
// What the tables had not handed out as deltas yet is kept for the next
// Deltas, as if every row had been evicted.
func (a *Aggregator) Reset() {
	a.hosts.dropAll()
	a.convs.dropAll()
	a.ports.dropAll()
	a.flows.dropAll()
	old := *a
	*a = Aggregator{cfg: old.cfg, source: old.source, now: old.now, start: old.now,
		resets: old.resets + 1, ended: old.ended, attributed: old.attributed, procStats: old.procStats}
	a.init()
	a.hosts.unsent = old.hosts.unsent
	a.convs.unsent = old.convs.unsent
	a.ports.unsent = old.ports.unsent
	a.flows.unsent = old.flows.unsent
}

// AddBatch counts a batch of packets and moves the capture clock.
func (a *Aggregator) AddBatch(b *Batch) {
	for i := range b.Packets {
		a.Add(&b.Packets[i])
	}
	for _, n := range b.Names {
		a.names.set(n.Addr, n.Name, n.FromDNS)
	}
	if b.Source != nil {
		a.source = *b.Source
	}
	a.Advance(b.Now)
}

// Advance moves the capture clock to now (it never goes back).
func (a *Aggregator) Advance(now int64) {
	if now > a.now {
		a.now = now
		a.series.advance(floorDiv(now, 1e9))
	}
}

// Add counts one packet.
func (a *Aggregator) Add(p *Packet) {
	if a.total.Packets == 0 {
		a.first, a.last = p.Time, p.Time // (times before 1970 are negative)
		if a.start == 0 {
			a.start = p.Time
		}
	}
	a.total.add(p.WireLen)
	a.capBytes += uint64(p.CapLen)
	if p.Time > a.last {
		a.last = p.Time
	}
	if p.Time < a.first {
		a.first = p.Time // captures are not always in time order
	}
	if p.Time > a.now {
		a.now = p.Time
	}
	if p.Flags&FlagTruncated != 0 {
		a.truncated++
	}
	if p.Flags&FlagUndecoded != 0 {
		a.undecoded++
	}
	sec := floorDiv(p.Time, 1e9)
	if bs := a.series.add(sec, p.WireLen); bs > a.peak {
		a.peak = bs
	}
	pl := plenIndex(p.WireLen)
	a.lens.add(p.WireLen)
	a.sizes.add(sec, p.WireLen)
	a.plen[pl]++
	for s := p.Protos; s != 0; s &= s - 1 {
		pr := bits.TrailingZeros64(uint64(s))
		a.protos[pr].c.add(p.WireLen)
		a.protos[pr].hist.count(sec, p.WireLen)
	}
	if p.App != AppNone && p.App < numApps {
		a.apps[p.App].c.add(p.WireLen)
		a.apps[p.App].hist.count(sec, p.WireLen)
	}
	if !p.Src.IsValid() {
		a.nonIP++
		return
	}
	if a.cfg.NoRowRates {
		sec = noRates
	}
	// Flows: out is A to B, the lower address (then port) first. The
	// flow remembers its conversation's entry and the conversation its
	// hosts' entries, which saves three map look-ups a packet; each entry
	// is counted before the next look-up, which may evict it.
	fk, fwd := flowKeyOf(p.L4, p.Src, p.Dst, p.SrcPort, p.DstPort)
	f := a.flows.get(fk)
	fresh := f.total.Packets == 0
	f.countFlow(p, sec, fwd)
	// Processes: an attributed flow counts on its owners' rows; a new
	// one is asked about (live capture).
	if f.own != nil {
		a.countOwners(f.own, p, sec, fwd)
	} else if fresh && a.cfg.Procs != nil {
		a.ask(f, p)
	}
	// Conversations: out is A to B (the flow's A and B, so the same
	// direction, except between two ports of one address, which is
	// always A to B).
	fwd = fwd || p.Src == p.Dst
	c := linked(f, upConv, a.convs, ConvKey{fk.A, fk.B})
	c.count(p, sec, pl, fwd, !fwd)
	// Hosts: the frame counts once for each address of its outermost
	// IP header; sent for the source, received for the destination.
	if p.Src == p.Dst {
		linked(c, upHostA, a.hosts, p.Src).count(p, sec, pl, true, true)
	} else {
		ha, hb := upHostA, upHostB
		if !fwd {
			ha, hb = hb, ha
		}
		linked(c, ha, a.hosts, p.Src).count(p, sec, pl, true, false)
		linked(c, hb, a.hosts, p.Dst).count(p, sec, pl, false, true)
	}
	// Ports: the frame counts under its service port; in is towards
	// the port (requests), out is from it (replies). The flow links to
	// its port's entry (a flow's ports, so its service port, are fixed).
	if p.SrcPort != 0 || p.DstPort != 0 {
		port, toService := servicePort(p.SrcPort, p.DstPort)
		linked(f, upPort, a.ports, PortKey{p.L4, port}).count(p, sec, pl, !toService, toService)
	}
}

// linked returns the entry of k in t, from link i of entry from when it
// is still valid, and makes the link point to it.
func linked[K comparable](from *entry, i int, t *table[K], k K) *entry {
	if e := from.up[i]; e != nil && e.gen == from.upGen[i] {
		return e
	}
	e := t.get(k)
	from.up[i], from.upGen[i] = e, e.gen
	return e
}

// servicePort picks which of a packet's two ports names its service: the
// lower one, the usual server side. It also says whether the packet goes
// towards it.
func servicePort(src, dst uint16) (port uint16, toService bool) {
	if dst == 0 || (src != 0 && src < dst) {
		return src, false
	}
	return dst, true
}
