package model

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Report is the headless report: the final counts of a capture, as
// printed by --report json.
type Report struct {
	Source        string                 `json:"source"`
	Filter        string                 `json:"filter,omitempty"`
	Packets       uint64                 `json:"packets"`
	Bytes         uint64                 `json:"bytes"`
	CapturedBytes uint64                 `json:"captured_bytes"`
	First         *time.Time             `json:"first,omitempty"`
	Last          *time.Time             `json:"last,omitempty"`
	Duration      float64                `json:"duration_seconds"`
	Truncated     uint64                 `json:"truncated"`
	Undecoded     uint64                 `json:"undecoded"`
	NonIP         uint64                 `json:"non_ip"`
	KernelDrops   uint64                 `json:"kernel_drops"`
	QueueDrops    uint64                 `json:"queue_drops"`
	Filtered      uint64                 `json:"filtered_out"`
	NotWritten    uint64                 `json:"not_written,omitempty"`
	WriteError    string                 `json:"write_error,omitempty"`
	PeakBPS       float64                `json:"peak_bytes_per_second"`
	Protocols     map[string]ProtoReport `json:"protocols"`
	Sizes         []SizeReport           `json:"sizes"`
	SizesFine     []SizeReport           `json:"sizes_fine"`
	Hosts         []HostReport           `json:"hosts"`
	Conversations []ConvReport           `json:"conversations"`
	Ports         []PortReport           `json:"ports"`
	Flows         []FlowReport           `json:"flows"`
	// Processes is the Processes table: live capture with attribution
	// on only (a replay has no processes: no key).
	Processes []ProcReport `json:"processes,omitzero"`
	// Attribution counts the flows' lookups, when Processes is there;
	// ProcessesNote says why a live capture has no Processes.
	Attribution   *AttributionReport     `json:"attribution,omitempty"`
	ProcessesNote string                 `json:"processes_note,omitempty"`
	Other         map[string]OtherReport `json:"other,omitempty"`
	Error         string                 `json:"error,omitempty"`
}

// ProtoReport is one protocol's counts.
type ProtoReport struct {
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
	Layer   string `json:"layer"`
}

// SizeReport is one bucket of a size histogram; Hi is null for the last.
type SizeReport struct {
	Lo      int64  `json:"lo"`
	Hi      *int64 `json:"hi"`
	Packets uint64 `json:"packets"`
}

// HostReport is one host's counts.
type HostReport struct {
	Addr     string `json:"addr"`
	Name     string `json:"name,omitempty"`
	Packets  uint64 `json:"packets"`
	Bytes    uint64 `json:"bytes"`
	Sent     Counts `json:"sent"`
	Received Counts `json:"received"`
}

// ConvReport is one conversation's counts.
type ConvReport struct {
	A       string `json:"a"`
	B       string `json:"b"`
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
	AToB    Counts `json:"a_to_b"`
	BToA    Counts `json:"b_to_a"`
}

// PortReport is one port's counts.
type PortReport struct {
	Proto    string `json:"proto"`
	Port     uint16 `json:"port"`
	Service  string `json:"service,omitempty"`
	Packets  uint64 `json:"packets"`
	Bytes    uint64 `json:"bytes"`
	ToPort   Counts `json:"to_port"`
	FromPort Counts `json:"from_port"`
}

// FlowReport is one flow's counts: A and B are address:port endpoints
// ([v6]:port for IPv6), A the lower. AProcess and BProcess are the
// Processes rows of its ends, once attributed (none for a remote end).
type FlowReport struct {
	Proto    string   `json:"proto"`
	A        string   `json:"a"`
	B        string   `json:"b"`
	Packets  uint64   `json:"packets"`
	Bytes    uint64   `json:"bytes"`
	AToB     Counts   `json:"a_to_b"`
	BToA     Counts   `json:"b_to_a"`
	AProcess *ProcRef `json:"a_process,omitempty"`
	BProcess *ProcRef `json:"b_process,omitempty"`
}

