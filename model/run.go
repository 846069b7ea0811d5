package model

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// BatchSize is the number of packets a sniffer puts in a batch before it
// sends it (it sends a smaller one when its input would block).
const BatchSize = 1024

var batchPool = sync.Pool{New: func() any { return &Batch{Packets: make([]Packet, 0, BatchSize)} }}

// GetBatch returns an empty batch from a pool.
func GetBatch() *Batch {
	b := batchPool.Get().(*Batch)
	b.Packets = b.Packets[:0]
	b.Names = b.Names[:0]
	b.Now = 0
	b.Source = nil
	return b
}

// PutBatch returns a batch to the pool once counted.
func PutBatch(b *Batch) { batchPool.Put(b) }

// Model owns an Aggregator in a goroutine of its own (Run): it is the
// single writer of every counter, takes batches from the sniffer over a
// channel, and publishes immutable Snapshots that any goroutine may read
// with Latest.
type Model struct {
	agg      *Aggregator
	cfg      Config
	interval time.Duration
	ctl      chan control
	deltas   chan deltaReq
	latest   atomic.Pointer[Snapshot]
	seq      uint64

	// rescan reads the capture again for a focus (nil: it cannot be);
	// scanCh takes what a rescan counted.
	rescan Rescan
	scanCh chan scanMsg

	// Owned by the Run goroutine.
	view       View
	focus      *Aggregator
	focusSince int64
	focusGen   uint64 // counts the foci, so that a stale rescan is ignored
	scanCancel func()
	scanning   bool    // a rescan is running
	progress   float64 // how far it is
	complete   bool    // the focus covers the whole capture
	seeded     bool    // the focus started from the tables
	// fed counts the packets the feed sent; resetAt is fed at the last
	// reset: the counts cover packets [resetAt, fed).
	fed, resetAt uint64
	lastPub      time.Time     // when the last snapshot was built
	pubCost      time.Duration // and how long it took
	// procsDone is set once the attribution's answers channel closed.
	procsDone bool
}

type control struct {
	view  *View
	reset bool
}

// New returns a Model that publishes a snapshot every interval while
// packets arrive.
func New(cfg Config, interval time.Duration) *Model {
	if interval <= 0 {
		interval = 250 * time.Millisecond
	}
	m := &Model{agg: NewAggregator(cfg), cfg: cfg, interval: interval,
		ctl: make(chan control, 64), deltas: make(chan deltaReq), scanCh: make(chan scanMsg, 16),
		view: View{Sort: Sort10s, Limit: 500}}
	m.publish(false)
	return m
}

// Latest returns the newest snapshot. It never returns nil.
func (m *Model) Latest() *Snapshot { return m.latest.Load() }

// SetView asks the model to cut its snapshots by v from now on. It never
// blocks; the next snapshot reflects it.
func (m *Model) SetView(v View) {
	select {
	case m.ctl <- control{view: &v}:
	default:
	}
}

// Reset asks the model to forget every count. It never blocks.
func (m *Model) Reset() {
	select {
	case m.ctl <- control{reset: true}:
	default:
	}
}

// Run counts the batches from in until in is closed or ctx is done, and
// returns the aggregator, which the caller then owns. A snapshot marked
// Done is published when in is closed.
func (m *Model) Run(ctx context.Context, in <-chan *Batch) *Aggregator {
	t := time.NewTicker(m.interval)
	defer t.Stop()
	dirty := false
	for {
		select {
		case b, ok := <-in:
			if !ok {
				m.settle(ctx)
				m.publish(true)
				return m.agg
			}
			m.fed += uint64(len(b.Packets))
			m.agg.AddBatch(b)
			if m.focus != nil {
				m.feedFocus(b)
			}
			PutBatch(b)
			dirty = true
		case msg := <-m.scanCh:
			m.takeScan(msg)
			dirty = true
		case as, ok := <-m.answers():
			m.takeAnswers(as, ok)
			dirty = true
		case c := <-m.ctl:
			m.apply(c)
			m.publish(false)
			dirty = false
		case r := <-m.deltas:
			r.reply <- m.agg.Deltas(r.req)
		case now := <-t.C:
			// A snapshot of very large tables takes a while to build:
			// publish no more often than every four build times, so
			// that counting keeps at least four fifths of the time.
			if dirty && now.Sub(m.lastPub) >= 4*m.pubCost {
				m.publish(false)
				dirty = false
			}
		case <-ctx.Done():
			m.stopScan()
			m.publish(false)
			return m.agg
		}
	}
}

func (m *Model) apply(c control) {
	if c.reset {
		m.agg.Reset()
		m.resetAt = m.fed
		if f := m.view.Focus; f != nil {
			m.newFocus(*f) // empty: nothing counted since the reset
		}
	}
	if c.view != nil {
		old := m.view.Focus
		m.view = *c.view
		nf := m.view.Focus
		switch {
		case nf == nil:
			m.stopScan()
			m.focus = nil
		case old == nil || *old != *nf:
			m.newFocus(*nf)
		}
	}
}

func (m *Model) feedFocus(b *Batch) {
	k := *m.view.Focus
	for i := range b.Packets {
		p := &b.Packets[i]
		if k.Kind == KindProc {
			if m.agg.ownedBy(p, k.Proc) {
				m.focus.Add(p)
			}
			continue
		}
		if MatchPacket(k, p) {
			m.focus.Add(p)
		}
	}
	m.focus.Advance(b.Now)
}

// attribute takes a batch of answers of the attribution (model
// goroutine), into the tables and into the focus.
func (m *Model) attribute(as []ProcAnswer) {
	for i := range as {
		fk, e, ok := m.agg.attributeOne(&as[i])
		if ok && m.focus != nil {
			m.focus.adopt(fk, e, *m.view.Focus)
		}
	}
}

// answers is the channel of the attribution's answers; nil when there is
// none, or once it was closed.
func (m *Model) answers() <-chan []ProcAnswer {
	if m.cfg.Procs == nil || m.procsDone {
		return nil
	}
	return m.cfg.Procs.Answers()
}

// takeAnswers handles a receive from answers.
func (m *Model) takeAnswers(as []ProcAnswer, ok bool) {
	if !ok {
		m.procsDone = true
		return
	}
	m.attribute(as)
}

// settle waits, at the end of the input, for the answers about the last
// flows (at most procSettle): a report then has them.
func (m *Model) settle(ctx context.Context) {
	if m.answers() == nil || m.agg.procPending() == 0 {
		return
	}
	t := time.NewTimer(procSettle)
	defer t.Stop()
	for m.answers() != nil && m.agg.procPending() > 0 {
		select {
		case as, ok := <-m.answers():
			m.takeAnswers(as, ok)
		case <-t.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// procSettle bounds the wait for the last answers of the attribution.
const procSettle = 2 * time.Second

func (m *Model) publish(done bool) {
	start := time.Now()
	defer func() { m.lastPub, m.pubCost = start, time.Since(start) }()
	m.seq++
	s := m.agg.Snapshot(m.view)
	s.Seq = m.seq
	s.Done = done
	if f := m.view.Focus; f != nil {
		row, found := m.agg.Lookup(*f)
		fs := &Focus{Row: row, Found: found, Since: m.focusSince, Complete: m.complete,
			Scanning: m.scanning, Progress: m.progress, Seeded: m.seeded}
		if m.focus != nil {
			v := m.view
			v.Focus = nil // the focus's own tables, cut as the view asks
			sub := m.focus.Snapshot(v)
			fs.Sub = sub
		}
		s.Focus = fs
	}
	m.latest.Store(s)
}
