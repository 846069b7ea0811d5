package model

import (
	"net/netip"
	"strconv"
	"strings"
)

// Filter is a display filter on the rows of the tables: words separated
// by spaces, all of which must match a row. A word is
//   - an address ("10.0.0.1", "fe80::1") or a prefix ("10.0.0.0/8"): rows
//     with an address equal to it or inside it;
//   - a number ("443"): ports equal to it, or addresses that contain it;
//   - a protocol name ("tcp", "dns", "tls"): rows whose frames carried it;
//   - a word starting with "!" negates the rest ("!dns");
//   - anything else: rows whose address, learnt name or service name
//     contains it (so that a half-typed address already filters).
//
// The zero Filter matches every row.
type Filter struct {
	terms []term
}

type term struct {
	neg    bool
	prefix netip.Prefix // valid for address and prefix words
	port   int          // >= 0 for numeric words
	proto  int          // >= 0: a Proto
	app    App          // != AppNone: an application protocol
	text   string       // lower-case substring
	focus  *Key
}

// ParseFilter parses a display filter. Every string parses: a word that
// is neither an address, a number nor a protocol is a substring.
func ParseFilter(s string) Filter {
	var f Filter
	for _, w := range strings.Fields(s) {
		t := term{port: -1, proto: -1}
		if strings.HasPrefix(w, "!") && len(w) > 1 {
			t.neg = true
			w = w[1:]
		}
		lw := strings.ToLower(w)
		t.text = lw
		if p, err := netip.ParsePrefix(w); err == nil {
			t.prefix = p.Masked()
		} else if a, err := netip.ParseAddr(w); err == nil {
			t.prefix = netip.PrefixFrom(a, a.BitLen())
		} else if n, err := strconv.Atoi(w); err == nil && n >= 0 && n <= 65535 {
			t.port = n
		} else if p, ok := protoByName(lw); ok {
			t.proto = int(p)
		} else if ap, ok := appByName(lw); ok {
			t.app = ap
		}
		f.terms = append(f.terms, t)
	}
	return f
}

func focusFilter(k Key) Filter {
	return Filter{terms: []term{{port: -1, proto: -1, focus: &k}}}
}

func (f Filter) and(g Filter) Filter {
	return Filter{terms: append(append([]term(nil), f.terms...), g.terms...)}
}

// Empty reports whether the filter matches everything.
func (f Filter) Empty() bool { return len(f.terms) == 0 }

func protoByName(s string) (Proto, bool) {
	switch s {
	case "ip", "ip4":
		return ProtoIPv4, true
	case "ip6":
		return ProtoIPv6, true
	case "icmp6":
		return ProtoICMPv6, true
	}
	for p := Proto(0); p < numProtos; p++ {
		if p.String() == s {
			return p, true
		}
	}
	return 0, false
}

func appByName(s string) (App, bool) {
	switch s {
	case "https":
		return AppTLS, true
	case "domain":
		return AppDNS, true
	}
	for a := App(1); a < numApps; a++ {
		if a.String() == s {
			return a, true
		}
	}
	return AppNone, false
}

func (f Filter) matchRow(a *Aggregator, k Key, e *entry) bool {
	for i := range f.terms {
		if f.terms[i].match(a, k, e) == f.terms[i].neg {
			return false
		}
	}
	return true
}

func (t *term) match(a *Aggregator, k Key, e *entry) bool {
	if t.focus != nil {
		return focusMatch(*t.focus, k)
	}
	if t.prefix.IsValid() {
		return (k.Kind != KindPort) && (t.prefix.Contains(k.A) || (k.B.IsValid() && t.prefix.Contains(k.B)))
	}
	if t.proto >= 0 {
		return e.protos.Has(Proto(t.proto)) || ((k.Kind == KindPort || k.Kind == KindFlow) && l4Proto(k.L4) == Proto(t.proto))
	}
	if t.app != AppNone {
		return e.apps.has(t.app)
	}
	if t.port >= 0 && (k.Kind == KindPort || k.Kind == KindFlow) && (int(k.Port) == t.port || (k.Kind == KindFlow && int(k.PortB) == t.port)) {
		return true
	}
	return t.textMatch(a, k)
}

func (t *term) textMatch(a *Aggregator, k Key) bool {
	has := func(s string) bool { return s != "" && strings.Contains(strings.ToLower(s), t.text) }
	switch k.Kind {
	case KindHost:
		return has(k.A.String()) || has(a.names.get(k.A))
	case KindConv, KindFlow:
		return has(k.A.String()) || has(k.B.String()) || has(a.names.get(k.A)) || has(a.names.get(k.B))
	case KindPort:
		if a.cfg.Service != nil && has(a.cfg.Service(k.L4, k.Port)) {
			return true
		}
		return has(strconv.Itoa(int(k.Port)))
	case KindProc:
		if k.Proc.Reason != ReasonNone {
			return has(k.Proc.Reason.Label()) || has(k.Proc.Reason.String())
		}
		o := a.owners[k.Proc]
		if o == nil {
			return has(strconv.Itoa(int(k.Proc.PID)))
		}
		return has(strconv.Itoa(int(k.Proc.PID))) || has(o.Command) || has(o.Cmdline) || has(o.User) || has(o.Container)
	}
	return false
}

// focusMatch says whether row k relates to the focused key f: for a host,
// the host itself and its conversations; for a conversation, itself and
// its two hosts; for a port, the port itself; for a process, itself.
func focusMatch(f, k Key) bool {
	switch f.Kind {
	case KindProc:
		if k.Kind == KindProc {
			return k.Proc == f.Proc
		}
		return true
	case KindHost:
		switch k.Kind {
		case KindHost:
			return k.A == f.A
		case KindConv:
			return k.A == f.A || k.B == f.A
		}
		return true
	case KindConv:
		switch k.Kind {
		case KindHost:
			return k.A == f.A || k.A == f.B
		case KindConv:
			return k.A == f.A && k.B == f.B
		}
		return true
	case KindPort:
		if k.Kind == KindPort {
			return k.L4 == f.L4 && k.Port == f.Port
		}
		return true
	}
	return true
}

// l4Proto maps an IP protocol number to its Proto, or numProtos.
func l4Proto(n uint8) Proto {
	switch n {
	case 6:
		return ProtoTCP
	case 17:
		return ProtoUDP
	case 132:
		return ProtoSCTP
	}
	return numProtos
}

// MatchPacket reports whether a packet belongs to the focused key k. A
// process's packets are those of the flows attributed to it, which only
// the aggregator knows (see Aggregator.ownedBy): MatchPacket says false.
func MatchPacket(k Key, p *Packet) bool {
	switch k.Kind {
	case KindHost:
		return p.Src == k.A || p.Dst == k.A
	case KindConv:
		return (p.Src == k.A && p.Dst == k.B) || (p.Src == k.B && p.Dst == k.A)
	case KindPort:
		if p.L4 != k.L4 || (p.SrcPort == 0 && p.DstPort == 0) {
			return false
		}
		port, _ := servicePort(p.SrcPort, p.DstPort)
		return port == k.Port
	case KindFlow:
		return p.L4 == k.L4 && ((p.Src == k.A && p.SrcPort == k.Port && p.Dst == k.B && p.DstPort == k.PortB) ||
			(p.Src == k.B && p.SrcPort == k.PortB && p.Dst == k.A && p.DstPort == k.Port))
	}
	return false
}
