package model

import (
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// TestSnapshotLimitKeepsTheFirstRows checks that a snapshot cut to a
// limit has exactly the first rows of the whole sorted table, in every
// sort order and with a filter, on tables with rows of equal values (ties
// are ordered by name, bytes and key).
func TestSnapshotLimitKeepsTheFirstRows(t *testing.T) {
	a := NewAggregator(DefaultConfig())
	ps := flowPackets(30000, 3000)
	for i := range ps {
		if i%7 == 0 {
			ps[i].WireLen = 100 // many rows of equal bytes
		}
		a.Add(&ps[i])
	}
	a.names.set(ps[0].Src, "b.example", false)
	a.names.set(ps[1].Dst, "a.example", false)
	for s := SortKey(0); s < NumSortKeys; s++ {
		for _, filter := range []string{"", "10.0.0.0/8", "!192.168.0.3"} {
			all := a.Snapshot(View{Sort: s, Filter: filter, NoSpark: true})
			for _, limit := range []int{1, 7, 500, 100000} {
				cut := a.Snapshot(View{Sort: s, Filter: filter, Limit: limit, NoSpark: true})
				for _, k := range []Kind{KindHost, KindConv, KindPort, KindFlow} {
					want, got := all.Table(k), cut.Table(k)
					rows := want.Rows[:min(limit, len(want.Rows))]
					if got.Matched != want.Matched || !slices.EqualFunc(got.Rows, rows, func(x, y Row) bool {
						return x.Key == y.Key && x.Total == y.Total && x.Share == y.Share
					}) {
						t.Fatalf("sort %v, filter %q, limit %d, %v: %d rows of %d matched, want %d of %d",
							s, filter, limit, k, len(got.Rows), got.Matched, len(rows), want.Matched)
					}
					if got.Other.Total != want.Other.Total || got.Other.Share != want.Other.Share {
						t.Fatalf("sort %v, limit %d, %v: other %+v, want %+v", s, limit, k, got.Other.Total, want.Other.Total)
					}
				}
			}
		}
	}
}

// TestRingRate checks a ring's rate over one window against the sum of
// its seconds, for rings of every age relative to the clock.
func TestRingRate(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 2000; trial++ {
		var g ring
		base := int64(r.IntN(100)) - 50 // seconds before 1970 too
		for i := r.IntN(200); i > 0; i-- {
			g.add(base+int64(r.IntN(90)), uint32(r.IntN(3000)), r.IntN(2) == 0)
		}
		now := (base+int64(r.IntN(140)))*1e9 + int64(r.IntN(1e9))
		start := now - int64(r.IntN(60))*1e9
		for _, w := range Windows {
			nowSec := floorDiv(now, 1e9)
			var sum uint64
			for age := 0; age < w; age++ {
				o, in := g.at(nowSec - int64(age))
				sum += uint64(o) + uint64(in)
			}
			want := 0.0
			if sum > 0 {
				want = float64(sum) / windowSpan(w, float64(now-nowSec*1e9)/1e9, now, start)
			}
			if got := g.rate(w, now, start); got != want {
				t.Fatalf("trial %d, window %d: rate %v, want %v", trial, w, got, want)
			}
		}
	}
}

// TestEntrySize checks that an entry is 256 bytes: a size class whose
// objects are aligned on cache lines (see entry).
func TestEntrySize(t *testing.T) {
	if n := unsafe.Sizeof(entry{}); n != 256 {
		t.Errorf("an entry is %d bytes, want 256", n)
	}
}
