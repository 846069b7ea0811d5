package filter

// aval is a compiled arithmetic expression: a constant, or statements that
// leave its value in A, with the protocol checks that must pass before
// they run (libpcap: "do the computation only if the packet contains the
// protocol in question").
type aval struct {
	isConst bool
	v       uint32
	guard   *cond
	stmts   []stmt
}

// Scratch registers for arithmetic are taken from the top (M[15] down);
// registers for variable offsets from the bottom.
func (g *gen) temp(depth int) uint32 {
	if depth >= numRegs {
		panic(&posError{pos: 0, end: len(g.src), msg: "too many registers needed to evaluate expression"})
	}
	if depth+1 > g.temps {
		g.temps = depth + 1
	}
	return uint32(numRegs - 1 - depth)
}

var aluOps = map[string]uint16{
	"+": aADD, "-": aSUB, "*": aMUL, "/": aDIV, "%": aMOD, "&": aAND, "|": aOR, "^": aXOR, "<<": aLSH, ">>": aRSH,
}

func (g *gen) arith(a arith, depth int) aval {
	switch a := a.(type) {
	case *numArith:
		return aval{isConst: true, v: a.v}
	case *lenArith:
		return aval{stmts: []stmt{ins(opLD|szW|mLEN, 0)}}
	case *negArith:
		x := g.arith(a.x, depth)
		if x.isConst {
			return aval{isConst: true, v: -x.v}
		}
		x.stmts = append(x.stmts, ins(opALU|aNEG, 0))
		return x
	case *binArith:
		return g.binArith(a, depth)
	case *loadArith:
		return g.loadArith(a, depth)
	}
	panic("bad arith")
}

func (g *gen) binArith(a *binArith, depth int) aval {
	l := g.arith(a.l, depth)
	r := g.arith(a.r, depth+1)
	op := aluOps[a.op]
	if r.isConst {
		switch {
		case op == aDIV && r.v == 0:
			g.fail(a.pos, a.end, "division by zero")
		case op == aMOD && r.v == 0:
			g.fail(a.pos, a.end, "modulus by zero")
		case (op == aLSH || op == aRSH) && r.v > 31:
			g.fail(a.pos, a.end, "shift by more than 31 bits")
		}
	}
	if l.isConst && r.isConst {
		return aval{isConst: true, v: fold(op, l.v, r.v), guard: l.guard}
	}
	if r.isConst && r.v == 0 && (op == aMUL || op == aAND) && !g.readsLasting(l.stmts) {
		// libpcap's optimiser folds x*0 and x&0 to 0, and drops the
		// loads of x with them (its protocol checks stay); not loads
		// relative to a register (802.11's variable offsets).
		return aval{isConst: true, v: 0, guard: l.guard}
	}
	// libpcap's gen_arth keeps the protocol checks of the left operand
	// only: in "ip[2:2] - tcp[12]" nothing checks for TCP. So does
	// this compiler, to decide as libpcap does.
	out := aval{guard: l.guard}
	switch {
	case r.isConst:
		out.stmts = append(l.stmts, ins(opALU|op|srcK, r.v))
	case l.isConst:
		out.stmts = append(r.stmts, ins(opMISC|miscTAX, 0), ins(opLD|mIMM, l.v), ins(opALU|op|srcX, 0))
	default:
		t := g.temp(depth)
		out.stmts = append(append(l.stmts, ins(opST, t)), r.stmts...)
		out.stmts = append(out.stmts, ins(opMISC|miscTAX, 0), ins(opLD|mMEM, t), ins(opALU|op|srcX, 0))
	}
	return out
}

// readsLasting reports whether the statements read a register that
// holds a variable offset.
func (g *gen) readsLasting(s []stmt) bool {
	for _, x := range s {
		if (x.Op&0x07 == opLD || x.Op&0x07 == opLDX) && x.Op&0xe0 == mMEM && int(x.K) < g.regs {
			return true
		}
	}
	return false
}

func fold(op uint16, a, b uint32) uint32 {
	switch op {
	case aADD:
		return a + b
	case aSUB:
		return a - b
	case aMUL:
		return a * b
	case aDIV:
		return a / b
	case aMOD:
		return a % b
	case aAND:
		return a & b
	case aOR:
		return a | b
	case aXOR:
		return a ^ b
	case aLSH:
		return a << b
	case aRSH:
		return a >> b
	}
	panic("bad op")
}

// outOfPacket is an offset no frame reaches.
const outOfPacket = 0x7fffffff

var netProtos = map[string]bool{"ip": true, "arp": true, "rarp": true, "atalk": true, "decnet": true, "sca": true,
	"lat": true, "moprc": true, "mopdl": true, "ip6": true}

var transProtos = map[string]bool{"sctp": true, "tcp": true, "udp": true, "icmp": true, "igmp": true, "igrp": true,
	"pim": true, "vrrp": true, "carp": true}

