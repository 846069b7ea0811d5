//go:build linux

package sniff

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/pktop/pktop/model"
)

func TestOpenLiveErrors(t *testing.T) {
	if _, err := OpenLive(LiveOptions{Interface: "pktop-nope0"}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing interface: %v", err)
	}
	if _, err := exec.LookPath("tcpdump"); err == nil {
		_, err := OpenLive(LiveOptions{Interface: "lo", Filter: "tcp port nosuchservice"})
		if err == nil || !strings.HasPrefix(err.Error(), `filter "tcp port nosuchservice": `) || strings.Contains(err.Error(), "\n") {
			t.Errorf("bad filter: %v", err)
		}
	}
	if os.Geteuid() != 0 {
		_, err := OpenLive(LiveOptions{Interface: "lo"})
		var pe *PermissionError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "setcap cap_net_raw,cap_net_admin=eip") {
			t.Errorf("without privileges: %v", err)
		}
	}
}

// openLo opens a capture on lo for UDP to one port that the test sends to.
func openLo(t *testing.T, opt LiveOptions) (*Live, *net.UDPConn) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to open a capture socket")
	}
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("needs tcpdump to compile the filter")
	}
	sink, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	opt.Interface = "lo"
	opt.Filter = "udp dst port " + strings.TrimPrefix(sink.LocalAddr().String(), "127.0.0.1:")
	l, err := OpenLive(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	c, err := net.DialUDP("udp4", nil, sink.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return l, c
}

// TestLiveLoopbackOnce sends datagrams over lo and checks that each is
// captured once (not twice, as a raw socket sees lo), that -c stops the
// capture, that -w writes them, and that empty batches keep coming with
// the wall clock while the interface is quiet.
func TestLiveLoopbackOnce(t *testing.T) {
	l, c := openLo(t, LiveOptions{Count: 50})
	var buf bytes.Buffer
	l.WriteTo(&buf, "test.pcap", false)
	if e := l.Stats().WriteError; e != "" {
		t.Fatal(e)
	}
	out := make(chan *model.Batch, 64)
	errc := make(chan error, 1)
	go func() { errc <- l.Feed(context.Background(), out) }()
	time.Sleep(300 * time.Millisecond) // quiet: ticks only
	for i := 0; i < 60; i++ {
		c.Write([]byte("pktop"))
	}
	var err error
	select {
	case err = <-errc:
	case <-time.After(5 * time.Second):
		t.Fatal("-c 50 did not stop the capture")
	}
	if err != nil {
		t.Fatal(err)
	}
	close(out)
	packets, empty := 0, 0
	for b := range out {
		if len(b.Packets) == 0 {
			empty++
		}
		packets += len(b.Packets)
		if now := time.Now().UnixNano(); b.Now <= 0 || b.Now > now || now-b.Now > int64(10*time.Second) {
			t.Errorf("batch Now %d is not the wall clock", b.Now)
		}
		if b.Source == nil {
			t.Error("batch without source stats")
		}
		for _, p := range b.Packets {
			if p.L4 != 17 || p.WireLen != 14+20+8+5 {
				t.Errorf("captured %+v", p)
			}
		}
	}
	if packets != 50 || l.Stats().Captured != 50 {
		t.Errorf("captured %d packets (stats %+v), want 50", packets, l.Stats())
	}
	if empty < 2 {
		t.Errorf("%d empty batches in 300 ms of quiet, want a tick every 100 ms", empty)
	}
	f, err := NewReader("test.pcap", &buf)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		fr, err := f.Next()
		if err != nil {
			break
		}
		if fr.LinkType != layers.LinkTypeEthernet || fr.CapLen != 47 {
			t.Errorf("-w frame %+v", fr)
		}
		n++
	}
	if n != 50 {
		t.Errorf("-w wrote %d frames, want 50", n)
	}
}

// TestLiveQueueDrops checks that Feed never waits for a model that does
// not read: what it cannot hand over is counted, not blocked on.
func TestLiveQueueDrops(t *testing.T) {
	l, c := openLo(t, LiveOptions{})
	out := make(chan *model.Batch) // nobody reads
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- l.Feed(ctx, out) }()
	time.Sleep(100 * time.Millisecond)
	for i := 0; i < 200; i++ {
		c.Write([]byte("x"))
	}
	deadline := time.Now().Add(5 * time.Second)
	for l.Stats().Captured < 200 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Feed: %v", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Feed waited for the model")
	}
	st := l.Stats()
	if st.Captured != 200 || st.QueueDrops != 200 {
		t.Errorf("stats %+v, want 200 captured and 200 dropped in the queue", st)
	}
}

// TestLiveCloseWhileFeeding closes the capture under a running Feed: the
// reader must stop before the ring is unmapped (the race detector and a
// segfault would tell otherwise).
func TestLiveCloseWhileFeeding(t *testing.T) {
	l, c := openLo(t, LiveOptions{})
	out := make(chan *model.Batch, 1024)
	errc := make(chan error, 1)
	go func() { errc <- l.Feed(context.Background(), out) }()
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				c.Write([]byte("close"))
			}
		}
	}()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	if err := l.Close(); err != nil {
		t.Error(err)
	}
	close(stop)
	if err := <-errc; err != nil {
		t.Errorf("Feed after Close: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	if err := l.Feed(context.Background(), out); err == nil {
		t.Error("Feed after Close did not fail")
	}
}
