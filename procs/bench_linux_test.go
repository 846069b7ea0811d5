//go:build linux

package procs

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The cost of a lookup with thousands of sockets open: each benchmark
// opens benchSockets TCP sockets on loopback (connected pairs) first.
// go test -run '^$' -bench . -benchmem ./procs
const benchSockets = 5000

var (
	benchOnce  sync.Once
	benchConns []net.Conn
	benchLn    net.Listener
	benchErr   error
)

func openSockets(b *testing.B) (local, remote netip.AddrPort) {
	benchOnce.Do(func() {
		benchLn, benchErr = net.Listen("tcp4", "127.0.0.1:0")
		if benchErr != nil {
			return
		}
		accepted := make(chan net.Conn, benchSockets)
		go func() {
			for {
				c, err := benchLn.Accept()
				if err != nil {
					return
				}
				accepted <- c
			}
		}()
		for i := 0; i < benchSockets/2; i++ {
			c, err := net.Dial("tcp4", benchLn.Addr().String())
			if err != nil {
				benchErr = err
				return
			}
			benchConns = append(benchConns, c, <-accepted)
		}
	})
	if benchErr != nil {
		b.Skipf("opening %d sockets: %v", benchSockets, benchErr)
	}
	c := benchConns[len(benchConns)/2]
	return netip.MustParseAddrPort(c.LocalAddr().String()), netip.MustParseAddrPort(c.RemoteAddr().String())
}

// BenchmarkLookupSockDiag: one exact sock_diag lookup (what the resolver
// does for each end of each new flow).
func BenchmarkLookupSockDiag(b *testing.B) {
	l, r := openSockets(b)
	c, err := newDiagConn()
	if err != nil {
		b.Skip(err)
	}
	defer c.close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, found, err := c.get(ProtoTCP, l, r); !found || err != nil {
			b.Fatal(found, err)
		}
	}
}

// BenchmarkLookupProcNetTCP: finding the same socket by reading
// /proc/net/tcp, as nethogs and bandwhich do on each refresh.
func BenchmarkLookupProcNetTCP(b *testing.B) {
	l, r := openSockets(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := os.Open("/proc/net/tcp")
		if err != nil {
			b.Fatal(err)
		}
		found := false
		parseProcNet(f, func(s procNetSock) {
			if s.Local == l && s.Remote == r {
				found = true
			}
		})
		f.Close()
		if !found {
			b.Fatal("not found")
		}
	}
}

// BenchmarkScanProcFD: one walk of every /proc/PID/fd (the resolver's
// inode -> pid map), with the sockets above held by this process.
func BenchmarkScanProcFD(b *testing.B) {
	openSockets(b)
	e, err := newEngine(Config{NoHook: true, NoNamespaces: true})
	if err != nil {
		b.Skip(err)
	}
	defer e.close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.scan(time.Now())
	}
	b.ReportMetric(float64(len(e.socks)), "sockets")
}

// BenchmarkNewFlow: the resolver's whole work for one new TCP flow whose
// two ends are local sockets of a known process (both ends looked up,
// owners read from /proc), the hook loaded when it can be.
func BenchmarkNewFlow(b *testing.B) {
	l, r := openSockets(b)
	e, err := newEngine(Config{NoNamespaces: true})
	if err != nil {
		b.Skip(err)
	}
	defer e.close()
	k := FlowKey{Proto: ProtoTCP, Src: l, Dst: r}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now := time.Now()
		e.resolve([]FlowKey{k}, now)
		as := e.poll(now)
		if len(as) != 1 || as[0].Src.Reason != Owned || as[0].Dst.Reason != Owned {
			b.Fatalf("%+v", as)
		}
	}
	b.ReportMetric(float64(e.st.Scans), "scans")
}

// BenchmarkHookLookup: reading one creator record from the hook's map.
func BenchmarkHookLookup(b *testing.B) {
	h, err := openHook()
	if err != nil {
		b.Skip(err)
	}
	defer h.close()
	u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		b.Fatal(err)
	}
	defer u.Close()
	c, _ := newDiagConn()
	defer c.close()
	s, found, err := c.get(ProtoUDP, netip.MustParseAddrPort(u.LocalAddr().String()), netip.MustParseAddrPort("127.0.0.1:9"))
	if !found || err != nil {
		b.Fatal(found, err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := h.lookup(s.Cookie); !ok {
			b.Fatal("no record")
		}
	}
}

// BenchmarkSocketCreate: what the hook costs every program on the host:
// socket(2) and close(2) of a UDP socket, with the hook attached and not.
func BenchmarkSocketCreate(b *testing.B) {
	run := func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
			if err != nil {
				b.Fatal(err)
			}
			syscall.Close(fd)
		}
	}
	b.Run("nohook", run)
	h, err := openHook()
	if err != nil {
		b.Skip(err)
	}
	defer h.close()
	b.Run("hook", run)
}