// loadArith is gen_load: proto[idx:size].
func (g *gen) loadArith(a *loadArith, depth int) aval {
	idx := g.arith(a.idx, depth)
	sz := sizeCode(a.size)
	out := aval{}
	// The offset of a load wraps at 32 bits in the kernel and in
	// libpcap ("ip[-1]" is the byte before the IP header) but not in the
	// x/net/bpf VM, whose [x + k] does not wrap: an offset with a part
	// known only at run time is summed in A, where it wraps, and read as
	// [x + 0].
	dynamic := func(s []stmt, k uint32) []stmt {
		if k != 0 {
			s = append(s, ins(opALU|aADD|srcK, k))
		}
		return append(s, ins(opMISC|miscTAX, 0), ins(opLD|mIND|sz, 0))
	}
	// indexed loads idx+off.c+k from base off.
	indexed := func(off offset, k uint32) []stmt {
		switch {
		case idx.isConst && off.reg < 0:
			// A constant offset that stays "negative" would read
			// the kernel's ancillary data: it is out of the packet.
			if off.c+k+idx.v >= 0x80000000 {
				return []stmt{ins(opLD|mABS|sz, outOfPacket)}
			}
			return g.load(off, k+idx.v, a.size)
		case idx.isConst && off.c+k+idx.v < 0x80000000:
			return g.load(off, k+idx.v, a.size)
		case idx.isConst:
			g.use(off.reg)
			return dynamic([]stmt{ins(opLD|mMEM, uint32(off.reg))}, off.c+k+idx.v)
		}
		s := append([]stmt(nil), idx.stmts...)
		if off.reg >= 0 {
			g.use(off.reg)
			s = append(s, ins(opLDX|mMEM, uint32(off.reg)), ins(opALU|aADD|srcX, 0))
		}
		return dynamic(s, off.c+k)
	}
	switch {
	case a.proto == "link":
		out.guard = idx.guard
		out.stmts = indexed(g.linkHdr, 0)
	case netProtos[a.proto]:
		g.needLinkPl(a.pos, a.end)
		out.guard = and(idx.guard, g.protoAbbrev(a.proto, a.pos, a.end))
		out.stmts = indexed(g.linkPl, g.nl)
	case a.proto == "icmp6":
		g.needLinkPl(a.pos, a.end)
		out.guard = and(and(idx.guard, g.protoAbbrev("ip6", a.pos, a.end)), g.cmp(orLinkPl, 6, 1, protoICMPv6, a.pos, a.end))
		out.stmts = indexed(g.linkPl, g.nl+40)
	case transProtos[a.proto]:
		g.needLinkPl(a.pos, a.end)
		ip := g.protoAbbrev("ip", a.pos, a.end)
		b := and(g.protoAbbrev(a.proto, a.pos, a.end), g.ipNotFrag(a.pos, a.end))
		out.guard = and(ip, and(idx.guard, b))
		k := g.linkPl.c + g.nl
		switch {
		case idx.isConst && k+idx.v < 0x80000000:
			out.stmts = append(g.loadXIPHdrLen(), ins(opLD|mIND|sz, k+idx.v))
		case idx.isConst:
			out.stmts = dynamic(append(g.loadXIPHdrLen(), ins(opMISC|miscTXA, 0)), k+idx.v)
		case g.linkPl.reg < 0:
			out.stmts = append(append([]stmt(nil), idx.stmts...), g.loadXIPHdrLen()...)
			out.stmts = dynamic(append(out.stmts, ins(opALU|aADD|srcX, 0)), k)
		default:
			t := g.temp(depth)
			out.stmts = append(append([]stmt(nil), idx.stmts...), ins(opST, t))
			out.stmts = append(out.stmts, g.loadXIPHdrLen()...)
			out.stmts = dynamic(append(out.stmts, ins(opLD|mMEM, t), ins(opALU|aADD|srcX, 0)), k)
		}
	case a.proto == "radio":
		g.fail(a.pos, a.end, "pktop's filter compiler does not support radio[] (radiotap and PPI headers)")
	default:
		g.fail(a.pos, a.end, "unsupported index operation")
	}
	return out
}

var relJumps = map[string]struct {
	op  uint16
	neg bool
}{">": {jJGT, false}, ">=": {jJGE, false}, "=": {jJEQ, false}, "<=": {jJGT, true}, "<": {jJGE, true}, "!=": {jJEQ, true}}

// relation is gen_relation: the checks of both sides, left first, then
// one test computing both sides.
func (g *gen) relation(n *relNode) *cond {
	l := g.arith(n.l, 0)
	r := g.arith(n.r, 1)
	j := relJumps[n.op]
	var c *cond
	switch {
	case l.isConst && r.isConst:
		var ok bool
		switch j.op {
		case jJGT:
			ok = l.v > r.v
		case jJGE:
			ok = l.v >= r.v
		default:
			ok = l.v == r.v
		}
		c = condFalse
		if ok {
			c = condTrue
		}
	case r.isConst:
		c = atom(l.stmts, j.op, r.v)
	case l.isConst:
		s := append(r.stmts, ins(opMISC|miscTAX, 0), ins(opLD|mIMM, l.v))
		c = atom(s, j.op|srcX, 0)
	default:
		t := g.temp(0)
		s := append(append(l.stmts, ins(opST, t)), r.stmts...)
		s = append(s, ins(opMISC|miscTAX, 0), ins(opLD|mMEM, t))
		c = atom(s, j.op|srcX, 0)
	}
	if j.neg {
		c = not(c)
	}
	return and(and(l.guard, r.guard), c)
}
