package sniff

import (
	"bytes"
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/pktop/pktop/model"
)

// Application protocols by well-known port. A frame is put under the
// application of its lower known port; when neither port is known, a
// cheap look at the payload may still recognise TLS, HTTP or SSH.
var tcpApps, udpApps = portTable(buildAppPorts())

func portTable(tcp, udp map[uint16]model.App) (t, u *[65536]model.App) {
	t, u = new([65536]model.App), new([65536]model.App)
	for p, a := range tcp {
		t[p] = a
	}
	for p, a := range udp {
		u[p] = a
	}
	return
}

func buildAppPorts() (tcp, udp map[uint16]model.App) {
	tcp = map[uint16]model.App{
		20: model.AppFTP, 21: model.AppFTP, 22: model.AppSSH, 23: model.AppTelnet,
		25: model.AppSMTP, 465: model.AppSMTP, 587: model.AppSMTP, 53: model.AppDNS,
		80: model.AppHTTP, 8080: model.AppHTTP, 8000: model.AppHTTP, 3128: model.AppHTTP,
		443: model.AppTLS, 8443: model.AppTLS, 993: model.AppIMAP, 995: model.AppPOP3,
		853: model.AppTLS, 636: model.AppLDAP, 110: model.AppPOP3, 143: model.AppIMAP,
		139: model.AppNetBIOS, 445: model.AppSMB, 3389: model.AppRDP, 5060: model.AppSIP,
		5061: model.AppSIP, 179: model.AppBGP, 3306: model.AppMySQL, 5432: model.AppPostgres,
		6379: model.AppRedis, 389: model.AppLDAP, 88: model.AppKerberos, 1194: model.AppOpenVPN,
		1883: model.AppMQTT, 8883: model.AppMQTT, 554: model.AppRTSP, 6000: model.AppX11,
		2049: model.AppNFS, 111: model.AppNFS, 11211: model.AppMemcached, 27017: model.AppMongoDB,
		5672: model.AppAMQP, 9092: model.AppKafka, 5900: model.AppVNC,
	}
	udp = map[uint16]model.App{
		53: model.AppDNS, 5353: model.AppMDNS, 5355: model.AppLLMNR, 123: model.AppNTP,
		67: model.AppDHCP, 68: model.AppDHCP, 546: model.AppDHCPv6, 547: model.AppDHCPv6,
		161: model.AppSNMP, 162: model.AppSNMP, 514: model.AppSyslog, 137: model.AppNetBIOS,
		138: model.AppNetBIOS, 5060: model.AppSIP, 88: model.AppKerberos, 1812: model.AppRADIUS,
		1813: model.AppRADIUS, 1194: model.AppOpenVPN, 51820: model.AppWireGuard,
		1900: model.AppSSDP, 500: model.AppIKE, 4500: model.AppIKE, 520: model.AppRIP,
		69: model.AppTFTP, 6696: model.AppBabel, 2049: model.AppNFS, 111: model.AppNFS,
		443: model.AppQUIC, 80: model.AppQUIC, 11211: model.AppMemcached, 3389: model.AppRDP,
	}
	return
}

// byPort returns the application of the lower port that has one.
func byPort(m *[65536]model.App, sp, dp uint16) model.App {
	lo, hi := sp, dp
	if hi < lo {
		lo, hi = hi, lo
	}
	if a := m[lo]; a != model.AppNone {
		return a
	}
	return m[hi]
}

func (d *Decoder) tcpApp(sp, dp uint16, payload []byte) model.App {
	if a := byPort(tcpApps, sp, dp); a != model.AppNone {
		return a
	}
	return signature(payload)
}

func (d *Decoder) udpApp(sp, dp uint16, payload []byte) model.App {
	return byPort(udpApps, sp, dp)
}

var httpMethods = [][]byte{[]byte("GET "), []byte("POST "), []byte("HEAD "), []byte("PUT "),
	[]byte("DELETE "), []byte("OPTIONS "), []byte("PATCH "), []byte("CONNECT "), []byte("HTTP/1.")}

