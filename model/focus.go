package model

import (
	"context"
	"math/bits"
	"net/netip"
)

// Focusing on a row (a host, a conversation, a port, a flow, a process)
// makes every pane show that row's own traffic: its hosts, conversations,
// ports, flows and processes, its protocols, its packet sizes and its
// throughput. The model counts the row's packets in an Aggregator of
// their own, the focus. A process's packets are those of the flows
// attributed to it (live only): its focus starts from the tables, and a
// flow attributed to it later joins it with all it counted.
//
// A focus must cover the whole capture, not only what comes after the
// key press. Two ways get it there:
//   - A replay of a file is read again from its start (Rescan, given by
//     the caller, which knows the file): every packet the model counted
//     before the focus began is counted again into the focus if it is the
//     row's. The focus is then exact, and Complete.
//   - Otherwise (live capture, standard input), the focus starts from
//     what the tables already hold (Seed): the row's flows, with their
//     exact counts by direction, give its hosts, conversations, ports,
//     flows and protocols; their last 40 seconds give its recent rates.
//     Sizes and the longer history count from the focus on.

// Rescan reads the capture again from its start. It counts the packets
// the feed sends the model, in the same order, and hands sink the
// packets of index from (included) to to (excluded) that keep accepts,
// in batches (their Now is the last packet's time), and the names
// learnt from them. It reports how far it is with progress (0 to 1),
// returns nil once it handed everything, and stops when ctx is done or
// sink returns false.
type Rescan func(ctx context.Context, from, to uint64, keep func(*Packet) bool, sink func(*Batch) bool, progress func(float64)) error

// SetRescan gives the model a way to read the capture again for a focus.
// Call it before Run.
func (m *Model) SetRescan(r Rescan) { m.rescan = r }

// scanMsg is what a rescan hands the model goroutine.
type scanMsg struct {
	gen      uint64
	batch    *Batch
	progress float64
	done     bool
	err      error
}

// newFocus makes the aggregator of a new focus on k (model goroutine):
// it starts a rescan of the capture when there is one, and seeds the
// focus from the tables otherwise.
func (m *Model) newFocus(k Key) {
	if m.scanCancel != nil {
		m.scanCancel()
		m.scanCancel = nil
	}
	m.focusGen++
	m.focus = NewAggregator(Config{MaxKeys: focusKeys, MaxNames: 4096, SeriesSeconds: m.agg.cfg.SeriesSeconds,
		Service: m.agg.cfg.Service})
	m.focus.attributed = m.agg.attributed
	m.focus.Advance(m.agg.now)
	m.focus.start = m.agg.start
	m.focusSince = m.agg.now
	m.scanning, m.progress, m.complete = false, 0, false
	// A process exists only live, and the flows it owns only in the
	// tables: a focus on one starts from them.
	if m.rescan == nil || m.fed == m.resetAt || k.Kind == KindProc {
		m.complete = m.fed == m.resetAt // nothing was counted yet
		if !m.complete {
			m.focus.Seed(m.agg, k)
			m.seeded = true
		}
		return
	}
	m.seeded = false
	m.scanning = true
	ctx, cancel := context.WithCancel(context.Background())
	m.scanCancel = cancel
	gen, from, to, rescan, ch := m.focusGen, m.resetAt, m.fed, m.rescan, m.scanCh
	send := func(msg scanMsg) bool {
		msg.gen = gen
		select {
		case ch <- msg:
			return true
		case <-ctx.Done():
			return false
		}
	}
	go func() {
		keep := func(p *Packet) bool { return MatchPacket(k, p) }
		err := rescan(ctx, from, to, keep,
			func(b *Batch) bool { return send(scanMsg{batch: b}) },
			func(f float64) { send(scanMsg{progress: f}) })
		send(scanMsg{done: true, err: err})
	}()
}

// focusKeys bounds each table of a focus.
const focusKeys = 4000

// takeScan counts what a rescan handed over (model goroutine).
func (m *Model) takeScan(msg scanMsg) {
	if msg.gen != m.focusGen || m.focus == nil {
		if msg.batch != nil {
			PutBatch(msg.batch)
		}
		return
	}
	switch {
	case msg.batch != nil:
		for i := range msg.batch.Packets {
			m.focus.Add(&msg.batch.Packets[i])
		}
		for _, n := range msg.batch.Names {
			m.focus.names.set(n.Addr, n.Name, n.FromDNS)
		}
		PutBatch(msg.batch)
	case msg.done:
		m.scanning = false
		m.scanCancel = nil
		if msg.err == nil {
			m.complete, m.progress = true, 1
		}
	default:
		m.progress = msg.progress
	}
}

// stopScan ends a running rescan.
func (m *Model) stopScan() {
	if m.scanCancel != nil {
		m.scanCancel()
		m.scanCancel = nil
	}
	m.scanning = false
}

