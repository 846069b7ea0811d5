package filter

import "fmt"

// The grammar is libpcap's (grammar.y), written as recursive descent:
//
//	prog   := [expr] EOF
//	expr   := term { ("and" | "or") (id | term) }       equal precedence, from the left
//	term   := "not" term | rterm
//	rterm  := head id | "(" expr ")" | pname | arith relop arith | other
//	head   := [pname] dqual [aqual] | [pname] aqual | [pname] "proto" | [pname] "protochain" | [pname] "gateway"
//	id     := nid | pnum | "(" pid ")"
//	nid    := ID | HID ["/" NUM | "mask" HID] | HID6 ["/" NUM] | EID | "not" id
//	pid    := qid { ("and" | "or") id }
//	other  := [pname] "broadcast" | [pname] "multicast" | "less" NUM | "greater" NUM
//	        | "byte" NUM byteop NUM | "inbound" | "outbound" | "vlan" [pnum]
//	        | "mpls" [pnum] | "pppoed" | "pppoes" [pnum] | ...
//
// An id after "and"/"or" takes the qualifiers of what precedes it ("host
// a or b"). Where libpcap's LALR parser decides between an id and a term
// by lookahead, this parser tries the id first and falls back to the term.

// pnames are the protocol names that can qualify an id or index a load.
var pnames = map[string]bool{
	"link": true, "ip": true, "arp": true, "rarp": true, "sctp": true, "tcp": true, "udp": true, "icmp": true,
	"igmp": true, "igrp": true, "pim": true, "vrrp": true, "carp": true, "atalk": true, "aarp": true,
	"decnet": true, "lat": true, "sca": true, "mopdl": true, "moprc": true, "ip6": true, "icmp6": true,
	"ah": true, "esp": true, "iso": true, "esis": true, "isis": true, "l1": true, "l2": true, "iih": true,
	"lsp": true, "snp": true, "psnp": true, "csnp": true, "clnp": true, "stp": true, "ipx": true,
	"netbeui": true, "radio": true,
}

var dquals = map[string]bool{"src": true, "dst": true, "addr1": true, "addr2": true, "addr3": true, "addr4": true, "ra": true, "ta": true}

var aquals = map[string]bool{"host": true, "net": true, "port": true, "portrange": true}

type parser struct {
	toks []token
	i    int
	// furthest is the syntax error found furthest into the text, reported
	// when every alternative failed.
	furthest *posError
	depth    int
}

// maxDepth bounds the nesting of parentheses and operators.
const maxDepth = 200

func parse(src string) (node, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	if p.peek().kind == tEOF {
		return nil, nil
	}
	n, err := p.expr(qual{undef: true})
	if err != nil {
		return nil, p.best(err)
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.best(p.unexpected(t, "\"and\", \"or\" or the end of the expression"))
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekAt(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) is(t token, kw string) bool {
	return (t.kind == tKeyword || t.kind == tPunct) && t.text == kw
}

// fail records a syntax error and returns it.
func (p *parser) fail(e *posError) *posError {
	if p.furthest == nil || e.pos > p.furthest.pos {
		p.furthest = e
	}
	return e
}

func (p *parser) best(err error) error {
	if pe, ok := err.(*posError); ok && p.furthest != nil && p.furthest.pos > pe.pos {
		return p.furthest
	}
	return err
}

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of the expression"
	case tNum:
		return "number " + quoteText(t.textOr())
	case tID:
		return "name " + quoteText(t.text)
	case tHID, tHID6:
		return "address " + quoteText(t.text)
	case tEID:
		return "MAC address " + quoteText(t.text)
	case tKeyword:
		if t.text == "!" {
			return "\"not\""
		}
		return "keyword " + quoteText(t.text)
	}
	return quoteText(t.text)
}

func (t token) textOr() string {
	if t.text != "" {
		return t.text
	}
	return fmt.Sprint(t.num)
}

func (p *parser) unexpected(t token, want string) *posError {
	return p.fail(errAt(t.pos, t.end, "syntax error: unexpected %s; expected %s", describe(t), want))
}

