// Package procload runs the workload of pktop's process attribution
// measurement (issue 11) in network namespaces, and nethogs beside it.
// Tests and benchmarks only (root): package procs measures its resolver
// with it, and the module root measures pktop itself.
//
// The namespaces: "host", where the workload's programs run and where
// the attribution is measured; "server", reached from host over the veth
// pair vh-vs, where bench/procs-server.py serves; "container", reached
// over vh2-vc and routed by host to server. Every packet of the
// workload crosses vh once.
package procload

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The addresses of the namespaces.
const (
	HostAddr   = "10.77.0.1"
	ServerAddr = "10.77.0.2"
	CtrAddr    = "10.78.0.2"
)

// Role is a program of the workload: its name in the manifest and the
// command its client runs.
type Role struct{ Name, Comm string }

// Roles are the workload's programs by their server port.
var Roles = map[uint16]Role{
	8001: {"short", "curl"},
	8002: {"long", "curl"},
	8003: {"ctr", "curl"},
	8004: {"medium", "curl"},
	5300: {"dig", "dig"},
	5301: {"udp", "python3"},
}

// Tools are the programs the workload needs.
var Tools = []string{"ip", "nsenter", "curl", "dig", "python3"}

// Net names the three namespaces.
type Net struct{ Host, Server, Ctr string }

// NewNet makes the namespaces, their links and routes; they are removed
// when the test ends.
func NewNet(t testing.TB) *Net {
	t.Helper()
	id := os.Getpid()
	n := &Net{Host: fmt.Sprintf("pktop-h%d", id), Server: fmt.Sprintf("pktop-s%d", id), Ctr: fmt.Sprintf("pktop-c%d", id)}
	t.Cleanup(func() {
		for _, ns := range []string{n.Host, n.Server, n.Ctr} {
			exec.Command("ip", "netns", "del", ns).Run()
		}
	})
	h, sv, c := n.Host, n.Server, n.Ctr
	for _, args := range [][]string{
		{"netns", "add", h}, {"netns", "add", sv}, {"netns", "add", c},
		{"-n", h, "link", "set", "lo", "up"}, {"-n", sv, "link", "set", "lo", "up"}, {"-n", c, "link", "set", "lo", "up"},
		{"-n", h, "link", "add", "vh", "type", "veth", "peer", "name", "vs", "netns", sv},
		{"-n", h, "link", "add", "vh2", "type", "veth", "peer", "name", "vc", "netns", c},
		{"-n", h, "addr", "add", HostAddr + "/24", "dev", "vh"},
		{"-n", h, "addr", "add", "10.78.0.1/24", "dev", "vh2"},
		{"-n", sv, "addr", "add", ServerAddr + "/24", "dev", "vs"},
		{"-n", c, "addr", "add", CtrAddr + "/24", "dev", "vc"},
		{"-n", h, "link", "set", "vh", "up"}, {"-n", h, "link", "set", "vh2", "up"},
		{"-n", sv, "link", "set", "vs", "up"}, {"-n", c, "link", "set", "vc", "up"},
		{"-n", sv, "route", "add", "10.78.0.0/24", "via", HostAddr},
		{"-n", c, "route", "add", "default", "via", "10.78.0.1"},
		{"netns", "exec", h, "sysctl", "-q", "net.ipv4.ip_forward=1"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return n
}

// FromEnv names the namespaces of a Net made by another process
// (String's form).
func FromEnv(s string) (*Net, error) {
	f := strings.Split(s, ",")
	if len(f) != 3 {
		return nil, fmt.Errorf("namespaces %q: want host,server,container", s)
	}
	return &Net{f[0], f[1], f[2]}, nil
}

func (n *Net) String() string { return n.Host + "," + n.Server + "," + n.Ctr }

// InHost runs a program in the host namespace. nsenter enters the
// network namespace alone: ip netns exec would also give the program a
// mount namespace of its own, with a /sys without cgroups.
func (n *Net) InHost(args ...string) *exec.Cmd {
	return exec.Command("nsenter", append([]string{"--net=/run/netns/" + n.Host}, args...)...)
}

// StartServer starts bench/procs-server.py (root is the module's
// directory) in the server namespace and waits until it serves; it is
// stopped when the test ends.
func StartServer(t testing.TB, root string, n *Net) *exec.Cmd {
	t.Helper()
	srv := exec.Command("ip", "netns", "exec", n.Server, "python3", filepath.Join(root, "bench/procs-server.py"),
		"--addr", ServerAddr, "--dns", "5300", "--sink", "5301", "8001", "8002", "8003", "8004")
	stdout, _ := srv.StdoutPipe()
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("procs-server.py: %q %v", line, err)
	}
	return srv
}

// Run runs bench/procs-workload.sh in the host namespace; it writes the
// pid of each client to manifest.
func Run(t testing.TB, root string, n *Net, manifest string, rounds int) {
	t.Helper()
	start := time.Now()
	wl := n.InHost("bash", filepath.Join(root, "bench/procs-workload.sh"), ServerAddr, n.Ctr, manifest, strconv.Itoa(rounds))
	if out, err := wl.CombinedOutput(); err != nil {
		t.Fatalf("workload: %v\n%s", err, out)
	}
	t.Logf("workload ran for %v", time.Since(start).Round(time.Millisecond))
}

// ReadManifest reads the workload's manifest: the pids of each role.
func ReadManifest(t testing.TB, path string) map[string]map[int32]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]map[int32]bool)
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) != 2 {
			continue
		}
		pid, _ := strconv.Atoi(f[1])
		if out[f[0]] == nil {
			out[f[0]] = make(map[int32]bool)
		}
		out[f[0]][int32(pid)] = true
	}
	return out
}

