package model

import (
	"cmp"
	"context"
	"net/netip"
	"slices"
)

// FlowKey identifies a flow: the IP protocol number and two endpoints,
// stored with (A, PortA) < (B, PortB), addresses first. Frames without
// ports (ICMP, fragments) have ports 0.
type FlowKey struct {
	A, B         netip.Addr
	PortA, PortB uint16
	L4           uint8
}

// countFlow counts a frame of a flow: as count does, less the size
// histogram (a flow has no use for one), plus the times of the deltas.
func (e *entry) countFlow(p *Packet, sec int64, out bool) {
	e.total.add(p.WireLen)
	i := 0
	if out {
		e.out.add(p.WireLen)
	} else {
		e.in.add(p.WireLen)
		i = 1
	}
	if sec != noRates {
		e.hist.add(sec, p.WireLen, out)
	}
	e.protos |= p.Protos
	if p.App != AppNone {
		e.apps = e.apps.add(p.App)
	}
	if e.first == 0 {
		e.first = p.Time
	}
	e.lastSeen = p.Time
	if e.dFirst[i] == 0 { // the first since the last hand-out
		e.dFirst[i], e.dLast[i] = p.Time, p.Time
		return
	}
	e.dFirst[i] = min(e.dFirst[i], p.Time) // captures are not always in time order
	e.dLast[i] = max(e.dLast[i], p.Time)
}

// FlowDelta is what one flow counted since it last handed out its deltas.
type FlowDelta struct {
	// Key is the flow (Kind KindFlow; Port is A's port, PortB B's).
	Key
	// Out counts A to B, In B to A.
	Out, In Counts
	// OutFirst, OutLast, InFirst and InLast are the capture times of the
	// first and last frame of Out and In (zero when it is empty).
	OutFirst, OutLast, InFirst, InLast int64
	// Evicted is set when the flow left the table (it was among the
	// lightest of a full table, or the counters were reset): the delta is
	// its last, and a later frame of the same flow starts a new entry.
	Evicted bool
}

// DeltaRequest says what Deltas hands out.
type DeltaRequest struct {
	// Tables hands out the hosts', conversations' and ports' deltas: the
	// Top rows of each with the most bytes since the last request, the
	// rows of Keys whatever their rank, and the sum of all the others.
	Tables bool
	Top    int
	Keys   []Key
	// Flows hands out the delta of every flow that counted a frame since
	// the last request, and of the flows evicted since.
	Flows bool
	// Reuse is a Flows slice of an earlier hand-out that its user is done
	// with: Deltas fills it again rather than allocating (a busy link's
	// flows make megabytes a second otherwise).
	Reuse []FlowDelta
}

// Deltas is what the tables counted since the last request: every frame
// counted is handed out once, as a row or in Other, however the tables
// evicted rows in between.
type Deltas struct {
	// Summary has the totals, protocols, sizes and capture counters (as
	// in a Snapshot, cumulative) with no table rows.
	Summary *Snapshot
	// Resets is how many times the counters were reset (Model.Reset):
	// cumulative values that went down did so because of a reset.
	Resets uint64
	Hosts  DeltaTable
	Convs  DeltaTable
	Ports  DeltaTable
	Flows  []FlowDelta
	// FlowsOther sums the deltas of evicted flows that the bounded list
	// of evicted flows could not keep (out and in).
	FlowsOther [2]Counts
}

// DeltaTable is the deltas of one table: Rows have Out, In and Total
// (Out plus In) since the last request, names and services; Other sums
// the deltas of every other row and of the rows evicted since.
type DeltaTable struct {
	Rows  []Row
	Other Row
}

// keepEnded takes an evicted flow's remainder into a.ended, while there
// is room (MaxKeys).
func (a *Aggregator) keepEnded(k FlowKey, e *entry) bool {
	if len(a.ended) >= a.cfg.MaxKeys {
		return false
	}
	if d, ok := flowDelta(k, e); ok {
		d.Evicted = true
		a.ended = append(a.ended, d)
	}
	return true
}

// flowDelta makes the delta of a flow entry and marks it handed out.
func flowDelta(k FlowKey, e *entry) (FlowDelta, bool) {
	out, in := e.unsent()
	if out.IsZero() && in.IsZero() {
		return FlowDelta{}, false
	}
	d := FlowDelta{Key: Key{Kind: KindFlow, A: k.A, B: k.B, L4: k.L4, Port: k.PortA, PortB: k.PortB}, Out: out, In: in}
	if !out.IsZero() {
		d.OutFirst, d.OutLast = e.dFirst[0], e.dLast[0]
	}
	if !in.IsZero() {
		d.InFirst, d.InLast = e.dFirst[1], e.dLast[1]
	}
	e.sent = [2]Counts{e.out, e.in}
	e.dFirst, e.dLast = [2]int64{}, [2]int64{}
	return d, true
}

