package model

import (
	"math/rand/v2"
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

func (c Counts) minus(o Counts) Counts {
	return Counts{c.Packets - o.Packets, c.Bytes - o.Bytes}
}

// IsZero reports whether both counts are zero.
func (c Counts) IsZero() bool { return c.Packets == 0 && c.Bytes == 0 }

// entry holds everything counted for one key of a table (a host, a
// conversation, a port, a flow). Only the model goroutine touches it.
//
// It is 256 bytes, so that entries are aligned on cache lines: the first
// line holds what a snapshot reads of most rows (the totals and the
// newest second of the per-second history), the next two the rest of
// what a packet touches.
type entry struct {
	total    Counts // frames with this key, each counted once
	out, in  Counts // by direction (see Row for what each means per table)
	hist     ring
	protos   ProtoSet
	apps     appSet
	first    int64
	lastSeen int64
	// dFirst and dLast are the capture times of the first and last frame
	// counted since the last hand-out, out and in (flows only; 0: none).
	dFirst, dLast [2]int64
	sizes         [NumPlen]uint32
	// gen changes whenever the entry is evicted, so that a link to it
	// can tell it no longer belongs to its key.
	gen uint32
	// slot is the entry's place in its table's slabs.
	slot uint32
	// up links to the entries of other tables that count the same
	// frames: a conversation's hosts (A and B), a flow's conversation
	// and port (see upHostA and the others); a link holds while the
	// entry's gen is upGen (see linked).
	upGen [2]uint32
	up    [2]*entry
	// sent is what was already handed out as deltas (out, in): see
	// Aggregator.Deltas.
	sent [2]Counts
	// own links an attributed flow to the Processes rows of its ends
	// (nil until the attribution answers, and for every other table).
	own *flowOwners
}

// The links of entry.up.
const (
	upHostA = 0 // conversations: host A
	upHostB = 1 // conversations: host B
	upConv  = 0 // flows: the conversation
	upPort  = 1 // flows: the service port
)

// link points to an entry of another table, valid while gen matches.
type link struct {
	e   *entry
	gen uint32
}

// appSet is a set of Apps.
type appSet uint64

func (s appSet) add(a App) appSet      { return s | 1<<(a&63) }
func (s appSet) has(a App) bool        { return s&(1<<(a&63)) != 0 }
func (s appSet) merge(o appSet) appSet { return s | o }

func (e *entry) count(p *Packet, sec int64, pl int, out, in bool) {
	e.total.add(p.WireLen)
	if out {
		e.out.add(p.WireLen)
		if sec != noRates {
			e.hist.add(sec, p.WireLen, true)
		}
	}
	if in {
		e.in.add(p.WireLen)
		if sec != noRates {
			e.hist.add(sec, p.WireLen, false)
		}
	}
	if e.sizes[pl] < ^uint32(0) {
		e.sizes[pl]++
	}
	e.protos |= p.Protos
	if p.App != AppNone {
		e.apps = e.apps.add(p.App)
	}
	if e.first == 0 {
		e.first = p.Time
	}
	e.lastSeen = p.Time
}

// unsent returns what the entry counted since it last handed out its
// deltas, out and in.
func (e *entry) unsent() (out, in Counts) {
	return e.out.minus(e.sent[0]), e.in.minus(e.sent[1])
}

// noRates, as the second of a packet, tells count to keep no history.
const noRates = -1 << 63

// merge folds o's totals into e (used for the "other" row).
func (e *entry) merge(o *entry) {
	e.total.merge(o.total)
	e.out.merge(o.out)
	e.in.merge(o.in)
	for i := range e.sizes {
		e.sizes[i] = satAdd32(e.sizes[i], o.sizes[i])
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
	idx     index
	hash    func(K) uint32
	max     int
	other   entry
	evicted uint64 // keys folded into other so far
	// slabs hold the entries with their keys, so that a pass over every
	// row (a snapshot) reads memory in order rather than an entry
	// wherever the map's pointer leads; free are the slabs' entries
	// whose key was dropped, for the next new keys.
	slabs  []*slab[K]
	free   []*entry
	sample []uint64
	// unsent sums what the dropped entries had not handed out as deltas
	// (out, in); keep, when set, may take a dropped entry's remainder
	// instead (it returns false when it cannot).
	unsent [2]Counts
	keep   func(k K, e *entry) bool
	// forget, when set, is told of each key dropped.
	forget func(k K)
	// rng picks where evictions look.
	rng *rand.PCG
}

func newTable[K comparable](max int, hash func(K) uint32) *table[K] {
	if max < 4 {
		max = 4
	}
	return &table[K]{idx: newIndex(max), hash: hash, max: max, rng: rand.NewPCG(rand.Uint64(), rand.Uint64())}
}

// len returns the number of keys the table holds.
func (t *table[K]) len() int { return t.idx.n }

// at returns the entry of slot s and its key.
func (t *table[K]) at(s uint32) (*entry, *K) {
	sl := t.slabs[s/slabSize]
	return &sl.e[s%slabSize], &sl.k[s%slabSize]
}

// lookup returns the entry of k, if the table holds k.
func (t *table[K]) lookup(k K) (*entry, bool) {
	if _, s, ok := t.find(k, t.hash(k)); ok {
		e, _ := t.at(s)
		return e, true
	}
	return nil, false
}

// find returns the cell of k (of hash h) and its slot, if the table
// holds it; else the empty cell it would take.
func (t *table[K]) find(k K, h uint32) (cell, slot uint32, ok bool) {
	cell, ok = t.idx.find(h, func(s uint32) bool {
		_, key := t.at(s)
		if *key == k {
			slot = s
			return true
		}
		return false
	})
	return cell, slot, ok
}

// slabSize is the number of entries of a slab (32 KiB of them).
const slabSize = 128

// slab is a block of a table's entries with their keys; live says which
// hold a key of the table. A table makes no more of them than its bound
// needs: dropped entries are used again.
type slab[K comparable] struct {
	e    [slabSize]entry
	k    [slabSize]K
	live [slabSize]bool
	n    int // how many of e were ever used
}

// get returns the entry for k, creating it (and evicting if full).
func (t *table[K]) get(k K) *entry {
	h := t.hash(k)
	cell, s, ok := t.find(k, h)
	if ok {
		e, _ := t.at(s)
		return e
	}
	if t.idx.n >= t.max {
		t.evict()
		cell, _, _ = t.find(k, h) // the cells moved
	}
	var e *entry
	if n := len(t.free); n > 0 {
		e = t.free[n-1]
		t.free = t.free[:n-1]
		h, g, sl := e.hist, e.gen, e.slot
		*e = entry{}
		h.reset()
		e.hist, e.gen, e.slot = h, g, sl
	} else {
		if len(t.slabs) == 0 || t.slabs[len(t.slabs)-1].n == slabSize {
			t.slabs = append(t.slabs, new(slab[K]))
		}
		s := t.slabs[len(t.slabs)-1]
		e = &s.e[s.n]
		e.slot = uint32((len(t.slabs)-1)*slabSize + s.n)
		s.n++
	}
	sl := t.slabs[e.slot/slabSize]
	sl.k[e.slot%slabSize], sl.live[e.slot%slabSize] = k, true
	if !t.idx.insert(h, e.slot, cell) {
		cell, _, _ = t.find(k, h)
		t.idx.insert(h, e.slot, cell)
	}
	return e
}

// each calls f for every key of the table and its entry, in the order of
// the slabs.
func (t *table[K]) each(f func(k K, e *entry)) {
	for _, s := range t.slabs {
		for i := range s.n {
			if s.live[i] {
				f(s.k[i], &s.e[i])
			}
		}
	}
}

// evictSample is how many entries evict looks at to find the lightest
// quarter's threshold.
const evictSample = 1024

// evict folds about the lightest quarter of the entries into other. It
// finds the threshold from a sample, entries spread over the slabs from
// a random start, so that an eviction costs one pass over the table, not
// a sort of it.
func (t *table[K]) evict() {
	n := max(t.idx.n/4, 1)
	slots := uint32(len(t.slabs)-1)*slabSize + uint32(t.slabs[len(t.slabs)-1].n)
	stride := max(slots/evictSample, 1)
	sample := t.sample[:0]
	for s := uint32(t.rng.Uint64() % uint64(stride)); s < slots; s += stride {
		sl := t.slabs[s/slabSize]
		if sl.live[s%slabSize] {
			sample = append(sample, sl.e[s%slabSize].total.Bytes)
		}
	}
	t.sample = sample
	slices.Sort(sample)
	limit := uint64(0) // (a full table has no free slot, so the sample has entries)
	if len(sample) > 0 {
		limit = sample[(len(sample)*n)/t.idx.n] // evict entries at or below this, up to n of them
	}
	// From a random slot on, round the slabs.
	removed := 0
	start := uint32(t.rng.Uint64() % uint64(slots))
	for i := uint32(0); i < slots && removed < n; i++ {
		s := start + i
		if s >= slots {
			s -= slots
		}
		sl := t.slabs[s/slabSize]
		if e := &sl.e[s%slabSize]; sl.live[s%slabSize] && e.total.Bytes <= limit {
			t.drop(sl.k[s%slabSize], e)
			removed++
		}
	}
	if removed == 0 { // the sample missed the lightest: drop any one
		for i := uint32(0); i < slots && removed == 0; i++ {
			s := (start + i) % slots
			if sl := t.slabs[s/slabSize]; sl.live[s%slabSize] {
				t.drop(sl.k[s%slabSize], &sl.e[s%slabSize])
				removed++
			}
		}
	}
	t.evicted += uint64(removed)
}

// drop folds an entry into other and forgets it.
func (t *table[K]) drop(k K, e *entry) {
	t.other.merge(e)
	if t.keep == nil || !t.keep(k, e) {
		out, in := e.unsent()
		t.unsent[0].merge(out)
		t.unsent[1].merge(in)
	}
	cell, _, _ := t.find(k, t.hash(k))
	t.idx.remove(cell)
	if t.forget != nil {
		t.forget(k)
	}
	e.gen++
	s := t.slabs[e.slot/slabSize]
	var zero K
	s.k[e.slot%slabSize], s.live[e.slot%slabSize] = zero, false
	t.free = append(t.free, e)
}

func satAdd32(a, b uint32) uint32 {
	if s := a + b; s >= a {
		return s
	}
	return ^uint32(0)
}

// dropAll folds every entry into other (for Reset: what the entries had
// not handed out yet is kept like an evicted entry's).
func (t *table[K]) dropAll() {
	t.each(func(k K, e *entry) { t.drop(k, e) })
}
