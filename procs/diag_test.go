package procs

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

// Answers recorded from Linux 6.18: what the kernel sent back to
// diagRequest for a test's own loopback sockets, the first datagram of a
// close-notice socket and of an RTM_GETADDR dump.
const (
	recTCPEstablished = "7c0000001400000001000000447e000002010200b440a99b7f0000010000000000000000000000007f000001000000000000000000000000000000001100000000000000943a000000000000000000000000000008ed0000050008000000000008000f00000000000c00150001000000000000000600160052000000"
	recTCPTimeWait    = "600000001400000002000000447e000002060300a99bb4407f0000010000000000000000000000007f00000100000000000000000000000000000000130000000000000040ea00000000000000000000000000000000000008000f0000000000"
	recTCPGone        = "5c0000000200000003000000447e0000feffffff4800000014000100030000000000000002060000ffffffffb440a99b7f0000010000000000000000000000007f00000100000000000000000000000000000000ffffffffffffffff"
	recUDP6           = "840000001400000004000000447e00000a070000b5e800000000000000000000000000000000000100000000000000000000000000000000000000001400000000000000000000000000000000000000000000005be90000050008000000000005000b000100000008000f00000000000c00150001000000000000000600160010000000"
	recAddrDump       = "4c0000001400020009000000447e0000020880fe01000000080001007f000001080002007f000001070003006c6f0000080008008000000014000600ffffffffffffffff1800000018000000580000001400020009000000447e0000021880000400000008000100c000020208000200c000020208000400c00002ff090003006574683000000000080008008000000014000600ffffffffffffffff1800000018000000500000001400020009000000447e00000a8080fe01000000140001000000000000000000000000000000000114000600ffffffffffffffff1800000018000000080008008000000005000b0001000000480000001400020009000000447e00000a4082000400000014000100fd00000000000000000000000000000214000600ffffffffffffffff18000000180000000800080082000000500000001400020009000000447e00000a4080fd0400000014000100fe8000000000000000fc00fffe00000114000600ffffffffffffffff1800000018000000080008008000000005000b0003000000"
	// A close notice (SKNLGRP_INET6_TCP_DESTROY) of a dual-stack socket
	// connected from 127.0.0.1:48601, cookie 4108: the message carries
	// INET_DIAG_PROTOCOL and the TCP info the kernel adds.
	recDestroyHead = "7c0100001400000000000000000000000a070000bdd9000000000000000000000000ffff7f00000100000000000000000000000000000000000000000c10000000000000000000000000000000000000000000000000000005000a0006000000"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func oneMessage(t *testing.T, s string) nlMessage {
	t.Helper()
	msgs, err := splitNetlink(unhex(t, s))
	if err != nil || len(msgs) != 1 {
		t.Fatalf("split: %d messages, %v", len(msgs), err)
	}
	return msgs[0]
}

func TestDecodeRecordedAnswers(t *testing.T) {
	m := oneMessage(t, recTCPEstablished)
	if m.Type != sockDiagByFamily || m.Seq != 1 {
		t.Fatalf("type %d seq %d", m.Type, m.Seq)
	}
	s, err := parseDiagMsg(m.Data)
	if err != nil {
		t.Fatal(err)
	}
	want := diagSock{Family: afInet, State: tcpEstablished,
		Src: netip.MustParseAddrPort("127.0.0.1:46144"), Dst: netip.MustParseAddrPort("127.0.0.1:43419"),
		Cookie: 0x11, Inode: 60680, Cgroup: 1}
	if s != want {
		t.Errorf("established:\n got %+v\nwant %+v", s, want)
	}

	s, err = parseDiagMsg(oneMessage(t, recTCPTimeWait).Data)
	if err != nil {
		t.Fatal(err)
	}
	if s.State != tcpTimeWait || s.Inode != 0 || s.Cookie != 0x13 || s.Src.Port() != 43419 || s.Cgroup != 0 {
		t.Errorf("time-wait: %+v", s)
	}

	m = oneMessage(t, recTCPGone)
	if m.Type != nlmsgError {
		t.Fatalf("gone: type %d", m.Type)
	}
	if e, err := nlError(m.Data); err != nil || e != 2 {
		t.Errorf("gone: errno %d, %v; want ENOENT (2)", e, err)
	}

	s, err = parseDiagMsg(oneMessage(t, recUDP6).Data)
	if err != nil {
		t.Fatal(err)
	}
	if s.Family != afInet6 || s.State != 7 || s.Src != netip.MustParseAddrPort("[::1]:46568") ||
		s.Dst != netip.MustParseAddrPort("[::]:0") || s.Inode != 59739 || s.Cookie != 0x14 {
		t.Errorf("udp6: %+v", s)
	}
}

func TestDecodeCloseNotice(t *testing.T) {
	b := unhex(t, recDestroyHead)
	// The recording was cut after the protocol attribute: fix the length.
	b[0], b[1] = byte(len(b)), 0
	s, err := parseDiagMsg(oneMessage(t, hex.EncodeToString(b)).Data)
	if err != nil {
		t.Fatal(err)
	}
	if s.Proto != ProtoTCP || s.Cookie != 4108 || s.Src != netip.MustParseAddrPort("127.0.0.1:48601") {
		t.Errorf("close notice: %+v", s)
	}
}

func TestDecodeAddrDump(t *testing.T) {
	msgs, err := splitNetlink(unhex(t, recAddrDump))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		if a, ok := parseAddrMsg(m); ok {
			got = append(got, a.String())
		}
	}
	want := "127.0.0.1 192.0.2.2 ::1 fd00::2 fe80::fc:ff:fe00:1"
	if strings.Join(got, " ") != want {
		t.Errorf("addresses %v, want %s", got, want)
	}
}