func (p *parser) enter(t token) error {
	p.depth++
	if p.depth > maxDepth {
		return errAt(t.pos, t.end, "expression nested too deeply")
	}
	return nil
}

// parens parses "(" inner ")".
func (p *parser) parens(inner func() (node, error), want string) (node, error) {
	t := p.next()
	if err := p.enter(t); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	n, err := inner()
	if err != nil {
		return nil, err
	}
	if c := p.peek(); !p.is(c, ")") {
		return nil, p.unexpected(c, want)
	}
	p.next()
	return n, nil
}

// expr := term { and|or (id | term) }
func (p *parser) expr(q qual) (node, error) {
	if err := p.enter(p.peek()); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	return p.chain(func() (node, qual, error) { return p.term(q) }, p.idOrTerm)
}

// chain parses first { and|or next }, grouping from the left; next gets
// the qualifiers of what precedes it.
func (p *parser) chain(first func() (node, qual, error), next func(qual) (node, qual, error)) (node, error) {
	left, lq, err := first()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if !p.is(t, "and") && !p.is(t, "or") {
			return left, nil
		}
		p.next()
		right, rq, err := next(lq)
		if err != nil {
			return nil, err
		}
		ps, _ := left.span()
		_, re := right.span()
		left, lq = &binNode{op: t.text, l: left, r: right, pos: ps, end: re}, rq
	}
}

// idOrTerm parses what follows "and"/"or": an id inheriting q, or a term.
func (p *parser) idOrTerm(q qual) (node, qual, error) {
	if p.canStartID(p.peek()) {
		save := p.i
		n, nq, err := p.id(q)
		if err == nil {
			if t := p.peek(); t.kind == tEOF || p.is(t, "and") || p.is(t, "or") || p.is(t, ")") {
				return n, nq, nil
			}
		}
		if pe, ok := err.(*posError); ok && pe.msg == "expression nested too deeply" {
			return nil, q, err
		}
		p.i = save
	}
	return p.term(q)
}

func (p *parser) canStartID(t token) bool {
	switch t.kind {
	case tID, tHID, tHID6, tEID, tNum:
		return true
	}
	return p.is(t, "(") || p.is(t, "!")
}

// term := "not" term | rterm. It returns the qualifiers an id after it
// inherits.
func (p *parser) term(q qual) (node, qual, error) {
	t := p.peek()
	if p.is(t, "!") {
		p.next()
		if err := p.enter(t); err != nil {
			return nil, q, err
		}
		defer func() { p.depth-- }()
		x, xq, err := p.term(q)
		if err != nil {
			return nil, q, err
		}
		_, e := x.span()
		return &notNode{x: x, pos: t.pos, end: e}, xq, nil
	}
	return p.rterm(q)
}

var qerr = qual{undef: true}

