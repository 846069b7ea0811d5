package model

import (
	"net/netip"
	"strings"
)

// names maps addresses to host names learnt from the traffic, bounded: a
// full table forgets an arbitrary half of its names.
//
// A name is kept only when it is a host name (see HostName): it can then
// never pass for an address, nor hold anything but letters, digits,
// hyphens, underscores and dots. An address keeps the first name it gets,
// so that its label does not change as more traffic comes; a name a
// client sent to the address (TLS SNI, HTTP Host) replaces a name from
// DNS once, as what the client asked the address itself says more.
type names struct {
	m   map[netip.Addr]learnt
	max int
}

type learnt struct {
	name    string
	fromDNS bool
}

func newNames(max int) names { return names{m: make(map[netip.Addr]learnt), max: max} }

func (n *names) set(a netip.Addr, name string, fromDNS bool) {
	name, ok := HostName(name)
	if !ok || !a.IsValid() {
		return
	}
	old, had := n.m[a]
	if had && (fromDNS || !old.fromDNS) {
		return // the first name stays; only a client's replaces DNS's
	}
	if !had && len(n.m) >= n.max {
		drop := len(n.m) / 2
		for k := range n.m {
			if drop == 0 {
				break
			}
			delete(n.m, k)
			drop--
		}
	}
	n.m[a] = learnt{name, fromDNS}
}

func (n *names) get(a netip.Addr) string { return n.m[a].name }

// HostName checks that s is a host name as DNS, TLS SNI and HTTP Host
// carry them, and returns it in lower case without a final dot. It
// refuses anything else: a name that parses as an address in any form a
// resolver accepts (10.0.0.1, 0x7f.1, ::1, [::1]), a last label of digits
// only, characters other than letters, digits, '-', '_' and '.', empty
// labels, labels over 63 bytes, and names over 253 bytes. A name it
// accepts can never be taken for an address on screen.
func HostName(s string) (string, bool) {
	s = strings.TrimSuffix(s, ".")
	if len(s) == 0 || len(s) > 253 {
		return "", false
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return "", false
	}
	lower := true
	label := 0
	last := 0 // start of the last label
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if label == 0 {
				return "", false
			}
			label = 0
			last = i + 1
			continue
		case c >= 'A' && c <= 'Z':
			lower = false
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return "", false
		}
		label++
		if label > 63 {
			return "", false
		}
	}
	if label == 0 {
		return "", false
	}
	if numericLabel(s[last:]) {
		return "", false
	}
	if !lower {
		s = strings.ToLower(s)
	}
	return s, true
}

// numericLabel reports whether a label reads as a number to inet_aton:
// decimal, octal or hexadecimal (0x...).
func numericLabel(l string) bool {
	l = strings.ToLower(l)
	digits := "0123456789"
	if strings.HasPrefix(l, "0x") {
		l, digits = l[2:], "0123456789abcdef"
	}
	for i := 0; i < len(l); i++ {
		if !strings.ContainsRune(digits, rune(l[i])) {
			return false
		}
	}
	return true
}
