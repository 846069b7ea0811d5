package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pktop/pktop/sniff"
)

// TestLiveMatchesTcpdump captures real traffic between two network
// namespaces joined by a veth pair (with a VLAN on top) and on the
// namespace's loopback, with pktop and with tcpdump side by side, and
// checks that pktop counts exactly the packets tcpdump counts, with and
// without filters, on one interface, on lo and on any, and that -w
// writes the very same frames. It needs root, ip, tcpdump, ping, curl and
// python3; all traffic stays inside the namespaces it creates.
func TestLiveMatchesTcpdump(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture test needs root (network namespaces, capture sockets)")
	}
	for _, tool := range []string{"ip", "tcpdump", "ping", "curl", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("live capture test needs %s", tool)
		}
	}
	dir := t.TempDir()
	if d := os.Getenv("PKTOP_LIVE_KEEP"); d != "" {
		dir = d
	}
	bin := filepath.Join(dir, "pktop")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if tags := os.Getenv("PKTOP_TEST_TAGS"); tags != "" {
		// e.g. PKTOP_TEST_TAGS=libpcap: the same test for that backend.
		build = exec.Command("go", "build", "-tags", tags, "-o", bin, ".")
	}
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	n := newVethPair(t)

	// Servers first, and checked, so that their start is not captured.
	www := filepath.Join(dir, "www")
	os.Mkdir(www, 0o755)
	os.WriteFile(filepath.Join(www, "big"), bytes.Repeat([]byte("pktop live test "), 12000), 0o644)
	n.background(t, n.b, "python3", "-m", "http.server", "8080", "--bind", n.addrB, "--directory", www)
	n.background(t, n.a, "python3", "-m", "http.server", "8081", "--bind", "127.0.0.1", "--directory", www)
	n.background(t, n.b, "python3", "-c", udpSink, n.addrB)
	for _, url := range []string{"http://" + n.addrB + ":8080/big", "http://127.0.0.1:8081/big"} {
		waitHTTP(t, n, url)
	}

	type pair struct {
		name, iface, filter string
		compareFiles        bool
	}
	pairs := []pair{
		{"veth", n.ifA, "", true},
		{"veth-filter", n.ifA, "tcp port 8080 or udp", true},
		{"veth-vlan", n.ifA, "vlan 100 and icmp", true},
		{"lo", "lo", "", true},
		{"any", "any", "", false},
		{"any-filter", "any", "tcp", false},
	}
	type run struct {
		pair
		td, pk               *exec.Cmd
		tdf, pkf             string
		pkOut                bytes.Buffer
		tdErr, pkErr         *os.File
		tdStderr, pkStderrFn string
	}
	var runs []*run
	for _, p := range pairs {
		r := &run{pair: p}
		r.tdf = filepath.Join(dir, p.name+".tcpdump.pcap")
		ext := ".pcap"
		if p.iface == "any" {
			ext = ".pcapng"
		}
		r.pkf = filepath.Join(dir, p.name+".pktop"+ext)
		tdArgs := []string{"tcpdump", "-n", "-B", "32768", "-i", p.iface, "-w", r.tdf}
		pkArgs := []string{bin, "-i", p.iface, "--report", "json", "-w", r.pkf}
		if p.filter != "" {
			tdArgs = append(tdArgs, p.filter)
			pkArgs = append(pkArgs, p.filter)
		}
		r.tdStderr = filepath.Join(dir, p.name+".tcpdump.err")
		r.pkStderrFn = filepath.Join(dir, p.name+".pktop.err")
		r.td = n.command(n.a, tdArgs...)
		r.pk = n.command(n.a, pkArgs...)
		r.tdErr, _ = os.Create(r.tdStderr)
		r.pkErr, _ = os.Create(r.pkStderrFn)
		r.td.Stderr, r.pk.Stderr, r.pk.Stdout = r.tdErr, r.pkErr, &r.pkOut
		if err := r.td.Start(); err != nil {
			t.Fatal(err)
		}
		if err := r.pk.Start(); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	// pktop is stopped by each of the signals that end a capture: its
	// report and its -w file must be complete after any of them.
	signals := []os.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT}
	stopAll := func() {
		for i, r := range runs {
			r.td.Process.Signal(syscall.SIGTERM)
			r.pk.Process.Signal(signals[i%len(signals)])
		}
		for _, r := range runs {
			r.td.Wait()
			r.pk.Wait()
		}
	}
	for _, r := range runs {
		if !waitFor(r.tdStderr, "listening on") || !waitFor(r.pkStderrFn, "capturing on") {
			stopAll()
			tdE, _ := os.ReadFile(r.tdStderr)
			pkE, _ := os.ReadFile(r.pkStderrFn)
			t.Fatalf("%s: captures did not start:\ntcpdump: %s\npktop: %s", r.name, tdE, pkE)
		}
	}

	// The traffic: pings on the veth, VLAN-tagged frames sent raw from b
	// (802.1Q, and 802.1ad over 802.1Q), a UDP burst, HTTP across the veth
	// and over the namespace's loopback.
	n.must(t, n.a, "ping", "-q", "-c", "20", "-i", "0.01", n.addrB)
	n.must(t, n.b, "python3", "-c", vlanFrames, n.ifB, "40")
	n.must(t, n.a, "python3", "-c", udpBurst, n.addrB, "300")
	for i := 0; i < 3; i++ {
		n.must(t, n.a, "curl", "-sS", "-o", "/dev/null", "http://"+n.addrB+":8080/big")
		n.must(t, n.a, "curl", "-sS", "-o", "/dev/null", "http://127.0.0.1:8081/big")
	}
	// tcpdump reads a ring block when it is full or a second old (pktop's
	// retire after 64 ms): let both read the last frames before they stop.
	// (tcpdump's immediate mode would retire a block per frame and drop
	// frames when the machine is busy.)
	time.Sleep(1500 * time.Millisecond)
	stopAll()

	for _, r := range runs {
		r.tdErr.Close()
		r.pkErr.Close()
		pkE, _ := os.ReadFile(r.pkStderrFn)
		var rep struct {
			Packets     uint64 `json:"packets"`
			KernelDrops uint64 `json:"kernel_drops"`
			QueueDrops  uint64 `json:"queue_drops"`
			Error       string `json:"error"`
		}
		if err := json.Unmarshal(r.pkOut.Bytes(), &rep); err != nil {
			t.Errorf("%s: pktop report: %v\n%s\n%s", r.name, err, r.pkOut.Bytes(), pkE)
			continue
		}
		td := readFrames(t, r.tdf)
		pk := readFrames(t, r.pkf)
		t.Logf("%-12s %-22q tcpdump %5d  pktop report %5d  pktop -w %5d  drops %d/%d",
			r.name, r.filter, len(td), rep.Packets, len(pk), rep.KernelDrops, rep.QueueDrops)
		if tdE, _ := os.ReadFile(r.tdStderr); !bytes.Contains(tdE, []byte("\n0 packets dropped by kernel")) {
			t.Errorf("%s: tcpdump, the reference, dropped packets: %s", r.name, tdE)
		}
		if len(td) < 20 {
			t.Errorf("%s: tcpdump saw only %d packets: the traffic did not reach the capture", r.name, len(td))
		}
		if rep.Error != "" || rep.KernelDrops != 0 || rep.QueueDrops != 0 {
			t.Errorf("%s: pktop: error %q, %d kernel drops, %d queue drops", r.name, rep.Error, rep.KernelDrops, rep.QueueDrops)
		}
		if rep.Packets != uint64(len(td)) {
			t.Errorf("%s (%q): pktop counted %d packets, tcpdump %d\npktop stderr: %s", r.name, r.filter, rep.Packets, len(td), pkE)
		}
		if uint64(len(pk)) != rep.Packets {
			t.Errorf("%s: pktop -w wrote %d packets, its report counts %d", r.name, len(pk), rep.Packets)
		}
		if r.compareFiles {
			compareFrames(t, r.name, td, pk)
		}
	}
}

