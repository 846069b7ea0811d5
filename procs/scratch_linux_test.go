package procs

import (
	"encoding/hex"
	"net"
	"net/netip"
	"testing"
	"time"
	"golang.org/x/sys/unix"
)

func raw(t *testing.T, c *diagConn, req []byte) []byte {
	unix.Sendto(c.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
	n, _, err := unix.Recvfrom(c.fd, c.buf, 0)
	if err != nil { t.Fatal(err) }
	return append([]byte(nil), c.buf[:n]...)
}

func TestScratchRecord(t *testing.T) {
	c, _ := newDiagConn()
	d, _ := newDestroyConn()
	ln, _ := net.Listen("tcp4", "127.0.0.1:0")
	go func() { c, _ := ln.Accept(); b := make([]byte, 10); c.Read(b); c.Close() }()
	cl, _ := net.Dial("tcp4", ln.Addr().String())
	l := netip.MustParseAddrPort(cl.LocalAddr().String())
	rm := netip.MustParseAddrPort(cl.RemoteAddr().String())
	t.Logf("tcp established %v %v\n%s", l, rm, hex.EncodeToString(raw(t, c, diagRequest(1, ProtoTCP, l, rm))))
	cl.Write([]byte("x")); time.Sleep(30*time.Millisecond); cl.Close(); time.Sleep(30*time.Millisecond)
	t.Logf("tcp timewait (server side) %v %v\n%s", rm, l, hex.EncodeToString(raw(t, c, diagRequest(2, ProtoTCP, rm, l))))
	t.Logf("tcp gone %s", hex.EncodeToString(raw(t, c, diagRequest(3, ProtoTCP, l, rm))))
	u6, _ := net.ListenUDP("udp6", &net.UDPAddr{IP: net.ParseIP("::1"), Port: 0})
	p := netip.MustParseAddrPort(u6.LocalAddr().String())
	t.Logf("udp6 %v\n%s", p, hex.EncodeToString(raw(t, c, diagRequest(4, ProtoUDP, p, netip.MustParseAddrPort("[::1]:53")))))
	u6.Close()
	time.Sleep(30*time.Millisecond)
	msgs, lost, err := d.recvNoWait()
	for _, m := range msgs { s, err := parseDiagMsg(m.Data); t.Logf("destroy %+v %v", s, err) }
	t.Log(lost, err)
	n, _, _ := unix.Recvfrom(d.fd, d.buf, unix.MSG_DONTWAIT)
	if n > 0 { t.Logf("destroy raw\n%s", hex.EncodeToString(d.buf[:n])) }
	rt, _ := newNetlink(unix.NETLINK_ROUTE, 0)
	rt.seq = 9
	t.Logf("addr dump first datagram\n%s", hex.EncodeToString(raw(t, rt, addrDumpRequest(9))))
}
