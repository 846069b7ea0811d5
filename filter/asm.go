package filter

import (
	"container/heap"
	"fmt"
	"sort"
	"strings"
)

// block is a node of the program graph: statements, then a conditional
// jump to jt or jf; or a return (leaf).
type block struct {
	id     int // creation order: successors are always created first
	stmts  []stmt
	jop    uint16
	k      uint32
	jt, jf *block
	leaf   bool
	ret    uint32

	key    string // the statements, as a key for the value they leave in A
	pure   bool   // the value depends on the packet only, and the block writes no lasting register
	noStmt bool   // the statements were dropped: A already holds the value
	noX    bool   // the first statement (an ldxb) was dropped: X already holds it
}

// graph builds blocks with hash-consing: two blocks with the same
// statements, test and successors are one.
type graph struct {
	blocks []*block
	seen   map[string]*block
	accept *block
	reject *block
	// lasting are the registers whose values outlive a block (variable
	// offsets).
	lasting map[uint32]bool
}

func newGraph(snap uint32, lasting map[uint32]bool) *graph {
	gr := &graph{seen: map[string]*block{}, lasting: lasting}
	gr.reject = &block{id: 0, leaf: true, ret: 0}
	gr.accept = &block{id: 1, leaf: true, ret: snap}
	gr.blocks = []*block{gr.reject, gr.accept}
	return gr
}

func stmtsKey(s []stmt) string {
	var b strings.Builder
	for _, x := range s {
		fmt.Fprintf(&b, "%x,%x;", x.Op, x.K)
	}
	return b.String()
}

func (gr *graph) block(stmts []stmt, jop uint16, k uint32, jt, jf *block) *block {
	key := stmtsKey(stmts)
	full := fmt.Sprintf("%s|%x,%x|%d,%d", key, jop, k, jt.id, jf.id)
	if b, ok := gr.seen[full]; ok {
		return b
	}
	b := &block{id: len(gr.blocks), stmts: stmts, jop: jop, k: k, jt: jt, jf: jf, key: key}
	b.pure = gr.isPure(stmts)
	gr.blocks = append(gr.blocks, b)
	gr.seen[full] = b
	return b
}

// impure adds a block that is never merged, skipped or trusted: code
// that sets registers for what follows.
func (gr *graph) impure(stmts []stmt, jop uint16, k uint32, jt, jf *block) *block {
	b := &block{id: len(gr.blocks), stmts: stmts, jop: jop, k: k, jt: jt, jf: jf, key: "\x00impure"}
	gr.blocks = append(gr.blocks, b)
	return b
}

// isPure reports whether the statements compute A from the packet and
// lasting registers only (X and temporaries are written before they are
// read) and write no lasting register.
func (gr *graph) isPure(s []stmt) bool {
	if len(s) == 0 {
		return false // it tests what A held before
	}
	xSet := false
	written := map[uint32]bool{}
	for _, x := range s {
		cls := x.Op & 0x07
		switch {
		case cls == opST || cls == opSTX:
			if gr.lasting[x.K] {
				return false
			}
			if cls == opSTX && !xSet {
				return false
			}
			written[x.K] = true
		case cls == opLD && x.Op&0xe0 == mMEM, cls == opLDX && x.Op&0xe0 == mMEM:
			if !written[x.K] && !gr.lasting[x.K] {
				return false
			}
			if cls == opLDX {
				xSet = true
			}
		case cls == opLDX:
			xSet = true
		case cls == opLD && x.Op&0xe0 == mIND, cls == opALU && x.Op&srcX != 0:
			if !xSet {
				return false
			}
		case cls == opMISC:
			if x.Op&0xf8 == miscTAX {
				xSet = true
			} else if !xSet {
				return false
			}
		}
	}
	return true
}

// readsLasting reports whether the statements read a lasting register.
func (gr *graph) readsLasting(s []stmt) bool {
	for _, x := range s {
		if (x.Op&0x07 == opLD || x.Op&0x07 == opLDX) && x.Op&0xe0 == mMEM && gr.lasting[x.K] {
			return true
		}
	}
	return false
}

