package sniff

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
)

// Filter is a tcpdump filter expression compiled to classic BPF and run in
// the pure-Go x/net/bpf virtual machine. The default build has no libpcap,
// so the expression is compiled by the tcpdump program ("tcpdump -y DLT
// -ddd EXPR", which needs no privileges and no interface): tcpdump's own
// compiler, not an imitation of it (see the capture-stack notes for why
// pure-Go compilers are not fit for filters typed by users).
//
// A capture may mix link types (pcapng); the expression is compiled for
// each one as it is first seen.
type Filter struct {
	expr string
	// file, when set, is a capture tcpdump can read itself: frames of its
	// link type fileLT are filtered by the program tcpdump compiles for
	// that very file ("tcpdump -r FILE -ddd"), which knows what "-y"
	// cannot: the byte order of a BSD loopback header, for one.
	file   string
	fileLT layers.LinkType
	mu     sync.Mutex
	vms    map[layers.LinkType]*prog
	errs   map[layers.LinkType]error

	// The program of the last link type matched, and a buffer for
	// programs that read the frame length: Match is called by one
	// goroutine at a time.
	lastLT   layers.LinkType
	last     *prog
	lenFrame []byte
}

// prog is a compiled filter. A program that reads the frame's length
// (tcpdump's "len", "greater", "less") must see the length on the wire,
// not what was captured, and the x/net/bpf VM knows only the latter: such
// a program is rewritten to read the length from 4 bytes put in front of
// the frame, all its packet loads moved by 4.
type prog struct {
	vm      *bpf.VM
	usesLen bool
}

func newProg(ins []bpf.Instruction) (*prog, error) {
	p := &prog{}
	for _, in := range ins {
		if e, ok := in.(bpf.LoadExtension); ok && e.Num == bpf.ExtLen {
			p.usesLen = true
		}
	}
	if p.usesLen {
		for i, in := range ins {
			switch v := in.(type) {
			case bpf.LoadExtension:
				if v.Num == bpf.ExtLen {
					ins[i] = bpf.LoadAbsolute{Off: 0, Size: 4}
				}
			case bpf.LoadAbsolute:
				v.Off += 4
				ins[i] = v
			case bpf.LoadIndirect:
				v.Off += 4
				ins[i] = v
			case bpf.LoadMemShift:
				v.Off += 4
				ins[i] = v
			}
		}
	}
	vm, err := bpf.NewVM(ins)
	if err != nil {
		return nil, err
	}
	p.vm = vm
	return p, nil
}

// ErrNoCompiler says that no filter compiler is available.
var ErrNoCompiler = errors.New("filters need tcpdump to compile them: install it (apt-get install tcpdump)")

// NewFilter checks expr by compiling it for the given link type. An
// empty expression gives a nil Filter, which matches everything.
func NewFilter(expr string, lt layers.LinkType) (*Filter, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, nil
	}
	f := &Filter{expr: expr, vms: map[layers.LinkType]*prog{}, errs: map[layers.LinkType]error{}}
	if _, err := f.vm(lt); err != nil {
		return nil, err
	}
	return f, nil
}

// NewFileFilter is NewFilter for the frames of a capture file: where
// tcpdump can read the file itself (not standard input, not gzip), the
// program is compiled for that file.
func NewFileFilter(expr string, f *File) (*Filter, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, nil
	}
	flt := &Filter{expr: expr, vms: map[layers.LinkType]*prog{}, errs: map[layers.LinkType]error{}}
	if f.path != "" && !f.gz {
		// tcpdump must read the file itself: not a pipe, whose bytes
		// it would take from pktop.
		if st, err := os.Stat(f.path); err == nil && st.Mode().IsRegular() {
			flt.file, flt.fileLT = f.path, f.LinkType()
		}
	}
	if _, err := flt.vm(f.LinkType()); err != nil {
		return nil, err
	}
	return flt, nil
}

// String returns the expression.
func (f *Filter) String() string {
	if f == nil {
		return ""
	}
	return f.expr
}

