package model

import (
	"slices"
)

// Counts are a packet and a byte count.
type Counts struct {
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
}

func (c *Counts) add(n uint32) {
	c.Packets++
	c.Bytes += uint64(n)
}

func (c *Counts) merge(o Counts) {
	c.Packets += o.Packets
	c.Bytes += o.Bytes
}

// entry holds everything counted for one key of a table (a host, a
// conversation, a port). Only the model goroutine touches it.
type entry struct {
	total    Counts // frames with this key, each counted once
	out, in  Counts // by direction (see Row for what each means per table)
	hist     ring
	sizes    [NumPlen]uint64
	protos   ProtoSet
	apps     appSet
	first    int64
	lastSeen int64
}

// appSet is a set of Apps.
type appSet uint64

func (s appSet) add(a App) appSet      { return s | 1<<(a&63) }
func (s appSet) has(a App) bool        { return s&(1<<(a&63)) != 0 }
func (s appSet) merge(o appSet) appSet { return s | o }

func (e *entry) count(p *Packet, sec int64, out, in bool) {
	e.total.add(p.WireLen)
	if out {
		e.out.add(p.WireLen)
		e.hist.add(sec, p.WireLen, true)
	}
	if in {
		e.in.add(p.WireLen)
		e.hist.add(sec, p.WireLen, false)
	}
	e.sizes[plenIndex(p.WireLen)]++
	e.protos |= p.Protos
	if p.App != AppNone {
		e.apps = e.apps.add(p.App)
	}
	if e.first == 0 {
		e.first = p.Time
	}
	e.lastSeen = p.Time
}

// merge folds o's totals into e (used for the "other" row).
func (e *entry) merge(o *entry) {
	e.total.merge(o.total)
	e.out.merge(o.out)
	e.in.merge(o.in)
	for i := range e.sizes {
		e.sizes[i] += o.sizes[i]
	}
	e.protos |= o.protos
	e.apps = e.apps.merge(o.apps)
}

// table is a bounded map from keys to entries. While the number of
// distinct keys stays within max, every entry is exact. When a new key
// arrives at a full table, the lightest quarter of the entries (by bytes)
// is folded into the "other" entry and forgotten, so memory stays bounded
// whatever the traffic while the sum of all rows plus "other" still equals
// what was counted. Heavy hitters survive evictions because they are never
// among the lightest.
type table[K comparable] struct {
	m       map[K]*entry
	max     int
	other   entry
	evicted uint64 // keys folded into other so far
	free    []*entry
}

func newTable[K comparable](max int) *table[K] {
	if max < 4 {
		max = 4
	}
	return &table[K]{m: make(map[K]*entry, min(max, 1024)), max: max}
}

// get returns the entry for k, creating it (and evicting if full).
func (t *table[K]) get(k K) *entry {
	if e, ok := t.m[k]; ok {
		return e
	}
	if len(t.m) >= t.max {
		t.evict()
	}
	var e *entry
	if n := len(t.free); n > 0 {
		e = t.free[n-1]
		t.free = t.free[:n-1]
		*e = entry{}
	} else {
		e = new(entry)
	}
	t.m[k] = e
	return e
}

// evict folds the lightest quarter of the entries into other.
func (t *table[K]) evict() {
	n := len(t.m) / 4
	if n < 1 {
		n = 1
	}
	bytes := make([]uint64, 0, len(t.m))
	for _, e := range t.m {
		bytes = append(bytes, e.total.Bytes)
	}
	slices.Sort(bytes)
	limit := bytes[n-1] // evict entries at or below this, up to n of them
	removed := 0
	for k, e := range t.m {
		if removed >= n {
			break
		}
		if e.total.Bytes <= limit {
			t.other.merge(e)
			delete(t.m, k)
			t.free = append(t.free, e)
			removed++
		}
	}
	t.evicted += uint64(removed)
}

func (t *table[K]) reset() {
	clear(t.m)
	t.other = entry{}
	t.evicted = 0
	t.free = nil
}