// compile lays out c with its true and false exits.
func (gr *graph) compile(c *cond, t, f *block) *block {
	switch c.kind {
	case cTrue:
		return t
	case cFalse:
		return f
	case cAnd:
		return gr.compile(c.l, gr.compile(c.r, t, f), f)
	case cOr:
		return gr.compile(c.l, t, gr.compile(c.r, t, f))
	case cNot:
		return gr.compile(c.l, f, t)
	}
	return gr.block(c.stmts, c.jop, c.k, t, f)
}

// fact is what a test's outcome says about the value of a key.
type fact struct {
	key     string
	jop     uint16
	k       uint32
	outcome bool
}

// decide reports what test (jop k) gives on a value of which f holds, if
// f tells.
func decide(f fact, jop uint16, k uint32) (result, known bool) {
	if f.jop&srcX != 0 || jop&srcX != 0 {
		return false, false
	}
	if f.jop == jop && f.k == k {
		return f.outcome, true
	}
	switch f.jop {
	case jJEQ:
		if f.outcome {
			v := f.k
			switch jop {
			case jJEQ:
				return v == k, true
			case jJGT:
				return v > k, true
			case jJGE:
				return v >= k, true
			case jJSET:
				return v&k != 0, true
			}
		}
	case jJGT:
		if f.outcome { // v > f.k
			switch jop {
			case jJGT:
				if k <= f.k {
					return true, true
				}
			case jJGE:
				if k <= f.k+1 && f.k != 0xffffffff {
					return true, true
				}
			case jJEQ:
				if k <= f.k {
					return false, true
				}
			}
		} else { // v <= f.k
			switch jop {
			case jJGT:
				if k >= f.k {
					return false, true
				}
			case jJGE:
				if k > f.k {
					return false, true
				}
			case jJEQ:
				if k > f.k {
					return false, true
				}
			}
		}
	case jJGE:
		if f.outcome { // v >= f.k
			switch jop {
			case jJGE:
				if k <= f.k {
					return true, true
				}
			case jJGT:
				if k < f.k {
					return true, true
				}
			case jJEQ:
				if k < f.k {
					return false, true
				}
			}
		} else { // v < f.k
			switch jop {
			case jJGE:
				if k >= f.k {
					return false, true
				}
			case jJGT:
				if f.k > 0 && k >= f.k-1 {
					return false, true
				}
			case jJEQ:
				if k >= f.k {
					return false, true
				}
			}
		}
	case jJSET:
		if f.outcome { // v & f.k != 0
			switch jop {
			case jJSET:
				if f.k&^k == 0 {
					return true, true
				}
			case jJEQ:
				if k&f.k == 0 {
					return false, true
				}
			}
		} else { // v & f.k == 0
			switch jop {
			case jJSET:
				if k&^f.k == 0 {
					return false, true
				}
			case jJEQ:
				if k&f.k != 0 {
					return false, true
				}
			}
		}
	}
	return false, false
}

// thread redirects each jump past the tests whose outcome is already
// known on the way there (libpcap's optimiser does the same with its
// dominator analysis): after "ldh [12]; jeq #0x800" is true, a later
// "ldh [12]; jeq #0x86dd" is known false wherever every way to it passed
// the first test. What is known on entry to a block is what all its
// incoming jumps know. Only blocks whose value comes from the packet alone
// and which change no lasting register give facts or are skipped.
func (gr *graph) thread(entry *block) {
	order := gr.reachable(entry) // every block before its successors
	type edge struct {
		from    *block
		outcome bool
	}
	preds := map[*block][]edge{}
	for _, b := range order {
		if !b.leaf {
			preds[b.jt] = append(preds[b.jt], edge{b, true})
			preds[b.jf] = append(preds[b.jf], edge{b, false})
		}
	}
	known := map[edge][]fact{} // what holds after taking an edge
	for _, b := range order {
		if b.leaf {
			continue
		}
		var in []fact
		if b != entry {
			in = intersect(preds[b], func(e edge) []fact { return known[e] })
		}
		for _, outcome := range []bool{true, false} {
			var facts []fact
			if b.pure {
				facts = append(append(facts, in...), fact{b.key, b.jop, b.k, outcome})
			}
			t := b.jf
			if outcome {
				t = b.jt
			}
			for steps := 0; steps < 256 && !t.leaf && t.pure; steps++ {
				res, ok := decideAll(facts, t)
				if !ok {
					break
				}
				facts = append(facts, fact{t.key, t.jop, t.k, res})
				if res {
					t = t.jt
				} else {
					t = t.jf
				}
			}
			if len(facts) > maxFacts {
				facts = facts[len(facts)-maxFacts:]
			}
			e := edge{b, outcome}
			known[e] = facts
			old := b.jf
			if outcome {
				old = b.jt
			}
			if t != old {
				ps := preds[old]
				for i, p := range ps {
					if p == e {
						preds[old] = append(ps[:i:i], ps[i+1:]...)
						break
					}
				}
				preds[t] = append(preds[t], e)
				if outcome {
					b.jt = t
				} else {
					b.jf = t
				}
			}
		}
	}
}

