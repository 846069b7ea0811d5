package filter

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/net/bpf"
)

// variant is one target of the differential test: a link type, how
// tcpdump is told about it, and the options for this compiler.
type variant struct {
	name string
	lt   int
	how  []string
	opt  Options
	// big: for NULL, which captures' frames belong here.
	big *bool
}

func diffVariants(t *testing.T) []variant {
	// tcpdump compiles for a capture file of the link type (-r), as
	// pktop does: inbound/outbound and BSD loopback's IPv6 depend on it.
	dir := t.TempDir()
	file := func(name string, order binary.ByteOrder, lt int) []string {
		p := filepath.Join(dir, name+".pcap")
		writeEmptyPcap(t, p, order, lt)
		return []string{"-r", p}
	}
	f, tr := false, true
	vs := []variant{
		{name: "NULL-le", lt: LinkNull, how: file("null-le", binary.LittleEndian, LinkNull), opt: Options{ByteOrder: binary.LittleEndian}, big: &f},
		{name: "NULL-be", lt: LinkNull, how: file("null-be", binary.BigEndian, LinkNull), opt: Options{ByteOrder: binary.BigEndian}, big: &tr},
	}
	for _, lt := range []int{LinkEthernet, LinkSLL, LinkSLL2, LinkRaw, LinkIPv4, LinkIPv6, LinkLoop, LinkPPP,
		LinkPPPSerial, LinkPPPEther, LinkCHDLC, LinkNFLOG, Link80211, LinkRadiotap, LinkPPI} {
		vs = append(vs, variant{name: dltNames[lt], lt: lt, how: file(dltNames[lt], binary.LittleEndian, lt)})
	}
	for i := range vs {
		vs[i].opt.LinkType = vs[i].lt
		vs[i].opt.Resolver = hostsResolver
	}
	return vs
}

// writeEmptyPcap writes a pcap header with no packets, for "tcpdump -r".
func writeEmptyPcap(t testing.TB, path string, order binary.ByteOrder, lt int) {
	h := make([]byte, 24)
	order.PutUint32(h[0:], 0xa1b2c3d4)
	order.PutUint16(h[4:], 2)
	order.PutUint16(h[6:], 4)
	order.PutUint32(h[16:], 262144)
	order.PutUint32(h[20:], uint32(lt))
	if err := os.WriteFile(path, h, 0o644); err != nil {
		t.Fatal(err)
	}
}

