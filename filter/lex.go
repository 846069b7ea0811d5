package filter

import (
	"net/netip"
	"strings"
)

// tokKind is the kind of a token. Keywords have kinds of their own (kw*),
// named after libpcap's grammar tokens.
type tokKind int

const (
	tEOF     tokKind = iota
	tNum             // a number: decimal, 0x hex or 0 octal
	tID              // a name, or a \escaped keyword
	tHID             // an IPv4 address or prefix: 10, 10.1, 10.1.2, 10.1.2.3 (the dotted forms)
	tHID6            // an IPv6 address
	tEID             // a MAC address
	tPunct           // an operator or bracket; text says which
	tKeyword         // a keyword; text says which
)

// token is one token and the byte range of the expression it came from.
type token struct {
	kind tokKind
	text string // the keyword, operator, name or address as written (ID: without the backslash)
	num  uint32 // tNum: its value
	pos  int    // byte offset of the first character
	end  int    // byte offset after the last character
}

// keywords are the words libpcap's scanner reserves. Some are aliases:
// the value is the canonical spelling the parser works with.
var keywords = map[string]string{
	"dst": "dst", "src": "src",
	"link": "link", "ether": "link", "ppp": "link", "slip": "link", "fddi": "link", "tr": "link", "wlan": "link",
	"arp": "arp", "rarp": "rarp", "ip": "ip", "sctp": "sctp", "tcp": "tcp", "udp": "udp", "icmp": "icmp",
	"igmp": "igmp", "igrp": "igrp", "pim": "pim", "vrrp": "vrrp", "carp": "carp", "radio": "radio",
	"ip6": "ip6", "icmp6": "icmp6", "ah": "ah", "esp": "esp",
	"atalk": "atalk", "aarp": "aarp", "decnet": "decnet", "lat": "lat", "sca": "sca", "moprc": "moprc", "mopdl": "mopdl",
	"iso": "iso", "esis": "esis", "es-is": "esis", "isis": "isis", "is-is": "isis",
	"l1": "l1", "l2": "l2", "iih": "iih", "lsp": "lsp", "snp": "snp", "csnp": "csnp", "psnp": "psnp",
	"clnp": "clnp", "stp": "stp", "ipx": "ipx", "netbeui": "netbeui",
	"host": "host", "net": "net", "mask": "mask", "port": "port", "portrange": "portrange", "proto": "proto",
	"protochain": "protochain", "gateway": "gateway",
	"type": "type", "subtype": "subtype", "direction": "dir", "dir": "dir",
	"address1": "addr1", "addr1": "addr1", "address2": "addr2", "addr2": "addr2",
	"address3": "addr3", "addr3": "addr3", "address4": "addr4", "addr4": "addr4", "ra": "ra", "ta": "ta",
	"less": "less", "greater": "greater", "byte": "byte", "broadcast": "broadcast", "multicast": "multicast",
	"and": "and", "or": "or", "not": "!",
	"len": "len", "length": "len", "inbound": "inbound", "outbound": "outbound", "ifindex": "ifindex",
	"vlan": "vlan", "mpls": "mpls", "pppoed": "pppoed", "pppoes": "pppoes", "geneve": "geneve", "batadv": "batadv",
	"lane": "lane", "llc": "llc", "metac": "metac", "bcc": "bcc", "oam": "oam", "oamf4": "oamf4",
	"oamf4ec": "oamf4ec", "oamf4sc": "oamf4sc", "sc": "sc", "ilmic": "ilmic", "vpi": "vpi", "vci": "vci",
	"connectmsg": "connectmsg", "metaconnect": "metaconnect",
	"on": "ifname", "ifname": "ifname", "rset": "rset", "ruleset": "rset", "rnr": "rnr", "rulenum": "rnr",
	"srnr": "srnr", "subrulenum": "srnr", "reason": "reason", "action": "action",
	"fisu": "fisu", "lssu": "lssu", "lsu": "lssu", "msu": "msu", "hfisu": "hfisu", "hlssu": "hlssu", "hmsu": "hmsu",
	"sio": "sio", "opc": "opc", "dpc": "dpc", "sls": "sls", "hsio": "hsio", "hopc": "hopc", "hdpc": "hdpc", "hsls": "hsls",
}