// maxFacts bounds what is carried along one edge.
const maxFacts = 256

// intersect returns the facts every edge in es knows.
func intersect[E any](es []E, facts func(E) []fact) []fact {
	if len(es) == 0 {
		return nil
	}
	out := facts(es[0])
	for _, e := range es[1:] {
		if len(out) == 0 {
			return nil
		}
		have := map[fact]bool{}
		for _, f := range facts(e) {
			have[f] = true
		}
		keep := out[:0:0]
		for _, f := range out {
			if have[f] {
				keep = append(keep, f)
			}
		}
		out = keep
	}
	return out
}

// decideAll reports the outcome of t's test if a fact tells it.
func decideAll(facts []fact, t *block) (bool, bool) {
	for i := len(facts) - 1; i >= 0; i-- {
		if f := facts[i]; f.key == t.key {
			if res, ok := decide(f, t.jop, t.k); ok {
				return res, true
			}
		}
	}
	return false, false
}

// reachable lists the blocks reachable from entry, in layout order: each
// block before its successors, and otherwise by decreasing creation
// order (successors are created first, so this is the order of the
// source, as far as the graph allows).
func (gr *graph) reachable(entry *block) []*block {
	seen := map[*block]bool{}
	indeg := map[*block]int{}
	var visit func(b *block)
	visit = func(b *block) {
		if seen[b] {
			return
		}
		seen[b] = true
		if !b.leaf {
			indeg[b.jt]++
			if b.jf != b.jt {
				indeg[b.jf]++
			}
			visit(b.jt)
			visit(b.jf)
		}
	}
	visit(entry)
	ready := &blockHeap{entry}
	out := make([]*block, 0, len(seen))
	for ready.Len() > 0 {
		b := heap.Pop(ready).(*block)
		out = append(out, b)
		if b.leaf {
			continue
		}
		succ := []*block{b.jt}
		if b.jf != b.jt {
			succ = append(succ, b.jf)
		}
		for _, s := range succ {
			if indeg[s]--; indeg[s] == 0 {
				heap.Push(ready, s)
			}
		}
	}
	return out
}

// blockHeap pops the block created last.
type blockHeap []*block

func (h blockHeap) Len() int           { return len(h) }
func (h blockHeap) Less(i, j int) bool { return h[i].id > h[j].id }
func (h blockHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *blockHeap) Push(x any)        { *h = append(*h, x.(*block)) }
func (h *blockHeap) Pop() any {
	old := *h
	b := old[len(old)-1]
	*h = old[:len(old)-1]
	return b
}

// pullup regroups chains of tests that all jump to the same place on
// one outcome (an "or" chain: every true exit the same; an "and" chain:
// every false exit the same), so that the tests of one value come
// together, in the order each value first appears: libpcap's optimiser
// does the same (or_pullup, and_pullup), and the value is then loaded
// once. The tests of a chain read the packet only, so their order does
// not change the result, except on a frame too short for one of the
// loads, where it now follows libpcap's optimised program.
func (gr *graph) pullup(entry *block) bool {
	changed := false
	for iter := 0; iter < 64; iter++ {
		blocks := gr.reachable(entry)
		preds := predecessors(blocks)
		moved := false
		for _, b := range blocks {
			if b.leaf || !b.pure {
				continue
			}
			for _, or := range []bool{true, false} {
				if gr.regroup(b, or, preds) {
					moved = true
				}
			}
			if moved {
				break
			}
		}
		if !moved {
			break
		}
		changed = true
	}
	return changed
}