// Deltas hands out what was counted since the last request (see
// DeltaRequest). Only the goroutine that owns the aggregator may call
// it: the model goroutine serves it for other goroutines (Model.Deltas).
func (a *Aggregator) Deltas(req DeltaRequest) *Deltas {
	d := &Deltas{Summary: a.summary(), Resets: a.resets}
	if req.Tables {
		d.Hosts = tableDeltas(a, a.hosts, KindHost, req, func(k netip.Addr) Key { return Key{Kind: KindHost, A: k} },
			func(k Key) netip.Addr { return k.A })
		d.Convs = tableDeltas(a, a.convs, KindConv, req, func(k ConvKey) Key { return Key{Kind: KindConv, A: k.A, B: k.B} },
			func(k Key) ConvKey { return ConvKey{k.A, k.B} })
		d.Ports = tableDeltas(a, a.ports, KindPort, req, func(k PortKey) Key { return Key{Kind: KindPort, L4: k.L4, Port: k.Port} },
			func(k Key) PortKey { return PortKey{k.L4, k.Port} })
	}
	if req.Flows {
		d.Flows = slices.Grow(req.Reuse[:0], len(a.ended)+a.flows.len())
		d.Flows = append(d.Flows, a.ended...)
		clear(a.ended)
		a.ended = a.ended[:0]
		a.flows.each(func(k FlowKey, e *entry) {
			if fd, ok := flowDelta(k, e); ok {
				d.Flows = append(d.Flows, fd)
			}
		})
		d.FlowsOther = a.flows.unsent
		a.flows.unsent = [2]Counts{}
	}
	return d
}

// deltaRow is a row's delta, before it becomes a Row.
type deltaRow struct {
	k       Key
	out, in Counts
}

func tableDeltas[K comparable](a *Aggregator, t *table[K], kind Kind, req DeltaRequest, key func(K) Key, back func(Key) K) DeltaTable {
	var dt DeltaTable
	rows := make([]deltaRow, 0, len(req.Keys)+req.Top)
	take := func(k Key, e *entry) (deltaRow, bool) {
		out, in := e.unsent()
		e.sent = [2]Counts{e.out, e.in}
		return deltaRow{k, out, in}, !out.IsZero() || !in.IsZero()
	}
	// The rows asked for first: their deltas are then handed out, and
	// the pass over the table below finds them empty.
	for _, k := range req.Keys {
		if k.Kind != kind {
			continue
		}
		if e, ok := t.lookup(back(k)); ok {
			if r, ok := take(k, e); ok {
				rows = append(rows, r)
			}
		}
	}
	other := deltaRow{k: Key{Kind: kind}, out: t.unsent[0], in: t.unsent[1]}
	t.unsent = [2]Counts{}
	fold := func(r deltaRow) {
		other.out.merge(r.out)
		other.in.merge(r.in)
	}
	// The Top heaviest of the others, kept in a small list as the pass
	// goes (top[low] its lightest); the rest sum into other.
	top := make([]deltaRow, 0, req.Top)
	low := 0
	t.each(func(k K, e *entry) {
		r, ok := take(key(k), e)
		switch {
		case !ok:
		case len(top) < req.Top:
			top = append(top, r)
			low = lightest(top)
		case req.Top > 0 && deltaOrder(r, top[low]) < 0:
			fold(top[low])
			top[low] = r
			low = lightest(top)
		default:
			fold(r)
		}
	})
	slices.SortFunc(top, deltaOrder)
	rows = append(rows, top...)
	dt.Rows = make([]Row, len(rows))
	for i, r := range rows {
		dt.Rows[i] = a.deltaRow(r)
	}
	dt.Other = a.deltaRow(other)
	return dt
}

// lightest returns the index of the last row of rs in deltaOrder.
func lightest(rs []deltaRow) int {
	l := 0
	for i := range rs {
		if deltaOrder(rs[i], rs[l]) > 0 {
			l = i
		}
	}
	return l
}

// deltaOrder orders deltas by bytes, then key, descending.
func deltaOrder(x, y deltaRow) int {
	if c := cmp.Compare(y.out.Bytes+y.in.Bytes, x.out.Bytes+x.in.Bytes); c != 0 {
		return c
	}
	return compareKeys(x.k, y.k)
}

func (a *Aggregator) deltaRow(r deltaRow) Row {
	row := Row{Key: r.k, Out: r.out, In: r.in, Total: r.out}
	row.Total.merge(r.in)
	a.name(&row)
	return row
}

// name fills in a row's learnt names and service.
func (a *Aggregator) name(r *Row) {
	switch r.Kind {
	case KindHost:
		if r.A.IsValid() {
			r.NameA = a.names.get(r.A)
		}
	case KindConv, KindFlow:
		if r.A.IsValid() {
			r.NameA, r.NameB = a.names.get(r.A), a.names.get(r.B)
		}
	case KindPort:
		if a.cfg.Service != nil && (r.L4 != 0 || r.Port != 0) {
			r.Service = a.cfg.Service(r.L4, r.Port)
		}
	}
}

// deltaReq is a Deltas request to the model goroutine.
type deltaReq struct {
	req   DeltaRequest
	reply chan *Deltas
}

// Deltas asks the model goroutine (Run, or Idle after it) for the deltas
// since the last request, and waits for them or for ctx. Once Run and
// Idle have returned, the caller owns the aggregator and calls its
// Deltas method instead.
func (m *Model) Deltas(ctx context.Context, req DeltaRequest) (*Deltas, error) {
	r := deltaReq{req, make(chan *Deltas, 1)}
	select {
	case m.deltas <- r:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Taken: the model answers at once, and what it hands out must not
	// be lost.
	return <-r.reply, nil
}