func (p *parser) rterm(q qual) (node, qual, error) {
	t := p.peek()
	// An arithmetic comparison: tried first where one can start.
	if p.canStartArith(t) {
		save := p.i
		n, err := p.relation()
		if err == nil {
			return n, qerr, nil
		}
		if pe, ok := err.(*posError); ok && pe.msg == "expression nested too deeply" {
			return nil, q, err
		}
		p.i = save
	}
	if p.is(t, "(") {
		// libpcap: a parenthesised expression passes on the qualifiers
		// from before the parenthesis.
		n, err := p.parens(func() (node, error) { return p.expr(q) }, "\")\", \"and\" or \"or\"")
		return n, q, err
	}
	if t.kind != tKeyword {
		if t.kind == tEOF {
			return nil, q, p.unexpected(t, "a primitive (host, port, tcp, ...)")
		}
		return nil, q, p.unexpected(t, "a primitive (host, port, tcp, ...); a value needs a qualifier before it, as in \"host "+t.textOr()+"\"")
	}
	// [pname] then qualifiers, broadcast, multicast, or nothing.
	hq := qual{pos: t.pos}
	if pnames[t.text] {
		hq.proto = t.text
		p.next()
		t = p.peek()
	}
	if t.kind == tKeyword {
		switch {
		case t.text == "broadcast" || t.text == "multicast":
			p.next()
			return &otherNode{what: t.text, proto: hq.proto, pos: hq.pos, end: t.end}, qerr, nil
		case dquals[t.text]:
			p.next()
			hq.dir = t.text
			if t.text == "src" || t.text == "dst" {
				if a := p.peek(); (p.is(a, "and") || p.is(a, "or")) && p.is(p.peekAt(1), other(t.text)) {
					p.next()
					p.next()
					hq.dir = a.text
				}
			}
			if a := p.peek(); a.kind == tKeyword && aquals[a.text] {
				p.next()
				hq.addr = a.text
			}
			return p.headID(hq)
		case aquals[t.text] || t.text == "proto" || t.text == "protochain" || t.text == "gateway":
			p.next()
			hq.addr = t.text
			return p.headID(hq)
		case hq.proto == "" && (t.text == "type" || t.text == "subtype" || t.text == "dir"):
			return nil, q, p.unsupported(t, "802.11 frame types and directions")
		}
	}
	if hq.proto != "" {
		if hq.proto == "link" {
			return nil, q, p.fail(errAt(hq.pos, t.pos, "syntax error: %q needs a qualifier after it (host, proto, broadcast, multicast, or [offset])", p.toks[p.i-1].text))
		}
		e := p.toks[p.i-1].end
		return &abbrevNode{proto: hq.proto, pos: hq.pos, end: e}, qerr, nil
	}
	return p.other(q)
}

func other(dir string) string {
	if dir == "src" {
		return "dst"
	}
	return "src"
}

// headID parses the id after a head and gives it the head's qualifiers.
func (p *parser) headID(hq qual) (node, qual, error) {
	n, _, err := p.id(hq)
	if err != nil {
		return nil, hq, err
	}
	return n, hq, nil
}

// id := nid | pnum | "(" pid ")"
func (p *parser) id(q qual) (node, qual, error) {
	t := p.peek()
	if p.is(t, "(") {
		n, err := p.parens(func() (node, error) { return p.pid(q) }, "\")\"")
		return n, q, err
	}
	if p.is(t, "!") {
		p.next()
		if err := p.enter(t); err != nil {
			return nil, q, err
		}
		defer func() { p.depth-- }()
		x, _, err := p.id(q)
		if err != nil {
			return nil, q, err
		}
		_, e := x.span()
		return &notNode{x: x, pos: t.pos, end: e}, q, nil
	}
	n := &idNode{q: q, kind: t.kind, text: t.text, num: t.num, masklen: -1, pos: t.pos, end: t.end}
	switch t.kind {
	case tNum:
		n.text = t.text
	case tID, tEID:
	case tHID, tHID6:
		p.next()
		if s := p.peek(); p.is(s, "/") {
			p.next()
			m := p.peek()
			if m.kind != tNum {
				return nil, q, p.unexpected(m, "a prefix length after \"/\"")
			}
			p.next()
			if m.num > 1<<16 {
				n.masklen = 1 << 16
			} else {
				n.masklen = int(m.num)
			}
			n.end = m.end
		} else if t.kind == tHID && p.is(s, "mask") {
			p.next()
			m := p.peek()
			if m.kind != tHID {
				return nil, q, p.unexpected(m, "a dotted mask after \"mask\"")
			}
			p.next()
			n.mask, n.end = m.text, m.end
		}
		return n, q, nil
	default:
		return nil, q, p.unexpected(t, "an address, a name or a number")
	}
	p.next()
	return n, q, nil
}

// pid := qid { and|or id }, inside parentheses after a head: every id
// takes the head's qualifiers.
func (p *parser) pid(q qual) (node, error) {
	id := func(qual) (node, qual, error) { return p.id(q) }
	return p.chain(func() (node, qual, error) { return p.id(q) }, id)
}