func TestEncodeRequest(t *testing.T) {
	l := netip.MustParseAddrPort("127.0.0.1:46144")
	r := netip.MustParseAddrPort("127.0.0.1:43419")
	// What the kernel was sent for recTCPEstablished.
	want := "48000000140001000100000000000000" + "02060000ffffffff" + "b440a99b" + "7f000001" + strings.Repeat("0", 24) + "7f000001" + strings.Repeat("0", 24) + "00000000" + "ffffffffffffffff"
	if got := hex.EncodeToString(diagRequest(1, ProtoTCP, l, r)); got != want {
		t.Errorf("tcp request\n got %s\nwant %s", got, want)
	}
	// UDP takes its ends the other way round.
	u := diagRequest(1, ProtoUDP, l, r)
	if !bytes.Equal(u[24:26], []byte{0xa9, 0x9b}) || !bytes.Equal(u[26:28], []byte{0xb4, 0x40}) {
		t.Errorf("udp request ports % x, want remote first", u[24:28])
	}
	// IPv6, and an IPv4 address mapped into IPv6 asked as IPv4.
	v6 := diagRequest(1, ProtoTCP, netip.MustParseAddrPort("[2001:db8::1]:80"), netip.MustParseAddrPort("[2001:db8::2]:1234"))
	if v6[16] != afInet6 || v6[28] != 0x20 || v6[43] != 1 {
		t.Errorf("ipv6 request % x", v6[16:60])
	}
	m := diagRequest(1, ProtoTCP, netip.MustParseAddrPort("[::ffff:10.0.0.1]:80"), netip.MustParseAddrPort("10.0.0.2:1234"))
	if m[16] != afInet || !bytes.Equal(m[28:32], []byte{10, 0, 0, 1}) {
		t.Errorf("mapped request % x", m[16:60])
	}
}

func TestDecodeDamaged(t *testing.T) {
	full := unhex(t, recTCPEstablished)
	for n := 0; n < len(full); n++ {
		msgs, err := splitNetlink(full[:n])
		if n >= nlmsgHdrLen && err == nil {
			t.Errorf("%d bytes of a %d-byte message split without error", n, len(full))
		}
		for _, m := range msgs {
			parseDiagMsg(m.Data) // must not panic
		}
	}
	// Every cut of the message body is refused or decoded, never a panic.
	body := full[nlmsgHdrLen:]
	for n := 0; n < len(body); n++ {
		_, err := parseDiagMsg(body[:n])
		if n < inetDiagMsgLen && !errors.Is(err, errShort) {
			t.Errorf("%d bytes: %v, want errShort", n, err)
		}
	}
	bad := append([]byte(nil), body...)
	bad[0] = 1 // AF_UNIX
	if _, err := parseDiagMsg(bad); err == nil {
		t.Error("family 1 accepted")
	}
	// An attribute claiming more bytes than there are.
	bad = append([]byte(nil), body...)
	bad[inetDiagMsgLen] = 0xff
	if _, err := parseDiagMsg(bad); !errors.Is(err, errShort) {
		t.Errorf("long attribute: %v", err)
	}
}