// namedNums are the names libpcap's scanner turns into numbers
// ("tcp[tcpflags] & tcp-syn").
var namedNums = map[string]uint32{
	"icmptype": 0, "icmpcode": 1,
	"icmp-echoreply": 0, "icmp-unreach": 3, "icmp-sourcequench": 4, "icmp-redirect": 5, "icmp-echo": 8,
	"icmp-routeradvert": 9, "icmp-routersolicit": 10, "icmp-timxceed": 11, "icmp-paramprob": 12,
	"icmp-tstamp": 13, "icmp-tstampreply": 14, "icmp-ireq": 15, "icmp-ireqreply": 16, "icmp-maskreq": 17,
	"icmp-maskreply": 18,
	"icmp6type":      0, "icmp6code": 1,
	"icmp6-destinationunreach": 1, "icmp6-packettoobig": 2, "icmp6-timeexceeded": 3, "icmp6-parameterproblem": 4,
	"icmp6-echo": 128, "icmp6-echoreply": 129, "icmp6-multicastlistenerquery": 130,
	"icmp6-multicastlistenerreportv1": 131, "icmp6-multicastlistenerdone": 132, "icmp6-routersolicit": 133,
	"icmp6-routeradvert": 134, "icmp6-neighborsolicit": 135, "icmp6-neighboradvert": 136, "icmp6-redirect": 137,
	"icmp6-routerrenum": 138, "icmp6-nodeinformationquery": 139, "icmp6-nodeinformationresponse": 140,
	"icmp6-ineighbordiscoverysolicit": 141, "icmp6-ineighbordiscoveryadvert": 142,
	"icmp6-multicastlistenerreportv2": 143, "icmp6-homeagentdiscoveryrequest": 144,
	"icmp6-homeagentdiscoveryreply": 145, "icmp6-mobileprefixsolicit": 146, "icmp6-mobileprefixadvert": 147,
	"icmp6-certpathsolicit": 148, "icmp6-certpathadvert": 149, "icmp6-multicastrouteradvert": 151,
	"icmp6-multicastroutersolicit": 152, "icmp6-multicastrouterterm": 153,
	"tcpflags": 13, "tcp-fin": 0x01, "tcp-syn": 0x02, "tcp-rst": 0x04, "tcp-push": 0x08, "tcp-ack": 0x10,
	"tcp-urg": 0x20, "tcp-ece": 0x40, "tcp-cwr": 0x80,
}

// maxExprLen bounds the expression a compile accepts.
const maxExprLen = 64 << 10

// lex splits the expression into tokens, the way libpcap's scanner does:
// at each point the longest match wins, and at equal length a keyword
// beats a number, a number an address, an address a name.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
			continue
		case c == '\\':
			// An escaped name: up to a blank, '!' or a parenthesis.
			j := i + 1
			for j < len(src) && !strings.ContainsRune(" !()\n\t", rune(src[j])) {
				j++
			}
			if j == i+1 {
				return nil, errAt(i, i+1, "a backslash must be followed by a name")
			}
			toks = append(toks, token{kind: tID, text: src[i+1 : j], pos: i, end: j})
			i = j
			continue
		case isAlnum(c):
			t, err := lexWord(src, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, t)
			i = t.end
			continue
		case c == ':' && i+1 < len(src) && (src[i+1] == ':' || isHex(src[i+1])):
			// An IPv6 address that starts with "::".
			if n := v6Len(src, i); n > 0 {
				toks = append(toks, token{kind: tHID6, text: src[i : i+n], pos: i, end: i + n})
				i += n
				continue
			}
		}
		// Operators: the two-character ones first.
		if i+1 < len(src) {
			two := src[i : i+2]
			op := ""
			switch two {
			case ">=", "<=", "!=", "<<", ">>":
				op = two
			case "==":
				op = "="
			case "&&":
				op = "and"
			case "||":
				op = "or"
			}
			if op != "" {
				kind := tPunct
				if op == "and" || op == "or" {
					kind = tKeyword
				}
				toks = append(toks, token{kind: kind, text: op, pos: i, end: i + 2})
				i += 2
				continue
			}
		}
		if strings.IndexByte("+-*/%:[]!<>()&|^=", c) >= 0 {
			toks = append(toks, token{kind: tPunct, text: string(c), pos: i, end: i + 1})
			if c == '!' {
				toks[len(toks)-1].kind, toks[len(toks)-1].text = tKeyword, "!"
			}
			i++
			continue
		}
		n := runeLen(src, i)
		return nil, errAt(i, i+n, "unexpected character %s", quoteText(src[i:i+n]))
	}
	toks = append(toks, token{kind: tEOF, pos: len(src), end: len(src)})
	return toks, nil
}