// hostsResolver resolves names from /etc/hosts, as libpcap does for the
// names the tests use (no DNS).
func hostsResolver(name string) ([]netip.Addr, error) {
	f, err := os.Open("/etc/hosts")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []netip.Addr
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fs := strings.Fields(line)
		if len(fs) < 2 {
			continue
		}
		a, err := netip.ParseAddr(fs[0])
		if err != nil {
			continue
		}
		for _, n := range fs[1:] {
			if n == name {
				out = append(out, a)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("unknown host %s", name)
	}
	return out, nil
}

// diffPackets gathers the frames for each link type: every capture of the
// test corpus, and generated ones.
func diffPackets(t *testing.T, perType int) map[int][]packet {
	by := map[int][]packet{}
	for _, f := range captureFiles() {
		pkts, err := readCapture(f)
		if err != nil {
			continue
		}
		for _, p := range pkts {
			by[p.lt] = append(by[p.lt], p)
		}
	}
	for i, lt := range []int{LinkEthernet, LinkSLL, LinkSLL2, LinkRaw, LinkIPv4, LinkIPv6, LinkNull, LinkLoop,
		LinkPPP, LinkPPPSerial, LinkPPPEther, LinkCHDLC, LinkNFLOG, Link80211, LinkRadiotap, LinkPPI} {
		by[lt] = append(by[lt], generated(lt, perType, int64(1000+i))...)
	}
	// Frames of raw link types are raw IP whatever the number.
	for _, alias := range []int{LinkRaw12, LinkRaw14} {
		by[LinkRaw] = append(by[LinkRaw], by[alias]...)
	}
	return by
}

// TestDifferential compiles every expression with this compiler and with
// libpcap (tcpdump -ddd) for every link type, runs both programs over
// every frame of that link type (the corpus and generated frames), and
// requires the same decision for each. Where libpcap refuses an
// expression this compiler must refuse it too; where this compiler
// refuses one libpcap takes, its error must say it does not support it.
func TestDifferential(t *testing.T) {
	needTcpdump(t)
	perType := 4000
	if raceEnabled || testing.Short() {
		perType = 400
	}
	pkts := diffPackets(t, perType)
	exprs := append(append([]string{}, diffExprs...), crossExprs()...)
	var compared, programs, refusedBoth, frameCount atomic.Int64
	var mu sync.Mutex
	unsupported := map[string]int{}
	vs := diffVariants(t)
	for _, v := range vs {
		v := v
		var frames []packet
		for _, p := range pkts[v.lt] {
			if v.big != nil && p.file != "" && p.big != *v.big {
				continue
			}
			frames = append(frames, p)
		}
		if raceEnabled && len(frames) > 1500 {
			frames = frames[:1500]
		}
		frameCount.Add(int64(len(frames)))
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			var buf []byte
			for _, expr := range exprs {
				want := libpcap(expr, v.how...)
				got, err := CompileRaw(expr, v.opt)
				if !systemNames && nameError(want.err, err) {
					// This system's service or protocol names are
					// not the ones built into pktop.
					continue
				}
				switch {
				case want.err != "" && err != nil:
					refusedBoth.Add(1)
					checkError(t, expr, err)
					continue
				case want.err != "":
					t.Errorf("%s: %q: libpcap refuses it (%s), this compiler accepts it:\n%s", v.name, expr, want.err, listing(got))
					continue
				case err != nil:
					if !strings.Contains(err.Error(), "does not support") && !strings.Contains(err.Error(), "does not look up") {
						t.Errorf("%s: %q: this compiler refuses it (%v), libpcap accepts it", v.name, expr, err)
					} else {
						mu.Lock()
						unsupported[expr]++
						mu.Unlock()
					}
					checkError(t, expr, err)
					continue
				}
				programs.Add(1)
				mine, err := runnable(got)
				if err != nil {
					t.Errorf("%s: %q: x/net/bpf refuses the program: %v\n%s", v.name, expr, err, listing(got))
					continue
				}
				theirs, err := runnable(want.prog)
				if err != nil {
					t.Fatalf("%s: %q: libpcap's program: %v", v.name, expr, err)
				}
				if why, ok := libpcapBugs[v.name+" "+expr]; ok {
					t.Logf("%s: %q: not compared: %s", v.name, expr, why)
					continue
				}
				bad := 0
				for _, p := range frames {
					buf = frameWithSide(buf, p.data, side{wire: p.wire})
					a, b := accepts(mine, buf), accepts(theirs, buf)
					if a != b {
						bad++
						if bad <= 2 {
							t.Errorf("%s: %q: frame %s (wire %d) from %s: this compiler says %v, libpcap %v\nours:\n%s\nlibpcap:\n%s",
								v.name, expr, hex.EncodeToString(p.data), p.wire, orGenerated(p.file), a, b, listing(got), listing(want.prog))
						}
					}
				}
				compared.Add(int64(len(frames)))
				if bad > 2 {
					t.Errorf("%s: %q: %d frames differ in all", v.name, expr, bad)
				}
			}
		})
	}
	t.Cleanup(func() {
		var un []string
		for e := range unsupported {
			un = append(un, e)
		}
		sort.Strings(un)
		t.Logf("%d expressions, %d link-type variants, %d frames in all; %d expressions x link types compiled by both and compared on %d frame decisions, all equal; %d refused by both; not supported here (libpcap compiles them): %q",
			len(exprs), len(vs), frameCount.Load(), programs.Load(), compared.Load(), refusedBoth.Load(), un)
	})
}

// libpcapBugs are programs of libpcap 1.10 that do not do what the
// expression says; this compiler's are not compared with them.
var libpcapBugs = map[string]string{
	"PPI ether[100] = 0 or ip":              "libpcap reuses the register of the 802.11 payload offset as a temporary of the comparison before it (st M[3] of the constant 0), so \"ip\" reads the wrong offset",
	"IEEE802_11_RADIO ether[100] = 0 or ip": "libpcap reuses the register of the 802.11 payload offset as a temporary of the comparison before it, so \"ip\" reads the wrong offset",
}

// systemNames says whether this system's /etc/services and
// /etc/protocols, which tcpdump reads, are the ones built into pktop.
var systemNames = func() bool {
	s, err1 := os.ReadFile("/etc/services")
	p, err2 := os.ReadFile("/etc/protocols")
	return err1 == nil && err2 == nil && string(s) == servicesTxt && string(p) == protocolsTxt
}()

// nameError reports whether either compiler failed over a service or
// protocol name.
func nameError(libpcapErr string, err error) bool {
	for _, m := range []string{"unknown port", "unknown ip proto", "' is tcp", "' is udp", "unknown port in range"} {
		if strings.Contains(libpcapErr, m) || err != nil && strings.Contains(err.Error(), m) {
			return true
		}
	}
	return false
}

func orGenerated(f string) string {
	if f == "" {
		return "the generator"
	}
	return filepath.Base(f)
}

// checkError checks that an error is an *Error with a column inside the
// expression.
func checkError(t *testing.T, expr string, err error) {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Errorf("%q: error %v is a %T, not an *Error", expr, err, err)
		return
	}
	if e.Pos < 0 || e.Pos > len(expr) || e.End < e.Pos || e.End > len(expr) {
		t.Errorf("%q: error %v has position %d-%d outside the expression", expr, err, e.Pos, e.End)
	}
}

func listing(p []bpf.RawInstruction) string {
	var b strings.Builder
	for i, r := range p {
		fmt.Fprintf(&b, "(%03d) %v\n", i, r.Disassemble())
	}
	return b.String()
}