// frame is one record of a capture file.
type frame struct {
	data []byte
	wire int
}

func readFrames(t *testing.T, name string) []frame {
	t.Helper()
	f, err := sniff.Open(name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer f.Close()
	var out []frame
	for {
		fr, err := f.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, frame{append([]byte(nil), fr.Data...), fr.WireLen})
	}
}

func compareFrames(t *testing.T, name string, td, pk []frame) {
	t.Helper()
	if len(td) != len(pk) {
		t.Errorf("%s: tcpdump wrote %d frames, pktop %d", name, len(td), len(pk))
		return
	}
	// Two sockets on one interface may see a frame sent and a frame
	// received at about the same time in either order: compare the
	// frames as sets, then say how far the order differs.
	sorted := func(fs []frame) []frame {
		c := slices.Clone(fs)
		slices.SortFunc(c, func(a, b frame) int {
			if d := bytes.Compare(a.data, b.data); d != 0 {
				return d
			}
			return a.wire - b.wire
		})
		return c
	}
	std, spk := sorted(td), sorted(pk)
	for i := range std {
		if std[i].wire != spk[i].wire || !bytes.Equal(std[i].data, spk[i].data) {
			t.Errorf("%s: the files differ: tcpdump has a frame of %d bytes (wire %d) %x... where pktop has %d bytes (wire %d) %x...", name,
				len(std[i].data), std[i].wire, head(std[i].data), len(spk[i].data), spk[i].wire, head(spk[i].data))
			return
		}
	}
	moved := 0
	for i := range td {
		if !bytes.Equal(td[i].data, pk[i].data) {
			moved++
		}
	}
	if moved > 0 {
		t.Logf("%s: same frames; %d of %d in another order", name, moved, len(td))
	}
}

