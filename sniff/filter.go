package sniff

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"

	"github.com/pktop/pktop/filter"
)

// Filter is a capture filter: a tcpdump (pcap-filter) expression compiled
// in process by package filter to classic BPF and run in the pure-Go
// x/net/bpf virtual machine. Nothing needs to be installed.
//
// A capture may mix link types (pcapng); the expression is compiled for
// each one as it is first seen. Set changes the expression while frames
// flow: Match is called by one goroutine at a time (the reader), Set and
// String by any.
type Filter struct {
	// order is the byte order of the capture file, for link headers with
	// host-order fields (BSD loopback).
	order binary.ByteOrder
	// lt is the link type the filter was first compiled for: Set checks
	// a new expression against it.
	lt  layers.LinkType
	cur atomic.Pointer[filterSet]

	// Match's own: the program of the last link type matched, and a
	// buffer for programs that read the wire length.
	seen     *filterSet
	lastLT   layers.LinkType
	last     *prog
	lenFrame []byte
}

// filterSet is one expression and its programs by link type.
type filterSet struct {
	expr  string
	mu    sync.Mutex
	progs map[layers.LinkType]*prog
	errs  map[layers.LinkType]error
}

// prog is a compiled filter. A program that reads the frame's length
// ("len", "greater", "less") must see the length on the wire, not what
// was captured, and the x/net/bpf VM knows only the latter: such a
// program is rewritten to read the length from 4 bytes put in front of
// the frame, all its packet loads moved by 4.
type prog struct {
	vm      *bpf.VM
	usesLen bool
	all     bool // no expression: every frame
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

// FilterError is a filter expression that does not compile: its message
// is one line naming the column; Error adds the expression with a caret
// under the part at fault.
type FilterError struct {
	Err *filter.Error
}

func (e *FilterError) Error() string {
	return e.Err.Error() + "\n" + indent(e.Err.Caret())
}

func (e *FilterError) Unwrap() error { return e.Err }

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// compileOptions are the compiler's options for frames of link type lt.
func compileOptions(lt layers.LinkType, order binary.ByteOrder) filter.Options {
	return filter.Options{LinkType: int(lt), ByteOrder: order, Resolver: filter.DefaultResolver}
}

// compileErr turns the compiler's error into pktop's.
func compileErr(err error) error {
	var fe *filter.Error
	if errors.As(err, &fe) {
		return &FilterError{fe}
	}
	return err
}

// NewFilter checks expr by compiling it for the given link type. An empty
// expression matches everything.
func NewFilter(expr string, lt layers.LinkType) (*Filter, error) {
	return newFilter(expr, lt, binary.LittleEndian)
}

// NewFileFilter is NewFilter for the frames of a capture file, in its
// byte order.
func NewFileFilter(expr string, f *File) (*Filter, error) {
	order := f.order
	if order == nil {
		order = binary.LittleEndian
	}
	return newFilter(expr, f.LinkType(), order)
}

func newFilter(expr string, lt layers.LinkType, order binary.ByteOrder) (*Filter, error) {
	f := &Filter{order: order, lt: lt}
	if err := f.Set(expr); err != nil {
		return nil, err
	}
	return f, nil
}

// Set replaces the expression: it is compiled for the link type the
// filter was made for, and frames matched after Set returns see the new
// one. A bad expression gets its error and leaves the filter as it was.
// Set is safe to call from any goroutine.
func (f *Filter) Set(expr string) error {
	s := &filterSet{expr: strings.TrimSpace(expr), progs: map[layers.LinkType]*prog{}, errs: map[layers.LinkType]error{}}
	if _, err := s.prog(f.lt, f.order); err != nil {
		return err
	}
	f.cur.Store(s)
	return nil
}

// String returns the expression.
func (f *Filter) String() string {
	if f == nil {
		return ""
	}
	if s := f.cur.Load(); s != nil {
		return s.expr
	}
	return ""
}

// Match reports whether the frame passes the filter. A frame of a link
// type the expression cannot be compiled for does not pass.
func (f *Filter) Match(data []byte, wire int, lt layers.LinkType) bool {
	if f == nil {
		return true
	}
	s := f.cur.Load()
	p := f.last
	if s != f.seen || lt != f.lastLT || p == nil {
		var err error
		if p, err = s.prog(lt, f.order); err != nil {
			return false
		}
		f.seen, f.last, f.lastLT = s, p, lt
	}
	if p.all {
		return true
	}
	if p.usesLen {
		f.lenFrame = append(f.lenFrame[:0], byte(wire>>24), byte(wire>>16), byte(wire>>8), byte(wire))
		f.lenFrame = append(f.lenFrame, data...)
		data = f.lenFrame
	}
	n, err := p.vm.Run(data)
	return err == nil && n > 0
}

// prog returns the program for link type lt, compiling it the first time.
func (s *filterSet) prog(lt layers.LinkType, order binary.ByteOrder) (*prog, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.progs[lt]; ok {
		return p, nil
	}
	if err, ok := s.errs[lt]; ok {
		return nil, err
	}
	var p *prog
	var err error
	if s.expr == "" {
		p = &prog{all: true}
	} else {
		var ins []bpf.Instruction
		ins, err = filter.Compile(s.expr, compileOptions(lt, order))
		if err == nil {
			p, err = newProg(ins)
			if err != nil {
				err = fmt.Errorf("filter %q: %v", s.expr, err)
			}
		}
		err = compileErr(err)
	}
	if err != nil {
		s.errs[lt] = err
		return nil, err
	}
	s.progs[lt] = p
	return p, nil
}