// Flow is a flow's key as its first packet had it: protocol, source and
// destination.
type Flow struct {
	Proto    uint8
	Src, Dst netip.AddrPort
}

// Canon is the flow whatever the direction of the packet.
func (f Flow) Canon() Flow {
	if f.Dst.Compare(f.Src) < 0 {
		return Flow{f.Proto, f.Dst, f.Src}
	}
	return f
}

// RoleOf is the role of a flow (by its server port) and which of its ends
// is the server's, or false when it is no workload flow.
func RoleOf(f Flow) (r Role, server, client netip.AddrPort, ok bool) {
	host := netip.MustParseAddr(ServerAddr)
	switch {
	case f.Dst.Addr() == host && Roles[f.Dst.Port()].Name != "":
		return Roles[f.Dst.Port()], f.Dst, f.Src, true
	case f.Src.Addr() == host && Roles[f.Src.Port()].Name != "":
		return Roles[f.Src.Port()], f.Src, f.Dst, true
	}
	return Role{}, netip.AddrPort{}, netip.AddrPort{}, false
}

// ParseIP reads the IP and transport headers of a packet (ethertype
// 0x0800 or 0x86dd): its flow and its IP length.
func ParseIP(b []byte, ethertype uint16) (Flow, int, bool) {
	var k Flow
	var l4 []byte
	var size int
	switch ethertype {
	case 0x0800:
		if len(b) < 20 {
			return k, 0, false
		}
		ihl := int(b[0]&0xf) * 4
		size = int(binary.BigEndian.Uint16(b[2:]))
		if len(b) < ihl {
			return k, 0, false
		}
		k.Proto = b[9]
		k.Src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[12:16])), 0)
		k.Dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[16:20])), 0)
		l4 = b[ihl:]
	case 0x86dd:
		if len(b) < 40 {
			return k, 0, false
		}
		size = 40 + int(binary.BigEndian.Uint16(b[4:]))
		k.Proto = b[6]
		k.Src = netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[8:24])), 0)
		k.Dst = netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[24:40])), 0)
		l4 = b[40:]
	default:
		return k, 0, false
	}
	if (k.Proto == 6 || k.Proto == 17) && len(l4) >= 4 {
		k.Src = netip.AddrPortFrom(k.Src.Addr(), binary.BigEndian.Uint16(l4[0:]))
		k.Dst = netip.AddrPortFrom(k.Dst.Addr(), binary.BigEndian.Uint16(l4[2:]))
	}
	return k, size, true
}

// Nethogs is nethogs watching an interface of the host namespace.
type Nethogs struct {
	cmd *exec.Cmd
	out string
}

// StartNethogs starts nethogs (-t: one line a process a refresh, total
// bytes) on iface, or returns nil (and says why) when it is not
// installed.
func StartNethogs(t testing.TB, n *Net, iface string) *Nethogs {
	t.Helper()
	if _, err := exec.LookPath("nethogs"); err != nil {
		t.Log("nethogs is not installed: no comparison")
		return nil
	}
	nh := &Nethogs{out: filepath.Join(t.TempDir(), "nethogs.txt")}
	f, err := os.Create(nh.out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	nh.cmd = n.InHost("nethogs", "-t", "-C", "-v", "2", "-d", "1", iface)
	nh.cmd.Stdout = f
	if err := nh.cmd.Start(); err != nil {
		t.Logf("nethogs: %v", err)
		return nil
	}
	time.Sleep(time.Second)
	return nh
}

// Stop stops nethogs.
func (nh *Nethogs) Stop() {
	nh.cmd.Process.Signal(syscall.SIGINT)
	nh.cmd.Wait()
}

// Bytes reads what nethogs showed: for each pid the largest total (sent
// plus received) it showed, and its largest row of unknown traffic.
func (nh *Nethogs) Bytes(t testing.TB) (map[int32]float64, float64) {
	b, err := os.ReadFile(nh.out)
	if err != nil {
		t.Log(err)
		return nil, 0
	}
	best := map[int32]float64{}
	unknown := 0.0
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Split(l, "\t")
		if len(f) != 3 {
			continue
		}
		sent, _ := strconv.ParseFloat(f[1], 64)
		recv, _ := strconv.ParseFloat(f[2], 64)
		parts := strings.Split(f[0], "/")
		if len(parts) < 3 {
			continue
		}
		pid, err := strconv.Atoi(parts[len(parts)-2])
		if err != nil || pid == 0 {
			unknown = max(unknown, sent+recv)
			continue
		}
		best[int32(pid)] = max(best[int32(pid)], sent+recv)
	}
	return best, unknown
}