func head(b []byte) []byte { return b[:min(len(b), 32)] }

// waitFor waits up to 10 s for text to appear in the file.
func waitFor(name, text string) bool {
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if b, _ := os.ReadFile(name); strings.Contains(string(b), text) {
			return true
		}
	}
	return false
}

func waitHTTP(t *testing.T, n *vethPair, url string) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if n.command(n.a, "curl", "-sf", "-o", "/dev/null", url).Run() == nil {
			return
		}
	}
	t.Fatalf("%s did not answer", url)
}

// vlanFrames sends tagged ICMP echo requests out of an interface: the
// receiving kernel strips the outer tag before capture sees the frame,
// so pktop must put it back as libpcap does.
const vlanFrames = `
import socket, struct, sys
ifname, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
src = s.getsockname()[4]
def csum(b):
    if len(b) % 2: b += b"\0"
    c = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    c = (c >> 16) + (c & 0xffff); c += c >> 16
    return ~c & 0xffff
for i in range(count):
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x77, i) + bytes(56 + i * 13)
    icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), i, 0, 64, 1, 0,
                     socket.inet_aton("10.199.100.2"), socket.inet_aton("10.199.100.1"))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    if i % 4 == 3:
        tags = struct.pack("!HHHH", 0x88a8, (5 << 13) | 300, 0x8100, 100)
    else:
        tags = struct.pack("!HH", 0x8100, (3 << 13) | 100)
    s.send(b"\xff" * 6 + src + tags + b"\x08\x00" + ip + icmp)
`

const udpSink = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 9999))
s.settimeout(60)
try:
    while True:
        s.recv(65535)
except socket.timeout:
    pass
`

const udpBurst = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    s.sendto(bytes(20 + (i * 37) % 1400), (sys.argv[1], 9999))
`

// vethPair is two network namespaces, a and b, joined by a veth pair
// (ifA in a, ifB in b) with IPv4 addresses, IPv6 off so that nothing
// talks on its own.
type vethPair struct {
	a, b, ifA, ifB, addrA, addrB string
	procs                        []*exec.Cmd
}

