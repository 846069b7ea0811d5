package model

import "math/bits"

// Proto is one protocol below the application layer that a frame can
// carry. Each has a bit in a ProtoSet.
type Proto uint8

// The protocols pktop counts below the application layer. Their names
// (Proto.String) follow the keys of the JSON report.
const (
	ProtoEthernet Proto = iota
	ProtoSLL            // Linux cooked capture, v1 and v2
	ProtoLoopback       // BSD loopback (NULL and LOOP)
	ProtoRawIP          // link types that start at the IP header
	ProtoPPP
	ProtoRadiotap
	ProtoWLAN // 802.11
	ProtoLLC
	ProtoVLAN // 802.1Q and 802.1ad
	ProtoMPLS
	ProtoPPPoE
	ProtoGRE
	ProtoVXLAN
	ProtoGeneve
	ProtoIPv4
	ProtoIPv6
	ProtoARP
	ProtoTCP
	ProtoUDP
	ProtoICMP
	ProtoICMPv6
	ProtoSCTP
	ProtoIGMP
	ProtoESP
	ProtoAH
	ProtoOSPF
	ProtoSTP
	ProtoCDP
	ProtoLLDP
	ProtoEAPOL
	ProtoNFLOG
	ProtoCHDLC
	ProtoFrameRelay
	ProtoIPv4Fragment // a non-first IPv4 fragment (no transport header)
	ProtoIPv6Fragment // a non-first IPv6 fragment
	ProtoUDPLite
	ProtoERSPAN
	ProtoGTP
	ProtoL2TP
	ProtoTeredo
	numProtos
)

// Layer groups protocols for display: link, tunnel, network, transport.
type Layer uint8

// The layers, from the wire up.
const (
	LayerLink Layer = iota
	LayerTunnel
	LayerNetwork
	LayerTransport
	LayerApplication
)

var layerNames = [...]string{"link", "tunnel", "network", "transport", "application"}

// String returns the layer's name.
func (l Layer) String() string {
	if int(l) < len(layerNames) {
		return layerNames[l]
	}
	return "?"
}

type protoInfo struct {
	name  string
	layer Layer
}

var protoInfos = [numProtos]protoInfo{
	ProtoEthernet:     {"eth", LayerLink},
	ProtoSLL:          {"sll", LayerLink},
	ProtoLoopback:     {"loopback", LayerLink},
	ProtoRawIP:        {"raw", LayerLink},
	ProtoPPP:          {"ppp", LayerLink},
	ProtoRadiotap:     {"radiotap", LayerLink},
	ProtoWLAN:         {"wlan", LayerLink},
	ProtoLLC:          {"llc", LayerLink},
	ProtoNFLOG:        {"nflog", LayerLink},
	ProtoCHDLC:        {"chdlc", LayerLink},
	ProtoFrameRelay:   {"fr", LayerLink},
	ProtoSTP:          {"stp", LayerLink},
	ProtoCDP:          {"cdp", LayerLink},
	ProtoLLDP:         {"lldp", LayerLink},
	ProtoEAPOL:        {"eapol", LayerLink},
	ProtoVLAN:         {"vlan", LayerTunnel},
	ProtoMPLS:         {"mpls", LayerTunnel},
	ProtoPPPoE:        {"pppoe", LayerTunnel},
	ProtoGRE:          {"gre", LayerTunnel},
	ProtoVXLAN:        {"vxlan", LayerTunnel},
	ProtoGeneve:       {"geneve", LayerTunnel},
	ProtoIPv4:         {"ipv4", LayerNetwork},
	ProtoIPv6:         {"ipv6", LayerNetwork},
	ProtoARP:          {"arp", LayerNetwork},
	ProtoIPv4Fragment: {"ipv4-frag", LayerNetwork},
	ProtoIPv6Fragment: {"ipv6-frag", LayerNetwork},
	ProtoTCP:          {"tcp", LayerTransport},
	ProtoUDP:          {"udp", LayerTransport},
	ProtoICMP:         {"icmp", LayerTransport},
	ProtoICMPv6:       {"icmpv6", LayerTransport},
	ProtoSCTP:         {"sctp", LayerTransport},
	ProtoIGMP:         {"igmp", LayerTransport},
	ProtoESP:          {"esp", LayerTransport},
	ProtoAH:           {"ah", LayerTransport},
	ProtoOSPF:         {"ospf", LayerTransport},
	ProtoUDPLite:      {"udplite", LayerTransport},
	ProtoERSPAN:       {"erspan", LayerTunnel},
	ProtoGTP:          {"gtp", LayerTunnel},
	ProtoL2TP:         {"l2tp", LayerTunnel},
	ProtoTeredo:       {"teredo", LayerTunnel},
}