// ProcRef names a row of the Processes table: a process (pid, start,
// command), or the reason no process owns the traffic.
type ProcRef struct {
	PID     int32  `json:"pid,omitempty"`
	Start   uint64 `json:"start,omitempty"`
	Command string `json:"command,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// ProcReport is one row of the Processes table: a process (pid, its
// start time in clock ticks after boot, command, arguments, user, the
// container or namespace it runs in, how it was found), or traffic no
// process owns, with the reason ("not_local", "kernel_icmp", ...); its
// counts, sent and received.
type ProcReport struct {
	ProcRef
	Cmdline   string  `json:"cmdline,omitempty"`
	UID       *uint32 `json:"uid,omitempty"`
	User      string  `json:"user,omitempty"`
	Container string  `json:"container,omitempty"`
	Via       string  `json:"via,omitempty"`
	Packets   uint64  `json:"packets"`
	Bytes     uint64  `json:"bytes"`
	Sent      Counts  `json:"sent"`
	Received  Counts  `json:"received"`
}

// AttributionReport counts the lookups of the flows' processes: flows
// asked about, refused (queue full), answered, answered after their flow
// left the table, and not answered by the end. The rest comes from the
// attribution itself (main fills it): whether its socket-creation hook
// was on, how many network namespaces it knew, the capabilities pktop
// kept for it, and what it could not do.
type AttributionReport struct {
	Asked      uint64   `json:"asked"`
	Refused    uint64   `json:"refused"`
	Answered   uint64   `json:"answered"`
	Gone       uint64   `json:"gone"`
	Pending    uint64   `json:"pending"`
	Hook       bool     `json:"hook"`
	Namespaces int      `json:"namespaces"`
	Kept       []string `json:"capabilities_kept,omitempty"`
	Notes      []string `json:"notes,omitempty"`
}

func procRef(id ProcID, o *Owner) ProcRef {
	r := ProcRef{PID: id.PID, Start: id.Start, Reason: id.Reason.String()}
	if o != nil && id.Reason == ReasonNone {
		r.Command = o.Command
	}
	return r
}

func procRefOf(o *Owner) *ProcRef {
	if o == nil {
		return nil
	}
	r := procRef(o.ID(), o)
	return &r
}

// FlowEnds returns a flow row's two endpoints as address:port strings.
func FlowEnds(k Key) (a, b string) {
	return netip.AddrPortFrom(k.A, k.Port).String(), netip.AddrPortFrom(k.B, k.PortB).String()
}

// OtherReport sums the rows a full table folded away. Evictions counts
// the rows folded; a key that came back after being folded counts again.
type OtherReport struct {
	Evictions uint64 `json:"evictions"`
	Packets   uint64 `json:"packets"`
	Bytes     uint64 `json:"bytes"`
}

// L4Name names an IP protocol number.
func L4Name(n uint8) string {
	switch n {
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 132:
		return "sctp"
	case 136:
		return "udplite"
	}
	return fmt.Sprint(n)
}

func sizeReports(bs []Bucket) []SizeReport {
	out := make([]SizeReport, len(bs))
	for i, b := range bs {
		out[i] = SizeReport{Lo: b.Lo, Packets: b.Packets}
		if b.Hi >= 0 {
			hi := b.Hi
			out[i].Hi = &hi
		}
	}
	return out
}

// NewReport builds the report of a snapshot (cut with no row limit).
func NewReport(s *Snapshot, source, filter string) *Report {
	r := &Report{
		Source: source, Filter: filter,
		Packets: s.Total.Packets, Bytes: s.Total.Bytes, CapturedBytes: s.CapBytes,
		Truncated: s.Truncated, Undecoded: s.Undecoded, NonIP: s.NonIP,
		KernelDrops: s.Source.KernelDrops, QueueDrops: s.Source.QueueDrops, Filtered: s.Source.Filtered,
		NotWritten: s.Source.NotWritten, WriteError: s.Source.WriteError,
		PeakBPS:   s.Peak,
		Protocols: map[string]ProtoReport{},
		Sizes:     sizeReports(s.Plen), SizesFine: sizeReports(s.Sizes),
		Hosts: []HostReport{}, Conversations: []ConvReport{}, Ports: []PortReport{}, Flows: []FlowReport{},
	}
	if s.Total.Packets > 0 {
		f, l := time.Unix(0, s.First).UTC(), time.Unix(0, s.Last).UTC()
		r.First, r.Last = &f, &l
		r.Duration = float64(s.Last-s.First) / 1e9
	}
	for _, p := range s.Protocols {
		r.Protocols[p.Name] = ProtoReport{Packets: p.Counts.Packets, Bytes: p.Counts.Bytes, Layer: p.Layer.String()}
	}
	for _, h := range s.Hosts.Rows {
		r.Hosts = append(r.Hosts, HostReport{Addr: h.A.String(), Name: h.NameA, Packets: h.Total.Packets,
			Bytes: h.Total.Bytes, Sent: h.Out, Received: h.In})
	}
	for _, c := range s.Convs.Rows {
		r.Conversations = append(r.Conversations, ConvReport{A: c.A.String(), B: c.B.String(),
			Packets: c.Total.Packets, Bytes: c.Total.Bytes, AToB: c.Out, BToA: c.In})
	}
	for _, p := range s.Ports.Rows {
		r.Ports = append(r.Ports, PortReport{Proto: L4Name(p.L4), Port: p.Port, Service: p.Service,
			Packets: p.Total.Packets, Bytes: p.Total.Bytes, ToPort: p.In, FromPort: p.Out})
	}
	for _, f := range s.Flows.Rows {
		a, b := FlowEnds(f.Key)
		r.Flows = append(r.Flows, FlowReport{Proto: L4Name(f.L4), A: a, B: b,
			Packets: f.Total.Packets, Bytes: f.Total.Bytes, AToB: f.Out, BToA: f.In,
			AProcess: procRefOf(f.Owners[0]), BProcess: procRefOf(f.Owners[1])})
	}
	tables := []*Table{&s.Hosts, &s.Convs, &s.Ports, &s.Flows}
	if s.Attributed {
		r.Processes = []ProcReport{}
		for _, p := range s.Procs.Rows {
			r.Processes = append(r.Processes, procReport(&p))
		}
		st := s.ProcStats
		r.Attribution = &AttributionReport{Asked: st.Asked, Refused: st.Refused, Answered: st.Answered,
			Gone: st.Gone, Pending: st.Asked - min(st.Answered, st.Asked)}
		tables = append(tables, &s.Procs)
	}
	for _, t := range tables {
		if t.Evicted > 0 {
			if r.Other == nil {
				r.Other = map[string]OtherReport{}
			}
			r.Other[t.Kind.String()] = OtherReport{Evictions: t.Evicted, Packets: t.Other.Total.Packets, Bytes: t.Other.Total.Bytes}
		}
	}
	return r
}

func procReport(p *Row) ProcReport {
	o := p.Owners[0]
	r := ProcReport{ProcRef: procRef(p.Proc, o), Packets: p.Total.Packets, Bytes: p.Total.Bytes, Sent: p.Out, Received: p.In}
	if o != nil && p.Proc.Reason == ReasonNone {
		r.Cmdline, r.User, r.Container, r.Via = o.Cmdline, o.User, o.Container, o.Via
		if o.HasUID {
			uid := o.UID
			r.UID = &uid
		}
	}
	return r
}

// ProcLabel is a process row's label in words: its command, pid, user
// and container, or its reason in brackets. Untrusted text: escape it.
func ProcLabel(id ProcID, o *Owner) string {
	if id.Reason != ReasonNone {
		return "(" + id.Reason.Label() + ")"
	}
	if o == nil {
		return "pid " + strconv.Itoa(int(id.PID))
	}
	s := o.Command + " " + strconv.Itoa(int(id.PID))
	if o.User != "" {
		s += " " + o.User
	} else if o.HasUID {
		s += " uid " + strconv.FormatUint(uint64(o.UID), 10)
	}
	if o.Container != "" {
		s += " " + o.Container
	}
	return s
}

// WriteJSON writes the report as JSON on one line (pipe it to jq for
// people: indenting a report of many thousand rows costs more than
// counting them).
//
// The report's strings (file names, learnt names, errors) are untrusted:
// any rune Sanitize would escape is written as a JSON \u escape, so that
// the bytes printed hold nothing a terminal could act on.
func (r *Report) WriteJSON(w io.Writer) error {
	// An Encoder writes from its own buffer: no copy of a report of many
	// megabytes, as Marshal and an appended newline would make.
	return json.NewEncoder(inertWriter{w}).Encode(r)
}

// inertWriter writes encoded JSON made inert (see InertJSON). It takes
// whole JSON values: an Encoder writes each value in one Write.
type inertWriter struct{ w io.Writer }

func (iw inertWriter) Write(b []byte) (int, error) {
	if _, err := iw.w.Write(InertJSON(b)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// WriteText writes the report for people: totals, then the top rows of
// each table (top 0: every row), the protocols and the size histogram.
func (r *Report) WriteText(w io.Writer, top int) error {
	if top <= 0 {
		top = math.MaxInt
	}
	var b strings.Builder
	fmt.Fprintf(&b, "source      %s\n", Sanitize(r.Source, 0))
	if r.Filter != "" {
		fmt.Fprintf(&b, "filter      %s\n", Sanitize(r.Filter, 0))
	}
	fmt.Fprintf(&b, "packets     %d\nbytes       %d (%s)\n", r.Packets, r.Bytes, HumanBytes(float64(r.Bytes)))
	if r.First != nil {
		fmt.Fprintf(&b, "first       %s\nlast        %s\nduration    %.3f s\n", r.First.Format(time.RFC3339Nano), r.Last.Format(time.RFC3339Nano), r.Duration)
		// An average over less than a second says nothing: two packets a
		// microsecond apart are not 500000 packets a second.
		if r.Duration >= 1 {
			fmt.Fprintf(&b, "average     %s/s, %.1f packets/s\n", HumanBits(float64(r.Bytes)*8/r.Duration), float64(r.Packets)/r.Duration)
		} else {
			fmt.Fprintf(&b, "average     (none: the capture lasts less than a second)\n")
		}
	}
	fmt.Fprintf(&b, "truncated   %d   undecoded %d   non-IP %d   filtered out %d   drops %d kernel, %d queue\n",
		r.Truncated, r.Undecoded, r.NonIP, r.Filtered, r.KernelDrops, r.QueueDrops)
	if r.WriteError != "" {
		fmt.Fprintf(&b, "-w failed   %s; %d packets not written\n", Sanitize(r.WriteError, 0), r.NotWritten)
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "error       %s\n", Sanitize(r.Error, 0))
	}
	// The tables: the label column as wide as its widest shown label
	// (names are cut with an ellipsis), numbers right-aligned.
	table := func(title, c3, c4 string, n int, row func(i int) (string, [4]uint64), other string) {
		n = min(n, top)
		labels := make([]string, n)
		w := len(title)
		for i := range n {
			l, _ := row(i)
			labels[i] = Sanitize(l, 64)
			if labels[i] != Sanitize(l, 0) {
				labels[i] = Sanitize(l, 63) + "…"
			}
			w = max(w, TextWidth(labels[i]))
		}
		pad := func(s string) string { return s + strings.Repeat(" ", max(w-TextWidth(s), 0)) }
		fmt.Fprintf(&b, "\n%s %10s %12s %12s %12s\n", pad(title), "PACKETS", "BYTES", c3, c4)
		for i := range n {
			_, v := row(i)
			fmt.Fprintf(&b, "%s %10d %12d %12d %12d\n", pad(labels[i]), v[0], v[1], v[2], v[3])
		}
		if other != "" {
			fmt.Fprintln(&b, other)
		}
	}
	more := func(kind string, shown, all int) string {
		var parts []string
		if all > shown {
			parts = append(parts, fmt.Sprintf("... %d more", all-shown))
		}
		if o, ok := r.Other[kind]; ok {
			parts = append(parts, fmt.Sprintf("other: %d packets, %d bytes in %d rows folded away (the table was full: rows are lower bounds)", o.Packets, o.Bytes, o.Evictions))
		}
		return strings.Join(parts, "; ")
	}
	table("HOST", "SENT", "RECEIVED", len(r.Hosts), func(i int) (string, [4]uint64) {
		h := r.Hosts[i]
		return hostLabel(h.Addr, h.Name), [4]uint64{h.Packets, h.Bytes, h.Sent.Bytes, h.Received.Bytes}
	}, more("hosts", min(top, len(r.Hosts)), len(r.Hosts)))
	table("CONVERSATION", "A=>B", "B=>A", len(r.Conversations), func(i int) (string, [4]uint64) {
		c := r.Conversations[i]
		return c.A + " <=> " + c.B, [4]uint64{c.Packets, c.Bytes, c.AToB.Bytes, c.BToA.Bytes}
	}, more("conversations", min(top, len(r.Conversations)), len(r.Conversations)))
	table("PORT", "TO PORT", "FROM PORT", len(r.Ports), func(i int) (string, [4]uint64) {
		p := r.Ports[i]
		name := fmt.Sprintf("%s/%d", p.Proto, p.Port)
		if p.Service != "" {
			name += " (" + p.Service + ")"
		}
		return name, [4]uint64{p.Packets, p.Bytes, p.ToPort.Bytes, p.FromPort.Bytes}
	}, more("ports", min(top, len(r.Ports)), len(r.Ports)))
	table("FLOW", "A=>B", "B=>A", len(r.Flows), func(i int) (string, [4]uint64) {
		f := r.Flows[i]
		return f.Proto + " " + f.A + " <=> " + f.B, [4]uint64{f.Packets, f.Bytes, f.AToB.Bytes, f.BToA.Bytes}
	}, more("flows", min(top, len(r.Flows)), len(r.Flows)))
	switch {
	case r.Processes != nil:
		table("PROCESS", "SENT", "RECEIVED", len(r.Processes), func(i int) (string, [4]uint64) {
			p := r.Processes[i]
			var label string
			if p.Reason != "" {
				label = "(" + reasonLabel(p.Reason) + ")"
			} else {
				label = p.Command + " " + strconv.Itoa(int(p.PID))
				if p.User != "" {
					label += " " + p.User
				}
				if p.Container != "" {
					label += " " + p.Container
				}
			}
			return label, [4]uint64{p.Packets, p.Bytes, p.Sent.Bytes, p.Received.Bytes}
		}, more("processes", min(top, len(r.Processes)), len(r.Processes)))
		if a := r.Attribution; a != nil {
			fmt.Fprintf(&b, "(a frame counts once for each local end; flows looked up %d, refused %d, unanswered %d, gone before the answer %d)\n",
				a.Asked, a.Refused, a.Pending, a.Gone)
		}
	case r.ProcessesNote != "":
		fmt.Fprintf(&b, "\nPROCESS: %s\n", Sanitize(r.ProcessesNote, 0))
	}
	fmt.Fprintf(&b, "\n%-14s %-12s %10s %12s\n", "PROTOCOL", "LAYER", "PACKETS", "BYTES")
	for _, name := range sortedProtocols(r.Protocols) {
		p := r.Protocols[name]
		fmt.Fprintf(&b, "%-14s %-12s %10d %12d\n", name, p.Layer, p.Packets, p.Bytes)
	}
	fmt.Fprintf(&b, "\n%-14s %10s\n", "SIZE", "PACKETS")
	for _, s := range r.Sizes {
		lbl := fmt.Sprintf("%d-", s.Lo)
		if s.Hi != nil {
			lbl += fmt.Sprint(*s.Hi)
		}
		fmt.Fprintf(&b, "%-14s %10d\n", lbl, s.Packets)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// reasonLabel is the words of a reason's report name.
func reasonLabel(slug string) string {
	for r := Reason(1); r < NumReasons; r++ {
		if r.String() == slug {
			return r.Label()
		}
	}
	return slug
}

func hostLabel(addr, name string) string {
	if name == "" {
		return addr
	}
	return addr + " (" + name + ")"
}

func sortedProtocols(m map[string]ProtoReport) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	layerOrder := map[string]int{}
	for i, l := range layerNames {
		layerOrder[l] = i
	}
	// by layer, then by bytes
	for i := 1; i < len(names); i++ {
		for j := i; j > 0; j-- {
			a, b := m[names[j-1]], m[names[j]]
			la, lb := layerOrder[a.Layer], layerOrder[b.Layer]
			if la > lb || (la == lb && (a.Bytes < b.Bytes || (a.Bytes == b.Bytes && names[j-1] > names[j]))) {
				names[j-1], names[j] = names[j], names[j-1]
			} else {
				break
			}
		}
	}
	return names
}