func newVethPair(t *testing.T) *vethPair {
	t.Helper()
	id := os.Getpid() % 100000
	n := &vethPair{
		a: fmt.Sprintf("pktop-a-%d", id), b: fmt.Sprintf("pktop-b-%d", id),
		ifA: fmt.Sprintf("pka%d", id), ifB: fmt.Sprintf("pkb%d", id),
		addrA: "10.199.0.1", addrB: "10.199.0.2",
	}
	t.Cleanup(func() {
		for _, p := range n.procs {
			p.Process.Kill()
			p.Wait()
		}
		exec.Command("ip", "netns", "del", n.a).Run()
		exec.Command("ip", "netns", "del", n.b).Run()
	})
	steps := [][]string{
		{"ip", "netns", "add", n.a},
		{"ip", "netns", "add", n.b},
		{"ip", "netns", "exec", n.a, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"},
		{"ip", "netns", "exec", n.b, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"},
		{"ip", "link", "add", n.ifA, "netns", n.a, "type", "veth", "peer", "name", n.ifB, "netns", n.b},
		{"ip", "-n", n.a, "addr", "add", n.addrA + "/24", "dev", n.ifA},
		{"ip", "-n", n.b, "addr", "add", n.addrB + "/24", "dev", n.ifB},
		{"ip", "-n", n.a, "link", "set", "lo", "up"},
		{"ip", "-n", n.b, "link", "set", "lo", "up"},
		{"ip", "-n", n.a, "link", "set", n.ifA, "up"},
		{"ip", "-n", n.b, "link", "set", n.ifB, "up"},
	}
	for _, s := range steps {
		if out, err := exec.Command(s[0], s[1:]...).CombinedOutput(); err != nil {
			t.Skipf("cannot set up network namespaces (%s: %v: %s)", strings.Join(s, " "), err, out)
		}
	}
	// Pin the neighbours (permanent entries, never re-verified), so that
	// no ARP exchange falls inside or at the edge of a capture: a kernel
	// re-probing a stale entry puts two packets on the wire at a moment
	// that depends on the machine's load.
	n.pinNeighbour(t, n.a, n.ifA, n.addrB, n.b, n.ifB)
	n.pinNeighbour(t, n.b, n.ifB, n.addrA, n.a, n.ifA)
	n.must(t, n.a, "ping", "-q", "-c", "1", "-W", "2", n.addrB)
	return n
}

// pinNeighbour adds a permanent neighbour entry in namespace ns for addr,
// the address of interface peerIf in namespace peerNs.
func (n *vethPair) pinNeighbour(t *testing.T, ns, dev, addr, peerNs, peerIf string) {
	t.Helper()
	out, err := n.command(peerNs, "cat", "/sys/class/net/"+peerIf+"/address").Output()
	if err != nil {
		t.Fatalf("the address of %s: %v", peerIf, err)
	}
	n.must(t, ns, "ip", "neigh", "replace", addr, "lladdr", strings.TrimSpace(string(out)), "dev", dev, "nud", "permanent")
}

// command runs a program inside namespace ns.
func (n *vethPair) command(ns string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
}

func (n *vethPair) must(t *testing.T, ns string, args ...string) {
	t.Helper()
	if out, err := n.command(ns, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (n *vethPair) background(t *testing.T, ns string, args ...string) {
	t.Helper()
	c := n.command(ns, args...)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	n.procs = append(n.procs, c)
}

// TestLiveCountAndDuration checks that -c stops a live capture after
// exactly N packets and --duration after the time given, each with a
// report and exit status 0.
func TestLiveCountAndDuration(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture test needs root")
	}
	for _, tool := range []string{"ip", "ping"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("live capture test needs %s", tool)
		}
	}
	bin := filepath.Join(t.TempDir(), "pktop")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	n := newVethPair(t)
	var out, errb bytes.Buffer
	c := n.command(n.a, bin, "-i", n.ifA, "-c", "25", "--report", "json", "icmp")
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	time.Sleep(500 * time.Millisecond)
	n.must(t, n.a, "ping", "-q", "-c", "20", "-i", "0.01", n.addrB)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("pktop -c 25: %v\n%s", err, errb.Bytes())
		}
	case <-time.After(10 * time.Second):
		c.Process.Kill()
		t.Fatalf("pktop -c 25 did not stop after 40 packets\n%s", errb.Bytes())
	}
	var rep struct{ Packets int }
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Packets != 25 {
		t.Errorf("pktop -c 25 reported %d packets (%v)", rep.Packets, err)
	}

	start := time.Now()
	out.Reset()
	c = n.command(n.a, bin, "-i", n.ifA, "--duration", "700ms", "--report", "text")
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		t.Fatalf("pktop --duration: %v\n%s", err, errb.Bytes())
	}
	if d := time.Since(start); d < 700*time.Millisecond || d > 5*time.Second {
		t.Errorf("pktop --duration 700ms ran for %v", d)
	}
	if !bytes.Contains(out.Bytes(), []byte("packets     0")) {
		t.Errorf("pktop --duration on a quiet interface:\n%s", out.Bytes())
	}
}

