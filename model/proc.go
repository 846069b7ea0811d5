package model

import (
	"net/netip"
	"strconv"
)

// Processes: which program is talking (issue 11).
//
// During a live capture an Attribution (package procs, wired in by main)
// is asked once about each flow, when its first packet is counted, which
// process owns each of its ends. Its answers come back a little later
// (Model.Run takes them between batches). When the answer for a flow
// arrives, what the flow counted so far moves onto the Processes rows of
// its ends (exactly: the flow entry has every count by direction), and
// the flow entry keeps a link to those rows, so that its later packets
// count there directly: one pointer test a packet for flows that have
// none.
//
// A row is a process (pid and start time, so that a pid used again is
// another row), or one of the rows of traffic no local process owns,
// each saying why (Reason). A frame counts once for each local end of
// its flow that has a row: a flow between two local processes counts for
// both, as a frame between two hosts counts for both in the hosts table;
// a flow with no local end (forwarded, or other hosts' traffic seen in
// promiscuous mode) counts once, in the "not local" row. Sent is what
// the end sent, received what it received (for the "not local" row, A
// to B and B to A).

// Reason says why an end of a flow has no process. ReasonNone is a
// process.
type Reason uint8

const (
	// ReasonNone: a process owns the end.
	ReasonNone Reason = iota
	// ReasonRemote: the end's address is not local to this host: its
	// process is on another host. Such an end has no row.
	ReasonRemote
	// ReasonNotLocal: neither end of the flow is local: traffic
	// forwarded through this host, or between other hosts seen in
	// promiscuous mode. The flow counts once.
	ReasonNotLocal
	// ReasonKernel: ICMP and ICMPv6, which the kernel answers itself.
	ReasonKernel
	// ReasonOtherProto: a protocol with no socket table (GRE, ESP,
	// SCTP, ...): the kernel's, or a raw socket's.
	ReasonOtherProto
	// ReasonClosed: the socket closed before it was looked up and
	// nobody recorded its creator.
	ReasonClosed
	// ReasonTimeWait: only a TIME_WAIT remnant of the socket was left.
	ReasonTimeWait
	// ReasonNoProcess: the socket exists but no process that pktop can
	// read holds it.
	ReasonNoProcess
	// ReasonNoNamespace: the address is local to a network namespace
	// pktop cannot enter.
	ReasonNoNamespace
	// ReasonDropped: the flow was not looked up (the lookup queue was
	// full). The flow counts once.
	ReasonDropped
	// NumReasons counts the reasons.
	NumReasons
)

var reasonSlugs = [NumReasons]string{"", "remote", "not_local", "kernel_icmp", "other_protocol",
	"socket_closed", "time_wait", "no_process", "no_namespace", "lookup_dropped"}

var reasonLabels = [NumReasons]string{"process", "remote host", "not local: forwarded or other hosts'",
	"kernel: ICMP", "kernel or raw socket (no socket table)", "socket closed before the lookup",
	"socket in TIME_WAIT, creator unknown", "socket held by no readable process",
	"in a network namespace pktop cannot read", "not looked up: lookup queue full"}

// String is the reason's name in reports ("not_local"); "" for a
// process.
func (r Reason) String() string {
	if r < NumReasons {
		return reasonSlugs[r]
	}
	return "reason_" + strconv.Itoa(int(r))
}

// Label says the reason in words, for the screen and the text report.
func (r Reason) Label() string {
	if r < NumReasons {
		return reasonLabels[r]
	}
	return r.String()
}

// ProcID identifies a row of the Processes table: a process by its pid
// and start time, or a Reason.
type ProcID struct {
	// Start is the process's start time in clock ticks after boot (0
	// when it had exited before it was read).
	Start  uint64
	PID    int32
	Reason Reason
}

// Owner is who holds one end of a flow: a process, or the Reason there
// is none. Its strings are what the system holds, which a process
// chooses (its name, its arguments): untrusted text, to be escaped
// before display. An Owner the model holds is never changed.
type Owner struct {
	Reason Reason
	// PID and Start identify the process (see ProcID).
	PID   int32
	Start uint64
	// Command is the process's name, Cmdline its arguments (empty when
	// it had exited).
	Command, Cmdline string
	// UID is the socket's owner when HasUID; User its name.
	UID    uint32
	HasUID bool
	User   string
	// Container names the container, service or network namespace the
	// process runs in; empty for the host itself.
	Container string
	// Via says how the process was found: "socket" (it holds the
	// socket), "creator" (it created it), "listener" (it holds the
	// listening socket that accepted it).
	Via string
}