// unsupportedWords are libpcap keywords for primitives pktop does not
// compile, with what they are.
var unsupportedWords = map[string]string{
	"geneve": "\"geneve\"", "batadv": "\"batadv\"", "pppoed": "", "llc": "\"llc\" (802.2 LLC frames)",
	"lane": "ATM primitives", "metac": "ATM primitives", "bcc": "ATM primitives", "oam": "ATM primitives",
	"oamf4": "ATM primitives", "oamf4ec": "ATM primitives", "oamf4sc": "ATM primitives", "sc": "ATM primitives",
	"ilmic": "ATM primitives", "vpi": "ATM primitives", "vci": "ATM primitives", "connectmsg": "ATM primitives",
	"metaconnect": "ATM primitives",
	"ifname":      "pflog primitives", "rset": "pflog primitives", "rnr": "pflog primitives", "srnr": "pflog primitives",
	"reason": "pflog primitives", "action": "pflog primitives",
	"fisu": "SS7 MTP primitives", "lssu": "SS7 MTP primitives", "msu": "SS7 MTP primitives",
	"hfisu": "SS7 MTP primitives", "hlssu": "SS7 MTP primitives", "hmsu": "SS7 MTP primitives",
	"sio": "SS7 MTP primitives", "opc": "SS7 MTP primitives", "dpc": "SS7 MTP primitives", "sls": "SS7 MTP primitives",
	"hsio": "SS7 MTP primitives", "hopc": "SS7 MTP primitives", "hdpc": "SS7 MTP primitives", "hsls": "SS7 MTP primitives",
}

func (p *parser) unsupported(t token, what string) *posError {
	return errAt(t.pos, t.end, "pktop's filter compiler does not support %s", what)
}

// other parses the primitives that take no qualifiers.
func (p *parser) other(q qual) (node, qual, error) {
	t := p.peek()
	n := &otherNode{what: t.text, pos: t.pos, end: t.end}
	switch t.text {
	case "less", "greater", "ifindex":
		p.next()
		v := p.peek()
		if v.kind != tNum {
			return nil, q, p.unexpected(v, "a number after \""+t.text+"\"")
		}
		p.next()
		n.num, n.hasNum, n.end = v.num, true, v.end
		return n, qerr, nil
	case "byte":
		p.next()
		v := p.peek()
		if v.kind != tNum {
			return nil, q, p.unexpected(v, "a byte offset after \"byte\"")
		}
		p.next()
		o := p.peek()
		if !p.is(o, "&") && !p.is(o, "|") && !p.is(o, "<") && !p.is(o, ">") && !p.is(o, "=") {
			return nil, q, p.unexpected(o, "one of & | < > = after \"byte N\"")
		}
		p.next()
		w := p.peek()
		if w.kind != tNum {
			return nil, q, p.unexpected(w, "a number")
		}
		p.next()
		n.num, n.byteOp, n.byteVal, n.end = v.num, o.text, w.num, w.end
		return n, qerr, nil
	case "inbound", "outbound":
		p.next()
		return n, qerr, nil
	case "vlan", "mpls", "pppoes", "geneve":
		p.next()
		if v, ok := p.pnum(); ok {
			n.num, n.hasNum, n.end = v.num, true, v.end
		}
		return n, qerr, nil
	case "pppoed":
		p.next()
		return n, qerr, nil
	}
	if what, ok := unsupportedWords[t.text]; ok {
		if what == "" {
			what = quoteText(t.text)
		}
		return nil, q, p.fail(p.unsupported(t, what))
	}
	if t.kind == tKeyword && (t.text == "and" || t.text == "or") {
		return nil, q, p.unexpected(t, "a primitive before \""+t.text+"\"")
	}
	return nil, q, p.unexpected(t, "a primitive (host, port, tcp, ...)")
}

// pnum := NUM | "(" pnum ")"; it reports whether one was there.
func (p *parser) pnum() (token, bool) {
	save := p.i
	opens := 0
	for p.is(p.peek(), "(") {
		p.next()
		opens++
	}
	v := p.peek()
	if v.kind != tNum {
		p.i = save
		return v, false
	}
	p.next()
	for k := 0; k < opens; k++ {
		if !p.is(p.peek(), ")") {
			p.i = save
			return v, false
		}
		v.end = p.next().end
	}
	return v, true
}

// Arithmetic.