// TestLiveWriteSafety: as root, -w never changes the owner or contents of
// a file pktop did not create (/dev/null, an existing file, a link), a
// file it creates goes to the user it drops to, and a full disk stops
// the writing but not the counting.
func TestLiveWriteSafety(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture test needs root")
	}
	for _, tool := range []string{"ip", "ping"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("live capture test needs %s", tool)
		}
	}
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "pktop")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	n := newVethPair(t)
	capture := func(args ...string) (map[string]any, string, int) {
		var out, errb bytes.Buffer
		c := n.command(n.a, append([]string{bin, "-i", n.ifA, "--duration", "1500ms", "--report", "json"}, args...)...)
		c.Env = append(os.Environ(), "SUDO_UID=", "SUDO_GID=")
		c.Stdout, c.Stderr = &out, &errb
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		n.command(n.a, "ping", "-q", "-c", "20", "-i", "0.02", n.addrB).Run()
		c.Wait()
		var rep map[string]any
		json.Unmarshal(out.Bytes(), &rep)
		return rep, errb.String(), c.ProcessState.ExitCode()
	}
	owner := func(p string) string {
		st, err := os.Stat(p)
		if err != nil {
			return err.Error()
		}
		s := st.Sys().(*syscall.Stat_t)
		return fmt.Sprintf("%d:%d %v", s.Uid, s.Gid, st.Mode())
	}

	before := owner("/dev/null")
	if rep, errs, code := capture("-w", "/dev/null"); code != 0 || rep["packets"] == nil {
		t.Errorf("-w /dev/null: exit %d, report %v\n%s", code, rep, errs)
	}
	if after := owner("/dev/null"); after != before {
		t.Errorf("-w /dev/null changed it: %s, then %s", before, after)
	}

	existing := filepath.Join(dir, "root-owned")
	os.WriteFile(existing, []byte("precious"), 0o600)
	before = owner(existing)
	if _, errs, code := capture("-w", existing); code == 0 || !strings.Contains(errs, "does not overwrite") {
		t.Errorf("-w on an existing file: exit %d\n%s", code, errs)
	}
	if b, _ := os.ReadFile(existing); string(b) != "precious" || owner(existing) != before {
		t.Errorf("the existing file changed: %q %s", b, owner(existing))
	}
	link := filepath.Join(dir, "link")
	os.Symlink(existing, link)
	if _, errs, code := capture("-w", link); code == 0 || !strings.Contains(errs, "symbolic link") {
		t.Errorf("-w on a link: exit %d\n%s", code, errs)
	}

	fresh := filepath.Join(dir, "new.pcap")
	if _, errs, code := capture("-w", fresh); code != 0 {
		t.Errorf("-w on a new file: exit %d\n%s", code, errs)
	}
	if st, err := os.Stat(fresh); err != nil || st.Sys().(*syscall.Stat_t).Uid == 0 {
		t.Errorf("the new file should belong to the user pktop dropped to: %s", owner(fresh))
	}

	rep, errs, code := capture("-w", "/dev/full")
	if code != 1 {
		t.Errorf("-w /dev/full: exit %d; want 1 (the file is incomplete)\n%s", code, errs)
	}
	pk, _ := rep["packets"].(float64)
	nw, _ := rep["not_written"].(float64)
	if pk < 20 || nw != pk {
		t.Errorf("-w /dev/full: %v packets counted, %v not written; want the capture counted whole (40 pings and replies)", pk, nw)
	}
	if we, _ := rep["write_error"].(string); !strings.Contains(we, "no space left") {
		t.Errorf("-w /dev/full: write_error %q", we)
	}
	if !strings.Contains(errs, "packets not written") {
		t.Errorf("-w /dev/full: stderr does not say so:\n%s", errs)
	}
}
