package sniff

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pktop/pktop/model"
)

// replayAll replays a file and returns the counted packets and the
// number of batches sent.
func replayAll(t *testing.T, f *File, opt Options) (uint64, int) {
	t.Helper()
	ch := make(chan *model.Batch, 4)
	errc := make(chan error, 1)
	go func() { errc <- Replay(context.Background(), f, ch, opt); close(ch) }()
	var n uint64
	batches := 0
	for b := range ch {
		n += uint64(len(b.Packets))
		batches++
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	return n, batches
}

// TestFilterAgreesWithTcpdump: a filter passes exactly the packets that
// tcpdump's own filtering passes, on captures of several link types.
func TestFilterAgreesWithTcpdump(t *testing.T) {
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump is not installed")
	}
	cases := []struct{ file, expr string }{
		{"pcpp_sll.pcap", "tcp port 80"},
		{"pcpp_sll.pcap", "udp or arp"},
		{"pcpp_sll2.pcap", "tcp"},
		{"pcpp_VlanPackets.pcap", "vlan and vlan and icmp"},
		{"pcpp_raw_ip.pcap", "ip6 and tcp"},
		{"tcpdump_dhcp-rfc4388.pcap", "not (port 67 or port 68)"},
		{"pcpp_sll.pcap", "tcp[tcpflags] & tcp-syn != 0"},
		{"gopacket_test_loopback.pcap", "ip6 and tcp src port 8080"},
		{"pcpp_DnsPackets.pcap", "udp port 53 and greater 100"},
		// Cut by a 256-byte snap length: len is the length on the wire.
		{"tcpdump_quic_handshake_snaplen256.pcap", "greater 300"},
		{"tcpdump_quic_handshake_snaplen256.pcap", "less 300"},
		{"tcpdump_quic_handshake_snaplen256.pcap", "len > 1000 and udp"},
	}
	for _, c := range cases {
		path := "../testdata/captures/" + c.file
		out, err := exec.Command("tcpdump", "-nn", "-r", path, c.expr).Output()
		if err != nil {
			t.Fatalf("tcpdump %s %q: %v", c.file, c.expr, err)
		}
		want := uint64(strings.Count(string(out), "\n"))
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		flt, err := NewFileFilter(c.expr, f)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := replayAll(t, f, Options{Filter: flt})
		f.Close()
		if got != want || want == 0 {
			t.Errorf("%s %q: %d packets; tcpdump says %d", c.file, c.expr, got, want)
		}
	}
	if _, err := NewFilter("tcp port", 1); err == nil || !strings.Contains(err.Error(), `filter "tcp port"`) {
		t.Errorf("a bad filter gives %v", err)
	}
}

// TestStdinTrickle: packets that trickle in through a pipe (as from
// "tcpdump -U -w -" over ssh) reach the model as they arrive, not at the
// end of the input.
func TestStdinTrickle(t *testing.T) {
	data, err := os.ReadFile("../testdata/captures/tcpdump_tcp-handshake-nano.pcap")
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	first := 24 + 16 + int(binary.LittleEndian.Uint32(data[24+8:]))
	go func() {
		// The file header and the first packet, then nothing until the
		// test has seen it.
		pw.Write(data[:first])
	}()
	f, err := NewReader("-", pr)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan *model.Batch, 4)
	go func() { Replay(context.Background(), f, ch, Options{}); close(ch) }()
	select {
	case b := <-ch:
		if len(b.Packets) != 1 {
			t.Fatalf("first batch has %d packets; want 1", len(b.Packets))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first packet did not arrive while the pipe stayed open")
	}
	pw.Write(data[first:])
	pw.Close()
	n := 0
	for b := range ch {
		n += len(b.Packets)
	}
	if n != 2 {
		t.Fatalf("%d more packets; want 2", n)
	}
}

