package filter

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/bpf"
)

// FuzzCompile: any input gives an *Error or a program that x/net/bpf
// accepts (every jump in bounds, ending in a return), within the kernel's
// instruction limit; never a panic.
func FuzzCompile(f *testing.F) {
	for _, e := range diffExprs {
		f.Add(e, uint8(0))
	}
	for _, e := range liveExprs {
		f.Add(e, uint8(1))
	}
	f.Add("((((((((((tcp))))))))))", uint8(2))
	f.Add("ip[ip[ip[ip[0]]]] = 1", uint8(3))
	f.Add("vlan and vlan and vlan and vlan and mpls and mpls and ip", uint8(4))
	lts := []int{LinkEthernet, LinkSLL, LinkSLL2, LinkRaw, LinkIPv4, LinkIPv6, LinkNull, LinkLoop, LinkPPP,
		LinkPPPSerial, LinkPPPEther, LinkCHDLC, LinkNFLOG, Link80211, LinkRadiotap, LinkPPI, 147}
	f.Fuzz(func(t *testing.T, expr string, sel uint8) {
		opt := Options{LinkType: lts[int(sel>>1)%len(lts)], Live: sel&1 != 0,
			Resolver: func(string) ([]netip.Addr, error) { return nil, errorString("no names in fuzzing") }}
		if sel&0x80 != 0 {
			opt.ByteOrder = binary.BigEndian
		}
		prog, err := CompileRaw(expr, opt)
		if err != nil {
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("%q: error %v is a %T", expr, err, err)
			}
			if e.Pos < 0 || e.End < e.Pos || e.End > len(e.Expr) {
				t.Fatalf("%q: error %q at %d-%d", expr, e.Msg, e.Pos, e.End)
			}
			if !utf8.ValidString(e.Caret()) {
				t.Fatalf("%q: caret line is not UTF-8", expr)
			}
			return
		}
		if len(prog) == 0 || len(prog) > maxInsns {
			t.Fatalf("%q: %d instructions", expr, len(prog))
		}
		ins := make([]bpf.Instruction, len(prog))
		for i, r := range prog {
			ins[i] = r.Disassemble()
			if opt.Live {
				// Ancillary loads: the VM knows only the length;
				// check the jumps with the rest in place.
				if l, ok := ins[i].(bpf.LoadExtension); ok && l.Num != bpf.ExtLen {
					ins[i] = bpf.LoadAbsolute{Off: 0, Size: 4}
				}
			}
		}
		if _, err := bpf.NewVM(ins); err != nil {
			t.Fatalf("%q: x/net/bpf refuses the program: %v\n%s", expr, err, listing(prog))
		}
	})
}
