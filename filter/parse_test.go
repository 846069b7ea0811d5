package filter

import (
	"strings"
	"testing"
)

// TestParse checks the tree the parser builds: libpcap's precedence
// ("and" and "or" equal, from the left; "not" tighter), the qualifiers a
// bare value inherits, and the arithmetic precedence of grammar.y
// (including "%" and "^", which take everything to their right).
func TestParse(t *testing.T) {
	cases := []struct{ in, want string }{
		{"tcp", "tcp"},
		{"tcp or udp and port 53", "((tcp or udp) and [port 53])"},
		{"tcp and udp or icmp", "((tcp and udp) or icmp)"},
		{"not tcp and udp", "((not tcp) and udp)"},
		{"!tcp && !udp || arp", "(((not tcp) and (not udp)) or arp)"},
		{"not not tcp", "(not (not tcp))"},
		{"host 1.1.1.1 or 2.2.2.2", "([host 1.1.1.1] or [host 2.2.2.2])"},
		{"port 53 or 80", "([port 53] or [port 80])"},
		{"tcp src port 80 or 443", "([tcp src port 80] or [tcp src port 443])"},
		{"host 1.1.1.1 and not 2.2.2.2", "([host 1.1.1.1] and (not [host 2.2.2.2]))"},
		{"host (1.1.1.1 or 2.2.2.2)", "([host 1.1.1.1] or [host 2.2.2.2])"},
		{"(host 1.1.1.1) or 2.2.2.2", "([host 1.1.1.1] or [? 2.2.2.2])"},
		{"tcp or 80", "(tcp or [? 80])"},
		{"src or dst host a", "[or host a]"},
		{"ip src and dst net 10.0.0.0/8", "[ip and net 10.0.0.0/8]"},
		{"net 10.0.0.0 mask 255.0.0.0", "[net 10.0.0.0 mask 255.0.0.0]"},
		{"ether proto \\ip", "[link proto ip]"},
		{"ip6 net fe80::/10", "[ip6 net fe80::/10]"},
		{"ether host 00:11:22:33:44:55", "[link host 00:11:22:33:44:55]"},
		{"tcp[13] & 2 != 0", "((tcp[13:1] & 2) != 0)"},
		{"ip[2:2] > 576", "(ip[2:2] > 576)"},
		{"1 + 2 * 3 = 7", "((1 + (2 * 3)) = 7)"},
		{"1 - 2 - 3 = 0", "(((1 - 2) - 3) = 0)"},
		{"1 | 2 & 3 = 0", "((1 | (2 & 3)) = 0)"},
		{"1 << 2 + 3 = 0", "((1 << (2 + 3)) = 0)"},
		{"1 % 2 + 3 = 0", "((1 % (2 + 3)) = 0)"},
		{"1 + 2 % 3 = 0", "((1 + (2 % 3)) = 0)"},
		{"1 ^ 2 & 3 = 0", "((1 ^ (2 & 3)) = 0)"},
		{"- 1 + 2 = 1", "((-1 + 2) = 1)"},
		{"- 1 % 2 = 1", "(-(1 % 2) = 1)"},
		{"(1 + 2) * 3 = 9", "(((1 + 2) * 3) = 9)"},
		{"len - 14 > 100", "((len - 14) > 100)"},
		{"vlan 100 and vlan (200)", "(vlan 100 and vlan 200)"},
		{"less 100 or greater 1000", "(less 100 or greater 1000)"},
		{"tcp and (port 80 or port 443)", "(tcp and ([port 80] or [port 443]))"},
		{"icmp[icmptype] = icmp-echo", "(icmp[0:1] = 8)"},
		{"tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn", "((tcp[13:1] & (2 | 16)) = 2)"},
		{"host 0011.2233.4455", "[host 0011.2233.4455]"},
		{"0x10 = 020", "(16 = 16)"},
		{"", "<nil>"},
	}
	for _, c := range cases {
		n, err := parse(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		got := "<nil>"
		if n != nil {
			got = n.String()
		}
		if got != c.want {
			t.Errorf("%q parses as %s, want %s", c.in, got, c.want)
		}
	}
}

// TestErrors checks that a bad expression gets one error naming what is
// wrong, at the right column, with a caret under it.
func TestErrors(t *testing.T) {
	cases := []struct {
		expr   string
		lt     int
		col    int
		msg    string
		carets string
	}{
		{"tcp port", 1, 9, "syntax error: unexpected end of the expression", "        ^"},
		{"tcp port foo", 1, 10, "unknown port 'foo'", "         ^^^"},
		{"udp port ssh", 1, 10, "port 'ssh' is tcp", "         ^^^"},
		{"port 70000", 1, 6, "illegal port number 70000 > 65535", "     ^^^^^"},
		{"ip6 host 1.2.3.4", 1, 1, "'ip6' modifier applied to ip host", "^^^^^^^^^^^^^^^^"},
		{"inbound", 1, 1, "inbound/outbound not supported on Ethernet when reading savefiles", "^^^^^^^"},
		{"vlan and ip", 113, 1, "no VLAN support for Linux cooked v1", "^^^^"},
		{"ip and 10.0.0.1", 1, 8, "syntax error: \"10.0.0.1\" needs a qualifier", "       ^^^^^^^^"},
		{"host 10.0.0.0/8", 1, 6, "Mask syntax for networks only", "     ^^^^^^^^^^"},
		{"net 10.0.0.1/8", 1, 5, "non-network bits set in \"10.0.0.1/8\"", "    ^^^^^^^^^^"},
		{"tcp and foo bar", 1, 9, "syntax error", "        ^^^"},
		{"ip[0] / 0 = 1", 1, 7, "division by zero", "      ^"},
		{"ip[0:3] = 1", 1, 6, "data size must be 1, 2, or 4", "     ^"},
		{"tcp and $", 1, 9, "unexpected character \"$\"", "        ^"},
		{"mpls and vlan", 1, 10, "no VLAN match after MPLS", "         ^^^^"},
		{"ether host 1:2:3", 1, 12, "bogus ethernet address", "           ^^^^"},
		{"byte 0 & 1", 1, 1, "does not support \"byte 0 & 1\"", "^^^^^^^^^^"},
		{"tcp", 147, 1, "does not support link type 147", "^^^"},
		{"host nosuch.example", 1, 6, "unknown host 'nosuch.example'", "     ^^^^^^^^^^^^^^"},
		{"portrange foo-bar", 1, 11, "unknown port in range 'foo-bar'", "          ^^^^^^^"},
		{"ip proto \\nosuch", 1, 10, "unknown ip proto 'nosuch'", "         ^^^^^^^"},
		{"tcp and ifindex 3", 1, 9, "ifindex not supported on Ethernet when reading savefiles", "        ^^^^^^^^^"},
		{"08 = 1", 1, 1, "number 08 contains non-octal digit", "^^"},
		{"tcp \x1b[31m", 1, 5, "unexpected character", "    ^^^^"},
	}
	for _, c := range cases {
		_, err := Compile(c.expr, Options{LinkType: c.lt})
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("%q: %v (%T), want an *Error", c.expr, err, err)
			continue
		}
		if e.Column() != c.col || !strings.Contains(e.Msg, c.msg) {
			t.Errorf("%q: column %d %q; want column %d %q", c.expr, e.Column(), e.Msg, c.col, c.msg)
		}
		lines := strings.Split(e.Caret(), "\n")
		if len(lines) != 2 || lines[1] != c.carets {
			t.Errorf("%q: caret lines\n%s\nwant the second\n%s", c.expr, e.Caret(), c.carets)
		}
		if strings.ContainsAny(e.Error()+e.Caret(), "\x1b\r") || strings.Contains(e.Error(), "\n") {
			t.Errorf("%q: the error is not one line of inert text: %q", c.expr, e.Error())
		}
	}
}