// lexWord reads the token that starts with a letter or digit at i.
func lexWord(src string, i int) (token, error) {
	idLen := idLength(src, i)
	numLen := numLength(src, i)
	hidLen := hidLength(src, i)
	eidLen := macLength(src, i)
	v6 := v6Len(src, i)
	best := idLen
	for _, n := range []int{numLen, hidLen, eidLen, v6} {
		if n > best {
			best = n
		}
	}
	// libpcap's scanner rejects hex groups and colons that make neither a
	// MAC nor an IPv6 address ("bogus ethernet address").
	if n := bogusLength(src, i); n > best {
		return token{}, errAt(i, i+n, "bogus ethernet address %s", quoteText(src[i:i+n]))
	}
	text := src[i : i+best]
	t := token{text: text, pos: i, end: i + best}
	// At equal length libpcap's scanner takes the earliest rule:
	// keywords, MAC, number, IPv4, IPv6, named numbers, names.
	switch {
	case best == idLen && keywords[text] != "":
		t.kind, t.text = tKeyword, keywords[text]
	case best == eidLen:
		t.kind = tEID
	case best == numLen:
		v, err := parseNum(text)
		if err != nil {
			return t, errAt(i, i+best, "%s", err.Error())
		}
		t.kind, t.num = tNum, v
	case best == hidLen:
		t.kind = tHID
	case best == v6:
		t.kind = tHID6
	default:
		if v, ok := namedNums[text]; ok && best == idLen {
			t.kind, t.num = tNum, v
			break
		}
		t.kind = tID
	}
	return t, nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// idLength matches [A-Za-z0-9]([-_.A-Za-z0-9]*[.A-Za-z0-9])?
func idLength(src string, i int) int {
	j := i + 1
	last := j
	for j < len(src) {
		c := src[j]
		if isAlnum(c) || c == '.' {
			j++
			last = j
		} else if c == '-' || c == '_' {
			j++
		} else {
			break
		}
	}
	return last - i
}

// numLength matches [0-9]+ or 0[xX][0-9A-Fa-f]+ (0 when no match).
func numLength(src string, i int) int {
	if i >= len(src) || !isDigit(src[i]) {
		return 0
	}
	if src[i] == '0' && i+2 < len(src) && (src[i+1] == 'x' || src[i+1] == 'X') && isHex(src[i+2]) {
		j := i + 2
		for j < len(src) && isHex(src[j]) {
			j++
		}
		return j - i
	}
	j := i
	for j < len(src) && isDigit(src[j]) {
		j++
	}
	return j - i
}

// hidLength matches N.N, N.N.N or N.N.N.N where N is a number.
func hidLength(src string, i int) int {
	j, parts, end := i, 0, 0
	for parts < 4 {
		n := numLength(src, j)
		if n == 0 {
			break
		}
		j += n
		parts++
		if parts >= 2 {
			end = j
		}
		if j >= len(src) || src[j] != '.' {
			break
		}
		j++
	}
	if end == 0 {
		return 0
	}
	return end - i
}

// macLength matches xx:xx:xx:xx:xx:xx, xx-xx-xx-xx-xx-xx (1 or 2 hex digits
// each), xxxx.xxxx.xxxx and xxxxxxxxxxxx with a separator: libpcap's MAC
// forms.
func macLength(src string, i int) int {
	for _, sep := range []byte{':', '-', '.'} {
		j := i
		ok := true
		for g := 0; g < 6; g++ {
			n := 0
			for j < len(src) && isHex(src[j]) && n < 2 {
				j++
				n++
			}
			if n == 0 {
				ok = false
				break
			}
			if g < 5 {
				if j >= len(src) || src[j] != sep {
					ok = false
					break
				}
				j++
			}
		}
		if ok && (j >= len(src) || !isHex(src[j])) {
			return j - i
		}
	}
	// xxxxxxxxxxxx
	if j := i + 12; j <= len(src) && (j == len(src) || !isHex(src[j])) {
		all := true
		for k := i; k < j; k++ {
			all = all && isHex(src[k])
		}
		if all {
			return 12
		}
	}
	// xxxx.xxxx.xxxx
	j := i
	for g := 0; g < 3; g++ {
		for k := 0; k < 4; k++ {
			if j >= len(src) || !isHex(src[j]) {
				return 0
			}
			j++
		}
		if g < 2 {
			if j >= len(src) || src[j] != '.' {
				return 0
			}
			j++
		}
	}
	if j < len(src) && isHex(src[j]) {
		return 0
	}
	return j - i
}

// colonRunLength is the length of the run of hex digits, colons and dots
// at i.
func colonRunLength(src string, i int) int {
	j := i
	for j < len(src) && (isHex(src[j]) || src[j] == ':' || src[j] == '.') {
		j++
	}
	return j - i
}

// bogusLength matches libpcap's {B}:+({B}:+)+ (B: one or two hex digits).
func bogusLength(src string, i int) int {
	j, units, end := i, 0, 0
	for {
		n := 0
		for j < len(src) && isHex(src[j]) && n < 2 {
			j++
			n++
		}
		if n == 0 || j >= len(src) || src[j] != ':' {
			break
		}
		for j < len(src) && src[j] == ':' {
			j++
		}
		units++
		if units >= 2 {
			end = j
		}
	}
	if end == 0 {
		return 0
	}
	return end - i
}

// v6Len is the length of the longest IPv6 address (with a colon) at i, or
// 0.
func v6Len(src string, i int) int {
	r := colonRunLength(src, i)
	if r > 45 {
		r = 45
	}
	for n := r; n >= 2; n-- {
		s := src[i : i+n]
		if !strings.Contains(s, ":") {
			return 0
		}
		if a, err := netip.ParseAddr(s); err == nil && a.Is6() && a.Zone() == "" {
			return n
		}
	}
	return 0
}

// parseNum parses a number as libpcap's scanner does: 0x hex, a leading 0
// octal, else decimal; it must fit in 32 bits.
func parseNum(s string) (uint32, error) {
	base, digits := uint64(10), s
	switch {
	case len(s) > 2 && (s[1] == 'x' || s[1] == 'X'):
		base, digits = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, digits = 8, s[1:]
	}
	var v uint64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		var d uint64
		switch {
		case isDigit(c):
			d = uint64(c - '0')
		case c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		default:
			d = uint64(c-'A') + 10
		}
		if d >= base {
			return 0, errorString("number " + s + " contains non-octal digit")
		}
		v = v*base + d
		if v > 0xffffffff {
			return 0, errorString("number " + s + " overflows 32 bits")
		}
	}
	return uint32(v), nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

func runeLen(s string, i int) int {
	for n := 1; n <= 4 && i+n <= len(s); n++ {
		if i+n == len(s) || s[i+n]&0xc0 != 0x80 {
			return n
		}
	}
	return 1
}
