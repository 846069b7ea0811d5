package main

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"runtime"
	"strings"
	"sync"

	"github.com/pktop/pktop/model"
	"github.com/pktop/pktop/procs"
)

// Process attribution (issue 11): which program is talking. During a
// live capture, on Linux, the model asks package procs about each new
// flow and fills its Processes table with the answers. This file wires
// the two together: the flag, the start of the resolver before the
// privileges are dropped, the capabilities it keeps, and what the
// report says of it.

// procsOptions are the command line's attribution flags.
type procsOptions struct {
	// off: --no-procs.
	off bool
}

// procsFlags adds the attribution flags. --no-procs follows --no-screen:
// attribution is on by default for a live capture, and the flag says
// what it turns off.
func procsFlags(fs *flag.FlagSet, o *procsOptions) {
	fs.BoolVar(&o.off, "no-procs", false, "live capture: do not find which process owns each flow (no Processes table; pktop keeps no capability for it)")
}

// wantProcs says whether a live capture attributes its traffic: on the
// screen and in --report json|text, not for the exporters alone.
func wantProcs(o *options) bool {
	return !o.procs.off && !o.exp.headless && o.report != "jsonl"
}

// attribution is the model's Attribution over a procs.Resolver: it turns
// the resolver's answers into the model's on a goroutine of its own.
type attribution struct {
	r    *procs.Resolver
	out  chan []model.ProcAnswer
	quit chan struct{}
	done chan struct{}
	once sync.Once
	log  *procsLog
	// kept names the capabilities kept for it after the drop.
	kept []string
}

func newAttribution(r *procs.Resolver, log *procsLog) *attribution {
	a := &attribution{r: r, out: make(chan []model.ProcAnswer, 4), quit: make(chan struct{}), done: make(chan struct{}), log: log}
	go a.convert()
	return a
}

// Ask asks about a new flow (model goroutine); it never blocks.
func (a *attribution) Ask(l4 uint8, src, dst netip.AddrPort) bool {
	return a.r.Ask(procs.FlowKey{Proto: l4, Src: src, Dst: dst})
}

// Answers are the answers, as the model takes them.
func (a *attribution) Answers() <-chan []model.ProcAnswer { return a.out }

func (a *attribution) convert() {
	defer close(a.done)
	defer close(a.out)
	for as := range a.r.Answers() {
		conv := make([]model.ProcAnswer, len(as))
		for i, x := range as {
			conv[i] = model.ProcAnswer{L4: x.Key.Proto, Src: x.Key.Src, Dst: x.Key.Dst,
				SrcOwner: modelOwner(&x.Src), DstOwner: modelOwner(&x.Dst)}
		}
		select {
		case a.out <- conv:
		case <-a.quit:
			return
		}
	}
}

// Close stops the resolver (its hook is detached, its sockets closed).
func (a *attribution) Close() {
	a.once.Do(func() {
		close(a.quit)
		a.r.Close()
		<-a.done
	})
}

// reasons maps the resolver's reasons to the model's.
var reasons = map[procs.Reason]model.Reason{
	procs.Owned: model.ReasonNone, procs.Remote: model.ReasonRemote, procs.NotLocal: model.ReasonNotLocal,
	procs.KernelICMP: model.ReasonKernel, procs.OtherProtocol: model.ReasonOtherProto,
	procs.SocketClosed: model.ReasonClosed, procs.TimeWait: model.ReasonTimeWait,
	procs.NoProcess: model.ReasonNoProcess, procs.NoNamespace: model.ReasonNoNamespace,
	procs.Dropped: model.ReasonDropped, procs.Unsupported: model.ReasonNoProcess,
}

func modelOwner(o *procs.Owner) model.Owner {
	r, ok := reasons[o.Reason]
	if !ok {
		r = model.ReasonNoProcess
	}
	return model.Owner{Reason: r, PID: o.PID, Start: o.Start, Command: o.Command, Cmdline: o.Cmdline,
		UID: o.UID, HasUID: o.HasUID, User: o.User, Container: o.Container, Via: o.Via.String()}
}

// procsLog takes the resolver's one-line notices: printed at once
// (headless), or, while the screen is up, kept (a few) and printed when
// it is gone. Every line is also kept for the report.
type procsLog struct {
	mu    sync.Mutex
	w     io.Writer
	hold  bool
	held  []string
	notes []string
}

func (l *procsLog) logf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.notes) < 16 {
		l.notes = append(l.notes, model.Sanitize(msg, 0))
	}
	if l.hold {
		if len(l.held) < 16 {
			l.held = append(l.held, msg)
		}
		return
	}
	complain(l.w, "%s", msg)
}

// setHold holds the notices from now on (the screen is up), or prints
// those held and stops holding.
func (l *procsLog) setHold(on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hold = on
	if !on {
		for _, m := range l.held {
			complain(l.w, "%s", m)
		}
		l.held = nil
	}
}

func (l *procsLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.notes...)
}

// startProcs starts the resolver for a live capture, before the
// privileges are dropped: it returns nil and why when there is none
// (a note for the screen and the report). Failing to start is not
// fatal: the capture goes on without processes.
func startProcs(o *options, stderr io.Writer) (*attribution, string) {
	switch {
	case o.procs.off:
		return nil, "process attribution is off (--no-procs)"
	case runtime.GOOS != "linux":
		return nil, "no process attribution on " + runtime.GOOS + " (Linux only)"
	}
	log := &procsLog{w: stderr}
	r, err := procs.New(procs.Config{Logf: log.logf})
	if err != nil {
		complain(stderr, "no process attribution (%v); capturing without it", err)
		return nil, "no process attribution: " + err.Error()
	}
	return newAttribution(r, log), ""
}

// fillReport adds what the resolver says of itself to a report's
// attribution counts.
func (a *attribution) fillReport(rep *model.Report) {
	if rep.Attribution == nil {
		return
	}
	st := a.r.Stats()
	rep.Attribution.Hook, rep.Attribution.Namespaces = st.Hook, st.Namespaces
	rep.Attribution.Kept = a.kept
	rep.Attribution.Notes = a.log.all()
}

// summary is the diagnostic line of a headless capture.
func (a *attribution) summary() string {
	st := a.r.Stats()
	s := "attributing traffic to processes"
	if !st.Hook {
		s += " (no socket-creation hook: connections that close within a few ms may go unnamed)"
	}
	if len(a.kept) > 0 {
		s += "; keeping " + strings.Join(a.kept, ", ") + " for it"
	}
	return s + " (--no-procs: none)"
}