// signature recognises a few protocols from the first bytes of a TCP
// payload, for traffic on ports that name none.
func signature(b []byte) model.App {
	if len(b) < 5 {
		return model.AppNone
	}
	if b[0] >= 0x14 && b[0] <= 0x17 && b[1] == 3 && b[2] <= 4 {
		return model.AppTLS
	}
	if bytes.HasPrefix(b, []byte("SSH-")) {
		return model.AppSSH
	}
	for _, m := range httpMethods {
		if bytes.HasPrefix(b, m) {
			return model.AppHTTP
		}
	}
	return model.AppNone
}

// learnUDP learns names from DNS, mDNS and LLMNR answers, but only from
// answers to questions it saw asked: an unsolicited answer (anyone on the
// network can send one) teaches nothing. A unicast DNS answer must come
// from the server the question went to, to the client's port, with the
// question's id and name; a multicast (mDNS, LLMNR) answer must name what
// was asked recently.
func (d *Decoder) learnUDP(app model.App, payload []byte, src, dst netip.Addr, sp, dp uint16) {
	if app != model.AppDNS && app != model.AppMDNS && app != model.AppLLMNR {
		return
	}
	if len(payload) < 12 {
		return
	}
	dns := &d.dns
	if dns.DecodeFromBytes(payload, gopacket.NilDecodeFeedback) != nil || len(dns.Questions) == 0 {
		return
	}
	// The name asked for, not the end of a CNAME chain: a CDN's
	// addresses answer for many names, and the one the client looked up
	// is the one its user knows.
	q := dns.Questions[0].Name
	multicast := app != model.AppDNS
	if !dns.QR {
		if multicast {
			d.asked.add(askKey{id: 0}, q)
		} else {
			d.asked.add(askKey{client: src, server: dst, cport: sp, sport: dp, id: dns.ID}, q)
		}
		return
	}
	k := askKey{client: dst, server: src, cport: dp, sport: sp, id: dns.ID}
	if multicast {
		k = askKey{id: 0}
	}
	if !d.asked.has(k, q) {
		return
	}
	for _, rr := range dns.Answers {
		if rr.Type != layers.DNSTypeA && rr.Type != layers.DNSTypeAAAA {
			continue
		}
		if a, ok := netip.AddrFromSlice(rr.IP); ok {
			d.addName(a.Unmap(), string(q), true)
		}
	}
}

// askKey identifies a DNS question: who asked whom, from which port,
// with which id (all zero for multicast questions, matched by name).
type askKey struct {
	client, server netip.Addr
	cport, sport   uint16
	id             uint16
}

// asked is a bounded set of DNS questions seen.
type asked struct {
	m map[askKey][]string
	n int
}

// maxAsked bounds the questions remembered; past it the oldest half (in
// no particular order) is forgotten.
const maxAsked = 4096

func (a *asked) add(k askKey, name []byte) {
	if len(name) == 0 || len(name) > 255 {
		return
	}
	if a.m == nil {
		a.m = make(map[askKey][]string)
	}
	names := a.m[k]
	for _, n := range names {
		if n == string(name) {
			return
		}
	}
	if a.n >= maxAsked {
		drop := a.n / 2
		for key, ns := range a.m {
			if drop <= 0 {
				break
			}
			delete(a.m, key)
			drop -= len(ns)
			a.n -= len(ns)
		}
		names = a.m[k]
	}
	if len(names) >= 16 {
		return
	}
	a.m[k] = append(names, string(name))
	a.n++
}

func (a *asked) has(k askKey, name []byte) bool {
	for _, n := range a.m[k] {
		if n == string(name) {
			return true
		}
	}
	return false
}

// learnTCP learns a server's name from a TLS ClientHello's SNI or an HTTP
// request's Host header.
func (d *Decoder) learnTCP(app model.App, payload []byte, src, dst netip.Addr) {
	switch {
	case payload[0] == 0x16:
		if sni := clientHelloSNI(payload); sni != "" {
			d.addName(dst, sni, false)
		}
	case app == model.AppHTTP:
		if h := httpHost(payload); h != "" {
			d.addName(dst, h, false)
		}
	}
}

