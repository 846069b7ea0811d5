package filter

import (
	"fmt"
	"strings"
)

// diffExprs are the expressions the differential test compiles with both
// compilers, for every link type: every primitive, qualifier, operator
// and precedence case, and odd ones. Some are errors on purpose (both
// compilers must refuse them).
var diffExprs = []string{
	// protocols alone
	"ip", "ip6", "arp", "rarp", "tcp", "udp", "icmp", "icmp6", "igmp", "igrp", "pim", "vrrp", "carp", "sctp",
	"ah", "esp", "decnet", "lat", "sca", "moprc", "mopdl", "not tcp", "not not tcp", "! ip", "!ip6",
	"tcp or udp", "icmp or icmp6", "arp or rarp", "ip or ip6 or arp", "ip and not ip6", "ip6 and not icmp6",
	"tcp and tcp and tcp", "(((tcp)))", "not (not (tcp or udp))", "ip and ip6",

	// hosts
	"host 1.2.3.4", "src host 10.0.0.1", "dst host 10.0.0.2", "host 10.0.0.1 or 10.0.0.2",
	"host 10.0.0.1 and 10.0.0.2", "src or dst host 1.2.3.4", "src and dst host 10.0.0.1", "dst or src host 10.0.0.1",
	"dst and src host 10.0.0.2", "ip host 1.2.3.4", "arp host 10.0.0.1", "rarp host 10.0.0.1", "ip src host 192.168.1.1",
	"host 10.0", "host 10", "host 10.1.2", "src 10.0.0.1", "dst 10.0.0.2", "ip src 10.0.0.1", "ip6 host ::1",
	"host fe80::1", "ip6 src host 2001:db8::1", "dst host ff02::fb", "host 2001:db8::1 or 2001:db8::2",
	"src host 2001:db8::1 and dst host 2001:db8::2", "ip6 host 1.2.3.4", "tcp host 1.2.3.4", "ip host ::1",
	"arp host ::1", "host localhost", "src host localhost", "ip host localhost", "ip6 host localhost",
	"host 1.2.3.4 and not host 10.0.0.1", "not host 10.0.0.1 or 10.0.0.2", "host (10.0.0.1 or 10.0.0.2)",
	"host (10.0.0.1 and not 10.0.0.2)", "host 10.0.0.1 or (10.0.0.2 or 1.2.3.4)", "host 255.255.255.255",
	"host 1.2.3.256", "link host 10.0.0.1", "ether host 10.0.0.1", "host 0x0a000001", "host 012",

	// networks
	"net 10.0.0.0/8", "net 10", "net 10.1", "net 10.1.2", "src net 192.168.0.0/16", "dst net 10.0.0.0 mask 255.0.0.0",
	"net 10.0.0.1/8", "net 2001:db8::/32", "ip6 net fe80::/10", "net ::/0", "net 0.0.0.0/0", "ip net 172.16.0.0/12",
	"net 10.0.0.0/33", "net 224.0.0.0/4", "host 10.0.0.0/8", "arp net 10.0.0.0/8", "src net 10.0.0.0/31",
	"net 10.0.0.0 mask 255.0.0.1", "net 2001:db8::/129", "net 2001:db8::1/32", "host 2001:db8::/32",
	"dst net 2001:db8:1::/48", "net 10.0.0.0/8 or 2001:db8::/32", "not net 127.0.0.0/8", "net 10/8",
	"src and dst net 10.0.0.0/8", "ip6 net 10.0.0.0/8", "ip net fe80::/10",

	// ports
	"port 80", "port 53", "tcp port 443", "udp port 53", "sctp port 80", "src port 53", "dst port 80",
	"tcp src port 22", "udp dst port 67", "port 53 or 80", "port 53 and 80", "src or dst port 53",
	"src and dst port 53", "port 70000", "port http", "port domain", "tcp port domain", "udp port domain",
	"port ssh", "udp port ssh", "tcp port ssh", "port ntp", "port bootps or port bootpc", "port https",
	"tcp port ftp-data", "port nosuchservice", "icmp port 80", "ip port 80", "port 53 or 80 or 443",
	"tcp port 80 or 443", "udp port 53 and not 5353", "tcp src port 80 or dst port 443", "port 0", "port 65535",
	"port ftp", "sctp port ssh", "udp port http", "port mdns", "port 0x50", "port 020",
	"tcp dst port 80 and tcp src port 1000", "port 80 and not tcp",

	// port ranges
	"portrange 1000-2000", "udp portrange 1000-2000", "tcp src portrange 0-1023", "portrange 2000-1000",
	"dst portrange 53-53", "portrange ftp-data-ftp", "portrange 20-21", "portrange 1-65535", "portrange 0-70000",
	"sctp portrange 1-100", "icmp portrange 1-2", "portrange 53", "src or dst portrange 1000-2000",
	"src and dst portrange 1-1024", "udp portrange 53-53 or 67-68",

	// proto
	"ip proto 6", "ip proto \\tcp", "proto \\udp", "ip6 proto 58", "proto 17", "ether proto 0x800",
	"ether proto \\ip", "ether proto \\arp", "ether proto \\ip6", "ether proto 0x86dd", "link proto 0x806",
	"tcp proto 6", "arp proto 1", "ip proto 300", "ip proto \\icmp", "ip6 proto \\tcp", "proto \\sctp",
	"ip proto \\nosuchproto", "ether proto 100", "ether proto 0x42", "ether proto \\rarp", "ether proto \\nosuch",
	"proto 1 or proto 58", "ip proto 17 and udp port 53", "src proto 6", "ip6 proto 44", "ether proto 0x8100",
	"ether proto \\mopdl", "ip proto \\ospf", "proto \\gre",

	// arithmetic and loads
	"tcp[13] & 2 != 0", "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn", "tcp[tcpflags] & tcp-syn != 0",
	"tcp[tcpflags] & (tcp-fin|tcp-rst) != 0", "icmp[icmptype] = icmp-echo",
	"icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply", "icmp[icmpcode] = 1", "ip[2:2] > 576",
	"ip6[6] = 58", "ether[0] & 1 != 0", "ether[0] & 1 = 0", "ether[12:2] = 0x800", "ip[0] & 0xf > 5",
	"icmp6 and ip6[40] = 128", "icmp6[0] = 128", "icmp6[icmp6type] = icmp6-echo", "icmp6[icmp6type] = icmp6-neighborsolicit",
	"udp[0:2] = 53", "udp[2:2] = 53 or udp[0:2] = 53", "tcp[0:2] > 1023", "ip[9] = 6", "ip[6:2] & 0x1fff = 0",
	"ip[8] < 65", "ip[12:4] = 0x01020304", "ip[16:4] = 0x0a000002", "len > 100", "len < 100", "len >= 60",
	"len <= 64", "len = 60", "len != 60", "less 100", "greater 1000", "less 100 or greater 1000", "len - 14 > 100",
	"len * 2 > 300", "len / 2 > 100", "len % 64 = 0", "len & 1 = 1", "len | 1 = 61", "len ^ 1 = 61",
	"len << 1 > 200", "len >> 1 > 50", "-len < 0", "- 1 = 0xffffffff", "ip[0] % 3 + 1 = 0", "ip[0] ^ 3 & 1 = 0",
	"1 = 1", "1 = 2", "2 > 1", "ip[ip[0] & 0xf] > 0", "ether[ether[0] & 3] = 0", "tcp[(tcp[12] >> 4) * 4] = 0x16",
	"tcp[((tcp[12] & 0xf0) >> 2):4] = 0x47455420", "udp[8] = 0",
	"ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) != 0", "ip[0] / 0 = 1", "ip[0] % 0 = 1",
	"ip[0] << 32 = 0", "ip[0:3] = 1", "arp[6:2] = 1", "rarp[7] = 3", "ip6[0] & 0xf0 = 0x60", "sctp[0:2] = 80",
	"igmp[0] = 0x11", "pim[0] & 0xf = 0", "vrrp[0] = 0x21", "ah[0] = 1", "link[0] = 0xff", "ppp[2:2] = 0x21",
	"ether[100] = 0 or ip", "ip or ether[100] = 0", "tcp[100:4] = 0", "ether[-1] = 0", "ip[1 - 2] = 0",
	"len - 1 > 0", "len-1>0", "ip[0] * 0 = 0", "(ip[0] & 0xf) * 4 = 20", "ip[0] + ip[1] + ip[2] + ip[3] > 100",
	"ip[0] * ip[1] - ip[2] / (ip[3] | 1) > 7", "ether[6:4] = 0x00112233 and ether[10:2] = 0x4455",
	"ip[0:4] & 0xff = ip[4:4] & 0xff", "tcp[0:2] = tcp[2:2]", "udp[0:2] = udp[2:2] or tcp[0:2] = tcp[2:2]",
	"1 + 2 * 3 = 7", "(1 + 2) * 3 = 9", "2 * 3 % 4 = 2", "7 - 2 - 1 = 4", "16 >> 2 >> 1 = 2", "1 << 2 + 1 = 8",
	"ip[0] - 1 + 1 = ip[0]", "len > 100 and len < 200", "tcp[13] = 2 or tcp[13] = 18",
	"ip6[6] = 6 or ip6[6] = 17", "ip[1] & 0xfc = 0xb8", "ip6[0:4] & 0x0ff00000 != 0", "icmp6[0] > 127",
	"tcp[12] >> 4 > 5", "udp[4:2] < 8", "ether[12:2] > 1500", "ip[ip[0]] = 1", "ip[3] = ip[2]", "ip[0:2] >= 0x4500",

	// vlan, mpls, pppoe
	"vlan", "vlan 100", "vlan and ip", "vlan 100 and ip", "vlan and vlan", "vlan and vlan and ip",
	"vlan 100 and vlan 200", "vlan and vlan 200 and ip", "vlan or ip", "not vlan", "vlan and tcp port 80",
	"vlan and host 10.0.0.1", "vlan 100 or vlan 200", "vlan and ip6", "vlan and arp", "vlan 4096", "vlan 0x64",
	"vlan and not ip", "ip or vlan and ip", "vlan and vlan and vlan and ip", "vlan (100) and udp", "not vlan and ip",
	"vlan and ether[12:2] = 0x800", "vlan and ip[9] = 6", "vlan and tcp[13] & 2 != 0", "vlan and mpls and ip",
	"mpls", "mpls 5", "mpls and ip", "mpls 5 and mpls 16", "mpls and mpls and ip", "mpls and ip6",
	"mpls and host 10.0.0.1", "mpls and arp", "mpls and vlan", "mpls 0x100000", "mpls 16 and tcp",
	"mpls and udp port 53", "not mpls", "mpls or ip", "mpls and mpls 100 and ip6", "mpls and ip[9] = 17",
	"pppoes", "pppoes 3", "pppoes and ip", "pppoes 3 and tcp", "pppoes and ip6", "pppoes and host 10.0.0.1",
	"pppoes and ether[0] = 0", "pppoed", "pppoes and mpls", "pppoes and vlan", "pppoes 0x10000",
	"vlan and pppoes and ip", "pppoes and udp port 53", "not pppoes", "pppoes or ip", "pppoes and ip[9] = 6",
	"pppoes and tcp[13] & 2 != 0", "pppoes 4 and ip6 and icmp6",

	// link layer
	"ether broadcast", "broadcast", "ether multicast", "multicast", "ip broadcast", "ip multicast",
	"ip6 multicast", "tcp broadcast", "not ether broadcast and ether multicast", "ip6 broadcast", "arp multicast",
	"ether host 00:11:22:33:44:55", "ether src 00:11:22:33:44:55", "ether dst ff:ff:ff:ff:ff:ff",
	"ether host 00-11-22-33-44-55", "ether host 0011.2233.4455", "ether src host 02:00:00:00:00:01",
	"ether src 00:11:22:33:44:55 and ether dst 00:11:22:33:44:66",
	"ether host 00:11:22:33:44:55 or 00:11:22:33:44:66", "host 00:11:22:33:44:55", "ether host 1:2:3",
	"ether src and dst 00:11:22:33:44:55", "ether dst 1:0:5e:0:0:fb", "not ether src 00:11:22:33:44:55",
	"ether host nosuchmachine", "ether net 10.0.0.0/8", "ether proto \\ip and ether broadcast",

	// direction
	"inbound", "outbound", "inbound and tcp", "not outbound", "outbound or udp", "ifindex 1", "ifindex 0 and tcp",
	"not ifindex 2",

	// precedence, inheritance, and odd ones
	"port 53 and not host 10.0.0.1 or udp", "tcp and (port 80 or port 443)", "host 1.2.3.4 and not port 22",
	"not (port 22 or port 443)", "tcp or udp and port 53", "tcp and udp or icmp", "not tcp and udp",
	"!tcp && !udp", "tcp || udp && port 53", "port 80 or tcp and udp",
	"(tcp port 80 or tcp port 443) and host 10.0.0.1", "host 10.0.0.1 and (port 53 or 80)",
	"host 10.0.0.1 or 10.0.0.2 and port 53", "src host 10.0.0.1 or dst host 10.0.0.2",
	"ip and udp and (port 67 or port 68)", "(host 10.0.0.1) or 10.0.0.2", "tcp or 80", "host 1.2.3.4 or",
	"", "and", "tcp tcp", "port", "host", "(tcp", "tcp)", "ip[", "foo", "10.0.0.1", "not", "tcp and not",
	"host 10.0.0.1 and not 10.0.0.2 or 1.2.3.4", "src host 10.0.0.1 and (dst port 53 or 80)",
	"tcp port 80 and (tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420)", "host 10.0.0.1 and ip6",
	"not port 53 and not arp", "(not tcp) or (not udp)", "not (tcp and udp)", "ip && tcp || ip6 && udp",
	"port 22 or port 23 or port 80 or port 443 or port 8080 or port 53 or port 123",
	"tcp port 443 or (vlan and udp)", "udp and not port 53 and not port 123 and not port 5353",
	"icmp[icmptype] = icmp-unreach and icmp[icmpcode] = 3", "dst port 80 and src 10.0.0.1",
	"ip6 and tcp[13]&2 != 0", "not ip and not ip6", "ip6 or not ip6", "tcp or not tcp",
	"host 10.0.0.1 and (10.0.0.2 or 1.2.3.4)", "src 10.0.0.1 or 10.0.0.2", "tcp[13] & 0x12 = 0x12 and port 80",
	"TCP", "Host 1.2.3.4", "tcp and ( udp )", "ip proto 6 or 17", "ip6 proto 6 or 17", "proto 6 or 17",
	"ether proto 0x800 or 0x86dd", "port 53 or portrange 1000-2000", "net 10.0.0.0/8 or 192.168.0.0/16",
	"byte 0 = 0x45", "byte 14 > 0x44", "byte 1 < 3", "byte 0 & 1", "byte 0 | 1",

	// what pktop refuses (libpcap compiles some of them): each must get
	// an error saying it is not supported
	"geneve", "geneve 5", "ip protochain 6", "protochain \\tcp", "gateway localhost", "llc",
	"stp", "ipx", "netbeui", "iso", "atalk", "aarp", "decnet host 1.2", "net loopback", "ether host localhost",
	"ip6 protochain 6", "radio[0] = 0", "iso proto 1", "wlan addr1 00:11:22:33:44:55", "type data",
	"lane", "vpi 1", "fisu", "on eth0", "batadv", "clnp", "esis", "isis", "l1", "ether proto \\iso",
	"ether proto \\stp", "ether proto 0xfe",
}

