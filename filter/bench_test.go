package filter

import (
	"testing"

	"golang.org/x/net/bpf"
)

// benchExprs are typical filters, from the simplest to heavy ones.
var benchExprs = []string{
	"tcp",
	"host 10.0.0.1",
	"port 53",
	"tcp port 443",
	"not port 22",
	"tcp port 80 or udp port 53 or icmp",
	"tcp and (port 80 or port 443)",
	"host 10.0.0.1 and not port 22",
	"net 10.0.0.0/8 and udp portrange 1000-2000",
	"tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
	"vlan and udp",
	"port 22 or port 23 or port 80 or port 443 or port 8080 or port 53 or port 123",
	"ip6 and icmp6 and ip6[40] = 128",
	"not (port 22 or port 443) and (host 10.0.0.1 or host 10.0.0.2 or net 192.168.0.0/16)",
}

// BenchmarkFilter runs each expression's program, this compiler's and
// libpcap's optimised one (tcpdump -ddd), in the x/net/bpf VM over the
// same Ethernet frames (the corpus's and generated ones), and reports the
// instruction count and the time per frame.
func BenchmarkFilter(b *testing.B) {
	frames := benchFrames()
	for _, expr := range benchExprs {
		mine, err := CompileRaw(expr, Options{LinkType: LinkEthernet})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(expr+"/pktop", func(b *testing.B) { runBench(b, mine, frames) })
		if testing.Short() {
			continue
		}
		b.Run(expr+"/libpcap", func(b *testing.B) {
			needTcpdump(b)
			r := libpcap(expr, "-y", "EN10MB")
			if r.err != "" {
				b.Fatal(r.err)
			}
			runBench(b, r.prog, frames)
		})
	}
}

func benchFrames() [][]byte {
	var frames [][]byte
	for _, f := range captureFiles() {
		pkts, err := readCapture(f)
		if err != nil {
			continue
		}
		for _, p := range pkts {
			if p.lt == LinkEthernet && len(frames) < 3000 {
				frames = append(frames, p.data)
			}
		}
	}
	for _, p := range generated(LinkEthernet, 2000, 5) {
		frames = append(frames, p.data)
	}
	return frames
}

func runBench(b *testing.B, prog []bpf.RawInstruction, frames [][]byte) {
	ins := make([]bpf.Instruction, len(prog))
	for i, r := range prog {
		ins[i] = r.Disassemble()
	}
	vm, err := bpf.NewVM(ins)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		for _, f := range frames {
			if k, _ := vm.Run(f); k > 0 {
				n++
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(frames)), "ns/frame")
	b.ReportMetric(float64(len(prog)), "insns")
	b.ReportMetric(float64(n)/float64(b.N), "accepted")
}

// BenchmarkCompile measures compiling an expression.
func BenchmarkCompile(b *testing.B) {
	for _, expr := range []string{"tcp port 443", benchExprs[len(benchExprs)-1]} {
		b.Run(expr, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := CompileRaw(expr, Options{LinkType: LinkEthernet}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
