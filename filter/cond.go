package filter

import "golang.org/x/net/bpf"

// BPF opcodes, as in linux/filter.h and libpcap's bpf.h.
const (
	opLD   = 0x00
	opLDX  = 0x01
	opST   = 0x02
	opSTX  = 0x03
	opALU  = 0x04
	opJMP  = 0x05
	opRET  = 0x06
	opMISC = 0x07

	szW = 0x00
	szH = 0x08
	szB = 0x10

	mIMM = 0x00
	mABS = 0x20
	mIND = 0x40
	mMEM = 0x60
	mLEN = 0x80
	mMSH = 0xa0

	aADD = 0x00
	aSUB = 0x10
	aMUL = 0x20
	aDIV = 0x30
	aOR  = 0x40
	aAND = 0x50
	aLSH = 0x60
	aRSH = 0x70
	aNEG = 0x80
	aMOD = 0x90
	aXOR = 0xa0

	jJA   = 0x00
	jJEQ  = 0x10
	jJGT  = 0x20
	jJGE  = 0x30
	jJSET = 0x40

	srcK = 0x00
	srcX = 0x08

	miscTAX = 0x00
	miscTXA = 0x80
)

// Linux's ancillary data offsets (SKF_AD_OFF + SKF_AD_*), read by programs
// attached to packet sockets.
const (
	skfAdOff        = 0xfffff000
	skfAdPktType    = 4
	skfAdIfIndex    = 8
	skfAdVlanTag    = 44
	skfAdVlanTagPre = 48
)

// stmt is one non-jump instruction.
type stmt = bpf.RawInstruction

func ins(op uint16, k uint32) stmt { return stmt{Op: op, K: k} }

func sizeCode(size uint32) uint16 {
	switch size {
	case 1:
		return szB
	case 2:
		return szH
	}
	return szW
}

// cond is a boolean expression over tests ("atoms"): what the primitives
// compile to, before it is laid out as blocks. Evaluation is left to
// right and short-circuit, as libpcap's gen_and/gen_or.
type cond struct {
	kind condKind
	l, r *cond
	// atom: stmts leave a value in A, then the jump tests it.
	stmts []stmt
	jop   uint16 // jJEQ, jJGT, jJGE, jJSET, | srcX to compare with X
	k     uint32
}

type condKind uint8

const (
	cAtom condKind = iota
	cAnd
	cOr
	cNot
	cTrue
	cFalse
)

var (
	condTrue  = &cond{kind: cTrue}
	condFalse = &cond{kind: cFalse}
)

func atom(stmts []stmt, jop uint16, k uint32) *cond {
	return &cond{kind: cAtom, stmts: stmts, jop: jop, k: k}
}

// and is libpcap's gen_and(a, b): a is tested first.
func and(a, b *cond) *cond {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a.kind == cFalse:
		return a
	case a.kind == cTrue:
		return b
	}
	return &cond{kind: cAnd, l: a, r: b}
}

// or is libpcap's gen_or(a, b): a is tested first.
func or(a, b *cond) *cond {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case a.kind == cTrue:
		return a
	case a.kind == cFalse:
		return b
	}
	return &cond{kind: cOr, l: a, r: b}
}

func not(a *cond) *cond {
	switch a.kind {
	case cTrue:
		return condFalse
	case cFalse:
		return condTrue
	case cNot:
		return a.l
	}
	return &cond{kind: cNot, l: a}
}

func ands(cs ...*cond) *cond {
	var r *cond
	for _, c := range cs {
		r = and(r, c)
	}
	if r == nil {
		return condTrue
	}
	return r
}
