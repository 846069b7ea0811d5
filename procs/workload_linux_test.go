//go:build linux

package procs

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pktop/pktop/internal/procload"
	"golang.org/x/sys/unix"
)

// The attribution measurement of issue 11, at the resolver's level (the
// module root's TestProcessAttributionLive measures pktop itself).
// TestAttributionWorkload makes the namespaces of internal/procload,
// re-runs itself in its "host" namespace, where the workload's programs
// run, and captures on vh, which every packet of the workload crosses
// once, with an AF_PACKET socket; asks the Resolver about each flow when
// its first packet is read, in batches every 100 ms as pktop's capture
// hands them over; runs bench/procs-workload.sh; and then checks, from
// the manifest of pids the workload wrote, that the bytes of each
// program went to its pid and command.
//
// With PKTOP_PROCS_COMPARE=1 (bench/procs.sh sets it) nethogs watches the
// same run, and its shares are printed beside the resolver's.

const (
	innerEnv   = "PKTOP_PROCS_INNER"
	compareEnv = "PKTOP_PROCS_COMPARE"
)

func TestAttributionWorkload(t *testing.T) {
	if os.Getenv(innerEnv) != "" {
		runWorkload(t)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: network namespaces, sock_diag in them, the socket-creation hook")
	}
	for _, tool := range procload.Tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	n := procload.NewNet(t)
	cmd := n.InHost(os.Args[0], "-test.run=^TestAttributionWorkload$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), innerEnv+"="+n.String())
	out, err := cmd.CombinedOutput()
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		t.Log(l)
	}
	if err != nil {
		t.Fatalf("the run inside namespace %s failed: %v", n.Host, err)
	}
}

type flowStat struct {
	first       FlowKey
	bytes, pkts uint64
	start, last time.Time
}

// canon is a flow's key whatever the direction of the packet.
type canon = procload.Flow

func canonOf(k FlowKey) canon { return procload.Flow{Proto: k.Proto, Src: k.Src, Dst: k.Dst}.Canon() }

// capture reads every packet of the namespace from an AF_PACKET socket.
type capture struct {
	fd      int
	ifindex int
	mu      sync.Mutex
	flows   map[canon]*flowStat
	fresh   []FlowKey
	stop    chan struct{}
	done    chan struct{}
}

func startCapture(t *testing.T, ifindex int) *capture {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		t.Fatalf("AF_PACKET socket: %v", err)
	}
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 32<<20)
	tv := unix.Timeval{Usec: 50000}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	c := &capture{fd: fd, ifindex: ifindex, flows: make(map[canon]*flowStat), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func (c *capture) run() {
	defer close(c.done)
	buf := make([]byte, 65536)
	for {
		select {
		case <-c.stop:
			return
		default:
		}
		n, from, err := unix.Recvfrom(c.fd, buf, 0)
		if err != nil {
			continue
		}
		ll, ok := from.(*unix.SockaddrLinklayer)
		if !ok {
			continue
		}
		if ll.Ifindex != c.ifindex {
			continue
		}
		k, size, ok := parseIP(buf[:n], htons(ll.Protocol))
		if !ok {
			continue
		}
		now := time.Now()
		c.mu.Lock()
		cf := canonOf(k)
		f := c.flows[cf]
		if f == nil {
			f = &flowStat{first: k, start: now}
			c.flows[cf] = f
			c.fresh = append(c.fresh, k)
		}
		f.bytes += uint64(size)
		f.pkts++
		f.last = now
		c.mu.Unlock()
	}
}

// parseIP reads the IP and transport headers of a packet.
func parseIP(b []byte, ethertype uint16) (FlowKey, int, bool) {
	f, size, ok := procload.ParseIP(b, ethertype)
	return FlowKey{Proto: f.Proto, Src: f.Src, Dst: f.Dst}, size, ok
}

func (c *capture) takeFresh() []FlowKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.fresh
	c.fresh = nil
	return f
}

func (c *capture) close() {
	close(c.stop)
	<-c.done
	unix.Close(c.fd)
}

