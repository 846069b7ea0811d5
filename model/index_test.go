package model

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestTableIndex adds and drops keys at random in a table, its index
// growing and runs of colliding hashes wrapping round the cells, and
// checks every key against a map after each step.
func TestTableIndex(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct {
		hash       func(netip.Addr) uint32
		max, steps int
	}{
		{hashAddr, 3000, 20000},
		{func(a netip.Addr) uint32 { return hashAddr(a) & 0x8000000f }, 300, 5000}, // long runs of collisions
		{func(a netip.Addr) uint32 { return 0x7fffffff }, 100, 2000},               // one run, across the end of the cells
	} {
		tb := newTable(c.max, c.hash)
		want := map[netip.Addr]*entry{}
		keys := c.max * 4 / 3
		for step := 0; step < c.steps; step++ {
			a := netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(keys) >> 8), byte(r.IntN(keys))})
			if r.IntN(3) == 0 {
				if e, ok := want[a]; ok {
					tb.drop(a, e)
					delete(want, a)
				}
			} else if e := tb.get(a); want[a] == nil {
				want[a] = e
			} else if want[a] != e {
				t.Fatalf("step %d: %v has another entry", step, a)
			}
			if tb.len() != len(want) { // an eviction dropped keys the map still has
				for k := range want {
					if _, ok := tb.lookup(k); !ok {
						delete(want, k)
					}
				}
			}
			if tb.len() != len(want) {
				t.Fatalf("step %d: the table holds %d keys, want %d", step, tb.len(), len(want))
			}
			if step%97 == 0 {
				for k, e := range want {
					if got, ok := tb.lookup(k); !ok || got != e {
						t.Fatalf("step %d: %v not found", step, k)
					}
				}
				n := 0
				tb.each(func(k netip.Addr, e *entry) {
					if want[k] != e {
						t.Fatalf("step %d: each gives %v, not held", step, k)
					}
					n++
				})
				if n != len(want) {
					t.Fatalf("step %d: each gives %d keys, want %d", step, n, len(want))
				}
			}
		}
	}
}

// TestHashesTellKeysApart checks that keys differing in one field hash
// apart (a hash that ignored a field would still be correct, but slow).
func TestHashesTellKeysApart(t *testing.T) {
	a4 := netip.MustParseAddr("10.0.0.1")
	a6 := netip.AddrFrom16(a4.As16()) // ::ffff:10.0.0.1
	b := netip.MustParseAddr("10.0.0.2")
	if hashAddr(a4) == hashAddr(a6) {
		t.Error("10.0.0.1 and ::ffff:10.0.0.1 hash alike")
	}
	f := FlowKey{A: a4, B: b, PortA: 1, PortB: 2, L4: 6}
	for _, g := range []FlowKey{{A: a6, B: b, PortA: 1, PortB: 2, L4: 6}, {A: a4, B: b, PortA: 2, PortB: 1, L4: 6},
		{A: a4, B: b, PortA: 1, PortB: 2, L4: 17}, {A: b, B: a4, PortA: 1, PortB: 2, L4: 6}} {
		if hashFlow(f) == hashFlow(g) {
			t.Errorf("%v and %v hash alike", f, g)
		}
	}
	if hashConv(ConvKey{a4, b}) == hashConv(ConvKey{b, a4}) {
		t.Error("conversations A-B and B-A hash alike")
	}
	if hashPort(PortKey{6, 80}) == hashPort(PortKey{17, 80}) {
		t.Error("TCP and UDP port 80 hash alike")
	}
}
