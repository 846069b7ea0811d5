package procs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// The sock_diag protocol (linux/sock_diag.h, linux/inet_diag.h), encoded and
// decoded here as plain bytes so that the decoders run on recorded
// messages on any OS. Numbers are the kernel's, host byte order (all
// Linux targets pktop supports are little-endian) except ports and
// addresses, which are network order.
const (
	nlmsgHdrLen      = 16
	nlmsgError       = 2
	nlmsgDone        = 3
	nlmFRequest      = 0x1
	nlmFMulti        = 0x2
	nlmFRoot         = 0x100
	nlmFMatch        = 0x200
	nlmFDump         = nlmFRoot | nlmFMatch
	sockDiagByFamily = 20

	inetDiagReqLen = 56 // struct inet_diag_req_v2
	inetDiagMsgLen = 72 // struct inet_diag_msg

	inetDiagProtocol = 10 // INET_DIAG_PROTOCOL: u8, in close notices
	inetDiagCgroupID = 21 // INET_DIAG_CGROUP_ID: u64, Linux 5.7+

	afInet  = 2
	afInet6 = 10

	tcpEstablished = 1
	tcpTimeWait    = 6
	tcpListen      = 10
	allStates      = 0xffffffff
	noCookie       = 0xffffffff
)

// Multicast groups of NETLINK_SOCK_DIAG on which the kernel reports each
// socket it frees (Linux 4.10+, CAP_NET_ADMIN to join).
const (
	grpTCP4Destroy = 1
	grpUDP4Destroy = 2
	grpTCP6Destroy = 3
	grpUDP6Destroy = 4
)

// errShort is wrapped by every decoder error about a message cut short.
var errShort = errors.New("sock_diag message cut short")

// diagSock is one socket as sock_diag describes it.
type diagSock struct {
	Family, State uint8
	// Src is the socket's local end, Dst its peer (zero port and
	// unspecified address when not connected).
	Src, Dst netip.AddrPort
	Ifindex  uint32
	Cookie   uint64
	UID      uint32
	Inode    uint32
	// Cgroup is the cgroup v2 id of the socket (0 when the kernel did not
	// say: TIME_WAIT remnants, kernels before 5.7).
	Cgroup uint64
	// Proto is the socket's protocol when the kernel says it (close
	// notices carry INET_DIAG_PROTOCOL), else 0.
	Proto uint8
}

// diagRequest encodes an exact lookup of one socket (SOCK_DIAG_BY_FAMILY
// without NLM_F_DUMP). local and remote are the socket's ends. The kernel
// reads the two ends of the request in opposite orders for TCP and UDP:
// TCP (inet_diag_find_one_icsk) takes idiag_src as the local end, UDP
// (udp_dump_one, "src and dst are swapped for historical reasons") takes
// idiag_src as the remote end; both then find the socket the kernel would
// deliver a packet from remote to local to, so an unconnected UDP socket
// bound to a wildcard address is found too, and for TCP a listening socket
// when no connection matches.
func diagRequest(seq uint32, proto uint8, local, remote netip.AddrPort) []byte {
	fam := uint8(afInet)
	if local.Addr().Is6() && !local.Addr().Is4In6() {
		fam = afInet6
	}
	src, dst := local, remote
	if proto == ProtoUDP {
		src, dst = remote, local
	}
	b := make([]byte, nlmsgHdrLen+inetDiagReqLen)
	putNlmsg(b, sockDiagByFamily, nlmFRequest, seq)
	r := b[nlmsgHdrLen:]
	r[0], r[1] = fam, proto
	binary.LittleEndian.PutUint32(r[4:], allStates)
	putSockID(r[8:], fam, src, dst, 0, noCookie, noCookie)
	return b
}

// diagDumpRequest encodes a dump of every socket of one family and
// protocol in the given states (a bit mask of 1<<state).
func diagDumpRequest(seq uint32, fam, proto uint8, states uint32) []byte {
	b := make([]byte, nlmsgHdrLen+inetDiagReqLen)
	putNlmsg(b, sockDiagByFamily, nlmFRequest|nlmFDump, seq)
	r := b[nlmsgHdrLen:]
	r[0], r[1] = fam, proto
	binary.LittleEndian.PutUint32(r[4:], states)
	binary.LittleEndian.PutUint32(r[8+40:], noCookie)
	binary.LittleEndian.PutUint32(r[8+44:], noCookie)
	return b
}

func putNlmsg(b []byte, typ, flags uint16, seq uint32) {
	binary.LittleEndian.PutUint32(b[0:], uint32(len(b)))
	binary.LittleEndian.PutUint16(b[4:], typ)
	binary.LittleEndian.PutUint16(b[6:], flags)
	binary.LittleEndian.PutUint32(b[8:], seq)
}

// putSockID writes a struct inet_diag_sockid (48 bytes).
func putSockID(b []byte, fam uint8, src, dst netip.AddrPort, ifindex, c0, c1 uint32) {
	binary.BigEndian.PutUint16(b[0:], src.Port())
	binary.BigEndian.PutUint16(b[2:], dst.Port())
	putAddr(b[4:20], fam, src.Addr())
	putAddr(b[20:36], fam, dst.Addr())
	binary.LittleEndian.PutUint32(b[36:], ifindex)
	binary.LittleEndian.PutUint32(b[40:], c0)
	binary.LittleEndian.PutUint32(b[44:], c1)
}

func putAddr(b []byte, fam uint8, a netip.Addr) {
	if !a.IsValid() {
		return
	}
	if fam == afInet {
		v4 := a.Unmap().As4()
		copy(b, v4[:])
		return
	}
	v6 := a.As16()
	copy(b, v6[:])
}

