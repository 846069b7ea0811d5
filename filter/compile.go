package filter

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/bpf"
)

// Options say what a program is compiled for.
type Options struct {
	// LinkType is the link type of the frames (LINKTYPE_* of pcap and
	// pcapng: 1 Ethernet, 113 Linux SLL, 276 SLL2, 101 raw IP, ...).
	LinkType int
	// ByteOrder is the byte order of the host that wrote the capture, for
	// link headers with host-order fields (the AF_ value of NULL, link
	// type 0). nil means little-endian. tcpdump -r compiles for the
	// file's byte order the same way.
	ByteOrder binary.ByteOrder
	// Live compiles for a Linux packet socket: the outermost VLAN tag is
	// read from the kernel's metadata (the kernel strips it before the
	// filter runs), and inbound/outbound from the packet type, as libpcap
	// does for a live capture. Such programs use Linux's ancillary loads,
	// which the x/net/bpf VM cannot run.
	Live bool
	// Snaplen is what the program returns for an accepted packet
	// (0: 262144, tcpdump's default).
	Snaplen uint32
	// Netmask is the IPv4 netmask "ip broadcast" uses (0, as tcpdump -r:
	// the all-zeros and all-ones addresses).
	Netmask uint32
	// Resolver resolves host names, once, at compile time. nil refuses
	// host names; DefaultResolver asks the system.
	Resolver func(name string) ([]netip.Addr, error)
}

// DefaultResolver resolves a host name through the system (/etc/hosts,
// DNS), giving up after five seconds.
func DefaultResolver(name string) ([]netip.Addr, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return net.DefaultResolver.LookupNetIP(ctx, "ip", name)
}

// Compile compiles a pcap-filter expression into a classic BPF program
// for the link type in opt. An empty expression accepts every packet. An
// expression the compiler cannot compile gives an *Error.
func Compile(expr string, opt Options) (prog []bpf.Instruction, err error) {
	raw, err := CompileRaw(expr, opt)
	if err != nil {
		return nil, err
	}
	prog = make([]bpf.Instruction, len(raw))
	for i, r := range raw {
		prog[i] = r.Disassemble()
	}
	return prog, nil
}

// CompileRaw is Compile, giving the raw instructions (as the kernel and
// tcpdump -ddd have them).
func CompileRaw(expr string, opt Options) (prog []bpf.RawInstruction, err error) {
	if opt.Snaplen == 0 {
		opt.Snaplen = 262144
	}
	if len(expr) > maxExprLen {
		return nil, &Error{Expr: expr[:64] + "...", Pos: 64, End: 64, Msg: fmt.Sprintf("expression longer than %d bytes", maxExprLen)}
	}
	wrap := func(e error) error {
		if pe, ok := e.(*posError); ok {
			return &Error{Expr: expr, Pos: pe.pos, End: pe.end, Msg: pe.msg}
		}
		return &Error{Expr: expr, Pos: 0, End: len(expr), Msg: e.Error()}
	}
	tree, err := parse(expr)
	if err != nil {
		return nil, wrap(err)
	}
	g, err := newGen(expr, opt)
	if err != nil {
		return nil, wrap(err)
	}
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(*posError)
			if !ok {
				panic(r)
			}
			prog, err = nil, wrap(pe)
		}
	}()
	if tree == nil {
		// No expression: every packet, on every link type.
		return []bpf.RawInstruction{{Op: opRET | srcK, K: opt.Snaplen}}, nil
	}
	c := g.walk(tree)
	if g.regs+g.temps > numRegs {
		return nil, wrap(errAt(0, len(expr), "too many registers needed to evaluate expression"))
	}
	lasting := map[uint32]bool{}
	for r := 0; r < g.regs; r++ {
		lasting[uint32(r)] = true
	}
	gr := newGraph(opt.Snaplen, lasting)
	entry := gr.compile(c, gr.accept, gr.reject)
	gr.thread(entry)
	entry = gr.simplify(entry)
	if gr.pullup(entry) {
		gr.thread(entry)
		entry = gr.simplify(entry)
	}
	if g.is80211() {
		entry = g.prologue80211(gr, entry)
	}
	gr.dropReloads(entry)
	gr.dropXReloads(entry)
	out, err := gr.layout(g.prologue, entry)
	if err != nil {
		return nil, wrap(err)
	}
	return out, nil
}

// String lists a program one instruction a line, as tcpdump -d.
func String(prog []bpf.Instruction) string {
	var b strings.Builder
	for i, in := range prog {
		fmt.Fprintf(&b, "(%03d) %v\n", i, in)
	}
	return b.String()
}
