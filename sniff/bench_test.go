package sniff

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/pktop/pktop/internal/synth"
	"github.com/pktop/pktop/model"
)

// benchCapture is the capture named by PKTOP_BENCH_FILE (bench/replay.sh
// sets it), or a synthetic capture of 200,000 packets made at run time
// (the repository holds no large captures).
var benchCapture = sync.OnceValues(func() ([]byte, error) {
	if name := os.Getenv("PKTOP_BENCH_FILE"); name != "" {
		return os.ReadFile(name)
	}
	var buf bytes.Buffer
	err := synth.Write(&buf, 200000, 5000)
	return buf.Bytes(), err
})

func capture(b *testing.B) []byte {
	data, err := benchCapture()
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// reportCPU starts counting the process's CPU time; the function it
// returns reports it, per operation, as cpu-ns/op.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if n := b.N; n > 0 && start > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(n), "cpu-ns/op")
		}
	}
}

// BenchmarkReferenceLoop is the baseline the replay issue measures pktop
// against: pcapgo zero-copy reads through a 1 MiB buffer, one
// DecodingLayerParser, and a map of bytes per IP address.
func BenchmarkReferenceLoop(b *testing.B) {
	name := os.Getenv("PKTOP_BENCH_FILE")
	var data []byte
	if name != "" {
		// The file is read as pktop reads it, not from memory: not
		// loaded here, so that the process's CPU time and peak memory
		// (bench/replay.sh) are the loop's.
		st, err := os.Stat(name)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(st.Size())
	} else {
		data = capture(b)
		b.SetBytes(int64(len(data)))
	}
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		var in io.Reader = bytes.NewReader(data)
		if name != "" {
			f, err := os.Open(name)
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			in = f
		}
		r, err := pcapgo.NewReader(bufio.NewReaderSize(in, 1<<20))
		if err != nil {
			b.Fatal(err)
		}
		var eth layers.Ethernet
		var dot1q layers.Dot1Q
		var ip4 layers.IPv4
		var ip6 layers.IPv6
		var tcp layers.TCP
		var udp layers.UDP
		p := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &dot1q, &ip4, &ip6, &tcp, &udp)
		p.IgnoreUnsupported = true
		decoded := make([]gopacket.LayerType, 0, 8)
		perIP := map[netip.Addr]uint64{}
		n := 0
		for {
			d, ci, err := r.ZeroCopyReadPacketData()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
			p.DecodeLayers(d, &decoded)
			for _, t := range decoded {
				switch t {
				case layers.LayerTypeIPv4:
					perIP[netip.AddrFrom4([4]byte(ip4.SrcIP.To4()))] += uint64(ci.Length)
					perIP[netip.AddrFrom4([4]byte(ip4.DstIP.To4()))] += uint64(ci.Length)
				case layers.LayerTypeIPv6:
					perIP[netip.AddrFrom16([16]byte(ip6.SrcIP))] += uint64(ci.Length)
					perIP[netip.AddrFrom16([16]byte(ip6.DstIP))] += uint64(ci.Length)
				}
			}
		}
		b.ReportMetric(float64(n), "packets/op")
	}
}

// benchPcapng is the benchmark capture as a pcapng: one interface, an
// enhanced packet block a packet.
var benchPcapng = sync.OnceValues(func() ([]byte, error) {
	data, err := benchCapture()
	if err != nil {
		return nil, err
	}
	r, err := NewReader("bench", bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	g := synth.NewNG(binary.LittleEndian).IDB(uint16(r.LinkType()), 0, nil)
	for {
		fr, err := r.Next()
		if err != nil {
			break
		}
		g.Block(synth.BlockEPB, g.EPBBody(0, uint64(fr.Time/1000), uint32(len(fr.Data)), uint32(fr.WireLen), fr.Data, nil))
	}
	return g.B, nil
})

// BenchmarkRead measures reading records alone.
func BenchmarkRead(b *testing.B) { benchFrames(b, capture(b), func(Frame) {}) }

// BenchmarkReadPcapng measures reading the same records from a pcapng.
func BenchmarkReadPcapng(b *testing.B) {
	data, err := benchPcapng()
	if err != nil {
		b.Fatal(err)
	}
	benchFrames(b, data, func(Frame) {})
}

// BenchmarkDecode measures reading and decoding into summaries.
func BenchmarkDecode(b *testing.B) {
	var d Decoder
	benchFrames(b, capture(b), func(fr Frame) {
		p := model.Packet{Time: fr.Time, WireLen: uint32(fr.WireLen)}
		d.Decode(fr.Data, fr.LinkType, &p)
	})
}

// benchFrames reads a capture and hands f every frame.
func benchFrames(b *testing.B, data []byte, f func(Frame)) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader("bench", bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		for {
			fr, err := r.Next()
			if err != nil {
				break
			}
			f(fr)
		}
	}
}

// BenchmarkReplay measures the whole headless pipeline: the sniffer
// goroutine reading and decoding, batches over a channel, the model
// goroutine counting.
func BenchmarkReplay(b *testing.B) {
	data := capture(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		f, err := NewReader("bench", bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		ch := make(chan *model.Batch, 16)
		m := model.New(model.DefaultConfig(), 0)
		go func() {
			if err := Replay(context.Background(), f, ch, Options{LearnNames: true}); err != nil {
				b.Error(err)
			}
			close(ch)
		}()
		agg := m.Run(context.Background(), ch)
		s := agg.Snapshot(model.View{Limit: 10})
		if f.Records() != int(s.Total.Packets) {
			b.Fatalf("counted %d packets of %d", s.Total.Packets, f.Records())
		}
		b.ReportMetric(float64(s.Total.Packets), "packets/op")
	}
}

// TestCorpusDecodesWithoutPanic decodes every frame of testdata and the
// demo, as a quick guard besides FuzzDecode.
func TestCorpusDecodesWithoutPanic(t *testing.T) {
	files, _ := filepath.Glob("../testdata/captures/*")
	for _, name := range files {
		f, err := Open(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var d Decoder
		d.LearnNames = true
		for {
			fr, err := f.Next()
			if err != nil {
				break
			}
			var p model.Packet
			d.Decode(fr.Data, fr.LinkType, &p)
		}
		f.Close()
	}
	_ = os.Stdout
}
