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
	// NoRowRates skips the per-second history of hosts, conversations
	// and ports (their rates and sparklines), which a headless report
	// does not show: counting is then cheaper.
	NoRowRates bool
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

	fine   []uint64
	plen   [NumPlen]uint64
	protos [numProtos]protoStat
	apps   [numApps]protoStat
	series series
	peak   float64 // highest per-second byte count seen

	hosts *table[netip.Addr]
	convs *table[ConvKey]
	ports *table[PortKey]
	names names
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
	a := &Aggregator{cfg: cfg}
	a.init()
	return a
}

func (a *Aggregator) init() {
	a.fine = make([]uint64, NumFine)
	a.hosts = newTable[netip.Addr](a.cfg.MaxKeys)
	a.convs = newTable[ConvKey](a.cfg.MaxKeys)
	a.ports = newTable[PortKey](a.cfg.MaxKeys)
	a.series = newSeries(a.cfg.SeriesSeconds)
	for i := range a.protos {
		a.protos[i].hist = newSeries(HistorySeconds)
	}
	for i := range a.apps {
		a.apps[i].hist = newSeries(HistorySeconds)
	}
	a.names = newNames(a.cfg.MaxNames)
}

// Reset forgets every count; the capture-side counters stay as they are.
func (a *Aggregator) Reset() {
	src := a.source
	now := a.now
	cfg := a.cfg
	*a = Aggregator{cfg: cfg, source: src, now: now, start: now}
	a.init()
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
		a.first = p.Time
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
	a.fine[fineBucket(p.WireLen)]++
	a.plen[plenIndex(p.WireLen)]++
	for s := p.Protos; s != 0; s &= s - 1 {
		pr := bits.TrailingZeros64(uint64(s))
		a.protos[pr].c.add(p.WireLen)
		a.protos[pr].hist.add(sec, p.WireLen)
	}
	if p.App != AppNone && p.App < numApps {
		a.apps[p.App].c.add(p.WireLen)
		a.apps[p.App].hist.add(sec, p.WireLen)
	}
	if !p.Src.IsValid() {
		a.nonIP++
		return
	}
	if a.cfg.NoRowRates {
		sec = noRates
	}
	// Conversations: out is A to B.
	k := ConvKey{p.Src, p.Dst}
	fwd := true
	if p.Dst.Less(p.Src) {
		k = ConvKey{p.Dst, p.Src}
		fwd = false
	}
	c := a.convs.get(k)
	c.count(p, sec, fwd, !fwd)
	// Hosts: the frame counts once for each address of its outermost
	// IP header; sent for the source, received for the destination. The
	// conversation remembers its hosts' entries, which saves two map
	// look-ups a packet; each is counted before the next look-up, which
	// may evict it.
	if p.Src == p.Dst {
		a.host(&c.hostA, p.Src).count(p, sec, true, true)
	} else {
		ha, hb := &c.hostA, &c.hostB
		if !fwd {
			ha, hb = hb, ha
		}
		a.host(ha, p.Src).count(p, sec, true, false)
		a.host(hb, p.Dst).count(p, sec, false, true)
	}
	// Ports: the frame counts under its service port; in is towards
	// the port (requests), out is from it (replies).
	if p.SrcPort != 0 || p.DstPort != 0 {
		port, toService := servicePort(p.SrcPort, p.DstPort)
		a.ports.get(PortKey{p.L4, port}).count(p, sec, !toService, toService)
	}
}

// host returns the entry of host addr, from the link l when it is still
// valid.
func (a *Aggregator) host(l *link, addr netip.Addr) *entry {
	if l.e != nil && l.e.gen == l.gen {
		return l.e
	}
	e := a.hosts.get(addr)
	l.e, l.gen = e, e.gen
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