// ID is the Processes row of an owned end or of a Reason.
func (o *Owner) ID() ProcID {
	if o.Reason != ReasonNone {
		return ProcID{Reason: o.Reason}
	}
	return ProcID{PID: o.PID, Start: o.Start}
}

// ProcAnswer is which process owns each end of a flow: the flow as it
// was asked (its first packet's source and destination) and the owner of
// each end.
type ProcAnswer struct {
	L4                 uint8
	Src, Dst           netip.AddrPort
	SrcOwner, DstOwner Owner
}

// Attribution finds which process owns each end of a flow. The model
// goroutine calls Ask when a flow first appears; Ask must never block
// (false: the flow is not looked up, and counts in the "not looked up"
// row). The answers come on Answers, in batches; the channel is closed
// when attribution stops.
type Attribution interface {
	Ask(l4 uint8, src, dst netip.AddrPort) bool
	Answers() <-chan []ProcAnswer
}

// ProcStats counts the lookups of the flows.
type ProcStats struct {
	// Asked counts flows asked about; Refused those Ask refused.
	Asked, Refused uint64
	// Answered counts answers taken; Gone the answers whose flow had
	// left the flows table before (its bytes went to no row).
	Answered, Gone uint64
}

// flowOwners is what an attributed flow holds: the rows of its ends,
// A's and B's. An end with no row (a remote address) is off.
type flowOwners struct {
	ends [2]ownerEnd
}

type ownerEnd struct {
	on bool
	id ProcID
	// info is the row's Owner, put back when the row was evicted and
	// comes back.
	info *Owner
	l    link
}

// has reports whether one of the ends is the row id.
func (o *flowOwners) has(id ProcID) bool {
	return (o.ends[0].on && o.ends[0].id == id) || (o.ends[1].on && o.ends[1].id == id)
}

// clone copies the ends' rows, without their links (for another
// aggregator).
func (o *flowOwners) clone() *flowOwners {
	c := &flowOwners{}
	for i, e := range o.ends {
		c.ends[i] = ownerEnd{on: e.on, id: e.id, info: e.info}
	}
	return c
}

// infos are the Owners of the two ends (nil for an end with no row).
func (o *flowOwners) infos() [2]*Owner {
	var r [2]*Owner
	for i, e := range o.ends {
		if e.on {
			r[i] = e.info
		}
	}
	return r
}

// flowKeyOf is the flow of a packet from src to dst, and whether the
// packet goes from A to B.
func flowKeyOf(l4 uint8, src, dst netip.Addr, sport, dport uint16) (FlowKey, bool) {
	if c := dst.Compare(src); c < 0 || (c == 0 && dport < sport) {
		return FlowKey{L4: l4, A: dst, B: src, PortA: dport, PortB: sport}, false
	}
	return FlowKey{L4: l4, A: src, B: dst, PortA: sport, PortB: dport}, true
}

// ask asks the attribution about a new flow (its first packet p).
func (a *Aggregator) ask(f *entry, p *Packet) {
	if a.cfg.Procs.Ask(p.L4, netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)) {
		a.procStats.Asked++
		return
	}
	a.procStats.Refused++
	a.attribute(f, Owner{Reason: ReasonDropped}, Owner{Reason: ReasonDropped})
}

// countOwners counts a packet of an attributed flow on the rows of its
// ends; fwd is true when it goes from A to B.
func (a *Aggregator) countOwners(o *flowOwners, p *Packet, sec int64, fwd bool) {
	for i := range o.ends {
		end := &o.ends[i]
		if !end.on {
			continue
		}
		sent := fwd == (i == 0)
		a.procEntry(end).count(p, sec, plenIndex(p.WireLen), sent, !sent)
	}
}

// procEntry is the row of an end, from its link while it is valid.
func (a *Aggregator) procEntry(end *ownerEnd) *entry {
	if end.l.e != nil && end.l.e.gen == end.l.gen {
		return end.l.e
	}
	e := a.procs.get(end.id)
	end.l.e, end.l.gen = e, e.gen
	if _, ok := a.owners[end.id]; !ok {
		a.owners[end.id] = end.info
	}
	return e
}