// TestPacedReplay replays a 51-second capture in a bubble of fake time:
// at speed 1 it takes the capture's own 51 s, at speed 10 a tenth of it,
// and a paused replay moves on only by steps.
func TestPacedReplay(t *testing.T) {
	for _, speed := range []float64{1, 10} {
		synctest.Test(t, func(t *testing.T) {
			f, err := Open("../testdata/captures/pcpp_sll.pcap")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			start := time.Now()
			n, batches := replayAll(t, f, Options{Player: NewPlayer(speed)})
			took := time.Since(start)
			want := time.Duration(51.017912 / speed * float64(time.Second))
			if n != 518 || took < want-time.Second/10 || took > want+time.Second/5 {
				t.Errorf("speed %v: %d packets in %v; want 518 in %v", speed, n, took, want)
			}
			if batches < 50 {
				t.Errorf("speed %v: only %d batches: the replay is not paced", speed, batches)
			}
		})
	}
	synctest.Test(t, func(t *testing.T) {
		f, err := Open("../testdata/captures/pcpp_sll.pcap")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		pl := NewPlayer(1)
		pl.SetPaused(true)
		ch := make(chan *model.Batch, 1000)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go Replay(ctx, f, ch, Options{Player: pl})
		time.Sleep(time.Minute)
		synctest.Wait()
		first := pl.Clock()
		for i := 0; i < 5; i++ {
			pl.Step()
			time.Sleep(time.Second)
			synctest.Wait()
		}
		if got := pl.Clock() - first; got != 5*int64(time.Second) {
			t.Errorf("5 steps moved the paused clock by %v; want 5s", time.Duration(got))
		}
		cancel()
	})
}

// TestStreamClockMoves: while a stream is quiet, the capture clock moves
// on with the wall clock from the last packet.
func TestStreamClockMoves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		data, err := os.ReadFile("../testdata/captures/tcpdump_tcp-handshake-nano.pcap")
		if err != nil {
			t.Fatal(err)
		}
		pr, pw := io.Pipe()
		first := 24 + 16 + int(binary.LittleEndian.Uint32(data[24+8:]))
		go pw.Write(data[:first])
		f, err := NewReader("-", pr)
		if err != nil {
			t.Fatal(err)
		}
		ch := make(chan *model.Batch, 100)
		go func() { Replay(context.Background(), f, ch, Options{Stream: true}); close(ch) }()
		b := <-ch
		pt := b.Packets[0].Time
		time.Sleep(5 * time.Second)
		synctest.Wait()
		var last int64
		ticks := 0
		for len(ch) > 0 {
			b := <-ch
			if len(b.Packets) == 0 {
				ticks++
				last = b.Now
			}
		}
		if ticks < 5 || last-pt < int64(4*time.Second) || last-pt > int64(5*time.Second) {
			t.Errorf("%d clock ticks, the last %v after the packet; want about 5s", ticks, time.Duration(last-pt))
		}
		pw.Close()
		for range ch {
		}
	})
}

// TestFilterSetMidStream changes the filter of a replay from a stream
// between two halves of a capture: the first half is filtered by the old
// expression, the second by the new one. A bad expression is refused and
// changes nothing.
func TestFilterSetMidStream(t *testing.T) {
	data, err := os.ReadFile("../testdata/captures/crafted_2.pcap")
	if err != nil {
		t.Fatal(err)
	}
	// Split after the 13th record.
	off := 24
	for i := 0; i < 13; i++ {
		off += 16 + int(binary.LittleEndian.Uint32(data[off+8:]))
	}
	count := func(expr string, part []byte) uint64 {
		f, err := NewReader("half", bytes.NewReader(append(append([]byte{}, data[:24]...), part...)))
		if err != nil {
			t.Fatal(err)
		}
		flt, err := NewFileFilter(expr, f)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := replayAll(t, f, Options{Filter: flt})
		return n
	}
	want1, want2 := count("tcp", data[24:off]), count("udp or icmp", data[off:])
	if want1 == 0 || want2 == 0 {
		t.Fatalf("the halves have %d and %d matching packets: pick another split", want1, want2)
	}

	pr, pw := io.Pipe()
	go pw.Write(data[:off])
	f, err := NewReader("-", pr)
	if err != nil {
		t.Fatal(err)
	}
	flt, err := NewFileFilter("tcp", f)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan *model.Batch, 100)
	errc := make(chan error, 1)
	go func() { errc <- Replay(context.Background(), f, ch, Options{Filter: flt}) }()
	var got uint64
	deadline := time.After(5 * time.Second)
	for got < want1 {
		select {
		case b := <-ch:
			got += uint64(len(b.Packets))
		case <-deadline:
			t.Fatalf("first half: %d packets, want %d", got, want1)
		}
	}
	if err := flt.Set("tcp port"); err == nil || flt.String() != "tcp" {
		t.Errorf("a bad expression: %v; the filter is now %q", err, flt.String())
	}
	if err := flt.Set("udp or icmp"); err != nil {
		t.Fatal(err)
	}
	go func() { pw.Write(data[off:]); pw.Close() }()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	close(ch)
	for b := range ch {
		got += uint64(len(b.Packets))
	}
	if got != want1+want2 {
		t.Errorf("%d packets; want %d under \"tcp\" then %d under \"udp or icmp\"", got, want1, want2)
	}
}
