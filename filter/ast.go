package filter

import (
	"fmt"
	"strings"
)

// node is a node of the boolean expression tree. Every node keeps the byte
// range of the text it was parsed from, for errors.
type node interface {
	span() (pos, end int)
	String() string
}

// qual is the qualifiers before an id: protocol ("ip", "tcp", "link"...),
// direction ("src", "dst", "src or dst" as "or", "src and dst" as "and")
// and address kind ("host", "net", "port", "portrange", "proto",
// "protochain", "gateway"). "" is libpcap's Q_DEFAULT. undef marks
// libpcap's qerr: an id that inherits it is a syntax error.
type qual struct {
	proto, dir, addr string
	undef            bool
	pos              int // where the qualifiers start
}

func (q qual) String() string {
	var p []string
	for _, s := range []string{q.proto, q.dir, q.addr} {
		if s != "" {
			p = append(p, s)
		}
	}
	return strings.Join(p, " ")
}

type binNode struct {
	op       string // "and" or "or"
	l, r     node
	pos, end int
}

type notNode struct {
	x        node
	pos, end int
}

// idNode is a value with its qualifiers: "host 10.0.0.1", "port 53",
// "net 10.0.0.0/8", and the bare values that inherit qualifiers.
type idNode struct {
	q        qual
	kind     tokKind // tNum, tID, tHID, tHID6, tEID
	text     string  // as written (tNum: the digits)
	num      uint32  // tNum: the value
	mask     string  // tHID "mask" HID: the mask as written
	masklen  int     // "/N": N; -1 when absent
	pos, end int
}

// abbrevNode is a protocol name alone: "tcp", "ip6", "arp".
type abbrevNode struct {
	proto    string
	pos, end int
}

// relNode is an arithmetic comparison: "ip[0] & 0xf > 5".
type relNode struct {
	op       string // > >= = <= < !=
	l, r     arith
	pos, end int
}

// otherNode is one of the primitives that take no qualifiers, or only a
// protocol: broadcast, multicast, less, greater, byte, inbound, outbound,
// vlan, mpls, pppoed, pppoes, and those pktop refuses.
type otherNode struct {
	what     string // the keyword
	proto    string // broadcast, multicast: the protocol qualifier
	num      uint32 // vlan, mpls, pppoes, less, greater, byte: the number
	hasNum   bool
	byteOp   string // byte: the operator
	byteVal  uint32 // byte: the value
	pos, end int
}

func (n *binNode) span() (int, int)    { return n.pos, n.end }
func (n *notNode) span() (int, int)    { return n.pos, n.end }
func (n *idNode) span() (int, int)     { return n.pos, n.end }
func (n *abbrevNode) span() (int, int) { return n.pos, n.end }
func (n *relNode) span() (int, int)    { return n.pos, n.end }
func (n *otherNode) span() (int, int)  { return n.pos, n.end }

func (n *binNode) String() string { return "(" + n.l.String() + " " + n.op + " " + n.r.String() + ")" }
func (n *notNode) String() string { return "(not " + n.x.String() + ")" }
func (n *idNode) String() string {
	s := n.text
	if n.mask != "" {
		s += " mask " + n.mask
	}
	if n.masklen >= 0 {
		s += fmt.Sprintf("/%d", n.masklen)
	}
	if q := n.q.String(); q != "" {
		return "[" + q + " " + s + "]"
	}
	if n.q.undef {
		return "[? " + s + "]"
	}
	return "[" + s + "]"
}
func (n *abbrevNode) String() string { return n.proto }
func (n *relNode) String() string {
	return "(" + n.l.String() + " " + n.op + " " + n.r.String() + ")"
}
func (n *otherNode) String() string {
	s := n.what
	if n.proto != "" {
		s = n.proto + " " + s
	}
	if n.hasNum {
		s += fmt.Sprintf(" %d", n.num)
	}
	if n.byteOp != "" {
		s += fmt.Sprintf(" %s %d", n.byteOp, n.byteVal)
	}
	return s
}

// arith is an arithmetic expression.
type arith interface {
	span() (pos, end int)
	String() string
}

type numArith struct {
	v        uint32
	pos, end int
}

// loadArith is proto[idx] or proto[idx:size].
type loadArith struct {
	proto    string
	idx      arith
	size     uint32
	pos, end int
}

type binArith struct {
	op       string // + - * / % & | ^ << >>
	l, r     arith
	pos, end int // pos, end: the operator
}

type negArith struct {
	x        arith
	pos, end int
}

type lenArith struct{ pos, end int }

func (a *numArith) span() (int, int)  { return a.pos, a.end }
func (a *loadArith) span() (int, int) { return a.pos, a.end }
func (a *binArith) span() (int, int)  { return a.pos, a.end }
func (a *negArith) span() (int, int)  { return a.pos, a.end }
func (a *lenArith) span() (int, int)  { return a.pos, a.end }

func (a *numArith) String() string { return fmt.Sprint(a.v) }
func (a *loadArith) String() string {
	return fmt.Sprintf("%s[%s:%d]", a.proto, a.idx, a.size)
}
func (a *binArith) String() string { return "(" + a.l.String() + " " + a.op + " " + a.r.String() + ")" }
func (a *negArith) String() string { return "-" + a.x.String() }
func (a *lenArith) String() string { return "len" }
