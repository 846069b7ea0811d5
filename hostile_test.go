package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pktop/pktop/internal/synth"
)

// hostileNames are names an attacker puts in packets: a tview URL tag
// with terminfo padding (which made tcell sleep 27 hours per draw), an
// OSC 8 hyperlink, an unclosed tag, an emoji with a skin tone, an
// address, and text that looks like a conversation.
var hostileNames = []string{
	"[:::$<99999999>]x.example",
	"\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\",
	"zz[:::",
	"👍🏽.example",
	"10.0.0.1",
	"8.8.8.8 <=> 1.1.1.1",
}

// hostileCapture writes a pcap in which a client looks names up (and
// gets answers), and sends TLS SNI and HTTP Host, all with hostile names;
// and in which a server sends unsolicited answers.
func hostileCapture(t *testing.T) string {
	t.Helper()
	var b bytes.Buffer
	b.Write(synth.Header())
	sec := uint32(1700000000)
	add := func(frame []byte) {
		rec := make([]byte, 16)
		binary.LittleEndian.PutUint32(rec[0:], sec)
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(frame)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(frame)))
		b.Write(rec)
		b.Write(frame)
		sec++
	}
	client, server := [4]byte{10, 0, 0, 5}, [4]byte{192, 0, 2, 53}
	for i, name := range hostileNames {
		id := uint16(0x1000 + i)
		answer := [4]byte{203, 0, 113, byte(10 + i)}
		add(udpFrame(client, server, 40000+uint16(i), 53, dnsMessage(id, name, false, answer)))
		add(udpFrame(server, client, 53, 40000+uint16(i), dnsMessage(id, name, true, answer)))
		// An unsolicited answer for the same address, from elsewhere.
		add(udpFrame([4]byte{198, 51, 100, 66}, client, 53, 40000+uint16(i), dnsMessage(id+100, "unsolicited.example", true, answer)))
		add(tcpFrame(client, answer, 50000+uint16(i), 443, clientHello(name)))
		add(tcpFrame(client, answer, 51000+uint16(i), 80, []byte("GET / HTTP/1.1\r\nHost: "+name+"\r\n\r\n")))
	}
	p := filepath.Join(t.TempDir(), "hostile.pcap")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func ipv4(src, dst [4]byte, proto byte, payload []byte) []byte {
	f := []byte{0, 1, 2, 3, 4, 5, 0, 6, 7, 8, 9, 10, 0x08, 0x00}
	h := make([]byte, 20)
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(payload)))
	h[8], h[9] = 64, proto
	copy(h[12:], src[:])
	copy(h[16:], dst[:])
	return append(append(f, h...), payload...)
}

func udpFrame(src, dst [4]byte, sp, dp uint16, payload []byte) []byte {
	u := make([]byte, 8)
	binary.BigEndian.PutUint16(u[0:], sp)
	binary.BigEndian.PutUint16(u[2:], dp)
	binary.BigEndian.PutUint16(u[4:], uint16(8+len(payload)))
	return ipv4(src, dst, 17, append(u, payload...))
}

func tcpFrame(src, dst [4]byte, sp, dp uint16, payload []byte) []byte {
	h := make([]byte, 20)
	binary.BigEndian.PutUint16(h[0:], sp)
	binary.BigEndian.PutUint16(h[2:], dp)
	h[12] = 5 << 4
	h[13] = 0x18
	return ipv4(src, dst, 6, append(h, payload...))
}

// dnsMessage is a DNS question for name, or its answer (an A record).
func dnsMessage(id uint16, name string, answer bool, addr [4]byte) []byte {
	m := make([]byte, 12)
	binary.BigEndian.PutUint16(m[0:], id)
	binary.BigEndian.PutUint16(m[4:], 1)
	if answer {
		m[2] = 0x81
		binary.BigEndian.PutUint16(m[6:], 1)
	}
	var qname []byte
	for _, l := range strings.Split(name, ".") {
		qname = append(qname, byte(len(l)))
		qname = append(qname, l...)
	}
	qname = append(qname, 0)
	m = append(m, qname...)
	m = append(m, 0, 1, 0, 1)
	if answer {
		m = append(m, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4)
		m = append(m, addr[:]...)
	}
	return m
}

// clientHello is a TLS ClientHello record with name as its SNI.
func clientHello(name string) []byte {
	sni := []byte{0, 0} // server_name extension
	l := len(name)
	sni = binary.BigEndian.AppendUint16(sni, uint16(l+5))
	sni = binary.BigEndian.AppendUint16(sni, uint16(l+3))
	sni = append(sni, 0)
	sni = binary.BigEndian.AppendUint16(sni, uint16(l))
	sni = append(sni, name...)
	body := []byte{3, 3}
	body = append(body, make([]byte, 32)...)
	body = append(body, 0)             // session id
	body = append(body, 0, 2, 0x13, 1) // cipher suites
	body = append(body, 1, 0)          // compression
	body = binary.BigEndian.AppendUint16(body, uint16(len(sni)))
	body = append(body, sni...)
	hs := []byte{1, 0, byte(len(body) >> 8), byte(len(body))}
	hs = append(hs, body...)
	rec := []byte{0x16, 3, 1, byte(len(hs) >> 8), byte(len(hs))}
	return append(rec, hs...)
}

// TestHostileNamesReport: no hostile name becomes a host's name, no
// unsolicited answer teaches one, and the report's bytes hold nothing a
// terminal acts on.
func TestHostileNamesReport(t *testing.T) {
	p := hostileCapture(t)
	rep, code, stderr := runReport(t, "-r", p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, h := range rep["hosts"].([]any) {
		m := h.(map[string]any)
		if n, ok := m["name"]; ok {
			t.Errorf("host %v got the name %q", m["addr"], n)
		}
	}
	var out bytes.Buffer
	if c := run([]string{"-r", p, "--report", "text"}, &out, &out); c != 0 {
		t.Fatalf("text report: exit %d: %s", c, out.String())
	}
	if strings.ContainsAny(out.String(), "\x1b\a[") {
		t.Errorf("the text report holds markup or escapes:\n%s", out.String())
	}
}

// TestE2EHostileNames runs pktop in tmux on a terminal type with
// padding (screen) over a capture of hostile names, with a file name that
// is itself a tview URL tag with padding: the screen shows, q quits at
// once, and the terminal comes back.
func TestE2EHostileNames(t *testing.T) {
	bin := buildPktop(t)
	if b := os.Getenv("PKTOP_TEST_BIN"); b != "" {
		bin = b // to check that the test fails on an older pktop
	}
	src := hostileCapture(t)
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	evil := filepath.Join(t.TempDir(), "[:::$<99999999>]x.pcap")
	if err := os.WriteFile(evil, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s := newTmuxTerm(t, 100, 30, "screen", bin+" -r '"+evil+"' --speed 0")
	p := s.wait("end of capture")
	if !strings.Contains(p, "[:::$<99999999>]x.pcap") {
		t.Errorf("the file name should show as it is, inert:\n%s", p)
	}
	for _, n := range []string{"x.example", "click", "zz", "<=> 1.1.1.1", "unsolicited"} {
		if strings.Contains(p, n) {
			t.Errorf("the screen shows %q:\n%s", n, p)
		}
	}
	asked := time.Now()
	s.send("q")
	s.restored(0)
	if d := time.Since(asked); d > 5*time.Second {
		t.Errorf("q took %v", d)
	}
}