// Match reports whether the frame passes the filter. A frame of a link
// type the expression cannot be compiled for does not pass.
func (f *Filter) Match(data []byte, wire int, lt layers.LinkType) bool {
	if f == nil {
		return true
	}
	p := f.last
	if p == nil || lt != f.lastLT {
		var err error
		if p, err = f.vm(lt); err != nil {
			return false
		}
		f.last, f.lastLT = p, lt
	}
	if p.usesLen {
		f.lenFrame = append(f.lenFrame[:0], byte(wire>>24), byte(wire>>16), byte(wire>>8), byte(wire))
		f.lenFrame = append(f.lenFrame, data...)
		data = f.lenFrame
	}
	n, err := p.vm.Run(data)
	return err == nil && n > 0
}

func (f *Filter) vm(lt layers.LinkType) (*prog, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if vm, ok := f.vms[lt]; ok {
		return vm, nil
	}
	if err, ok := f.errs[lt]; ok {
		return nil, err
	}
	var ins []bpf.Instruction
	var err error
	if f.file != "" && lt == f.fileLT {
		ins, err = compileFor(f.expr, "-r", f.file)
	}
	if ins == nil { // no file, or one tcpdump cannot read
		ins, err = Compile(f.expr, lt)
	}
	var p *prog
	if err == nil {
		p, err = newProg(ins)
		if err != nil {
			err = fmt.Errorf("filter %q: %v", f.expr, err)
		}
	}
	if err != nil {
		f.errs[lt] = err
		return nil, err
	}
	f.vms[lt] = p
	return p, nil
}

// dltNames are tcpdump's names (for -y) of the link types it can compile
// filters for.
var dltNames = map[layers.LinkType]string{
	0: "NULL", 1: "EN10MB", 9: "PPP", 12: "RAW", 14: "RAW", 101: "RAW", 50: "PPP_SERIAL",
	51: "PPP_ETHER", 104: "C_HDLC", 105: "IEEE802_11", 107: "FRELAY", 108: "LOOP",
	113: "LINUX_SLL", 127: "IEEE802_11_RADIO", 192: "PPI", 228: "IPV4", 229: "IPV6",
	239: "NFLOG", 276: "LINUX_SLL2",
}

// Compile compiles a tcpdump filter expression for a link type into BPF
// instructions.
func Compile(expr string, lt layers.LinkType) ([]bpf.Instruction, error) {
	name, ok := dltNames[lt]
	if !ok {
		return nil, fmt.Errorf("filter %q: cannot filter frames of link type %d", expr, lt)
	}
	return compileFor(expr, "-y", name)
}

// compileFor runs tcpdump -ddd with the option that says what the
// program is for: "-y DLT", "-r FILE" or "-i IFACE".
func compileFor(expr, opt, arg string) ([]bpf.Instruction, error) {
	path, err := exec.LookPath("tcpdump")
	if err != nil {
		return nil, ErrNoCompiler
	}
	cmd := exec.Command(path, opt, arg, "-ddd", "--", expr)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		msg = strings.TrimPrefix(msg, "tcpdump: ")
		if msg == "" {
			msg = err.Error()
		}
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		return nil, fmt.Errorf("filter %q: %s", expr, msg)
	}
	return ParseDDD(out.String())
}

// ParseDDD parses the output of tcpdump -ddd: a count, then one
// "code jt jf k" line per instruction.
func ParseDDD(s string) ([]bpf.Instruction, error) {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	n, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || n != len(lines)-1 {
		return nil, fmt.Errorf("unexpected filter program from tcpdump: %q", lines[0])
	}
	ins := make([]bpf.Instruction, 0, n)
	for _, l := range lines[1:] {
		var code uint16
		var jt, jf uint8
		var k uint32
		if _, err := fmt.Sscan(l, &code, &jt, &jf, &k); err != nil {
			return nil, fmt.Errorf("unexpected filter program line from tcpdump: %q", l)
		}
		ins = append(ins, bpf.RawInstruction{Op: code, Jt: jt, Jf: jf, K: k}.Disassemble())
	}
	return ins, nil
}