func getAddr(b []byte, fam uint8) netip.Addr {
	if fam == afInet {
		return netip.AddrFrom4([4]byte(b[:4]))
	}
	a := netip.AddrFrom16([16]byte(b[:16]))
	if a.Is4In6() {
		// A dual-stack socket's IPv4 peer: name it as the packet does.
		return a.Unmap()
	}
	return a
}

// nlMessage is one netlink message of a receive buffer.
type nlMessage struct {
	Type  uint16
	Flags uint16
	Seq   uint32
	Data  []byte
}

// splitNetlink cuts a receive buffer into its messages. The data of each
// aliases buf.
func splitNetlink(buf []byte) ([]nlMessage, error) {
	var out []nlMessage
	for len(buf) >= nlmsgHdrLen {
		l := int(binary.LittleEndian.Uint32(buf))
		if l < nlmsgHdrLen || l > len(buf) {
			return out, fmt.Errorf("netlink message of %d bytes in %d: %w", l, len(buf), errShort)
		}
		out = append(out, nlMessage{
			Type:  binary.LittleEndian.Uint16(buf[4:]),
			Flags: binary.LittleEndian.Uint16(buf[6:]),
			Seq:   binary.LittleEndian.Uint32(buf[8:]),
			Data:  buf[nlmsgHdrLen:l],
		})
		l = (l + 3) &^ 3
		if l > len(buf) {
			break
		}
		buf = buf[l:]
	}
	return out, nil
}

// nlError decodes the errno of an NLMSG_ERROR message (0 is an ack).
func nlError(data []byte) (int32, error) {
	if len(data) < 4 {
		return 0, fmt.Errorf("netlink error message of %d bytes: %w", len(data), errShort)
	}
	return -int32(binary.LittleEndian.Uint32(data)), nil
}

// parseDiagMsg decodes a struct inet_diag_msg and its attributes.
func parseDiagMsg(b []byte) (diagSock, error) {
	var s diagSock
	if len(b) < inetDiagMsgLen {
		return s, fmt.Errorf("inet_diag_msg of %d bytes, want %d: %w", len(b), inetDiagMsgLen, errShort)
	}
	s.Family, s.State = b[0], b[1]
	if s.Family != afInet && s.Family != afInet6 {
		return s, fmt.Errorf("inet_diag_msg: family %d is neither AF_INET nor AF_INET6", s.Family)
	}
	id := b[4:52]
	s.Src = netip.AddrPortFrom(getAddr(id[4:20], s.Family), binary.BigEndian.Uint16(id[0:]))
	s.Dst = netip.AddrPortFrom(getAddr(id[20:36], s.Family), binary.BigEndian.Uint16(id[2:]))
	s.Ifindex = binary.LittleEndian.Uint32(id[36:])
	s.Cookie = uint64(binary.LittleEndian.Uint32(id[40:])) | uint64(binary.LittleEndian.Uint32(id[44:]))<<32
	s.UID = binary.LittleEndian.Uint32(b[64:])
	s.Inode = binary.LittleEndian.Uint32(b[68:])
	attrs := b[inetDiagMsgLen:]
	for len(attrs) >= 4 {
		l := int(binary.LittleEndian.Uint16(attrs))
		t := binary.LittleEndian.Uint16(attrs[2:]) & 0x3fff
		if l < 4 || l > len(attrs) {
			return s, fmt.Errorf("inet_diag attribute %d of %d bytes in %d: %w", t, l, len(attrs), errShort)
		}
		switch {
		case t == inetDiagCgroupID && l >= 12:
			s.Cgroup = binary.LittleEndian.Uint64(attrs[4:])
		case t == inetDiagProtocol && l >= 5:
			s.Proto = attrs[4]
		}
		l = (l + 3) &^ 3
		if l > len(attrs) {
			break
		}
		attrs = attrs[l:]
	}
	return s, nil
}

// NETLINK_ROUTE addresses (linux/if_addr.h, linux/rtnetlink.h).
const (
	rtmNewAddr    = 20
	rtmGetAddr    = 22
	ifaAddress    = 1
	ifaLocal      = 2
	ifaddrmsgLen  = 8
	maxLocalAddrs = 4096 // per namespace
)

// addrDumpRequest asks for every address of every interface.
func addrDumpRequest(seq uint32) []byte {
	b := make([]byte, nlmsgHdrLen+ifaddrmsgLen)
	putNlmsg(b, rtmGetAddr, nlmFRequest|nlmFDump, seq)
	return b
}

// parseAddrMsg reads an RTM_NEWADDR message: the local address of an
// interface (IFA_LOCAL, which differs from IFA_ADDRESS on point-to-point
// links, or else IFA_ADDRESS).
func parseAddrMsg(m nlMessage) (netip.Addr, bool) {
	if m.Type != rtmNewAddr || len(m.Data) < ifaddrmsgLen {
		return netip.Addr{}, false
	}
	var addr, local netip.Addr
	attrs := m.Data[ifaddrmsgLen:]
	for len(attrs) >= 4 {
		l := int(binary.LittleEndian.Uint16(attrs))
		t := binary.LittleEndian.Uint16(attrs[2:])
		if l < 4 || l > len(attrs) {
			break
		}
		v := attrs[4:l]
		var a netip.Addr
		switch len(v) {
		case 4:
			a = netip.AddrFrom4([4]byte(v))
		case 16:
			a = netip.AddrFrom16([16]byte(v))
		}
		switch t {
		case ifaAddress:
			addr = a
		case ifaLocal:
			local = a
		}
		l = (l + 3) &^ 3
		if l > len(attrs) {
			break
		}
		attrs = attrs[l:]
	}
	if local.IsValid() {
		return local, true
	}
	return addr, addr.IsValid()
}