// Tally is bytes attributed right out of bytes seen.
type Tally struct{ Right, Total uint64 }

// Add counts n bytes, right or not.
func (t *Tally) Add(ok bool, n uint64) {
	t.Total += n
	if ok {
		t.Right += n
	}
}

// Share is the right fraction (1 when there is nothing).
func (t Tally) Share() float64 {
	if t.Total == 0 {
		return 1
	}
	return float64(t.Right) / float64(t.Total)
}

// Pct is the share in percent, "-" when there is nothing.
func (t Tally) Pct() string {
	if t.Total == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(t.Right)/float64(t.Total))
}

// NethogsShares gives each role the share of its bytes (total, from
// the reference capture) that nethogs showed for its pids.
func NethogsShares(best map[int32]float64, total map[string]uint64, pids map[string]map[int32]bool) map[string]*Tally {
	out := map[string]*Tally{}
	for role, set := range pids {
		var got float64
		for pid := range set {
			got += best[pid]
		}
		tot := total[role]
		out[role] = &Tally{Right: min(uint64(got), tot), Total: tot}
	}
	return out
}

// Shares are what a tool gave right of the workload's bytes: the clients'
// by role, [0] for connections under 50 ms and [1] for 50 ms or more;
// the server's ends; nethogs's by role, when it watched.
type Shares struct {
	Client  map[string]*[2]Tally
	Flows   map[string]*[2]int
	Server  [2]Tally
	Nethogs map[string]*Tally
	// Wrong describes (some of) the flows not given right.
	Wrong []string
}

// NewShares returns empty Shares.
func NewShares() *Shares {
	return &Shares{Client: map[string]*[2]Tally{}, Flows: map[string]*[2]int{}}
}

// Add counts a client's flow of n bytes, given right or not; long: it
// lived 50 ms or more.
func (s *Shares) Add(role string, long, right bool, n uint64) {
	i := 0
	if long {
		i = 1
	}
	if s.Client[role] == nil {
		s.Client[role] = &[2]Tally{}
		s.Flows[role] = &[2]int{}
	}
	s.Client[role][i].Add(right, n)
	s.Flows[role][i]++
}

// All sums the roles: [0] under 50 ms, [1] 50 ms or more.
func (s *Shares) All() [2]Tally {
	var all [2]Tally
	for _, c := range s.Client {
		for i := range c {
			all[i].Right += c[i].Right
			all[i].Total += c[i].Total
		}
	}
	return all
}

// Log prints the shares as a table, tool naming the tool's columns.
func (s *Shares) Log(t testing.TB, tool string) {
	t.Helper()
	var names []string
	for n := range s.Client {
		names = append(names, n)
	}
	sort.Strings(names)
	t.Logf("%-7s %8s %9s %12s %12s %9s %9s %9s", "role", "flows<50", "flows>=50", "bytes<50ms", "bytes>=50ms", tool+"<50", tool+">=50", "nethogs")
	for _, n := range names {
		c := s.Client[n]
		nh := "-"
		if x := s.Nethogs[n]; x != nil {
			nh = x.Pct()
		}
		t.Logf("%-7s %8d %9d %12d %12d %9s %9s %9s", n, s.Flows[n][0], s.Flows[n][1], c[0].Total, c[1].Total, c[0].Pct(), c[1].Pct(), nh)
	}
	all := s.All()
	t.Logf("clients, all roles: %s of the bytes of connections under 50 ms, %s of 50 ms or more", all[0].Pct(), all[1].Pct())
	t.Logf("server ends (procs-server.py): %s under 50 ms, %s of 50 ms or more", s.Server[0].Pct(), s.Server[1].Pct())
	for _, w := range s.Wrong {
		t.Log("not attributed: " + w)
	}
}