// ownerInfo is the Owner the model keeps for o's row: the one it has,
// unless o says more (the process's arguments).
func (a *Aggregator) ownerInfo(o Owner) *Owner {
	id := o.ID()
	if o.Reason != ReasonNone {
		o = Owner{Reason: o.Reason}
	}
	if cur, ok := a.owners[id]; ok && (cur.Cmdline != "" || o.Cmdline == "") {
		return cur
	}
	c := &o
	a.owners[id] = c
	return c
}

// attribute gives flow f its owners (of A and B), and moves what it
// counted so far onto their rows.
func (a *Aggregator) attribute(f *entry, oa, ob Owner) {
	own := &flowOwners{}
	flowLevel := ReasonNone
	for i, o := range [2]Owner{oa, ob} {
		switch o.Reason {
		case ReasonRemote:
			continue
		case ReasonNotLocal, ReasonDropped:
			flowLevel = max(flowLevel, o.Reason)
			continue
		}
		own.ends[i] = ownerEnd{on: true, id: o.ID(), info: a.ownerInfo(o)}
	}
	if !own.ends[0].on && !own.ends[1].on {
		// No local end: the flow counts once, as A to B.
		if flowLevel == ReasonNone {
			flowLevel = ReasonNotLocal
		}
		o := Owner{Reason: flowLevel}
		own.ends[0] = ownerEnd{on: true, id: o.ID(), info: a.ownerInfo(o)}
	}
	a.setOwners(f, own)
}

// setOwners links flow f to its owners' rows and moves its counts there.
func (a *Aggregator) setOwners(f *entry, own *flowOwners) {
	f.own = own
	for i := range own.ends {
		if own.ends[i].on {
			if i == 0 {
				a.procEntry(&own.ends[i]).absorb(f, asOut, asIn)
			} else {
				a.procEntry(&own.ends[i]).absorb(f, asIn, asOut)
			}
		}
	}
}

// Attribute takes answers of the attribution: each flow still in the
// table and not yet attributed gets its owners (see the comment at the
// top of this file). Only the goroutine that owns the aggregator may
// call it (Model.Run does).
func (a *Aggregator) Attribute(as []ProcAnswer) {
	for i := range as {
		a.attributeOne(&as[i])
	}
}

// attributeOne applies one answer; it returns the flow's key and entry
// when it attributed one.
func (a *Aggregator) attributeOne(x *ProcAnswer) (FlowKey, *entry, bool) {
	a.procStats.Answered++
	fk, fwd := flowKeyOf(x.L4, x.Src.Addr(), x.Dst.Addr(), x.Src.Port(), x.Dst.Port())
	f, _ := a.flows.lookup(fk)
	if f == nil {
		a.procStats.Gone++
		return fk, nil, false
	}
	if f.own != nil {
		return fk, nil, false // asked twice (the flow left and came back)
	}
	oa, ob := x.SrcOwner, x.DstOwner
	if !fwd {
		oa, ob = ob, oa
	}
	a.attribute(f, oa, ob)
	return fk, f, true
}

// adopt makes a focus follow an attribution of the main tables: flow fk
// (entry e there) was just attributed. If the focus counted packets of
// the flow, they move onto its own Processes rows; if the focus is on a
// process that owns the flow, the flow's counts so far join the focus.
func (a *Aggregator) adopt(fk FlowKey, e *entry, k Key) {
	if f, _ := a.flows.lookup(fk); f != nil {
		if f.own == nil {
			a.setOwners(f, e.own.clone())
		}
		return
	}
	if k.Kind == KindProc && e.own.has(k.Proc) {
		a.seedFlow(fk, e)
	}
}

// ownedBy reports whether the flow of packet p is attributed to row id.
func (a *Aggregator) ownedBy(p *Packet, id ProcID) bool {
	fk, _ := flowKeyOf(p.L4, p.Src, p.Dst, p.SrcPort, p.DstPort)
	f, _ := a.flows.lookup(fk)
	return f != nil && f.own != nil && f.own.has(id)
}

// procPending is how many flows were asked about and not answered yet.
func (a *Aggregator) procPending() uint64 {
	return a.procStats.Asked - min(a.procStats.Answered, a.procStats.Asked)
}