// regroup regroups the chain that starts at b. It reports whether it
// changed anything.
func (gr *graph) regroup(b *block, or bool, preds map[*block][]*block) bool {
	same := func(n *block) *block { // the exit every link shares
		if or {
			return n.jt
		}
		return n.jf
	}
	next := func(n *block) *block {
		if or {
			return n.jf
		}
		return n.jt
	}
	chain := []*block{b}
	shared := -1 // the first link jumped to from elsewhere too
	for n := next(b); !n.leaf && n.pure && same(n) == same(b) && n.jt != n.jf && len(chain) < 64; n = next(n) {
		if shared < 0 && len(preds[n]) > 1 {
			shared = len(chain)
		}
		chain = append(chain, n)
	}
	if len(chain) < 3 {
		return false
	}
	var order []string
	groups := map[string][]*block{}
	for _, n := range chain {
		k := n.key
		if gr.readsLasting(n.stmts) {
			// libpcap's optimiser does not see two loads relative
			// to a register as one value: they stay where they are.
			k = fmt.Sprintf("%p", n)
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], n)
	}
	var out []*block
	for _, k := range order {
		out = append(out, groups[k]...)
	}
	moved := false
	for i := range out {
		if out[i] != chain[i] {
			moved = true
		}
	}
	if !moved {
		return false
	}
	exit := next(chain[len(chain)-1])
	if shared > 0 {
		// The links from the first shared one on are jumped to from
		// elsewhere: the chain gets its own copies of them.
		copies := map[*block]*block{}
		for _, n := range chain[shared:] {
			c := *n
			c.id = len(gr.blocks)
			gr.blocks = append(gr.blocks, &c)
			copies[n] = &c
		}
		for i, n := range out {
			if c, ok := copies[n]; ok {
				out[i] = c
			}
		}
	}
	for i, n := range out {
		to := exit
		if i+1 < len(out) {
			to = out[i+1]
		}
		if or {
			n.jf = to
		} else {
			n.jt = to
		}
	}
	return true
}

// predecessors maps each block to the blocks that jump to it.
func predecessors(blocks []*block) map[*block][]*block {
	preds := map[*block][]*block{}
	for _, b := range blocks {
		if !b.leaf {
			preds[b.jt] = append(preds[b.jt], b)
			if b.jf != b.jt {
				preds[b.jf] = append(preds[b.jf], b)
			}
		}
	}
	return preds
}

// dropReloads marks the blocks whose statements recompute the value A
// already holds on every way in.
func (gr *graph) dropReloads(entry *block) {
	blocks := gr.reachable(entry)
	preds := predecessors(blocks)
	for _, b := range blocks {
		if b == entry || b.leaf || !b.pure || len(b.stmts) == 0 {
			continue
		}
		ok := len(preds[b]) > 0
		for _, p := range preds[b] {
			if !p.pure || p.key != b.key {
				ok = false
				break
			}
		}
		// X too must not be needed: the statements set it only for
		// their own loads, and the jump reads A unless it compares with
		// X.
		if ok && b.jop&srcX == 0 {
			b.noStmt = true
		}
	}
}

// dropXReloads marks the blocks whose first statement loads into X
// (ldxb 4*([k]&0xf)) the value X already holds on every way in.
func (gr *graph) dropXReloads(entry *block) {
	blocks := gr.reachable(entry)
	preds := predecessors(blocks)
	xOut := map[*block]string{}
	for _, b := range blocks {
		if b.leaf {
			continue
		}
		in := ""
		if b != entry && len(preds[b]) > 0 {
			in = xOut[preds[b][0]]
			for _, p := range preds[b][1:] {
				if xOut[p] != in {
					in = ""
					break
				}
			}
		}
		cur := in
		if !b.noStmt {
			for i, x := range b.stmts {
				switch {
				case x.Op == opLDX|mMSH|szB:
					k := fmt.Sprintf("msh%d", x.K)
					if i == 0 && k == cur && cur != "" {
						b.noX = true
					}
					cur = k
				case x.Op&0x07 == opLDX, x.Op == opMISC|miscTAX:
					cur = ""
				}
			}
		}
		xOut[b] = cur
	}
}

// emitted returns the statements of b that run.
func (b *block) emitted() []stmt {
	switch {
	case b.noStmt:
		return nil
	case b.noX:
		return b.stmts[1:]
	}
	return b.stmts
}

