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
	trickle(t, f, func() {
		pw.Write(data[first:])
		pw.Close()
	})
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

// timedCapture is a pcap of one small UDP frame at each of the given
// times (seconds after an epoch start).
func timedCapture(t *testing.T, secs ...float64) *File {
	t.Helper()
	var b []byte
	hdr := make([]byte, 24)
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b23c4d) // nanoseconds
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], 65535)
	binary.LittleEndian.PutUint32(hdr[20:], 101) // raw IP
	b = append(b, hdr...)
	frame := []byte{0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0, 53, 0, 53, 0, 8, 0, 0}
	for _, s := range secs {
		ns := int64(1.6e18) + int64(s*1e9)
		rec := make([]byte, 16)
		binary.LittleEndian.PutUint32(rec[0:], uint32(ns/1e9))
		binary.LittleEndian.PutUint32(rec[4:], uint32(ns%1e9))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(frame)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(frame)))
		b = append(b, rec...)
		b = append(b, frame...)
	}
	f, err := NewReader("timed.pcap", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// elapsedClock is the player's clock, seconds after the first packet.
func elapsedClock(pl *Player) float64 { return float64(pl.Clock()-int64(1.6e18)) / 1e9 }

// TestPlayerPauseResume: in fake time, a replay paused at 7.7 s and
// resumed ten minutes later goes on from 7.7 s at once; a step moves a
// paused clock by exactly a second; a speed change applies at once.
func TestPlayerPauseResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		secs := make([]float64, 0, 600)
		for i := range 600 {
			secs = append(secs, float64(i)*0.1)
		}
		f := timedCapture(t, secs...)
		pl := NewPlayer(1)
		ch := make(chan *model.Batch, 100000)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go Replay(ctx, f, ch, Options{Player: pl})
		at := func(want float64, what string) {
			t.Helper()
			synctest.Wait()
			if got := elapsedClock(pl); got < want-0.11 || got > want+0.11 {
				t.Errorf("%s: the clock is at %.2f s; want %.2f s", what, got, want)
			}
		}
		time.Sleep(7700 * time.Millisecond)
		at(7.7, "after 7.7 s at x1")
		pl.SetPaused(true)
		time.Sleep(10 * time.Minute)
		at(7.7, "paused for 10 minutes")
		pl.Step()
		at(8.7, "one step")
		pl.Step()
		pl.Step()
		at(10.7, "two more steps")
		pl.SetPaused(false)
		time.Sleep(time.Second)
		at(11.7, "a second after resuming")
		pl.SetSpeed(10)
		time.Sleep(2 * time.Second)
		at(31.7, "two seconds at x10")
		pl.SetSpeed(0.5)
		time.Sleep(2 * time.Second)
		at(32.7, "two seconds at x0.5")
		cancel()
	})
}

// TestPlayerGaps: a gap longer than the player's limit is skipped at
// once, and said; a shorter one is waited through, Waiting saying how
// long it is, until Skip jumps it.
func TestPlayerGaps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const years = 4.5 * 365 * 24 * 3600
		f := timedCapture(t, 0, 1, 2, 2+years, 3+years, 3+years+30, 3+years+31)
		pl := NewPlayer(1)
		ch := make(chan *model.Batch, 1000)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- Replay(ctx, f, ch, Options{Player: pl}) }()
		time.Sleep(2500 * time.Millisecond)
		synctest.Wait()
		if n, gap := pl.Skipped(); n != 1 || gap < time.Duration(years-1)*time.Second {
			t.Errorf("after 2.5 s: %d gaps skipped, the last %v; want the 4.5-year gap skipped", n, gap)
		}
		if got := elapsedClock(pl) - years; got < 2.4 || got > 2.6 {
			t.Errorf("the clock is %.2f s after the gap's end; want 2.5", got)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if w := pl.Waiting(); w < 28*time.Second || w > 30*time.Second {
			t.Errorf("waiting through a 30 s gap: Waiting says %v", w)
		}
		pl.Skip()
		synctest.Wait()
		if w := pl.Waiting(); w > time.Second {
			t.Errorf("after Skip, Waiting says %v", w)
		}
		if n, _ := pl.Skipped(); n != 2 {
			t.Errorf("%d gaps skipped; want 2", n)
		}
		time.Sleep(2 * time.Second)
		if err := <-done; err != nil || !pl.Done() {
			t.Errorf("the replay should be done: %v", err)
		}
	})
}

// TestServiceNames: well-known ports and the registered ports pktop knows
// are named; the ports clients pick are not.
func TestServiceNames(t *testing.T) {
	for _, c := range []struct {
		l4   uint8
		port uint16
		want string
	}{{6, 443, "https"}, {17, 53, "domain"}, {6, 3306, "mysql"}, {17, 5011, ""}, {6, 2222, ""}, {6, 40000, ""}} {
		if got := ServiceName(c.l4, c.port); got != c.want {
			t.Errorf("%d/%d: %q; want %q", c.l4, c.port, got, c.want)
		}
	}
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

// trickle replays a stream whose writer has sent one packet and waits:
// the packet must reach the model while the pipe stays open; then rest
// sends the remaining two packets and closes the pipe.
func trickle(t *testing.T, f *File, rest func()) {
	t.Helper()
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
	rest()
	n := 0
	for b := range ch {
		n += len(b.Packets)
	}
	if n != 2 {
		t.Fatalf("%d more packets; want 2", n)
	}
}
