package model

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"net/netip"
)

// index finds the slot of a table's key: open addressing with linear
// probing, at most half full, and no tombstones (a deletion moves the
// rest of its run back), so that a table whose keys come and go (a flood
// of new addresses, evictions by the thousand) keeps short probes.
//
// A cell holds the key's 32-bit hash and its slot plus one (0: empty);
// the hash's low bits are its home cell. The hash is seeded at random
// for each process, so that traffic cannot be crafted to collide.
type index struct {
	cells []uint64
	mask  uint32
	n     int // keys held
	max   int // the most keys the table holds (the index grows to fit them)
}

// indexMin is the fewest cells of an index.
const indexMin = 64

func newIndex(max int) index {
	return index{cells: make([]uint64, indexMin), mask: indexMin - 1, max: max}
}

func cellHash(c uint64) uint32 { return uint32(c >> 32) }
func cellSlot(c uint64) uint32 { return uint32(c) - 1 }

// find returns the cell of the key of hash h whose slot satisfies is,
// and whether there is one; when there is none, the cell returned is the
// empty one the key would take.
func (x *index) find(h uint32, is func(slot uint32) bool) (uint32, bool) {
	for i := h & x.mask; ; i = (i + 1) & x.mask {
		c := x.cells[i]
		if c == 0 {
			return i, false
		}
		if cellHash(c) == h && is(cellSlot(c)) {
			return i, true
		}
	}
}

// insert puts slot, of a key of hash h that the index does not hold, in
// the empty cell i that find returned. It returns false when the index
// had to grow first (i is then stale: the caller finds the cell again).
func (x *index) insert(h uint32, slot uint32, i uint32) bool {
	if 2*(x.n+1) > len(x.cells) && len(x.cells) < 2*x.max {
		x.grow()
		return false
	}
	x.cells[i] = uint64(h)<<32 | uint64(slot+1)
	x.n++
	return true
}

// grow doubles the cells, placing every key again.
func (x *index) grow() {
	old := x.cells
	x.cells = make([]uint64, 2*len(old))
	x.mask = uint32(len(x.cells) - 1)
	for _, c := range old {
		if c == 0 {
			continue
		}
		i := cellHash(c) & x.mask
		for x.cells[i] != 0 {
			i = (i + 1) & x.mask
		}
		x.cells[i] = c
	}
}

// remove empties cell i, moving back the cells after it in its run that
// may take its place (their home is not between i and them).
func (x *index) remove(i uint32) {
	for j := (i + 1) & x.mask; ; j = (j + 1) & x.mask {
		c := x.cells[j]
		if c == 0 {
			break
		}
		home := cellHash(c) & x.mask
		if (j-home)&x.mask >= (j-i)&x.mask {
			x.cells[i] = c
			i = j
		}
	}
	x.cells[i] = 0
	x.n--
}

// hashSeed keys the hashes of the process.
var hashSeed = [4]uint64{rand.Uint64() | 1, rand.Uint64() | 1, rand.Uint64() | 1, rand.Uint64() | 1}

// mix folds two words into one (the multiply-fold of wyhash).
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a^hashSeed[0], b^hashSeed[1])
	return hi ^ lo
}

// addrWords are an address's 128 bits and a word telling IPv4 from the
// same bits in IPv6. (A zone, which only a key made from text could have,
// is left out: keys that differ only there share a hash, and still
// differ.)
func addrWords(a netip.Addr) (hi, lo, kind uint64) {
	b := a.As16()
	hi, lo = binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	if a.Is4() {
		kind = 1
	}
	return hi, lo, kind
}

func finish(h uint64) uint32 {
	h = mix(h, hashSeed[2])
	return uint32(h ^ h>>32)
}

func hashAddr(a netip.Addr) uint32 {
	hi, lo, kind := addrWords(a)
	return finish(mix(hi^kind, lo))
}

func hashConv(k ConvKey) uint32 {
	ah, al, ak := addrWords(k.A)
	bh, bl, bk := addrWords(k.B)
	return finish(mix(ah^ak, al) ^ mix(bh^bk<<2, bl^hashSeed[3]))
}

func hashPort(k PortKey) uint32 {
	return finish(uint64(k.L4)<<16 | uint64(k.Port))
}

func hashProc(k ProcID) uint32 {
	return finish(mix(k.Start^hashSeed[3], uint64(uint32(k.PID))<<8|uint64(k.Reason)))
}

func hashFlow(k FlowKey) uint32 {
	ah, al, ak := addrWords(k.A)
	bh, bl, bk := addrWords(k.B)
	ports := uint64(k.PortA)<<32 | uint64(k.PortB)<<16 | uint64(k.L4)<<8 | ak<<2 | bk
	return finish(mix(ah^ports, al) ^ mix(bh, bl^hashSeed[3]))
}
