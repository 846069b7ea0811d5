package filter

import (
	"encoding/binary"
	"math/rand"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/net/bpf"
)

// liveExprs are the expressions whose live form differs from a file's:
// VLAN tests read the kernel's metadata, inbound/outbound its packet
// type; and a spread of the others, which must not change.
var liveExprs = []string{
	"vlan", "vlan 100", "vlan and ip", "vlan 100 and ip", "vlan and vlan", "vlan and vlan and ip",
	"vlan 100 and vlan 200", "vlan and vlan 200 and ip", "vlan or ip", "not vlan", "vlan and tcp port 80",
	"vlan and host 10.0.0.1", "vlan 100 or vlan 200", "vlan and ip6", "vlan and arp", "vlan and not ip",
	"ip or vlan and ip", "vlan and vlan and vlan and ip", "not vlan and ip", "vlan and ether[12:2] = 0x800",
	"vlan and ip[9] = 6", "vlan and tcp[13] & 2 != 0", "vlan and mpls and ip", "vlan and pppoes and ip",
	"vlan 100 and udp port 53", "tcp port 443 or (vlan and udp)", "vlan and icmp", "vlan 100 and icmp",
	"inbound", "outbound", "inbound and tcp", "not outbound", "outbound or udp", "inbound and vlan",
	"ip", "ip6", "arp", "tcp port 80", "host 10.0.0.1", "net 10.0.0.0/8", "udp portrange 1000-2000",
	"ether broadcast", "ip broadcast", "ip multicast", "mpls and ip", "pppoes and ip", "less 100",
	"greater 1000", "len > 100", "icmp6", "not (port 22 or port 443)", "tcp[tcpflags] & tcp-syn != 0",
	"ifindex 1", "ifindex 2 or vlan", "not ifindex 1 and tcp",
}

// TestLiveForm compares the programs for a live socket with libpcap's
// ("tcpdump -i lo -ddd", which takes the live form) on frames as the
// kernel shows them: the outermost VLAN tag taken off into the metadata
// (or left in the data), and a packet type. The x/net/bpf VM cannot run
// Linux's ancillary loads: runnable() reads them from a header put in
// front of each frame.
func TestLiveForm(t *testing.T) {
	needTcpdump(t)
	if os.Geteuid() != 0 {
		t.Skip("tcpdump -i needs the right to open an interface")
	}
	if out, err := exec.Command("tcpdump", "-i", "lo", "-ddd", "vlan").Output(); err != nil || !strings.Contains(string(out), "4294963248") {
		t.Skip("tcpdump -i lo does not give libpcap's live VLAN form here")
	}
	frames := generated(LinkEthernet, 3000, 77)
	r := rand.New(rand.NewSource(78))
	type liveFrame struct {
		data []byte
		s    side
	}
	var lf []liveFrame
	for _, p := range frames {
		d, s := p.data, side{wire: p.wire, pktType: uint16([]int{0, 4, 1, 2, 3}[r.Intn(5)]), ifIndex: uint32(r.Intn(3))}
		if len(d) >= 18 {
			tpid := binary.BigEndian.Uint16(d[12:])
			if (tpid == 0x8100 || tpid == 0x88a8) && r.Intn(4) != 0 {
				// The kernel took the tag off.
				s.vlanP, s.vlanTCI = true, binary.BigEndian.Uint16(d[14:])
				d = append(append([]byte{}, d[:12]...), d[16:]...)
				s.wire -= 4
			}
		}
		lf = append(lf, liveFrame{d, s})
	}
	opt := Options{LinkType: LinkEthernet, Live: true}
	compared, split := 0, 0
	var buf []byte
	for _, expr := range liveExprs {
		want := libpcap(expr, "-i", "lo")
		got, err := CompileRaw(expr, opt)
		if want.err != "" || err != nil {
			if (want.err == "") != (err == nil) {
				t.Errorf("%q: libpcap: %q; this compiler: %v", expr, want.err, err)
			}
			continue
		}
		mine, err := runnable(got)
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		theirs, err := runnable(want.prog)
		if err != nil {
			t.Fatalf("%q: libpcap's: %v", expr, err)
		}
		bad := 0
		var unopt *bpf.VM
		for _, f := range lf {
			buf = frameWithSide(buf, f.data, f.s)
			if a, b := accepts(mine, buf), accepts(theirs, buf); a != b {
				// As in TestDifferential: where libpcap's optimised
				// program decides otherwise than its unoptimised
				// one, either is libpcap's answer. (Its optimiser
				// moves the offset change of "vlan" before the
				// vlanp test: "ip or vlan and ip" then reads the
				// type 4 bytes too far for a tag the kernel took.)
				if unopt == nil {
					if u := libpcap(expr, "-O", "-i", "lo"); u.err == "" {
						unopt, _ = runnable(u.prog)
					}
				}
				if unopt != nil && accepts(unopt, buf) == a {
					split++
					continue
				}
				if bad++; bad <= 2 {
					t.Errorf("%q: frame %x %+v: this compiler says %v, libpcap %v\nours:\n%s\nlibpcap:\n%s",
						expr, f.data, f.s, a, b, listing(got), listing(want.prog))
				}
			}
			compared++
		}
	}
	t.Logf("%d expressions x %d frames compared in the live form (%d decisions where libpcap's optimised and unoptimised programs disagree, matching one)", len(liveExprs), len(lf), split)
}