func runWorkload(t *testing.T) {
	n, err := procload.FromEnv(os.Getenv(innerEnv))
	if err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(t.TempDir(), "manifest")
	srv := procload.StartServer(t, "..", n)

	vh, err := net.InterfaceByName("vh")
	if err != nil {
		t.Fatal(err)
	}
	capt := startCapture(t, vh.Index)
	res, err := New(Config{Logf: t.Logf, NoHook: os.Getenv("PKTOP_PROCS_NOHOOK") != ""})
	if err != nil {
		t.Fatal(err)
	}
	answers := make(map[canon]Answer)
	var amu sync.Mutex
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		for as := range res.Answers() {
			amu.Lock()
			for _, a := range as {
				answers[canonOf(a.Key)] = a
			}
			amu.Unlock()
		}
	}()
	// Ask about new flows as pktop would: its capture hands packets to the
	// model in batches, at most every 100 ms when traffic is light.
	askStop := make(chan struct{})
	askDone := make(chan struct{})
	go func() {
		defer close(askDone)
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-askStop:
				for _, k := range capt.takeFresh() {
					res.Ask(k)
				}
				return
			case <-tk.C:
				for _, k := range capt.takeFresh() {
					res.Ask(k)
				}
			}
		}
	}()

	var nh *procload.Nethogs
	if os.Getenv(compareEnv) != "" {
		nh = procload.StartNethogs(t, n, "vh")
	}

	procload.Run(t, "..", n, manifest, 40)
	time.Sleep(1500 * time.Millisecond)
	if nh != nil {
		nh.Stop()
	}
	close(askStop)
	<-askDone
	capt.close()
	time.Sleep(500 * time.Millisecond)
	st := res.Stats()
	res.Close()
	<-collected
	t.Logf("resolver: %+v", st)

	pids := procload.ReadManifest(t, manifest)
	serverPID := int32(srv.Process.Pid)
	sc := score(t, capt.flows, answers, pids, serverPID, n.Ctr)
	if nh != nil {
		best, unknown := nh.Bytes(t)
		total := map[string]uint64{}
		for _, f := range capt.flows {
			if role, _, _, ok := procload.RoleOf(procload.Flow{Proto: f.first.Proto, Src: f.first.Src, Dst: f.first.Dst}); ok {
				total[role.Name] += f.bytes
			}
		}
		sc.Nethogs = procload.NethogsShares(best, total, pids)
		t.Logf("nethogs: %d pids with traffic; its largest unknown row %.0f bytes", len(best), unknown)
	}
	sc.Log(t, "procs")
	if st.Hook {
		if share := sc.All()[1].Share(); share < 0.99 {
			t.Errorf("connections of 50 ms or more: %.2f%% of their bytes went to the right pid and command, want 99%%", 100*share)
		}
	} else {
		t.Log("no socket-creation hook here: the 99% check is not made")
	}
	if st.Namespaces < 2 {
		t.Errorf("the container's namespace was not found: %d namespaces", st.Namespaces)
	}
}

func score(t *testing.T, flows map[canon]*flowStat, answers map[canon]Answer, pids map[string]map[int32]bool, serverPID int32, ctr string) *procload.Shares {
	s := procload.NewShares()
	for cf, f := range flows {
		role, srvEnd, cliEnd, isRole := procload.RoleOf(procload.Flow{Proto: f.first.Proto, Src: f.first.Src, Dst: f.first.Dst})
		if !isRole {
			continue
		}
		long := f.last.Sub(f.start) >= 50*time.Millisecond
		a, asked := answers[cf]
		cli, srvO := a.Src, a.Dst
		if a.Key.Src != cliEnd {
			cli, srvO = a.Dst, a.Src
		}
		ok := asked && cli.Reason == Owned && pids[role.Name][cli.PID] && strings.HasPrefix(cli.Command, role.Comm)
		if role.Name == "ctr" && cli.Container != "netns:"+ctr {
			ok = false
		}
		s.Add(role.Name, long, ok, f.bytes)
		if !ok && len(s.Wrong) < 20 {
			s.Wrong = append(s.Wrong, fmt.Sprintf("%s %v (%d bytes, %v): client %s %+v",
				role.Name, f.first, f.bytes, f.last.Sub(f.start).Round(time.Millisecond), cli.Reason, cli))
		}
		if srvEnd.Port() != 5301 || srvO.PID != 0 {
			i := 0
			if long {
				i = 1
			}
			s.Server[i].Add(asked && srvO.Reason == Owned && srvO.PID == serverPID, f.bytes)
		}
	}
	return s
}