// String returns the protocol's short lower-case name.
func (p Proto) String() string {
	if p < numProtos {
		return protoInfos[p].name
	}
	return "?"
}

// Layer returns the display layer of the protocol.
func (p Proto) Layer() Layer {
	if p < numProtos {
		return protoInfos[p].layer
	}
	return LayerLink
}

// ProtoSet is a set of Protos.
type ProtoSet uint64

// Add returns the set with p in it.
func (s ProtoSet) Add(p Proto) ProtoSet { return s | 1<<p }

// Has reports whether p is in the set.
func (s ProtoSet) Has(p Proto) bool { return s&(1<<p) != 0 }

// Each calls f for each protocol in the set, in Proto order.
func (s ProtoSet) Each(f func(Proto)) {
	for s != 0 {
		p := Proto(bits.TrailingZeros64(uint64(s)))
		f(p)
		s &^= 1 << p
	}
}

// App is an application protocol, identified by port or by signature.
type App uint8

// The application protocols pktop names. AppNone means none was found.
const (
	AppNone App = iota
	AppDNS
	AppMDNS
	AppLLMNR
	AppHTTP
	AppTLS
	AppQUIC
	AppSSH
	AppNTP
	AppDHCP
	AppDHCPv6
	AppSNMP
	AppSyslog
	AppNetBIOS
	AppSMB
	AppRDP
	AppSIP
	AppBGP
	AppSMTP
	AppIMAP
	AppPOP3
	AppFTP
	AppTelnet
	AppMySQL
	AppPostgres
	AppRedis
	AppLDAP
	AppKerberos
	AppRADIUS
	AppOpenVPN
	AppWireGuard
	AppSSDP
	AppMQTT
	AppIKE
	AppRTSP
	AppX11
	AppRIP
	AppTFTP
	AppBabel
	AppNFS
	AppMemcached
	AppMongoDB
	AppAMQP
	AppKafka
	AppVNC
	numApps
)

var appNames = [numApps]string{
	AppNone: "", AppDNS: "dns", AppMDNS: "mdns", AppLLMNR: "llmnr", AppHTTP: "http",
	AppTLS: "tls", AppQUIC: "quic", AppSSH: "ssh", AppNTP: "ntp", AppDHCP: "dhcp",
	AppDHCPv6: "dhcpv6", AppSNMP: "snmp", AppSyslog: "syslog", AppNetBIOS: "netbios",
	AppSMB: "smb", AppRDP: "rdp", AppSIP: "sip", AppBGP: "bgp", AppSMTP: "smtp",
	AppIMAP: "imap", AppPOP3: "pop3", AppFTP: "ftp", AppTelnet: "telnet",
	AppMySQL: "mysql", AppPostgres: "postgresql", AppRedis: "redis", AppLDAP: "ldap",
	AppKerberos: "kerberos", AppRADIUS: "radius", AppOpenVPN: "openvpn",
	AppWireGuard: "wireguard", AppSSDP: "ssdp", AppMQTT: "mqtt", AppIKE: "ike",
	AppRTSP: "rtsp", AppX11: "x11", AppRIP: "rip", AppTFTP: "tftp", AppBabel: "babel",
	AppNFS: "nfs", AppMemcached: "memcached", AppMongoDB: "mongodb", AppAMQP: "amqp",
	AppKafka: "kafka", AppVNC: "vnc",
}

// String returns the application protocol's name ("" for AppNone).
func (a App) String() string {
	if a < numApps {
		return appNames[a]
	}
	return "?"
}

// NumApps is the number of App values, AppNone included.
const NumApps = int(numApps)

// NumProtos is the number of Proto values.
const NumProtos = int(numProtos)