// layout turns the graph into instructions, with a long jump (ja) where
// a conditional jump cannot reach its target.
func (gr *graph) layout(prologue []stmt, entry *block) ([]stmt, error) {
	blocks := gr.reachable(entry)
	// Leaves last: the shared returns.
	sort.SliceStable(blocks, func(i, j int) bool { return !blocks[i].leaf && blocks[j].leaf })
	// far[b] says which of b's exits need a ja trampoline.
	type tramp struct{ t, f bool }
	far := map[*block]tramp{}
	for iter := 0; ; iter++ {
		if iter > 64 {
			return nil, fmt.Errorf("cannot lay out the program")
		}
		pos := map[*block]int{}
		n := len(prologue)
		for _, b := range blocks {
			pos[b] = n
			if b.leaf {
				n++
				continue
			}
			n += len(b.emitted())
			n++ // the jump
			if b.jt == b.jf {
				continue
			}
			tr := far[b]
			if tr.t {
				n++
			}
			if tr.f {
				n++
			}
		}
		changed := false
		for _, b := range blocks {
			if b.leaf || b.jt == b.jf {
				continue
			}
			jpos := pos[b] + len(b.emitted())
			tr := far[b]
			after := jpos + 1
			if tr.t {
				after++
			}
			if tr.f {
				after++
			}
			needT := pos[b.jt]-(jpos+1) > 255
			needF := pos[b.jf]-(jpos+1) > 255
			if needT && !tr.t || needF && !tr.f {
				far[b] = tramp{tr.t || needT, tr.f || needF}
				changed = true
			}
			_ = after
		}
		if changed {
			continue
		}
		if n > maxInsns {
			return nil, fmt.Errorf("the program needs %d instructions, more than the kernel's limit of %d", n, maxInsns)
		}
		out := append([]stmt(nil), prologue...)
		for _, b := range blocks {
			if b.leaf {
				out = append(out, stmt{Op: opRET | srcK, K: b.ret})
				continue
			}
			out = append(out, b.emitted()...)
			if b.jt == b.jf {
				out = append(out, stmt{Op: opJMP | jJA, K: uint32(pos[b.jt] - (len(out) + 1))})
				continue
			}
			jpos := len(out)
			tr := far[b]
			j := stmt{Op: opJMP | b.jop, K: b.k}
			next := jpos + 1
			tpos, fpos := pos[b.jt], pos[b.jf]
			slot := next
			if tr.t {
				j.Jt = uint8(slot - next)
				slot++
			} else {
				j.Jt = uint8(tpos - next)
			}
			if tr.f {
				j.Jf = uint8(slot - next)
			} else {
				j.Jf = uint8(fpos - next)
			}
			out = append(out, j)
			// A far exit goes through a ja, or, to a return, is that
			// return itself.
			for _, far := range []struct {
				need bool
				to   *block
				pos  int
			}{{tr.t, b.jt, tpos}, {tr.f, b.jf, fpos}} {
				switch {
				case !far.need:
				case far.to.leaf:
					out = append(out, stmt{Op: opRET | srcK, K: far.to.ret})
				default:
					out = append(out, stmt{Op: opJMP | jJA, K: uint32(far.pos - (len(out) + 1))})
				}
			}
		}
		return out, nil
	}
}

// maxInsns is the kernel's limit (BPF_MAXINSNS).
const maxInsns = 4096

// simplify drops tests whose exits meet and merges blocks that became
// equal. It returns the new entry.
func (gr *graph) simplify(entry *block) *block {
	canon := map[*block]*block{}
	seen := map[string]*block{}
	blocks := gr.reachable(entry)
	for i := len(blocks) - 1; i >= 0; i-- { // successors first
		b := blocks[i]
		if b.leaf {
			canon[b] = b
			continue
		}
		// A test whose exits meet is dropped, loads and all, as
		// libpcap's optimiser does; except when its loads are relative
		// to a register (802.11's variable offsets), which libpcap's
		// keeps, and with them their rejection of a frame too short for
		// them.
		jt, jf := canon[b.jt], canon[b.jf]
		if jt == jf && b.pure && !gr.readsLasting(b.stmts) {
			canon[b] = jt
			continue
		}
		b.jt, b.jf = jt, jf
		full := fmt.Sprintf("%s|%x,%x|%d,%d", b.key, b.jop, b.k, jt.id, jf.id)
		if o, ok := seen[full]; ok {
			canon[b] = o
			continue
		}
		seen[full] = b
		canon[b] = b
	}
	return canon[entry]
}
