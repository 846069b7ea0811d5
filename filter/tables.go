package filter

import (
	_ "embed"
	"strconv"
	"strings"
	"sync"
)

// The service and protocol names are Debian's netbase files
// (/etc/services, /etc/protocols), built in: libpcap asks the system for
// them, pktop needs nothing installed.
var (
	//go:embed services.txt
	servicesTxt string
	//go:embed protocols.txt
	protocolsTxt string

	tablesOnce sync.Once
	tcpPorts   map[string]uint32
	udpPorts   map[string]uint32
	ipProtos   map[string]uint32
)

func loadTables() {
	tablesOnce.Do(func() {
		tcpPorts, udpPorts, ipProtos = map[string]uint32{}, map[string]uint32{}, map[string]uint32{}
		for _, line := range strings.Split(servicesTxt, "\n") {
			line, _, _ = strings.Cut(line, "#")
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			num, proto, ok := strings.Cut(f[1], "/")
			p, err := strconv.ParseUint(num, 10, 16)
			if !ok || err != nil {
				continue
			}
			m := tcpPorts
			switch proto {
			case "tcp":
			case "udp":
				m = udpPorts
			default:
				continue
			}
			for _, name := range append([]string{f[0]}, f[2:]...) {
				if _, dup := m[name]; !dup {
					m[name] = uint32(p)
				}
			}
		}
		for _, line := range strings.Split(protocolsTxt, "\n") {
			line, _, _ = strings.Cut(line, "#")
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			p, err := strconv.ParseUint(f[1], 10, 8)
			if err != nil {
				continue
			}
			for _, name := range append([]string{f[0]}, f[2:]...) {
				if _, dup := ipProtos[name]; !dup {
					ipProtos[name] = uint32(p)
				}
			}
		}
	})
}

// nameToPort is pcap_nametoport: the port of a service name, and tcp,
// udp, or protoUndef when both have it with the same number.
func nameToPort(name string) (uint32, int, bool) {
	loadTables()
	tp, tok := tcpPorts[name]
	up, uok := udpPorts[name]
	switch {
	case tok:
		if uok && up == tp {
			return tp, protoUndef, true
		}
		return tp, protoTCP, true
	case uok:
		return up, protoUDP, true
	}
	return 0, 0, false
}

// nameToPortRange is pcap_nametoportrange: "N-M", or "name-name".
func nameToPortRange(name string) (uint32, uint32, int, bool) {
	if p1, p2, ok := scanRange(name); ok {
		return p1, p2, protoUndef, true
	}
	a, b, ok := strings.Cut(name, "-")
	if !ok {
		return 0, 0, 0, false
	}
	p1, proto1, ok1 := nameToPort(a)
	p2, proto2, ok2 := nameToPort(b)
	if !ok1 || !ok2 {
		return 0, 0, 0, false
	}
	if proto1 != proto2 {
		proto1 = protoUndef
	}
	return p1, p2, proto1, true
}

// scanRange reads "%d-%d" as sscanf does: digits, a dash, digits, and
// whatever follows ignored.
func scanRange(s string) (uint32, uint32, bool) {
	num := func(s string) (uint32, string, bool) {
		i := 0
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == 0 {
			return 0, s, false
		}
		v, err := strconv.ParseUint(s[:i], 10, 32)
		if err != nil || v > 1<<31-1 {
			v = 1<<31 - 1
		}
		return uint32(v), s[i:], true
	}
	a, rest, ok := num(s)
	if !ok || !strings.HasPrefix(rest, "-") {
		return 0, 0, false
	}
	b, _, ok := num(rest[1:])
	return a, b, ok
}

// etherProtos are libpcap's Ethernet type names (pcap_nametoeproto, then
// pcap_nametollc) for "ether proto \NAME".
var etherProtos = map[string]uint32{
	"pup": 0x0200, "xns": 0x0600, "ip": 0x0800, "ip6": 0x86dd, "arp": 0x0806, "rarp": 0x8035,
	"sprite": 0x0500, "mopdl": 0x6001, "moprc": 0x6002, "decnet": 0x6003, "lat": 0x6004, "sca": 0x6007,
	"lanbridge": 0x8038, "vexp": 0x805b, "vprod": 0x805c, "atalk": 0x809b, "atalkarp": 0x80f3,
	"loopback": 0x9000, "decdts": 0x803e, "decdns": 0x803c,
	"iso": 0xfe, "stp": 0x42, "ipx": 0xe0, "netbeui": 0xf0,
}

// etherHost would look a MAC name up in /etc/ethers; pktop does not.
func etherHost(name string) ([]byte, bool) { return nil, false }