func (d *Decoder) addName(a netip.Addr, name string, fromDNS bool) {
	if len(name) == 0 || len(name) > 253 {
		return
	}
	if len(d.names) < 4096 {
		d.names = append(d.names, model.Name{Addr: a, Name: name, FromDNS: fromDNS})
	}
}

// TakeNames returns the names learnt since the last call.
func (d *Decoder) TakeNames(into []model.Name) []model.Name {
	into = append(into, d.names...)
	d.names = d.names[:0]
	return into
}

// clientHelloSNI returns the server name of a TLS ClientHello that starts
// the payload, or "".
func clientHelloSNI(b []byte) string {
	// record header (5) + handshake header (4) + version (2) + random (32)
	if len(b) < 5+4+2+32+1 || b[0] != 0x16 || b[1] != 3 || b[5] != 1 {
		return ""
	}
	b = b[5+4+2+32:]
	skip := func(n int) bool {
		if n > len(b) {
			return false
		}
		b = b[n:]
		return true
	}
	if len(b) < 1 || !skip(1+int(b[0])) { // session id
		return ""
	}
	if len(b) < 2 || !skip(2+int(binary.BigEndian.Uint16(b))) { // cipher suites
		return ""
	}
	if len(b) < 1 || !skip(1+int(b[0])) { // compression methods
		return ""
	}
	if len(b) < 2 {
		return ""
	}
	b = b[2:]
	for len(b) >= 4 {
		typ := binary.BigEndian.Uint16(b)
		l := int(binary.BigEndian.Uint16(b[2:]))
		b = b[4:]
		if l > len(b) {
			return ""
		}
		if typ == 0 { // server_name
			e := b[:l]
			if len(e) < 5 || e[2] != 0 {
				return ""
			}
			n := int(binary.BigEndian.Uint16(e[3:]))
			if 5+n > len(e) {
				return ""
			}
			return string(e[5 : 5+n])
		}
		b = b[l:]
	}
	return ""
}

// httpHost returns the Host header of an HTTP request that starts the
// payload, or "".
func httpHost(b []byte) string {
	if len(b) < 5 || bytes.HasPrefix(b, []byte("HTTP/")) || signature(b) != model.AppHTTP {
		return ""
	}
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return ""
		}
		line := bytes.TrimRight(b[:i], "\r")
		b = b[i+1:]
		if len(line) == 0 {
			return ""
		}
		if len(line) > 5 && bytes.EqualFold(line[:5], []byte("host:")) {
			h := bytes.TrimSpace(line[5:])
			if j := bytes.LastIndexByte(h, ':'); j > 0 && bytes.IndexByte(h, ']') < j {
				h = h[:j]
			}
			return string(h)
		}
	}
	return ""
}

// ServiceName returns the IANA service name of a transport port ("https"
// for TCP 443), or "". Ports from 1024 on are named only when pktop knows
// their application (3306 mysql, 8080 http): the registered names of the
// ports clients pick at random (5011 "telelpathattack", 2222
// "EtherNet-IP-1") would pass for the service they are not.
func ServiceName(l4 uint8, port uint16) string {
	if port >= 1024 {
		var m *[65536]model.App
		switch l4 {
		case 6:
			m = tcpApps
		case 17, 136:
			m = udpApps
		}
		if m == nil || m[port] == model.AppNone {
			return ""
		}
	}
	var name string
	var ok bool
	switch l4 {
	case 6:
		name, ok = layers.TCPPortNames(layers.TCPPort(port))
	case 17, 136:
		name, ok = layers.UDPPortNames(layers.UDPPort(port))
	case 132:
		name, ok = layers.SCTPPortNames(layers.SCTPPort(port))
	}
	if !ok {
		return ""
	}
	return name
}