// Seed starts the focus aggregator a (new, empty) on the row k of src
// from what src's tables hold: every flow of k, with its counts by
// direction and protocols, and its last 40 seconds.
func (a *Aggregator) Seed(src *Aggregator, k Key) {
	a.now = max(a.now, src.now)
	a.start = src.start
	src.flows.each(func(fk FlowKey, e *entry) {
		p := Packet{Src: fk.A, Dst: fk.B, SrcPort: fk.PortA, DstPort: fk.PortB, L4: fk.L4}
		if k.Kind == KindProc {
			if e.own == nil || !e.own.has(k.Proc) {
				return
			}
		} else if !MatchPacket(k, &p) {
			return
		}
		a.seedFlow(fk, e)
		for _, addr := range []netip.Addr{fk.A, fk.B} {
			if n, ok := src.names.m[addr]; ok {
				a.names.set(addr, n.name, n.fromDNS)
			}
		}
	})
}

// seedFlow counts a flow's entry of another aggregator as this one's own
// traffic.
func (a *Aggregator) seedFlow(fk FlowKey, e *entry) {
	if a.total.Packets == 0 || e.first < a.first {
		a.first = e.first
	}
	a.last = max(a.last, e.lastSeen)
	a.total.merge(e.total)
	for s := e.protos; s != 0; s &= s - 1 {
		pr := bits.TrailingZeros64(uint64(s))
		a.protos[pr].c.merge(e.total)
	}
	for ap := App(1); ap < numApps; ap++ {
		if e.apps.has(ap) {
			a.apps[ap].c.merge(e.total)
		}
	}
	// The flow's last seconds, into the whole traffic's series.
	if e.hist.valid {
		for s := e.hist.head - ringSeconds + 1; s <= e.hist.head; s++ {
			o, in := e.hist.at(s)
			if o+in > 0 {
				if sl := a.series.at(s); sl != nil {
					sl.Bytes += uint64(o) + uint64(in)
				}
			}
		}
	}
	f := a.flows.get(fk)
	f.absorb(e, asOut, asIn)
	if fk.A == fk.B {
		// Between two ports of one address: the conversation counts it
		// all A to B, the host as both sent and received.
		a.convs.get(ConvKey{fk.A, fk.B}).absorb(e, asOut, asOut)
		a.hosts.get(fk.A).absorb(e, asOut|asIn, asOut|asIn)
	} else {
		a.convs.get(ConvKey{fk.A, fk.B}).absorb(e, asOut, asIn)
		a.hosts.get(fk.A).absorb(e, asOut, asIn)
		a.hosts.get(fk.B).absorb(e, asIn, asOut)
	}
	if fk.PortA != 0 || fk.PortB != 0 {
		port, toService := servicePort(fk.PortA, fk.PortB)
		// A to B goes to the service port when toService: it counts as
		// in (towards the port).
		if toService {
			a.ports.get(PortKey{fk.L4, port}).absorb(e, asIn, asOut)
		} else {
			a.ports.get(PortKey{fk.L4, port}).absorb(e, asOut, asIn)
		}
	}
	if e.own != nil {
		// An attributed flow (live capture): its owners' rows too.
		a.setOwners(f, e.own.clone())
	}
}

// How absorb counts a direction of a flow: as out, as in, or both.
const (
	asOut = 1 << iota
	asIn
)

// absorb counts the flow entry e into t: its A to B traffic as out or in
// (fwd), its B to A traffic as the other (rev), each direction with its
// last seconds.
func (t *entry) absorb(e *entry, fwd, rev int) {
	t.total.merge(e.total)
	add := func(c Counts, how int) {
		if how&asOut != 0 {
			t.out.merge(c)
		}
		if how&asIn != 0 {
			t.in.merge(c)
		}
	}
	add(e.out, fwd)
	add(e.in, rev)
	t.protos |= e.protos
	t.apps = t.apps.merge(e.apps)
	if t.first == 0 || e.first < t.first {
		t.first = e.first
	}
	t.lastSeen = max(t.lastSeen, e.lastSeen)
	if !e.hist.valid {
		return
	}
	for s := e.hist.head - ringSeconds + 1; s <= e.hist.head; s++ {
		o, i := e.hist.at(s)
		for _, d := range []struct {
			n   uint32
			how int
		}{{o, fwd}, {i, rev}} {
			if d.n > 0 && d.how&asOut != 0 {
				t.hist.add(s, d.n, true)
			}
			if d.n > 0 && d.how&asIn != 0 {
				t.hist.add(s, d.n, false)
			}
		}
	}
}

// SeededFocus is the Focus on row k from a's tables alone (see Seed), for
// a screen over an aggregator that counts no more (tests, screenshots).
func (a *Aggregator) SeededFocus(k Key, v View) *Focus {
	row, found := a.Lookup(k)
	f := NewAggregator(Config{MaxKeys: focusKeys, MaxNames: 4096, SeriesSeconds: a.cfg.SeriesSeconds, Service: a.cfg.Service})
	f.attributed = a.attributed
	f.Seed(a, k)
	v.Focus = nil
	return &Focus{Row: row, Found: found, Since: a.now, Seeded: true, Sub: f.Snapshot(v)}
}