func (p *parser) canStartArith(t token) bool {
	if t.kind == tNum || p.is(t, "(") || p.is(t, "-") || p.is(t, "len") {
		return true
	}
	return t.kind == tKeyword && pnames[t.text] && p.is(p.peekAt(1), "[")
}

var relops = map[string]bool{">": true, ">=": true, "=": true, "<=": true, "<": true, "!=": true}

// relation := arith relop arith
func (p *parser) relation() (node, error) {
	l, err := p.arith(opNone)
	if err != nil {
		return nil, err
	}
	op := p.peek()
	if !relops[op.text] || op.kind != tPunct {
		return nil, p.unexpected(op, "a comparison (> >= = != < <=)")
	}
	p.next()
	r, err := p.arith(opNone)
	if err != nil {
		return nil, err
	}
	ps, _ := l.span()
	_, re := r.span()
	return &relNode{op: op.text, l: l, r: r, pos: ps, end: re}, nil
}

// Operator precedence as in grammar.y: | then & then << >> then + - then
// * /, all from the left, unary minus tightest. "%" and "^" have no
// precedence there, so yacc shifts on them: they take everything to their
// right, and bind tighter than anything to their left.
const (
	opNone   = -1 // the start of an expression: take every operator
	opNoPrec = 0  // % and ^
	opUminus = 100
)

var arithPrec = map[string]int{"|": 1, "&": 2, "<<": 3, ">>": 3, "+": 4, "-": 4, "*": 5, "/": 5, "%": opNoPrec, "^": opNoPrec}

func shifts(ctx, op int) bool {
	if ctx == opNone || ctx == opNoPrec || op == opNoPrec {
		return true
	}
	return op > ctx
}

func (p *parser) arith(ctx int) (arith, error) {
	t := p.peek()
	if err := p.enter(t); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		o := p.peek()
		prec, ok := arithPrec[o.text]
		if !ok || o.kind != tPunct || !shifts(ctx, prec) {
			return left, nil
		}
		p.next()
		right, err := p.arith(prec)
		if err != nil {
			return nil, err
		}
		left = &binArith{op: o.text, l: left, r: right, pos: o.pos, end: o.end}
	}
}

func (p *parser) unary() (arith, error) {
	t := p.peek()
	switch {
	case p.is(t, "-"):
		p.next()
		x, err := p.arith(opUminus)
		if err != nil {
			return nil, err
		}
		return &negArith{x: x, pos: t.pos, end: t.end}, nil
	case t.kind == tNum:
		p.next()
		return &numArith{v: t.num, pos: t.pos, end: t.end}, nil
	case p.is(t, "len"):
		p.next()
		return &lenArith{pos: t.pos, end: t.end}, nil
	case p.is(t, "("):
		p.next()
		x, err := p.arith(opNone)
		if err != nil {
			return nil, err
		}
		if c := p.peek(); !p.is(c, ")") {
			return nil, p.unexpected(c, "\")\" or an arithmetic operator")
		}
		p.next()
		return x, nil
	case t.kind == tKeyword && pnames[t.text]:
		p.next()
		if b := p.peek(); !p.is(b, "[") {
			return nil, p.unexpected(b, "\"[\"")
		}
		p.next()
		idx, err := p.arith(opNone)
		if err != nil {
			return nil, err
		}
		size := uint32(1)
		if c := p.peek(); p.is(c, ":") {
			p.next()
			s := p.peek()
			if s.kind != tNum {
				return nil, p.unexpected(s, "a size (1, 2 or 4)")
			}
			p.next()
			if s.num != 1 && s.num != 2 && s.num != 4 {
				return nil, p.fail(errAt(s.pos, s.end, "data size must be 1, 2, or 4"))
			}
			size = s.num
		}
		c := p.peek()
		if !p.is(c, "]") {
			return nil, p.unexpected(c, "\"]\"")
		}
		p.next()
		return &loadArith{proto: t.text, idx: idx, size: size, pos: t.pos, end: c.end}, nil
	}
	return nil, p.unexpected(t, "a number, len, or proto[offset]")
}