// crossExprs adds every combination of direction and protocol for host,
// port and portrange.
func crossExprs() []string {
	var out []string
	for _, dir := range []string{"", "src ", "dst ", "src or dst ", "src and dst "} {
		for _, p := range []string{"", "ip ", "arp ", "rarp ", "ip6 "} {
			out = append(out, fmt.Sprintf("%s%shost 10.0.0.1", p, dir))
		}
		for _, p := range []string{"", "tcp ", "udp ", "sctp "} {
			out = append(out, fmt.Sprintf("%s%sport 53", p, dir))
			out = append(out, fmt.Sprintf("%s%sportrange 50-60", p, dir))
		}
		out = append(out, fmt.Sprintf("%snet 10.0.0.0/8", dir))
		out = append(out, fmt.Sprintf("ip6 %snet 2001:db8::/32", dir))
	}
	// Long programs: jumps farther than 255 instructions need ja.
	var ors, ands []string
	for _, p := range genPorts {
		ors = append(ors, fmt.Sprintf("port %d", p))
		ands = append(ands, fmt.Sprintf("not host 10.0.0.%d", p%256))
	}
	for i := 0; i < 40; i++ {
		ors = append(ors, fmt.Sprintf("port %d", 3000+i))
	}
	out = append(out, strings.Join(ors, " or "), strings.Join(ands, " and ")+" and ("+strings.Join(ors[:20], " or ")+")")
	return out
}
